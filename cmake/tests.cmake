# SPDX-License-Identifier: MIT
# The test suite: unit tests (no KDC), and tests against a real throwaway
# MIT realm that a ctest fixture brings up once per run and always takes down.

set(SSPIX_REALM_DIR ${PROJECT_BINARY_DIR}/test-realm)
# Tests run under this launcher when set (e.g. "valgrind;--error-exitcode=1").
set(SSPIX_TEST_LAUNCHER "" CACHE STRING "command prefix for test programs (valgrind, ...)")

add_test(NAME realm.up COMMAND ${PROJECT_SOURCE_DIR}/tests/realm/realm up ${SSPIX_REALM_DIR})
set_tests_properties(realm.up PROPERTIES FIXTURES_SETUP realm)
add_test(NAME realm.down COMMAND ${PROJECT_SOURCE_DIR}/tests/realm/realm down ${SSPIX_REALM_DIR})
set_tests_properties(realm.down PROPERTIES FIXTURES_CLEANUP realm)

function(sspix_test_exe name)
  add_executable(${name} ${ARGN})
  target_include_directories(${name} PRIVATE ${PROJECT_SOURCE_DIR}/tests ${PROJECT_SOURCE_DIR}/src
                                             ${SSPIX_INCLUDE} ${SSPIX_COMPAT_INCLUDE})
endfunction()

# A test program run with the realm's environment (KRB5_CONFIG, KRB5CCNAME, ...).
function(sspix_realm_test name)
  add_test(NAME ${name} COMMAND sh -c ". '${SSPIX_REALM_DIR}/env' && exec \"$@\"" sh ${SSPIX_TEST_LAUNCHER} ${ARGN})
  set_tests_properties(${name} PROPERTIES FIXTURES_REQUIRED realm)
endfunction()

# A driver script run with the realm's environment; it starts the programs it
# tests itself, so no launcher goes in front of it.
function(sspix_realm_script_test name)
  add_test(NAME ${name} COMMAND sh -c ". '${SSPIX_REALM_DIR}/env' && exec \"$@\"" sh ${ARGN})
  set_tests_properties(${name} PROPERTIES FIXTURES_REQUIRED realm)
endfunction()

# Debian's interpreter runs the end-to-end drivers (standard library only).
# Required: a missing interpreter must fail the build, not skip the tests.
find_program(SSPIX_PYTHON3 NAMES python3 PATHS /usr/bin NO_DEFAULT_PATH)
if(NOT SSPIX_PYTHON3)
  find_program(SSPIX_PYTHON3 NAMES python3 REQUIRED)
endif()

function(sspix_unit_test name)
  add_test(NAME ${name} COMMAND ${SSPIX_TEST_LAUNCHER} ${ARGN})
endfunction()

sspix_test_exe(test_api tests/unit/test_api.c)
target_link_libraries(test_api PRIVATE sspix)
sspix_unit_test(unit.api $<TARGET_FILE:test_api>)

sspix_test_exe(test_handles tests/unit/test_handles.c)
target_link_libraries(test_handles PRIVATE sspix_core)
sspix_unit_test(unit.handles $<TARGET_FILE:test_handles>)

sspix_test_exe(test_handshake tests/integration/test_handshake.c)
target_link_libraries(test_handshake PRIVATE sspix PkgConfig::KRB5)
sspix_realm_test(integration.handshake $<TARGET_FILE:test_handshake>)

sspix_test_exe(test_threads tests/integration/test_threads.c)
target_link_libraries(test_threads PRIVATE sspix_core)
sspix_realm_test(integration.threads $<TARGET_FILE:test_threads>)

# The Windows-style example, built against the build tree (the install test
# below builds it again against an installed tree with pkg-config alone).
sspix_test_exe(sspi_demo examples/sspi_demo.c)
target_link_libraries(sspi_demo PRIVATE sspix)
sspix_realm_test(example.sspi_demo.negotiate $<TARGET_FILE:sspi_demo> Negotiate host/localhost)
sspix_realm_test(example.sspi_demo.kerberos $<TARGET_FILE:sspi_demo> Kerberos ADSockAuth/localhost/sspix)

# make install + a Windows-style program built with nothing but pkg-config.
# A sanitized library needs a sanitized program in front of it.
if(SSPIX_SANITIZE)
  set(SSPIX_INSTALL_TEST_CFLAGS "-fsanitize=address,undefined")
else()
  set(SSPIX_INSTALL_TEST_CFLAGS "")
endif()
sspix_realm_script_test(install.pkgconfig ${PROJECT_SOURCE_DIR}/tests/install/test_install.sh ${PROJECT_BINARY_DIR}
                        ${PROJECT_SOURCE_DIR} "${SSPIX_INSTALL_TEST_CFLAGS}")
