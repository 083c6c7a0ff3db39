# SPDX-License-Identifier: MIT
# Kerberos per-message token validation (src/packages/krb5_token.c):
#   unit.krb5_token             the validator alone, no KDC
#   integration.hostile_krb5    hostile tokens and buffer layouts on real contexts (default realm)
#   integration.hostile_krb5.rc4  the same on rc4-hmac contexts, in a second realm built with
#                               SSPIX_REALM_RC4=1 (fixture realm_rc4)

add_executable(test_krb5_token ${PROJECT_SOURCE_DIR}/tests/unit/test_krb5_token.c
                               ${PROJECT_SOURCE_DIR}/src/packages/krb5_token.c)
target_include_directories(test_krb5_token PRIVATE ${PROJECT_SOURCE_DIR}/tests ${PROJECT_SOURCE_DIR}/src)
target_link_libraries(test_krb5_token PRIVATE sspix_common)
sspix_unit_test(unit.krb5_token $<TARGET_FILE:test_krb5_token>)

sspix_test_exe(test_hostile_krb5 tests/integration/test_hostile_krb5.c)
target_link_libraries(test_hostile_krb5 PRIVATE sspix)
sspix_realm_test(integration.hostile_krb5 $<TARGET_FILE:test_hostile_krb5>)

set(SSPIX_RC4_REALM_DIR ${PROJECT_BINARY_DIR}/test-realm-rc4)
add_test(NAME realm_rc4.up COMMAND env SSPIX_REALM_RC4=1 ${PROJECT_SOURCE_DIR}/tests/realm/realm up
                                   ${SSPIX_RC4_REALM_DIR})
set_tests_properties(realm_rc4.up PROPERTIES FIXTURES_SETUP realm_rc4)
add_test(NAME realm_rc4.down COMMAND ${PROJECT_SOURCE_DIR}/tests/realm/realm down ${SSPIX_RC4_REALM_DIR})
set_tests_properties(realm_rc4.down PROPERTIES FIXTURES_CLEANUP realm_rc4)
add_test(NAME integration.hostile_krb5.rc4
         COMMAND sh -c ". '${SSPIX_RC4_REALM_DIR}/env' && exec \"$@\"" sh ${SSPIX_TEST_LAUNCHER}
                 $<TARGET_FILE:test_hostile_krb5> rc4)
set_tests_properties(integration.hostile_krb5.rc4 PROPERTIES FIXTURES_REQUIRED realm_rc4)
