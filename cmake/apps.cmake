# SPDX-License-Identifier: MIT
# apps: sspix-client (options, output, exit codes, sockets and its load generator; the conversation itself is
# the sspix_client library of cmake/client.cmake). The server's target lives in cmake/service.cmake.
if(NOT TARGET PkgConfig::LIBEVENT_CORE)
  pkg_check_modules(LIBEVENT_CORE REQUIRED IMPORTED_TARGET libevent_core)
endif()

file(GLOB SSPIX_CLIENT_SOURCES CONFIGURE_DEPENDS ${PROJECT_SOURCE_DIR}/apps/client_*.c)
add_executable(sspix-client ${PROJECT_SOURCE_DIR}/apps/sspix-client.c ${SSPIX_CLIENT_SOURCES})
target_include_directories(sspix-client PRIVATE ${PROJECT_SOURCE_DIR}/apps ${PROJECT_SOURCE_DIR}/src
                                                ${SSPIX_INCLUDE})
target_link_libraries(sspix-client PRIVATE sspix_client sspix sspix_wire sspix_common PkgConfig::LIBEVENT_CORE
                                           Threads::Threads m)

install(TARGETS sspix-client RUNTIME DESTINATION ${CMAKE_INSTALL_BINDIR})
install(FILES ${PROJECT_SOURCE_DIR}/man/sspix-client.1 DESTINATION ${CMAKE_INSTALL_MANDIR}/man1)

# sspix-server and systemd: readiness (sd_notify) and socket activation (sd_listen_fds) through libsystemd.
# -DSSPIX_WITH_SYSTEMD=OFF builds without it (the server then refuses to start on inherited sockets).
option(SSPIX_WITH_SYSTEMD "sspix-server: sd_notify readiness and socket activation with libsystemd" ON)
if(SSPIX_WITH_SYSTEMD)
  pkg_check_modules(LIBSYSTEMD REQUIRED IMPORTED_TARGET libsystemd)
  target_link_libraries(sspix-server PRIVATE PkgConfig::LIBSYSTEMD)
  target_compile_definitions(sspix-server PRIVATE SSPIX_HAVE_SYSTEMD=1)
endif()
