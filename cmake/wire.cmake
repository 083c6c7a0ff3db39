# SPDX-License-Identifier: MIT
# wire: framing codecs (pure functions over bounded buffers; no I/O, no GSSAPI).
file(GLOB SSPIX_WIRE_SOURCES CONFIGURE_DEPENDS ${PROJECT_SOURCE_DIR}/src/wire/*.c)
add_library(sspix_wire STATIC ${SSPIX_WIRE_SOURCES})
target_include_directories(sspix_wire PUBLIC ${PROJECT_SOURCE_DIR}/include ${PROJECT_SOURCE_DIR}/src)
target_link_libraries(sspix_wire PUBLIC sspix_common)
