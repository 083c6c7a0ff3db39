# SPDX-License-Identifier: MIT
# The SSPI entry points against callers that get things wrong or lie: handshake descriptors, failed first legs,
# ImportSecurityContextA on damaged, replayed and forged blobs (tests/integration/test_api_trust.c).
sspix_test_exe(test_api_trust tests/integration/test_api_trust.c)
target_link_libraries(test_api_trust PRIVATE sspix_core)
sspix_realm_test(integration.api_trust $<TARGET_FILE:test_api_trust>)
set_tests_properties(integration.api_trust PROPERTIES TIMEOUT 300)

# The packed-context format below its MAC: the decoder alone, and genuine contexts re-sealed with lying fields.
sspix_test_exe(test_ctx_blob tests/integration/test_ctx_blob.c)
target_link_libraries(test_ctx_blob PRIVATE sspix_core)
sspix_unit_test(unit.ctx_blob $<TARGET_FILE:test_ctx_blob> decoder)
sspix_realm_test(integration.ctx_blob $<TARGET_FILE:test_ctx_blob>)
