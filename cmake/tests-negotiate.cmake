# SPDX-License-Identifier: MIT
# Negotiate and NTLM on the default path (raw NTLMSSP to Negotiate, NTLM logon failures, Negotiate's password
# fallback to NTLM), channel bindings on every package, and Kerberos delegation onward to a second service.
sspix_test_exe(test_negotiate_ntlm tests/integration/test_negotiate_ntlm.c)
target_link_libraries(test_negotiate_ntlm PRIVATE sspix)
sspix_realm_test(integration.negotiate_ntlm $<TARGET_FILE:test_negotiate_ntlm>)

sspix_test_exe(test_channel_bindings tests/integration/test_channel_bindings.c)
target_link_libraries(test_channel_bindings PRIVATE sspix)
sspix_realm_test(integration.channel_bindings $<TARGET_FILE:test_channel_bindings>)

sspix_test_exe(test_delegation tests/integration/test_delegation.c)
target_link_libraries(test_delegation PRIVATE sspix)
sspix_realm_test(integration.delegation $<TARGET_FILE:test_delegation>)
set_tests_properties(integration.delegation PROPERTIES SKIP_RETURN_CODE 77)
