# SPDX-License-Identifier: MIT
# libFuzzer target for the in-process replay check: fuzz_replay (the AP-REQ reader that finds the authenticator in
# a client's first token, raw or inside SPNEGO, and the replay set). Deterministic, no KDC. Included by the root
# CMakeLists.txt only with -DSSPIX_FUZZ=ON.
#
#   cmake -S . -B build-fuzz -DCMAKE_C_COMPILER=clang -DSSPIX_FUZZ=ON -DSSPIX_SANITIZE=ON
#   cmake --build build-fuzz --target fuzz_replay && ctest --test-dir build-fuzz -R 'fuzz\.replay'
#
# Seeds (fuzz/corpus/replay): the client tokens of genuine handshakes from fuzz/corpus/handshake (Kerberos, SPNEGO
# with Kerberos, SPNEGO with NTLM, raw NTLM), without fuzz_handshake's selector byte.
set(SSPIX_REPLAY_FUZZ_SANITIZE -fsanitize=address,undefined -fno-sanitize-recover=undefined -fno-omit-frame-pointer)
add_library(sspix_replay_fuzzlib STATIC ${PROJECT_SOURCE_DIR}/src/packages/replay.c
                                        ${PROJECT_SOURCE_DIR}/src/packages/spnego_tok.c
                                        ${PROJECT_SOURCE_DIR}/src/packages/ntlm_msg.c ${SSPIX_COMMON_SOURCES})
target_include_directories(sspix_replay_fuzzlib PUBLIC ${SSPIX_INCLUDE} ${PROJECT_SOURCE_DIR}/src)
target_compile_options(sspix_replay_fuzzlib PRIVATE -fsanitize=fuzzer-no-link ${SSPIX_REPLAY_FUZZ_SANITIZE})
target_link_libraries(sspix_replay_fuzzlib PUBLIC PkgConfig::LIBCRYPTO Threads::Threads)

add_executable(fuzz_replay ${PROJECT_SOURCE_DIR}/fuzz/fuzz_replay.c)
target_link_libraries(fuzz_replay PRIVATE sspix_replay_fuzzlib)
target_compile_options(fuzz_replay PRIVATE -fsanitize=fuzzer ${SSPIX_REPLAY_FUZZ_SANITIZE})
target_link_options(fuzz_replay PRIVATE -fsanitize=fuzzer,address,undefined)
if(SSPIX_BUILD_TESTS)
  add_test(NAME fuzz.replay
           COMMAND ${PROJECT_SOURCE_DIR}/fuzz/run.sh - ${PROJECT_SOURCE_DIR}/fuzz/corpus/replay
                   $<TARGET_FILE:fuzz_replay> ${CMAKE_BINARY_DIR}/fuzz-replay- ${SSPIX_FUZZ_SECONDS})
  set_tests_properties(fuzz.replay PROPERTIES LABELS fuzz TIMEOUT 600)
endif()
