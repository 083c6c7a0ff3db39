# SPDX-License-Identifier: MIT
# End-to-end tests of sspix-client (tests/e2e/client_test.py): the real client against a real sspix-server, or
# against tests/e2e/client_fake_server.py for the servers it must refuse, with the throwaway KDC (realm fixture).

if(SSPIX_PYTHON3 AND TARGET sspix-client)
  set(SSPIX_CLIENT_E2E ${SSPIX_PYTHON3} ${PROJECT_SOURCE_DIR}/tests/e2e/client_test.py --client
                       $<TARGET_FILE:sspix-client>)

  # sspix_client_e2e(<name> <case> [arg]): a case that needs no sspix-server.
  function(sspix_client_e2e name)
    sspix_realm_script_test(e2e.client.${name} ${SSPIX_CLIENT_E2E} ${ARGN})
    set_tests_properties(e2e.client.${name} PROPERTIES TIMEOUT 120)
  endfunction()

  sspix_client_e2e(usage usage)
  sspix_client_e2e(refuse.garbage fake garbage)
  sspix_client_e2e(refuse.greeting fake greeting)
  sspix_client_e2e(refuse.close fake close)
  sspix_client_e2e(timeout timeout)
  sspix_client_e2e(load.failures load-failures)

  if(TARGET sspix-server)
    set(SSPIX_SERVER_ARG --server $<TARGET_FILE:sspix-server>)
    sspix_client_e2e(greet.negotiate ${SSPIX_SERVER_ARG} greet Negotiate)
    sspix_client_e2e(greet.kerberos ${SSPIX_SERVER_ARG} greet Kerberos)
    sspix_client_e2e(password ${SSPIX_SERVER_ARG} password)
    sspix_client_e2e(echo.negotiate ${SSPIX_SERVER_ARG} echo Negotiate)
    sspix_client_e2e(echo.kerberos ${SSPIX_SERVER_ARG} echo Kerberos)
    sspix_client_e2e(echo.stdin ${SSPIX_SERVER_ARG} echo-stdin)
    sspix_client_e2e(load.300 ${SSPIX_SERVER_ARG} load 300)
    sspix_client_e2e(load.echo ${SSPIX_SERVER_ARG} load-echo)
    sspix_client_e2e(refuse.wrong_key ${SSPIX_SERVER_ARG} wrong-key)
    sspix_client_e2e(no_mutual ${SSPIX_SERVER_ARG} no-mutual)
  endif()
endif()
