# SPDX-License-Identifier: MIT
# libFuzzer target for message protection on established Kerberos contexts: fuzz_protect_krb5
# (fuzz/fuzz_protect_krb5.c). Included by the root CMakeLists.txt only with -DSSPIX_FUZZ=ON.
# The SSPI library (packages, dispatcher, common code) is compiled a second time with
# -fsanitize=fuzzer-no-link into a static library, so that libFuzzer sees the coverage of the
# message functions and of the token validator themselves.
#
#   cmake -S . -B build-fuzz -DCMAKE_C_COMPILER=clang -DSSPIX_FUZZ=ON -DSSPIX_SANITIZE=ON
#   cmake --build build-fuzz --target fuzz_protect_krb5 && ctest --test-dir build-fuzz -R 'fuzz\.protect_krb5'
#
# The seed corpus fuzz/corpus/protect_krb5 is written by the target itself (it describes buffer
# layouts; the tokens are made at run time by the peer context):
#   SSPIX_REALM_RC4=1 tests/realm/realm up DIR && . DIR/env &&
#   SSPIX_FUZZ_WRITE_SEEDS=fuzz/corpus/protect_krb5 build-fuzz/fuzz_protect_krb5
if(NOT CMAKE_C_COMPILER_ID MATCHES "Clang")
  message(FATAL_ERROR "SSPIX_FUZZ=ON needs clang (libFuzzer): configure with -DCMAKE_C_COMPILER=clang")
endif()
set(SSPIX_FUZZ_SECONDS 20 CACHE STRING "How long each fuzz.* ctest runs its target, in seconds")
set(SSPIX_KRB5_FUZZ_SANITIZE -fsanitize=address,undefined -fno-sanitize-recover=undefined -fno-omit-frame-pointer)

add_library(sspix_krb5_fuzzlib STATIC ${SSPIX_LIB_SOURCES} ${SSPIX_COMMON_SOURCES})
target_include_directories(sspix_krb5_fuzzlib PUBLIC ${SSPIX_INCLUDE} ${SSPIX_COMPAT_INCLUDE} ${PROJECT_SOURCE_DIR}/src)
target_compile_options(sspix_krb5_fuzzlib PRIVATE -fsanitize=fuzzer-no-link ${SSPIX_KRB5_FUZZ_SANITIZE})
target_link_libraries(sspix_krb5_fuzzlib PUBLIC PkgConfig::GSSAPI PkgConfig::KRB5 Threads::Threads)

add_executable(fuzz_protect_krb5 ${PROJECT_SOURCE_DIR}/fuzz/fuzz_protect_krb5.c)
target_include_directories(fuzz_protect_krb5 PRIVATE ${PROJECT_SOURCE_DIR}/tests)
target_link_libraries(fuzz_protect_krb5 PRIVATE sspix_krb5_fuzzlib)
target_compile_options(fuzz_protect_krb5 PRIVATE -fsanitize=fuzzer ${SSPIX_KRB5_FUZZ_SANITIZE})
target_link_options(fuzz_protect_krb5 PRIVATE -fsanitize=fuzzer,address,undefined)

if(SSPIX_BUILD_TESTS)
  # fuzz/run.sh with the realm's environment: a throwaway copy of the corpus, crash artifacts in the
  # build directory, no leak detection (MIT krb5 keeps process-lifetime caches).
  # The realm with rc4svc (SSPIX_REALM_RC4=1, fixture realm_rc4 of tests-krb5-token.cmake) adds
  # the RFC 1964 / RFC 4757 contexts to the AES ones.
  add_test(NAME fuzz.protect_krb5
           COMMAND sh ${PROJECT_SOURCE_DIR}/fuzz/run.sh ${SSPIX_RC4_REALM_DIR}/env ${PROJECT_SOURCE_DIR}/fuzz/corpus/protect_krb5
                   $<TARGET_FILE:fuzz_protect_krb5> ${CMAKE_BINARY_DIR}/fuzz-protect_krb5- ${SSPIX_FUZZ_SECONDS})
  set_tests_properties(fuzz.protect_krb5 PROPERTIES LABELS fuzz TIMEOUT 600 FIXTURES_REQUIRED realm_rc4)
endif()
