# SPDX-License-Identifier: MIT
# libFuzzer targets for handshake tokens: fuzz_ntlm_msg and fuzz_spnego_tok (the pure NTLM and SPNEGO checks,
# deterministic) and fuzz_handshake (AcceptSecurityContext / InitializeSecurityContext legs of the Negotiate,
# Kerberos and NTLM packages, realm-backed). Included by the root CMakeLists.txt only with -DSSPIX_FUZZ=ON.
#
#   cmake -S . -B build-fuzz -DCMAKE_C_COMPILER=clang -DSSPIX_FUZZ=ON -DSSPIX_SANITIZE=ON
#   cmake --build build-fuzz --target fuzz_ntlm_msg fuzz_spnego_tok fuzz_handshake
#   ctest --test-dir build-fuzz -R 'fuzz\.(ntlm_msg|spnego_tok|handshake)'
#
# The seed corpora fuzz/corpus/{handshake,ntlm_msg,spnego_tok} are the tokens of genuine handshakes, written
# by the realm-backed target:  . DIR/env && SSPIX_FUZZ_WRITE_SEEDS=fuzz/corpus build-fuzz/fuzz_handshake
if(NOT CMAKE_C_COMPILER_ID MATCHES "Clang")
  message(FATAL_ERROR "SSPIX_FUZZ=ON needs clang (libFuzzer): configure with -DCMAKE_C_COMPILER=clang")
endif()
set(SSPIX_FUZZ_SECONDS 20 CACHE STRING "How long each fuzz.* ctest runs its target, in seconds")
set(SSPIX_NTLM_FUZZ_SANITIZE -fsanitize=address,undefined -fno-sanitize-recover=undefined -fno-omit-frame-pointer)

# The pure checks, compiled with coverage hooks, on their own.
add_library(sspix_tokcheck_fuzzlib STATIC ${PROJECT_SOURCE_DIR}/src/packages/ntlm_msg.c
                                          ${PROJECT_SOURCE_DIR}/src/packages/spnego_tok.c ${SSPIX_COMMON_SOURCES})
target_include_directories(sspix_tokcheck_fuzzlib PUBLIC ${SSPIX_INCLUDE} ${PROJECT_SOURCE_DIR}/src)
target_compile_options(sspix_tokcheck_fuzzlib PRIVATE -fsanitize=fuzzer-no-link ${SSPIX_NTLM_FUZZ_SANITIZE})

# The whole library with coverage hooks, for the realm-backed target.
add_library(sspix_handshake_fuzzlib STATIC ${SSPIX_LIB_SOURCES} ${SSPIX_COMMON_SOURCES})
target_include_directories(sspix_handshake_fuzzlib PUBLIC ${SSPIX_INCLUDE} ${SSPIX_COMPAT_INCLUDE}
                                                          ${PROJECT_SOURCE_DIR}/src)
target_compile_options(sspix_handshake_fuzzlib PRIVATE -fsanitize=fuzzer-no-link ${SSPIX_NTLM_FUZZ_SANITIZE})
target_link_libraries(sspix_handshake_fuzzlib PUBLIC PkgConfig::GSSAPI PkgConfig::KRB5 Threads::Threads)

foreach(target ntlm_msg spnego_tok handshake)
  add_executable(fuzz_${target} ${PROJECT_SOURCE_DIR}/fuzz/fuzz_${target}.c)
  if(target STREQUAL handshake)
    target_link_libraries(fuzz_${target} PRIVATE sspix_handshake_fuzzlib)
    set(env ${SSPIX_REALM_DIR}/env)
  else()
    target_link_libraries(fuzz_${target} PRIVATE sspix_tokcheck_fuzzlib)
    set(env -)
  endif()
  target_compile_options(fuzz_${target} PRIVATE -fsanitize=fuzzer ${SSPIX_NTLM_FUZZ_SANITIZE})
  target_link_options(fuzz_${target} PRIVATE -fsanitize=fuzzer,address,undefined)
  if(SSPIX_BUILD_TESTS)
    # fuzz/run.sh: a throwaway copy of the corpus, crash artifacts in the build directory; with the realm's
    # environment (and no leak detection: MIT keeps process-lifetime caches) for the realm-backed target.
    add_test(NAME fuzz.${target}
             COMMAND ${PROJECT_SOURCE_DIR}/fuzz/run.sh ${env} ${PROJECT_SOURCE_DIR}/fuzz/corpus/${target}
                     $<TARGET_FILE:fuzz_${target}> ${CMAKE_BINARY_DIR}/fuzz-${target}- ${SSPIX_FUZZ_SECONDS})
    set_tests_properties(fuzz.${target} PROPERTIES LABELS fuzz TIMEOUT 600)
    if(target STREQUAL handshake)
      set_tests_properties(fuzz.${target} PROPERTIES FIXTURES_REQUIRED realm)
    endif()
  endif()
endforeach()
