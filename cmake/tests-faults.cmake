# SPDX-License-Identifier: MIT
# Environment faults (KDC unreachable, keytab gone or stale, SPN not in the
# keytab, replay cache unusable, no descriptors) against the real realm, and
# the per-thread error text.

sspix_test_exe(test_faults tests/integration/test_faults.c)
target_link_libraries(test_faults PRIVATE sspix PkgConfig::KRB5)
sspix_realm_test(integration.faults $<TARGET_FILE:test_faults>)

sspix_test_exe(test_errors tests/unit/test_errors.c)
target_link_libraries(test_errors PRIVATE sspix_core)
sspix_unit_test(unit.errors $<TARGET_FILE:test_errors>)
