# SPDX-License-Identifier: MIT
# Session message protection (src/session/protect.c) on the deterministic fake SSPI table: every layout between a
# client and a server context, failures passed through, oversized lengths refused; no KDC.
sspix_test_exe(test_session_protect tests/unit/test_session_protect.c)
target_link_libraries(test_session_protect PRIVATE sspix_fake_sspi sspix_session sspix_conn)
sspix_unit_test(unit.session.protect $<TARGET_FILE:test_session_protect>)
