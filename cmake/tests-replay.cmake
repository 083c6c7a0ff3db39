# SPDX-License-Identifier: MIT
# The in-process replay set (src/packages/replay.c):
#   unit.replay          the set and the AP-REQ reader, no KDC
#   integration.replay   SSPIX_AUTH_STORE_REPLAY_IN_PROCESS credentials against the realm

sspix_test_exe(test_replay_set tests/unit/test_replay.c)
target_link_libraries(test_replay_set PRIVATE sspix_core Threads::Threads)
sspix_unit_test(unit.replay $<TARGET_FILE:test_replay_set>)

sspix_test_exe(test_replay tests/integration/test_replay.c)
target_link_libraries(test_replay PRIVATE sspix Threads::Threads)
sspix_realm_test(integration.replay $<TARGET_FILE:test_replay>)
