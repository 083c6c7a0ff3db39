# SPDX-License-Identifier: MIT
# The one error model without a KDC (tests/unit/test_status.c): the SSPIX_ERR_* -> SEC_E_* table row by row, the
# SEC_GUARD* macros over the bounded reader and writer, the fresh error frame of every SSPI call, file:line.

sspix_test_exe(test_status tests/unit/test_status.c)
target_link_libraries(test_status PRIVATE sspix_core)
sspix_unit_test(unit.status $<TARGET_FILE:test_status>)

# SSPIX_MUST_CHECK works: the probe compiles when it looks at every result, and is refused under -Werror when it
# drops an SSPIX_ERR_* int or a SECURITY_STATUS (gcc and clang both name unused-result).
set(SSPIX_MUST_CHECK_PROBE ${CMAKE_C_COMPILER} -std=c11 -c -o /dev/null -Wall -Werror -D_POSIX_C_SOURCE=200809L
                           -D_DEFAULT_SOURCE -I${PROJECT_SOURCE_DIR}/include -I${PROJECT_SOURCE_DIR}/src)
add_test(NAME unit.must_check.uses COMMAND ${SSPIX_MUST_CHECK_PROBE} ${PROJECT_SOURCE_DIR}/tests/unit/must_check_probe.c)
foreach(drop INT STATUS)
  string(TOLOWER ${drop} lower)
  add_test(NAME unit.must_check.drop_${lower} COMMAND ${SSPIX_MUST_CHECK_PROBE} -DDROP_${drop}
                                                      ${PROJECT_SOURCE_DIR}/tests/unit/must_check_probe.c)
  set_tests_properties(unit.must_check.drop_${lower} PROPERTIES PASS_REGULAR_EXPRESSION "unused-result")
endforeach()
