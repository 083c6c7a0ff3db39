# SPDX-License-Identifier: MIT
# libFuzzer target for sspix-client's side of the conversation: fuzz_client_conv (fuzz/fuzz_client_conv.c).
# Included by the root CMakeLists.txt only with -DSSPIX_FUZZ=ON (fuzz-wire.cmake checks for clang and defines
# sspix_wire_fuzzlib, which is linked here by name). The conversation (src/client/conv.c) is compiled again with
# -fsanitize=fuzzer-no-link so libFuzzer sees its coverage; the SSPI library is the ordinary libsspix.so.
# Seeds: fuzz/make_corpus.sh.
#
#   cmake -S . -B build-fuzz -DCMAKE_C_COMPILER=clang -DSSPIX_FUZZ=ON -DSSPIX_SANITIZE=ON
#   cmake --build build-fuzz --target fuzz_client_conv && ctest --test-dir build-fuzz -R 'fuzz\.client_conv'
set(SSPIX_CLIENT_FUZZ_SECONDS 40 CACHE STRING "How long the fuzz.client_conv ctest runs fuzz_client_conv, in seconds")
set(SSPIX_CLIENT_FUZZ_SANITIZE -fsanitize=address,undefined -fno-sanitize-recover=undefined -fno-omit-frame-pointer)

add_library(sspix_client_fuzzlib STATIC ${SSPIX_CLIENT_CONV_SOURCES})
target_include_directories(sspix_client_fuzzlib PUBLIC ${PROJECT_SOURCE_DIR}/include ${PROJECT_SOURCE_DIR}/src)
target_compile_options(sspix_client_fuzzlib PRIVATE -fsanitize=fuzzer-no-link ${SSPIX_CLIENT_FUZZ_SANITIZE})
target_link_libraries(sspix_client_fuzzlib PUBLIC sspix_wire_fuzzlib sspix_session sspix)

add_executable(fuzz_client_conv ${PROJECT_SOURCE_DIR}/fuzz/fuzz_client_conv.c ${PROJECT_SOURCE_DIR}/fuzz/fuzz_bytes.c)
target_link_libraries(fuzz_client_conv PRIVATE sspix_client_fuzzlib)
target_compile_options(fuzz_client_conv PRIVATE -fsanitize=fuzzer ${SSPIX_CLIENT_FUZZ_SANITIZE})
target_link_options(fuzz_client_conv PRIVATE -fsanitize=fuzzer,address,undefined)

if(SSPIX_BUILD_TESTS)
  add_test(NAME fuzz.client_conv
           COMMAND sh ${PROJECT_SOURCE_DIR}/fuzz/run.sh ${SSPIX_REALM_DIR}/env ${PROJECT_SOURCE_DIR}/fuzz/corpus/client_conv
                   $<TARGET_FILE:fuzz_client_conv> ${CMAKE_BINARY_DIR}/fuzz-client_conv- ${SSPIX_CLIENT_FUZZ_SECONDS})
  set_tests_properties(fuzz.client_conv PROPERTIES LABELS fuzz TIMEOUT 600 FIXTURES_REQUIRED realm)
endif()
