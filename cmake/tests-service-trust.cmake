# SPDX-License-Identifier: MIT
# The server under pressure: graceful SIGTERM with many live echo sessions, descriptor exhaustion, refusal
# log lines and the per-address cap, slow message trickles, weak contexts (replay) and the replay-cache
# start-up check. A real sspix-server against the realm fixture; see tests/e2e/server_trust.py.

# Many authenticated echo sessions at once, driven step by step through stdin.
sspix_test_exe(server_load tests/e2e/server_load.c)
target_link_libraries(server_load PRIVATE sspix)

set(SSPIX_SERVER_TRUST_CASES
    sigterm_inflight sigterm_twice shutdown_grace_setting fd_exhaustion refusal_log_rate per_address_cap
    message_deadline weak_context_refused weak_context_replay rcache_check)

if(SSPIX_PYTHON3 AND TARGET sspix-server)
  foreach(case ${SSPIX_SERVER_TRUST_CASES})
    add_test(NAME e2e.server.trust.${case}
             COMMAND sh -c ". '${SSPIX_REALM_DIR}/env' && exec \"$@\"" sh ${SSPIX_PYTHON3}
                     ${PROJECT_SOURCE_DIR}/tests/e2e/server_trust.py ${case} $<TARGET_FILE:sspix-server>
                     $<TARGET_FILE:server_goodclient> $<TARGET_FILE:server_load>)
    set_tests_properties(e2e.server.trust.${case} PROPERTIES FIXTURES_REQUIRED realm TIMEOUT 600 LABELS e2e)
  endforeach()
  set_tests_properties(e2e.server.trust.sigterm_inflight e2e.server.trust.fd_exhaustion PROPERTIES RUN_SERIAL ON)
endif()
