# SPDX-License-Identifier: MIT
# Deterministic libFuzzer targets: no KDC, no clock, no KRB5_* variables (the ctests unset them).
#   fuzz_conn_fake  the server's connection state machine, both protocols, on the fake SSPI table
#                   (fuzz/fuzz_conn_fake.c, tests/common/fake_sspi.c); fuzz_conn stays the realm-backed target
#   fuzz_config     sspix-server's config-file reader and setter (fuzz/fuzz_config.c, src/service/config.c)
#   fuzz_identity   PackageList parsing and SEC_WINNT_AUTH_IDENTITY_EXA recognition (fuzz/fuzz_identity.c,
#                   src/packages/identity.c)
# Included by the root CMakeLists.txt only with -DSSPIX_FUZZ=ON (fuzz-wire.cmake checks for clang). The code
# under test is compiled again with -fsanitize=fuzzer-no-link so libFuzzer sees its coverage: the state machine
# as fuzz-service.cmake builds it (sspix_conn_fuzzlib, linked by name), config.c and identity.c here.
# Seeds: fuzz/make_corpus.sh (each target's -gen=DIR).
#
#   cmake -S . -B build-fuzz -DCMAKE_C_COMPILER=clang -DSSPIX_FUZZ=ON -DSSPIX_SANITIZE=ON
#   cmake --build build-fuzz --target fuzz_conn_fake fuzz_config fuzz_identity
#   ctest --test-dir build-fuzz -R 'fuzz\.(conn_fake|config|identity)'
set(SSPIX_FUZZ_SECONDS 20 CACHE STRING "How long each fuzz.* ctest runs its target, in seconds")
set(SSPIX_FAKE_FUZZ_SANITIZE -fsanitize=address,undefined -fno-sanitize-recover=undefined -fno-omit-frame-pointer)

add_executable(fuzz_conn_fake ${PROJECT_SOURCE_DIR}/fuzz/fuzz_conn_fake.c ${PROJECT_SOURCE_DIR}/fuzz/fuzz_bytes.c
                              ${PROJECT_SOURCE_DIR}/tests/common/fake_sspi.c)
target_include_directories(fuzz_conn_fake PRIVATE ${PROJECT_SOURCE_DIR}/tests)
target_link_libraries(fuzz_conn_fake PRIVATE sspix_conn_fuzzlib)

add_library(sspix_config_fuzzlib STATIC ${PROJECT_SOURCE_DIR}/src/service/config.c)
target_include_directories(sspix_config_fuzzlib PUBLIC ${PROJECT_SOURCE_DIR}/include ${PROJECT_SOURCE_DIR}/src)
target_compile_options(sspix_config_fuzzlib PRIVATE -fsanitize=fuzzer-no-link ${SSPIX_FAKE_FUZZ_SANITIZE})
target_link_libraries(sspix_config_fuzzlib PUBLIC sspix_common)
add_executable(fuzz_config ${PROJECT_SOURCE_DIR}/fuzz/fuzz_config.c ${PROJECT_SOURCE_DIR}/fuzz/fuzz_bytes.c)
target_link_libraries(fuzz_config PRIVATE sspix_config_fuzzlib)

# identity.c alone is instrumented; sspix_fail and the rest of the library come from the plain archive.
add_library(sspix_identity_fuzzlib STATIC ${PROJECT_SOURCE_DIR}/src/packages/identity.c)
target_include_directories(sspix_identity_fuzzlib PUBLIC ${PROJECT_SOURCE_DIR}/include ${PROJECT_SOURCE_DIR}/src
                                                         ${PROJECT_SOURCE_DIR}/include/sspix/compat)
target_compile_options(sspix_identity_fuzzlib PRIVATE -fsanitize=fuzzer-no-link ${SSPIX_FAKE_FUZZ_SANITIZE})
target_link_libraries(sspix_identity_fuzzlib PUBLIC sspix_core)
add_executable(fuzz_identity ${PROJECT_SOURCE_DIR}/fuzz/fuzz_identity.c ${PROJECT_SOURCE_DIR}/fuzz/fuzz_bytes.c)
target_link_libraries(fuzz_identity PRIVATE sspix_identity_fuzzlib)

foreach(target conn_fake config identity)
  target_compile_options(fuzz_${target} PRIVATE -fsanitize=fuzzer ${SSPIX_FAKE_FUZZ_SANITIZE})
  target_link_options(fuzz_${target} PRIVATE -fsanitize=fuzzer,address,undefined)
  if(SSPIX_BUILD_TESTS)
    # fuzz/run.sh with no realm ("-"); env -u shows that nothing here needs one.
    add_test(NAME fuzz.${target}
             COMMAND env -u KRB5_CONFIG -u KRB5_KDC_PROFILE -u KRB5CCNAME -u KRB5_KTNAME -u KRB5RCACHEDIR
                     -u KRB5RCACHETYPE sh ${PROJECT_SOURCE_DIR}/fuzz/run.sh - ${PROJECT_SOURCE_DIR}/fuzz/corpus/${target}
                     $<TARGET_FILE:fuzz_${target}> ${CMAKE_BINARY_DIR}/fuzz-${target}- ${SSPIX_FUZZ_SECONDS})
    set_tests_properties(fuzz.${target} PROPERTIES LABELS fuzz TIMEOUT 600)
  endif()
endforeach()
