# SPDX-License-Identifier: MIT
# Unit tests of src/common/buf.c and src/wire/: one executable per module, each its own main().
#
# Every one is linked with tests/unit/test_wire_support.c: the CHECK helpers, and a counting allocator
# hooked in through --wrap=malloc/realloc, so tests can assert that a rejected length allocated nothing
# and can make an allocation fail.
add_library(sspix_wire_test_support OBJECT ${PROJECT_SOURCE_DIR}/tests/unit/test_wire_support.c)
target_link_libraries(sspix_wire_test_support PRIVATE sspix_common)

# sspix_wire_unit_test(<source stem under tests/unit> <ctest name>)
function(sspix_wire_unit_test stem name)
  add_executable(${stem} ${PROJECT_SOURCE_DIR}/tests/unit/${stem}.c $<TARGET_OBJECTS:sspix_wire_test_support>)
  target_link_libraries(${stem} PRIVATE sspix_wire sspix_common)
  target_link_options(${stem} PRIVATE -Wl,--wrap=malloc -Wl,--wrap=realloc)
  # SSPIX_TEST_LAUNCHER (tests.cmake) may prefix a runner such as valgrind.
  add_test(NAME ${name} COMMAND ${SSPIX_TEST_LAUNCHER} $<TARGET_FILE:${stem}>)
endfunction()

sspix_wire_unit_test(test_buf unit.buf)
sspix_wire_unit_test(test_wire_frame unit.wire.frame)
sspix_wire_unit_test(test_wire_msframe unit.wire.msframe)
sspix_wire_unit_test(test_wire_gssframe unit.wire.gssframe)
sspix_wire_unit_test(test_wire_protmsg unit.wire.protmsg)
