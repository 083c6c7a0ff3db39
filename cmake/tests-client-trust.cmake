# SPDX-License-Identifier: MIT
# sspix-client's trust tests (tests/e2e/client_trust.py): the KDC wait bounded by --timeout, the ticket before the
# connection, no success-looking output for a refused NTLM logon, options and --version as sspix-server's.
# Unit tests of the conversation (tests/unit/test_client_conv.c): canned server bytes through a scripted SSPI
# table, and one real Kerberos handshake with the realm.

if(TARGET sspix_client)
  sspix_test_exe(test_client_conv tests/unit/test_client_conv.c)
  target_link_libraries(test_client_conv PRIVATE sspix_client)
  sspix_realm_test(unit.client_conv $<TARGET_FILE:test_client_conv>)
endif()

if(SSPIX_PYTHON3 AND TARGET sspix-client AND TARGET sspix-server)
  foreach(case kdc-timeout ticket-first ntlm-refused options)
    sspix_realm_script_test(e2e.client.trust.${case} ${SSPIX_PYTHON3} ${PROJECT_SOURCE_DIR}/tests/e2e/client_trust.py
                            --client $<TARGET_FILE:sspix-client> --server $<TARGET_FILE:sspix-server> ${case})
    set_tests_properties(e2e.client.trust.${case} PROPERTIES TIMEOUT 180)
  endforeach()
endif()
