# SPDX-License-Identifier: MIT
# make install PREFIX=...: the library (versioned soname), headers with the
# Windows-named compat folder, pkg-config and CMake package files.
include(CMakePackageConfigHelpers)

install(TARGETS sspix EXPORT sspixTargets
        LIBRARY DESTINATION ${CMAKE_INSTALL_LIBDIR}
        INCLUDES DESTINATION ${CMAKE_INSTALL_INCLUDEDIR} ${CMAKE_INSTALL_INCLUDEDIR}/sspix/compat)
install(DIRECTORY ${PROJECT_SOURCE_DIR}/include/sspix DESTINATION ${CMAKE_INSTALL_INCLUDEDIR}
        FILES_MATCHING PATTERN "*.h")

# Path from the .pc file's folder back to the prefix (lib/pkgconfig -> ../..,
# lib/x86_64-linux-gnu/pkgconfig -> ../../..).
file(RELATIVE_PATH SSPIX_PC_PREFIX_REL "/p/${CMAKE_INSTALL_LIBDIR}/pkgconfig" "/p")
configure_file(${PROJECT_SOURCE_DIR}/cmake/sspix.pc.in ${PROJECT_BINARY_DIR}/sspix.pc @ONLY)
install(FILES ${PROJECT_BINARY_DIR}/sspix.pc DESTINATION ${CMAKE_INSTALL_LIBDIR}/pkgconfig)

install(EXPORT sspixTargets NAMESPACE sspix:: DESTINATION ${CMAKE_INSTALL_LIBDIR}/cmake/sspix)
configure_package_config_file(${PROJECT_SOURCE_DIR}/cmake/sspixConfig.cmake.in
                              ${PROJECT_BINARY_DIR}/sspixConfig.cmake
                              INSTALL_DESTINATION ${CMAKE_INSTALL_LIBDIR}/cmake/sspix)
write_basic_package_version_file(${PROJECT_BINARY_DIR}/sspixConfigVersion.cmake COMPATIBILITY SameMajorVersion)
install(FILES ${PROJECT_BINARY_DIR}/sspixConfig.cmake ${PROJECT_BINARY_DIR}/sspixConfigVersion.cmake
        DESTINATION ${CMAKE_INSTALL_LIBDIR}/cmake/sspix)

