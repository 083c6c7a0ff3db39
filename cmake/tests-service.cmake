# SPDX-License-Identifier: MIT
# Tests of the service: the state machine in-process (unit.service.*) and a real sspix-server
# process driven by raw sockets and a good client (e2e.server.*), all against the realm fixture.

sspix_test_exe(test_service_conn tests/unit/test_service_conn.c)
target_link_libraries(test_service_conn PRIVATE sspix_conn)
sspix_realm_test(unit.service.conn $<TARGET_FILE:test_service_conn>)

sspix_test_exe(test_service_config tests/unit/test_service_config.c)
target_link_libraries(test_service_config PRIVATE sspix_conn)
sspix_unit_test(unit.service.config $<TARGET_FILE:test_service_config>)

# The e2e tests' well-behaved client: blocking socket, the sample's framing, SSPI.
sspix_test_exe(server_goodclient tests/e2e/server_goodclient.c)
target_link_libraries(server_goodclient PRIVATE sspix)


set(SSPIX_SERVER_E2E_CASES
    greet_negotiate greet_kerberos echo_negotiate echo_kerberos concurrent300
    hostile_too_long hostile_ffffffff hostile_truncated hostile_random hostile_garbage hostile_max_legs
    hostile_slowloris hostile_silent hostile_killed_client hostile_replay hostile_flood5000
    startup sigterm_grace reload max_connections)

if(SSPIX_PYTHON3)
  foreach(case ${SSPIX_SERVER_E2E_CASES})
    # greet_negotiate -> greet.negotiate, hostile_too_long -> hostile.too_long
    string(REGEX REPLACE "^(greet|echo|hostile)_" "\\1." name ${case})
    # The server runs as the test's child, not under SSPIX_TEST_LAUNCHER.
    add_test(NAME e2e.server.${name}
             COMMAND sh -c ". '${SSPIX_REALM_DIR}/env' && exec \"$@\"" sh ${SSPIX_PYTHON3}
                     ${PROJECT_SOURCE_DIR}/tests/e2e/server_e2e.py ${case} $<TARGET_FILE:sspix-server>
                     $<TARGET_FILE:server_goodclient>)
    set_tests_properties(e2e.server.${name} PROPERTIES FIXTURES_REQUIRED realm TIMEOUT 600 LABELS e2e)
  endforeach()
  set_tests_properties(e2e.server.concurrent300 e2e.server.hostile.flood5000 PROPERTIES RUN_SERIAL ON)

  # The other half of the issue's client: sspix-client against the real server, when it is built.
  if(TARGET sspix-client)
    add_test(NAME e2e.server.sspix_client
             COMMAND sh -c ". '${SSPIX_REALM_DIR}/env' && exec \"$@\"" sh ${SSPIX_PYTHON3}
                     ${PROJECT_SOURCE_DIR}/tests/e2e/server_with_client.py $<TARGET_FILE:sspix-server>
                     $<TARGET_FILE:sspix-client>)
    set_tests_properties(e2e.server.sspix_client PROPERTIES FIXTURES_REQUIRED realm TIMEOUT 300 LABELS e2e)
  endif()
endif()
