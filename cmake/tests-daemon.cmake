# SPDX-License-Identifier: MIT
# sspix-server as a daemon: --daemon with relative paths, the pid file (no symlink followed, a live one refused,
# a stale one replaced), -t running the start-up's checks and -T, log priorities and timestamps (stderr and
# journald), and systemd: socket activation through systemd-socket-activate (127.0.0.1 and [::1]) and sd_notify
# readiness on a test NOTIFY_SOCKET. A real sspix-server against the realm fixture; see tests/e2e/server_daemon.py.

set(SSPIX_SERVER_DAEMON_CASES
    daemon_relative_paths pid_file_symlink pid_file_live check_mode log_priorities socket_activation notify
    keytab_follow)

# server_goodclient comes from cmake/tests-service.cmake (included later; a generator expression resolves it).
if(SSPIX_PYTHON3 AND TARGET sspix-server)
  foreach(case ${SSPIX_SERVER_DAEMON_CASES})
    add_test(NAME e2e.server.daemon.${case}
             COMMAND sh -c ". '${SSPIX_REALM_DIR}/env' && exec \"$@\"" sh ${SSPIX_PYTHON3}
                     ${PROJECT_SOURCE_DIR}/tests/e2e/server_daemon.py ${case} $<TARGET_FILE:sspix-server>
                     $<TARGET_FILE:server_goodclient>)
    set_tests_properties(e2e.server.daemon.${case} PROPERTIES FIXTURES_REQUIRED realm TIMEOUT 300 LABELS e2e
                                                              SKIP_RETURN_CODE 77)
  endforeach()
endif()
