# SPDX-License-Identifier: MIT
# The server credential's per-thread handles, in-process against the realm fixture (unit.service.cred).

sspix_test_exe(test_service_cred tests/unit/test_service_cred.c)
target_link_libraries(test_service_cred PRIVATE sspix_conn)
sspix_realm_test(unit.service.cred $<TARGET_FILE:test_service_cred>)

# --log syslog against a test /dev/log in a private mount namespace (root only; skipped otherwise).
if(SSPIX_PYTHON3 AND TARGET sspix-server)
  add_test(NAME e2e.server.daemon.syslog
           COMMAND sh -c ". '${SSPIX_REALM_DIR}/env' && exec \"$@\"" sh ${SSPIX_PYTHON3}
                   ${PROJECT_SOURCE_DIR}/tests/e2e/server_daemon.py syslog $<TARGET_FILE:sspix-server>
                   $<TARGET_FILE:server_goodclient>)
  set_tests_properties(e2e.server.daemon.syslog PROPERTIES FIXTURES_REQUIRED realm TIMEOUT 300 LABELS e2e
                                                           SKIP_RETURN_CODE 77)
endif()

# Echo replies to a reader that drains them slowly: the server's wait for room in the socket.
if(SSPIX_PYTHON3 AND TARGET sspix-server)
  add_test(NAME e2e.server.echo.blocked_reply
           COMMAND sh -c ". '${SSPIX_REALM_DIR}/env' && exec \"$@\"" sh ${SSPIX_PYTHON3}
                   ${PROJECT_SOURCE_DIR}/tests/e2e/server_e2e.py echo_blocked_reply $<TARGET_FILE:sspix-server>
                   $<TARGET_FILE:server_goodclient>)
  set_tests_properties(e2e.server.echo.blocked_reply PROPERTIES FIXTURES_REQUIRED realm TIMEOUT 300 LABELS e2e)
endif()
