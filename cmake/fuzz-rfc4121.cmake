# SPDX-License-Identifier: MIT
# libFuzzer target for the RFC 4121 token parsers: fuzz_rfc4121 (fuzz/fuzz_rfc4121.c), on contexts
# with fixed keys (no KDC). Included by the root CMakeLists.txt only with -DSSPIX_FUZZ=ON; needs clang.
#
#   cmake -S . -B build-fuzz -DCMAKE_C_COMPILER=clang -DSSPIX_FUZZ=ON -DSSPIX_SANITIZE=ON
#   cmake --build build-fuzz --target fuzz_rfc4121 && ctest --test-dir build-fuzz -R 'fuzz\.rfc4121'
if(NOT CMAKE_C_COMPILER_ID MATCHES "Clang")
  message(FATAL_ERROR "SSPIX_FUZZ=ON needs clang (libFuzzer): configure with -DCMAKE_C_COMPILER=clang")
endif()
set(SSPIX_FUZZ_SECONDS 20 CACHE STRING "How long each fuzz.* ctest runs its target, in seconds")
set(SSPIX_RFC4121_FUZZ_SANITIZE -fsanitize=address,undefined -fno-sanitize-recover=undefined -fno-omit-frame-pointer)

# The other fuzz libraries compile every library source, rfc4121.c among them.
foreach(lib sspix_krb5_fuzzlib sspix_import_fuzzlib sspix_handshake_fuzzlib)
  if(TARGET ${lib})
    target_link_libraries(${lib} PUBLIC PkgConfig::LIBCRYPTO)
  endif()
endforeach()

add_library(sspix_rfc4121_fuzzlib STATIC ${SSPIX_RFC4121_SOURCES}
                                         ${PROJECT_SOURCE_DIR}/src/common/buf.c ${PROJECT_SOURCE_DIR}/src/common/guard.c)
target_include_directories(sspix_rfc4121_fuzzlib PUBLIC ${PROJECT_SOURCE_DIR}/include ${PROJECT_SOURCE_DIR}/src)
target_compile_options(sspix_rfc4121_fuzzlib PRIVATE -fsanitize=fuzzer-no-link ${SSPIX_RFC4121_FUZZ_SANITIZE})
target_link_libraries(sspix_rfc4121_fuzzlib PUBLIC PkgConfig::GSSAPI PkgConfig::LIBCRYPTO)

add_executable(fuzz_rfc4121 ${PROJECT_SOURCE_DIR}/fuzz/fuzz_rfc4121.c)
target_link_libraries(fuzz_rfc4121 PRIVATE sspix_rfc4121_fuzzlib)
target_compile_options(fuzz_rfc4121 PRIVATE -fsanitize=fuzzer ${SSPIX_RFC4121_FUZZ_SANITIZE})
target_link_options(fuzz_rfc4121 PRIVATE -fsanitize=fuzzer,address,undefined)

if(SSPIX_BUILD_TESTS)
  # On a throwaway copy of the corpus; crash artifacts in the build directory. OpenSSL keeps
  # process-lifetime provider caches, so leaks are checked by unit.rfc4121, not here.
  add_test(NAME fuzz.rfc4121
           COMMAND sh -c [=[
d=$(mktemp -d) || exit 1
cp -R "$1/." "$d/" && ASAN_OPTIONS=detect_leaks=0 "$2" -max_total_time="$4" -artifact_prefix="$3" -print_final_stats=1 "$d"
rc=$?
rm -rf "$d"
exit $rc
]=] sh ${PROJECT_SOURCE_DIR}/fuzz/corpus/rfc4121 $<TARGET_FILE:fuzz_rfc4121> ${CMAKE_BINARY_DIR}/fuzz-rfc4121-
                   ${SSPIX_FUZZ_SECONDS})
  set_tests_properties(fuzz.rfc4121 PROPERTIES LABELS fuzz TIMEOUT 600)
endif()
