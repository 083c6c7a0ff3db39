# SPDX-License-Identifier: MIT
# bench: the in-process benchmark program (SSPI table vs raw GSSAPI); bench/run.sh drives the rest.
add_executable(sspix_bench ${PROJECT_SOURCE_DIR}/bench/sspix_bench.c)
target_include_directories(sspix_bench PRIVATE ${SSPIX_INCLUDE})
target_link_libraries(sspix_bench PRIVATE sspix PkgConfig::GSSAPI PkgConfig::KRB5)
# RFC 4121 protection vs MIT vs the OpenSSL floor (bench/protect_bench.c; bench/run.sh runs it).
add_executable(protect_bench ${PROJECT_SOURCE_DIR}/bench/protect_bench.c ${SSPIX_RFC4121_SOURCES})
target_include_directories(protect_bench PRIVATE ${PROJECT_SOURCE_DIR}/src)
target_link_libraries(protect_bench PRIVATE sspix_common PkgConfig::GSSAPI PkgConfig::KRB5 PkgConfig::LIBCRYPTO)
# The acceptor alone on pre-generated tokens (SSPI, raw GSSAPI variants, raw libkrb5).
add_executable(accept_bench ${PROJECT_SOURCE_DIR}/bench/accept_bench.c)
target_include_directories(accept_bench PRIVATE ${SSPIX_INCLUDE})
target_link_libraries(accept_bench PRIVATE sspix PkgConfig::GSSAPI PkgConfig::KRB5)
# The TCP floor of a gss-sample handshake, and the load generator used for every server.
add_executable(floor_server ${PROJECT_SOURCE_DIR}/bench/floor_server.c)
add_executable(loadgen ${PROJECT_SOURCE_DIR}/bench/loadgen.c)
target_link_libraries(loadgen PRIVATE PkgConfig::GSSAPI)
