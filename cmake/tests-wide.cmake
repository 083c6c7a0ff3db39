# SPDX-License-Identifier: MIT
# The wide-character (W) API: the UTF conversion layer; the W functions against the realm in both wchar_t
# widths (UTF-16 with -fshort-wchar, UTF-32 by default); a UNICODE Windows-style program built as C in both
# widths and as C++; and the same program built against an installed tree with pkg-config alone.

sspix_test_exe(test_utf tests/unit/test_utf.c)
target_link_libraries(test_utf PRIVATE sspix_common)
sspix_unit_test(unit.utf $<TARGET_FILE:test_utf>)

# Windows' sspi.h names as the compiler sees them: ANSI, and UNICODE in both widths.
foreach(mode ansi utf16 utf32)
  sspix_test_exe(test_sspi_names_${mode} tests/unit/test_sspi_names.c)
  target_compile_options(test_sspi_names_${mode} PRIVATE -Werror=incompatible-pointer-types)
  if(NOT mode STREQUAL "ansi")
    target_compile_definitions(test_sspi_names_${mode} PRIVATE UNICODE _UNICODE)
  endif()
  if(mode STREQUAL "utf16")
    target_compile_options(test_sspi_names_${mode} PRIVATE -fshort-wchar)
  endif()
  target_link_libraries(test_sspi_names_${mode} PRIVATE sspix)
  sspix_unit_test(unit.sspi_names.${mode} $<TARGET_FILE:test_sspi_names_${mode}>)
endforeach()

# jürgen@SSPIX.TEST, whose name and password go beyond ASCII, and his NTLM account.
sspix_realm_script_test(wide.principal ${PROJECT_SOURCE_DIR}/tests/integration/wide_principal.sh)
set_tests_properties(wide.principal PROPERTIES FIXTURES_SETUP wide_user)

# Pointer-type mismatches are what a wrong wchar_t mapping would show first: errors, whatever the compiler.
set(SSPIX_WIDE_TEST_FLAGS -Werror=incompatible-pointer-types -Werror=pointer-sign)

foreach(width 16 32)
  if(width EQUAL 16)
    set(wflag -fshort-wchar)
  else()
    set(wflag)
  endif()

  sspix_test_exe(test_wide${width} tests/integration/test_wide.c)
  target_compile_options(test_wide${width} PRIVATE ${wflag} ${SSPIX_WIDE_TEST_FLAGS})
  target_link_libraries(test_wide${width} PRIVATE sspix ${CMAKE_DL_LIBS})
  sspix_realm_test(integration.wide.utf${width} $<TARGET_FILE:test_wide${width}>)
  set_tests_properties(integration.wide.utf${width} PROPERTIES FIXTURES_REQUIRED "realm;wide_user")

  # The Windows-style program: no sspix names, only what a UNICODE Windows build uses.
  add_executable(wide_windows${width} tests/integration/wide_windows.c)
  target_compile_options(wide_windows${width} PRIVATE ${wflag} ${SSPIX_WIDE_TEST_FLAGS})
  target_link_libraries(wide_windows${width} PRIVATE sspix)
  set(drive ${PROJECT_SOURCE_DIR}/tests/integration/wide_windows.sh $<TARGET_FILE:wide_windows${width}>)
  sspix_realm_script_test(example.wide.utf${width}.negotiate ${drive} Kerberos alice@SSPIX.TEST Negotiate
                          host/localhost)
  sspix_realm_script_test(example.wide.utf${width}.password ${drive} Kerberos "jürgen@SSPIX.TEST" Kerberos
                          ADSockAuth/localhost/sspix "jürgen" SSPIX.TEST "pässwörd-é")
  add_test(NAME example.wide.utf${width}.ntlm
           COMMAND sh -c ". '${SSPIX_REALM_DIR}/env' && NTLM_USER_FILE=\"$SSPIX_REALM_DIR/wide-ntlm-users\" exec \"$@\""
                   sh ${drive} NTLM "SSPIXDOM\\wntlm" NTLM host/localhost wntlm SSPIXDOM "pässwörd-é")
  set_tests_properties(example.wide.utf${width}.password example.wide.utf${width}.ntlm
                       PROPERTIES FIXTURES_REQUIRED "realm;wide_user")
endforeach()

# The same program as C++ (g++ sees the headers), both widths, against the build tree.
sspix_realm_script_test(example.wide.cxx ${PROJECT_SOURCE_DIR}/tests/integration/wide_cxx.sh ${PROJECT_SOURCE_DIR}
                        $<TARGET_FILE_DIR:sspix> "${SSPIX_INSTALL_TEST_CFLAGS}")
set_tests_properties(example.wide.cxx PROPERTIES FIXTURES_REQUIRED "realm;wide_user")

# make install, then the program built with nothing but pkg-config, as C in both widths and as C++.
sspix_realm_script_test(install.wide ${PROJECT_SOURCE_DIR}/tests/install/test_install_wide.sh ${PROJECT_BINARY_DIR}
                        ${PROJECT_SOURCE_DIR} "${SSPIX_INSTALL_TEST_CFLAGS}")
set_tests_properties(install.wide PROPERTIES FIXTURES_REQUIRED "realm;wide_user")