# RUNPATH: the installed programs find libsspix through $ORIGIN/../<libdir> (CMAKE_INSTALL_RPATH)
# under any prefix, except a system one (/usr, /usr/local), where the dynamic loader finds it and a
# RUNPATH would only shadow the system's search path. The prefix is the one `cmake --install
# --prefix` is given, so the choice is made when installing, not when configuring. The library
# itself needs none.
set_target_properties(sspix PROPERTIES INSTALL_RPATH "")
install(CODE "
  if(CMAKE_INSTALL_PREFIX MATCHES \"^/usr(/local)?/?$\")
    foreach(prog \"${CMAKE_INSTALL_BINDIR}/sspix-client\" \"${CMAKE_INSTALL_SBINDIR}/sspix-server\")
      if(EXISTS \"\$ENV{DESTDIR}\${CMAKE_INSTALL_PREFIX}/\${prog}\")
        file(RPATH_REMOVE FILE \"\$ENV{DESTDIR}\${CMAKE_INSTALL_PREFIX}/\${prog}\")
      endif()
    endforeach()
  endif()
  # /usr/local/lib is in the loader's cache only once ldconfig has run.
  if(CMAKE_INSTALL_PREFIX MATCHES \"^/usr/local/?$\" AND \"\$ENV{DESTDIR}\" STREQUAL \"\")
    find_program(SSPIX_LDCONFIG ldconfig PATHS /sbin /usr/sbin)
    if(SSPIX_LDCONFIG)
      execute_process(COMMAND \"\${SSPIX_LDCONFIG}\" RESULT_VARIABLE _rc ERROR_QUIET)
    endif()
  endif()
")

# Documentation: share/doc/sspix.
install(FILES ${PROJECT_SOURCE_DIR}/README.md ${PROJECT_SOURCE_DIR}/LICENSE ${PROJECT_SOURCE_DIR}/CHANGELOG.md
        DESTINATION ${CMAKE_INSTALL_DOCDIR} OPTIONAL)
install(FILES ${PROJECT_SOURCE_DIR}/examples/sspi_demo.c DESTINATION ${CMAKE_INSTALL_DOCDIR}/examples)

# The commented sample configuration, every key with its default. With PREFIX=/usr it goes to
# /etc/sspix (GNUInstallDirs' absolute sysconfdir); under any other prefix to PREFIX/etc/sspix,
# following the prefix given at install time. An existing file is the operator's and is kept.
if(CMAKE_INSTALL_PREFIX MATCHES "^/usr/?$")
  set(SSPIX_CONF_DIR ${CMAKE_INSTALL_FULL_SYSCONFDIR}/sspix)
else()
  set(SSPIX_CONF_DIR ${CMAKE_INSTALL_SYSCONFDIR}/sspix)
endif()
install(CODE "
  set(_dir \"${SSPIX_CONF_DIR}\")
  if(NOT IS_ABSOLUTE \"\${_dir}\")
    set(_dir \"\${CMAKE_INSTALL_PREFIX}/\${_dir}\")
  endif()
  if(EXISTS \"\$ENV{DESTDIR}\${_dir}/sspix-server.conf\")
    message(STATUS \"Kept: \$ENV{DESTDIR}\${_dir}/sspix-server.conf (an existing configuration)\")
  else()
    # file(INSTALL) puts DESTDIR in front by itself.
    file(INSTALL \"${PROJECT_SOURCE_DIR}/etc/sspix-server.conf\" DESTINATION \"\${_dir}\"
         PERMISSIONS OWNER_READ OWNER_WRITE GROUP_READ WORLD_READ)
  endif()
")

# systemd: the service and socket units, the _sspix account (sysusers.d) and its replay cache
# directory (tmpfiles.d). Installed by default when PREFIX=/usr, into the directories systemd's
# pkg-config file names (/lib/systemd/system on Debian 12).
# -DSSPIX_INSTALL_SYSTEMD=ON/OFF overrides; otherwise the default follows the prefix each time.
if(DEFINED SSPIX_INSTALL_SYSTEMD)
  set(_sspix_systemd ${SSPIX_INSTALL_SYSTEMD})
elseif(CMAKE_INSTALL_PREFIX MATCHES "^/usr/?$")
  set(_sspix_systemd ON)
else()
  set(_sspix_systemd OFF)
endif()
if(_sspix_systemd)
  pkg_get_variable(_sspix_unitdir systemd systemdsystemunitdir)
  pkg_get_variable(_sspix_sysusersdir systemd sysusersdir)
  pkg_get_variable(_sspix_tmpfilesdir systemd tmpfilesdir)
  if(NOT _sspix_unitdir)
    set(_sspix_unitdir ${CMAKE_INSTALL_PREFIX}/lib/systemd/system)
  endif()
  if(NOT _sspix_sysusersdir)
    set(_sspix_sysusersdir ${CMAKE_INSTALL_PREFIX}/lib/sysusers.d)
  endif()
  if(NOT _sspix_tmpfilesdir)
    set(_sspix_tmpfilesdir ${CMAKE_INSTALL_PREFIX}/lib/tmpfiles.d)
  endif()
  set(SSPIX_SYSTEMD_UNITDIR ${_sspix_unitdir} CACHE PATH "where the systemd units go")
  set(SSPIX_SYSUSERSDIR ${_sspix_sysusersdir} CACHE PATH "where the sysusers.d file goes")
  set(SSPIX_TMPFILESDIR ${_sspix_tmpfilesdir} CACHE PATH "where the tmpfiles.d file goes")
  install(FILES ${PROJECT_SOURCE_DIR}/systemd/sspix-server.service ${PROJECT_SOURCE_DIR}/systemd/sspix-server.socket
          DESTINATION ${SSPIX_SYSTEMD_UNITDIR})
  install(FILES ${PROJECT_SOURCE_DIR}/systemd/sspix-server.sysusers DESTINATION ${SSPIX_SYSUSERSDIR}
          RENAME sspix-server.conf)
  install(FILES ${PROJECT_SOURCE_DIR}/systemd/sspix-server.tmpfiles DESTINATION ${SSPIX_TMPFILESDIR}
          RENAME sspix-server.conf)
  # Installing onto the running system (no DESTDIR): create the account and the directory now, as a
  # package's maintainer scripts would, so the service can start.
  install(CODE "
    if(\"\$ENV{DESTDIR}\" STREQUAL \"\" AND CMAKE_INSTALL_PREFIX MATCHES \"^/usr/?$\")
      find_program(SSPIX_SYSUSERS systemd-sysusers)
      find_program(SSPIX_TMPFILES systemd-tmpfiles)
      if(SSPIX_SYSUSERS AND SSPIX_TMPFILES)
        execute_process(COMMAND \"\${SSPIX_SYSUSERS}\" \"${SSPIX_SYSUSERSDIR}/sspix-server.conf\")
        execute_process(COMMAND \"\${SSPIX_TMPFILES}\" --create \"${SSPIX_TMPFILESDIR}/sspix-server.conf\")
      endif()
    endif()
  ")
endif()
