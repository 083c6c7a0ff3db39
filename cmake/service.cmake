# SPDX-License-Identifier: MIT
# service: the server engine (src/service/: per-connection state machine, libevent loops) and sspix-server.
pkg_check_modules(LIBEVENT_CORE REQUIRED IMPORTED_TARGET libevent_core)

# The per-connection state machine and its protocols (no I/O); the fuzzer compiles the same list again.
set(SSPIX_CONN_SOURCES ${PROJECT_SOURCE_DIR}/src/service/conn.c ${PROJECT_SOURCE_DIR}/src/service/proto_ms.c
                       ${PROJECT_SOURCE_DIR}/src/service/proto_gss.c)

# The state machine and config reader alone (no libevent), for unit tests and the fuzzer.
add_library(sspix_conn STATIC ${SSPIX_CONN_SOURCES} ${PROJECT_SOURCE_DIR}/src/service/config.c)
target_include_directories(sspix_conn PUBLIC ${SSPIX_INCLUDE} ${PROJECT_SOURCE_DIR}/src)
target_link_libraries(sspix_conn PUBLIC sspix sspix_session sspix_wire sspix_common)

add_library(sspix_service STATIC ${PROJECT_SOURCE_DIR}/src/service/engine.c ${PROJECT_SOURCE_DIR}/src/service/admit.c
                                 ${PROJECT_SOURCE_DIR}/src/service/listen.c)
target_link_libraries(sspix_service PUBLIC sspix_conn PkgConfig::LIBEVENT_CORE Threads::Threads)

add_executable(sspix-server ${PROJECT_SOURCE_DIR}/apps/sspix-server.c ${PROJECT_SOURCE_DIR}/apps/server_log.c
                            ${PROJECT_SOURCE_DIR}/apps/server_daemon.c ${PROJECT_SOURCE_DIR}/apps/server_checks.c)
target_link_libraries(sspix-server PRIVATE sspix_service)

install(TARGETS sspix-server RUNTIME DESTINATION ${CMAKE_INSTALL_SBINDIR})
install(FILES ${PROJECT_SOURCE_DIR}/man/sspix-server.8 DESTINATION ${CMAKE_INSTALL_MANDIR}/man8 OPTIONAL)
