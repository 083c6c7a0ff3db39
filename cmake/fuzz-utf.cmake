# SPDX-License-Identifier: MIT
# libFuzzer target for the strict UTF conversion layer (src/common/utf.c) behind the wide (W) SSPI
# functions: fuzz_utf. Included by the root CMakeLists.txt only with -DSSPIX_FUZZ=ON; needs clang.
# The code under test is compiled a second time with -fsanitize=fuzzer-no-link, so libFuzzer sees its
# coverage without coverage hooks in sspix_common.
if(NOT CMAKE_C_COMPILER_ID MATCHES "Clang")
  message(FATAL_ERROR "SSPIX_FUZZ=ON needs clang (libFuzzer): configure with -DCMAKE_C_COMPILER=clang")
endif()

set(SSPIX_FUZZ_SECONDS 20 CACHE STRING "How long each fuzz.* ctest runs its target, in seconds")
set(SSPIX_UTF_FUZZ_SANITIZE -fsanitize=address,undefined -fno-sanitize-recover=undefined -fno-omit-frame-pointer)

add_library(sspix_utf_fuzzlib STATIC ${PROJECT_SOURCE_DIR}/src/common/utf.c)
target_include_directories(sspix_utf_fuzzlib PUBLIC ${PROJECT_SOURCE_DIR}/src)
target_compile_options(sspix_utf_fuzzlib PRIVATE -fsanitize=fuzzer-no-link ${SSPIX_UTF_FUZZ_SANITIZE})

add_executable(fuzz_utf ${PROJECT_SOURCE_DIR}/fuzz/fuzz_utf.c)
target_link_libraries(fuzz_utf PRIVATE sspix_utf_fuzzlib)
target_compile_options(fuzz_utf PRIVATE -fsanitize=fuzzer ${SSPIX_UTF_FUZZ_SANITIZE})
target_link_options(fuzz_utf PRIVATE -fsanitize=fuzzer,address,undefined)

if(SSPIX_BUILD_TESTS)
  # On a throwaway copy of the corpus, so new inputs never land in the committed one.
  add_test(NAME fuzz.utf
           COMMAND sh -c "d=$(mktemp -d) && cp -R \"$1/.\" \"$d/\" && \"$2\" -max_total_time=\"$4\" -artifact_prefix=\"$3\" -print_final_stats=1 \"$d\"; rc=$?; rm -rf \"$d\"; exit $rc"
                   sh ${PROJECT_SOURCE_DIR}/fuzz/corpus/utf $<TARGET_FILE:fuzz_utf> ${CMAKE_BINARY_DIR}/fuzz-utf- ${SSPIX_FUZZ_SECONDS})
  set_tests_properties(fuzz.utf PROPERTIES LABELS fuzz TIMEOUT 600)
endif()
