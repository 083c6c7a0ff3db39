# SPDX-License-Identifier: MIT
# RFC 4121 message protection on OpenSSL (src/packages/rfc4121*.c):
#   unit.rfc4121            n-fold, DK / RFC 8009 KDF and CTS test vectors; tokens between two ends with
#                           fixed keys: layouts, token rules, sequence window, export/import (no KDC)
#   integration.rfc4121_mit differential against MIT GSSAPI on real contexts of the test realm, every
#                           AES enctype, both directions (default realm)

add_executable(test_rfc4121 ${PROJECT_SOURCE_DIR}/tests/unit/test_rfc4121.c ${SSPIX_RFC4121_SOURCES})
target_include_directories(test_rfc4121 PRIVATE ${PROJECT_SOURCE_DIR}/tests ${PROJECT_SOURCE_DIR}/src)
target_link_libraries(test_rfc4121 PRIVATE sspix_common PkgConfig::GSSAPI PkgConfig::LIBCRYPTO)
sspix_unit_test(unit.rfc4121 $<TARGET_FILE:test_rfc4121>)
# Without the suite's suppressions: its libcrypto entry (for gss-ntlmssp's MD4) must not hide a leak of
# rfc4121.c's own EVP objects, and this test loads no gss-ntlmssp.
set_tests_properties(unit.rfc4121 PROPERTIES ENVIRONMENT "LSAN_OPTIONS=")

if(EXISTS ${PROJECT_SOURCE_DIR}/tests/integration/test_rfc4121_mit.c)
  sspix_test_exe(test_rfc4121_mit tests/integration/test_rfc4121_mit.c ${SSPIX_RFC4121_SOURCES})
  target_link_libraries(test_rfc4121_mit PRIVATE sspix_common PkgConfig::GSSAPI PkgConfig::KRB5 PkgConfig::LIBCRYPTO)
  sspix_realm_test(integration.rfc4121_mit $<TARGET_FILE:test_rfc4121_mit>)
  set_tests_properties(integration.rfc4121_mit PROPERTIES TIMEOUT 600)
endif()

# The SSPI path on adopted contexts: messages, then export/import after messages (default realm).
sspix_test_exe(test_rfc4121_sspi tests/integration/test_rfc4121_sspi.c)
target_link_libraries(test_rfc4121_sspi PRIVATE sspix)
sspix_realm_test(integration.rfc4121_sspi $<TARGET_FILE:test_rfc4121_sspi>)
