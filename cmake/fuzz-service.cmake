# SPDX-License-Identifier: MIT
# libFuzzer target for the server's per-connection state machine, both protocols: fuzz_conn (fuzz/fuzz_conn.c).
# Included by the root CMakeLists.txt only with -DSSPIX_FUZZ=ON (fuzz-wire.cmake checks for clang). The state
# machine is compiled again with -fsanitize=fuzzer-no-link so libFuzzer sees its coverage; the SSPI library is
# the ordinary one (libsspix.so, sanitized when SSPIX_SANITIZE=ON). Seeds: fuzz/make_corpus.sh.
#
#   cmake -S . -B build-fuzz -DCMAKE_C_COMPILER=clang -DSSPIX_FUZZ=ON -DSSPIX_SANITIZE=ON
#   cmake --build build-fuzz --target fuzz_conn && ctest --test-dir build-fuzz -R 'fuzz\.conn'
set(SSPIX_CONN_FUZZ_SECONDS 45 CACHE STRING "How long the fuzz.conn ctest runs fuzz_conn, in seconds")
set(SSPIX_CONN_FUZZ_SANITIZE -fsanitize=address,undefined -fno-sanitize-recover=undefined -fno-omit-frame-pointer)

add_library(sspix_conn_fuzzlib STATIC ${SSPIX_CONN_SOURCES})
target_include_directories(sspix_conn_fuzzlib PUBLIC ${PROJECT_SOURCE_DIR}/include ${PROJECT_SOURCE_DIR}/src)
target_compile_options(sspix_conn_fuzzlib PRIVATE -fsanitize=fuzzer-no-link ${SSPIX_CONN_FUZZ_SANITIZE})
# By name: fuzz-wire.cmake, included after this file, defines it (the frame decoders, instrumented too).
target_link_libraries(sspix_conn_fuzzlib PUBLIC sspix_wire_fuzzlib sspix_session sspix)

add_executable(fuzz_conn ${PROJECT_SOURCE_DIR}/fuzz/fuzz_conn.c ${PROJECT_SOURCE_DIR}/fuzz/fuzz_bytes.c)
target_link_libraries(fuzz_conn PRIVATE sspix_conn_fuzzlib)
target_compile_options(fuzz_conn PRIVATE -fsanitize=fuzzer ${SSPIX_CONN_FUZZ_SANITIZE})
target_link_options(fuzz_conn PRIVATE -fsanitize=fuzzer,address,undefined)

if(SSPIX_BUILD_TESTS)
  # fuzz/run.sh: a throwaway copy of the corpus (new inputs never land in the committed one), with the
  # realm's environment; crash artifacts stay in the build directory.
  add_test(NAME fuzz.conn
           COMMAND sh ${PROJECT_SOURCE_DIR}/fuzz/run.sh ${SSPIX_REALM_DIR}/env ${PROJECT_SOURCE_DIR}/fuzz/corpus/conn
                   $<TARGET_FILE:fuzz_conn> ${CMAKE_BINARY_DIR}/fuzz-conn- ${SSPIX_CONN_FUZZ_SECONDS})
  set_tests_properties(fuzz.conn PROPERTIES LABELS fuzz TIMEOUT 600 FIXTURES_REQUIRED realm)
endif()
