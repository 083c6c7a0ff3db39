# SPDX-License-Identifier: MIT
# SSPIX_AUTH_STORE_KEYTAB_IN_MEMORY in the library (integration.memkeytab) and
# the server that relies on it to drop root (e2e.server.privdrop).

sspix_test_exe(test_memkeytab tests/integration/test_memkeytab.c)
target_link_libraries(test_memkeytab PRIVATE sspix)
sspix_realm_test(integration.memkeytab $<TARGET_FILE:test_memkeytab>)

if(SSPIX_PYTHON3)
  # Runs sspix-server as root with --user nobody; skips (77) when not root.
  add_test(NAME e2e.server.privdrop
           COMMAND sh -c ". '${SSPIX_REALM_DIR}/env' && exec \"$@\"" sh ${SSPIX_PYTHON3}
                   ${PROJECT_SOURCE_DIR}/tests/e2e/server_privdrop.py $<TARGET_FILE:sspix-server>
                   $<TARGET_FILE:server_goodclient>)
  set_tests_properties(e2e.server.privdrop PROPERTIES FIXTURES_REQUIRED realm TIMEOUT 300 LABELS e2e
                                                      SKIP_RETURN_CODE 77)
endif()
