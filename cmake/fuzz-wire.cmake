# SPDX-License-Identifier: MIT
# libFuzzer targets for the wire codecs: fuzz_msframe, fuzz_gssframe, fuzz_protmsg.
# Included by the root CMakeLists.txt only with -DSSPIX_FUZZ=ON; needs clang.
#
#   cmake -S . -B build-fuzz -DCMAKE_C_COMPILER=clang -DSSPIX_FUZZ=ON -DSSPIX_SANITIZE=ON
#   cmake --build build-fuzz && ctest --test-dir build-fuzz -R 'fuzz\.'
#
# The code under test is compiled a second time into sspix_wire_fuzzlib with
# -fsanitize=fuzzer-no-link, so libFuzzer sees coverage of the decoders themselves, without putting
# coverage hooks into sspix_common (which libsspix.so and every other program link too).
if(NOT CMAKE_C_COMPILER_ID MATCHES "Clang")
  message(FATAL_ERROR "SSPIX_FUZZ=ON needs clang (libFuzzer): configure with -DCMAKE_C_COMPILER=clang")
endif()

set(SSPIX_FUZZ_SECONDS 20 CACHE STRING "How long each fuzz.* ctest runs its target, in seconds")
set(SSPIX_WIRE_FUZZ_SANITIZE -fsanitize=address,undefined -fno-sanitize-recover=undefined -fno-omit-frame-pointer)

file(GLOB SSPIX_WIRE_FUZZ_SOURCES CONFIGURE_DEPENDS ${PROJECT_SOURCE_DIR}/src/wire/*.c)
add_library(sspix_wire_fuzzlib STATIC ${SSPIX_WIRE_FUZZ_SOURCES} ${PROJECT_SOURCE_DIR}/src/common/buf.c
                                      ${PROJECT_SOURCE_DIR}/src/common/guard.c)
target_include_directories(sspix_wire_fuzzlib PUBLIC ${PROJECT_SOURCE_DIR}/include ${PROJECT_SOURCE_DIR}/src)
target_compile_options(sspix_wire_fuzzlib PRIVATE -fsanitize=fuzzer-no-link ${SSPIX_WIRE_FUZZ_SANITIZE})

foreach(target msframe gssframe protmsg)
  set(sources ${PROJECT_SOURCE_DIR}/fuzz/fuzz_${target}.c)
  if(target MATCHES "frame$")
    list(APPEND sources ${PROJECT_SOURCE_DIR}/fuzz/fuzz_frame_driver.c)
  endif()
  add_executable(fuzz_${target} ${sources})
  target_link_libraries(fuzz_${target} PRIVATE sspix_wire_fuzzlib)
  target_compile_options(fuzz_${target} PRIVATE -fsanitize=fuzzer ${SSPIX_WIRE_FUZZ_SANITIZE})
  target_link_options(fuzz_${target} PRIVATE -fsanitize=fuzzer,address,undefined)

  if(SSPIX_BUILD_TESTS)
    # fuzz/run.sh: a throwaway copy of the corpus, crash artifacts in the build directory, no realm.
    add_test(NAME fuzz.${target}
             COMMAND sh ${PROJECT_SOURCE_DIR}/fuzz/run.sh - ${PROJECT_SOURCE_DIR}/fuzz/corpus/${target}
                     $<TARGET_FILE:fuzz_${target}> ${CMAKE_BINARY_DIR}/fuzz-${target}- ${SSPIX_FUZZ_SECONDS})
    set_tests_properties(fuzz.${target} PROPERTIES LABELS fuzz TIMEOUT 600)
  endif()
endforeach()
