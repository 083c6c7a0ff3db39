# SPDX-License-Identifier: MIT
# The native Kerberos acceptor (src/packages/krb5_accept.c) with MIT's acceptor as its oracle, on the same tokens:
#   integration.krb5_native          native acceptor on (the default for in-process replay credentials)
#   integration.krb5_native.gssapi   SSPIX_KRB5_ACCEPTOR=gssapi: every token goes to MIT's acceptor

sspix_test_exe(test_krb5_native tests/integration/test_krb5_native.c)
target_link_libraries(test_krb5_native PRIVATE sspix_core)
sspix_realm_test(integration.krb5_native $<TARGET_FILE:test_krb5_native>)
sspix_realm_test(integration.krb5_native.gssapi $<TARGET_FILE:test_krb5_native>)
set_tests_properties(integration.krb5_native.gssapi PROPERTIES ENVIRONMENT SSPIX_KRB5_ACCEPTOR=gssapi)
