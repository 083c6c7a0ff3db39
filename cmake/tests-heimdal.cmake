# SPDX-License-Identifier: MIT
# Interoperability with Heimdal's GSSAPI initiator: tests/interop/heimdal_client.c, a gss-sample client built
# against Heimdal alone (Debian heimdal-multidev: headers and libraries under .../heimdal/, beside MIT's), drives
# sspix-server --protocol gss-sample with its native Kerberos acceptor and with SSPIX_KRB5_ACCEPTOR=gssapi
# (MIT's). Against the realm fixture; see tests/interop/heimdal.py. Without Heimdal configuring fails (the tests
# must not vanish quietly), unless SSPIX_REQUIRE_HEIMDAL is OFF: then they are absent.
option(SSPIX_REQUIRE_HEIMDAL "Fail to configure when Heimdal's GSSAPI (heimdal-multidev, which make deps installs) is missing" ON)

pkg_check_modules(HEIMDAL_GSSAPI QUIET IMPORTED_TARGET heimdal-gssapi)
if(NOT HEIMDAL_GSSAPI_FOUND)
  # Debian keeps the .pc files in the multiarch pkgconfig directory; some layouts have them under heimdal/.
  find_path(SSPIX_HEIMDAL_INCLUDE_DIR gssapi/gssapi_oid.h PATHS /usr/include/heimdal NO_DEFAULT_PATH)
  find_library(SSPIX_HEIMDAL_GSSAPI_LIBRARY gssapi PATHS /usr/lib/${CMAKE_LIBRARY_ARCHITECTURE}/heimdal
               /usr/lib/heimdal /usr/lib64/heimdal NO_DEFAULT_PATH)
  if(SSPIX_HEIMDAL_INCLUDE_DIR AND SSPIX_HEIMDAL_GSSAPI_LIBRARY)
    add_library(sspix_heimdal_gssapi INTERFACE)
    target_include_directories(sspix_heimdal_gssapi SYSTEM INTERFACE ${SSPIX_HEIMDAL_INCLUDE_DIR})
    target_link_libraries(sspix_heimdal_gssapi INTERFACE ${SSPIX_HEIMDAL_GSSAPI_LIBRARY})
    set(SSPIX_HEIMDAL_TARGET sspix_heimdal_gssapi)
  endif()
else()
  set(SSPIX_HEIMDAL_TARGET PkgConfig::HEIMDAL_GSSAPI)
endif()

if(NOT SSPIX_HEIMDAL_TARGET)
  if(SSPIX_REQUIRE_HEIMDAL)
    message(FATAL_ERROR "SSPIX_REQUIRE_HEIMDAL is ON but Heimdal's GSSAPI was not found (neither pkg-config "
                        "heimdal-gssapi nor /usr/include/heimdal/gssapi + libgssapi under .../heimdal/): "
                        "install the Debian package heimdal-multidev")
  endif()
  message(STATUS "Heimdal's GSSAPI not found (heimdal-multidev): the interop.heimdal_* tests are skipped")
  return()
endif()
message(STATUS "Heimdal's GSSAPI found: building heimdal_client and the interop.heimdal_* tests")

# Heimdal only: no sspix include directory, no MIT library.
add_executable(heimdal_client tests/interop/heimdal_client.c)
target_link_libraries(heimdal_client PRIVATE ${SSPIX_HEIMDAL_TARGET})

set(SSPIX_HEIMDAL_CASES krb5 integrity unwrapped spnego delegation sha2 no_mutual)
if(SSPIX_PYTHON3 AND TARGET sspix-server)
  foreach(case ${SSPIX_HEIMDAL_CASES})
    add_test(NAME interop.heimdal_${case}
             COMMAND sh -c ". '${SSPIX_REALM_DIR}/env' && exec \"$@\"" sh ${SSPIX_PYTHON3}
                     ${PROJECT_SOURCE_DIR}/tests/interop/heimdal.py ${case} $<TARGET_FILE:sspix-server>
                     $<TARGET_FILE:heimdal_client>)
    set_tests_properties(interop.heimdal_${case} PROPERTIES FIXTURES_REQUIRED realm TIMEOUT 300 LABELS interop)
  endforeach()
endif()
