# SPDX-License-Identifier: MIT
# pAuthData forms (SEC_WINNT_AUTH_IDENTITY_EXA and its PackageList) and credential names on every package.
sspix_test_exe(test_identity tests/integration/test_identity.c)
target_link_libraries(test_identity PRIVATE sspix)
sspix_realm_test(integration.identity $<TARGET_FILE:test_identity>)
