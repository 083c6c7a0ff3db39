# SPDX-License-Identifier: MIT
# Tests of the library's post-authentication surface: message protection cross-checked against raw MIT
# GSSAPI, the NTLM package, context export/import across processes, and per-thread impersonation.

sspix_test_exe(test_protect tests/integration/test_protect.c)
target_link_libraries(test_protect PRIVATE sspix PkgConfig::GSSAPI)
sspix_realm_test(integration.protect $<TARGET_FILE:test_protect>)

# Needs root to switch identities; exits 77 (reported as skipped, not passed) otherwise.
sspix_test_exe(test_impersonate tests/integration/test_impersonate.c)
target_link_libraries(test_impersonate PRIVATE sspix Threads::Threads)
sspix_realm_test(integration.impersonate $<TARGET_FILE:test_impersonate>)
set_tests_properties(integration.impersonate PROPERTIES SKIP_RETURN_CODE 77)

# Export in this process, import in a second one (export_helper) over a Unix socket.
sspix_test_exe(export_helper tests/integration/export_helper.c)
target_link_libraries(export_helper PRIVATE sspix)
sspix_test_exe(test_export tests/integration/test_export.c)
target_link_libraries(test_export PRIVATE sspix)
add_dependencies(test_export export_helper)
sspix_realm_test(integration.export $<TARGET_FILE:test_export> $<TARGET_FILE:export_helper>)

# NTLM through gss-ntlmssp: the package, message protection against a raw gss-ntlmssp peer, Negotiate's fallback.
sspix_test_exe(test_ntlm tests/integration/test_ntlm.c)
target_link_libraries(test_ntlm PRIVATE sspix PkgConfig::GSSAPI)
sspix_realm_test(integration.ntlm $<TARGET_FILE:test_ntlm>)

# sspix-server / sspix-client over NTLM (tests/e2e/ntlm_e2e.py).
if(SSPIX_PYTHON3 AND TARGET sspix-server AND TARGET sspix-client)
  foreach(case refuse greet echo kerberos)
    sspix_realm_script_test(e2e.ntlm.${case} ${SSPIX_PYTHON3} ${PROJECT_SOURCE_DIR}/tests/e2e/ntlm_e2e.py --client
                            $<TARGET_FILE:sspix-client> --server $<TARGET_FILE:sspix-server> ${case})
    set_tests_properties(e2e.ntlm.${case} PROPERTIES TIMEOUT 120 LABELS e2e)
  endforeach()
endif()
