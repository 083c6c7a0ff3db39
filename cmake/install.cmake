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
