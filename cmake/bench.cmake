# bench: the in-process benchmark program (SSPI table vs raw GSSAPI); bench/run.sh drives the rest.
add_executable(sspix_bench ${PROJECT_SOURCE_DIR}/bench/sspix_bench.c)
target_include_directories(sspix_bench PRIVATE ${SSPIX_INCLUDE})
target_link_libraries(sspix_bench PRIVATE sspix PkgConfig::GSSAPI PkgConfig::KRB5)
