# SPDX-License-Identifier: MIT
# libFuzzer target for ImportSecurityContextA and the packed-context format: fuzz_import (fuzz/fuzz_import.c).
# Included by the root CMakeLists.txt only with -DSSPIX_FUZZ=ON; needs clang.
# The whole library is compiled again with -fsanitize=fuzzer-no-link, so libFuzzer sees the coverage of the
# dispatcher, ctx_blob.c and the GSSAPI core behind them.
#
#   cmake -S . -B build-fuzz -DCMAKE_C_COMPILER=clang -DSSPIX_FUZZ=ON -DSSPIX_SANITIZE=ON
#   cmake --build build-fuzz --target fuzz_import && ctest --test-dir build-fuzz -R 'fuzz\.import'
#
# fuzz.import runs with the realm fixture, so the target exports fresh Kerberos, Negotiate and NTLM contexts at
# start-up; without a realm it falls back to the contexts inside the committed corpus (fuzz/corpus/import).
if(NOT CMAKE_C_COMPILER_ID MATCHES "Clang")
  message(FATAL_ERROR "SSPIX_FUZZ=ON needs clang (libFuzzer): configure with -DCMAKE_C_COMPILER=clang")
endif()
# The same cache entry as fuzz-wire.cmake's (whichever is included first defines it).
set(SSPIX_FUZZ_SECONDS 20 CACHE STRING "How long each fuzz.* ctest runs its target, in seconds")
set(SSPIX_IMPORT_FUZZ_SANITIZE -fsanitize=address,undefined -fno-sanitize-recover=undefined -fno-omit-frame-pointer)

add_library(sspix_import_fuzzlib STATIC ${SSPIX_LIB_SOURCES} ${SSPIX_COMMON_SOURCES})
target_include_directories(sspix_import_fuzzlib PUBLIC ${PROJECT_SOURCE_DIR}/include ${PROJECT_SOURCE_DIR}/src
                                                       ${PROJECT_SOURCE_DIR}/include/sspix/compat)
target_compile_options(sspix_import_fuzzlib PRIVATE -fsanitize=fuzzer-no-link ${SSPIX_IMPORT_FUZZ_SANITIZE})
target_link_libraries(sspix_import_fuzzlib PUBLIC PkgConfig::GSSAPI PkgConfig::KRB5 Threads::Threads)

add_executable(fuzz_import ${PROJECT_SOURCE_DIR}/fuzz/fuzz_import.c)
target_link_libraries(fuzz_import PRIVATE sspix_import_fuzzlib)
target_compile_definitions(fuzz_import PRIVATE SSPIX_FUZZ_IMPORT_CORPUS="${PROJECT_SOURCE_DIR}/fuzz/corpus/import")
target_compile_options(fuzz_import PRIVATE -fsanitize=fuzzer ${SSPIX_IMPORT_FUZZ_SANITIZE})
target_link_options(fuzz_import PRIVATE -fsanitize=fuzzer,address,undefined)

if(SSPIX_BUILD_TESTS)
  # fuzz/run.sh with the realm's environment: a throwaway copy of the corpus, crash artifacts in the
  # build directory, no leak detection (MIT krb5 keeps process-lifetime caches).
  add_test(NAME fuzz.import
           COMMAND sh ${PROJECT_SOURCE_DIR}/fuzz/run.sh ${SSPIX_REALM_DIR}/env ${PROJECT_SOURCE_DIR}/fuzz/corpus/import
                   $<TARGET_FILE:fuzz_import> ${CMAKE_BINARY_DIR}/fuzz-import- ${SSPIX_FUZZ_SECONDS})
  set_tests_properties(fuzz.import PROPERTIES LABELS fuzz TIMEOUT 600 FIXTURES_REQUIRED realm)
endif()
