# SPDX-License-Identifier: MIT
# Hostile NTLM and SPNEGO handshake tokens, and NTLM message protection against an independent implementation.
#
# unit.ntlm_msg / unit.spnego_tok: the pure token checks (src/packages/ntlm_msg.c, spnego_tok.c), compiled alone.
foreach(stem ntlm_msg spnego_tok)
  sspix_test_exe(test_${stem} tests/unit/test_${stem}.c src/packages/${stem}.c)
  target_link_libraries(test_${stem} PRIVATE sspix_common)
  sspix_unit_test(unit.${stem} $<TARGET_FILE:test_${stem}>)
endforeach()

# Hostile CHALLENGE / NEGOTIATE / AUTHENTICATE messages and SPNEGO tokens against both sides of NTLM and Negotiate.
sspix_test_exe(test_hostile_ntlm tests/integration/test_hostile_ntlm.c)
target_link_libraries(test_hostile_ntlm PRIVATE sspix)
sspix_realm_test(integration.hostile_ntlm $<TARGET_FILE:test_hostile_ntlm>)

# NTLM message protection against Debian's python3-ntlm-auth, an MS-NLMP implementation that shares no code with
# sspix or gss-ntlmssp: ntlm-auth authenticates to sspix's NTLM acceptor (tests/interop/ntlm_peer.c), then each
# side seals and signs for the other; and ntlm-auth unseals sspix-server's NTLM greeting.
sspix_test_exe(ntlm_peer tests/interop/ntlm_peer.c)
target_link_libraries(ntlm_peer PRIVATE sspix)
set(SSPIX_NTLM_INDEPENDENT_SERVER "")
if(TARGET sspix-server)
  set(SSPIX_NTLM_INDEPENDENT_SERVER --server $<TARGET_FILE:sspix-server>)
endif()
sspix_realm_script_test(interop.ntlm_independent ${SSPIX_PYTHON3} ${PROJECT_SOURCE_DIR}/tests/interop/ntlm_independent.py
                        --peer $<TARGET_FILE:ntlm_peer> ${SSPIX_NTLM_INDEPENDENT_SERVER})
set_tests_properties(interop.ntlm_independent PROPERTIES TIMEOUT 120 LABELS interop)
