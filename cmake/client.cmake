# SPDX-License-Identifier: MIT
# client: sspix-client's side of the conversation (src/client/: the handshake, the mutual-authentication check,
# greeting and echo over the wire codecs; no I/O), for sspix-client, its unit tests and the fuzzer.
file(GLOB SSPIX_CLIENT_CONV_SOURCES CONFIGURE_DEPENDS ${PROJECT_SOURCE_DIR}/src/client/*.c)
add_library(sspix_client STATIC ${SSPIX_CLIENT_CONV_SOURCES})
target_include_directories(sspix_client PUBLIC ${SSPIX_INCLUDE} ${PROJECT_SOURCE_DIR}/src)
target_link_libraries(sspix_client PUBLIC sspix sspix_session sspix_wire sspix_common)
