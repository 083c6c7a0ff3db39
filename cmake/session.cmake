# SPDX-License-Identifier: MIT
# session: message protection after authentication (src/session/: the SecBuffer layouts of EncryptMessage,
# DecryptMessage, MakeSignature and VerifySignature over a caller's SSPI table; no I/O), shared by the server's
# state machine and the client's conversation.
file(GLOB SSPIX_SESSION_SOURCES CONFIGURE_DEPENDS ${PROJECT_SOURCE_DIR}/src/session/*.c)
add_library(sspix_session STATIC ${SSPIX_SESSION_SOURCES})
target_include_directories(sspix_session PUBLIC ${SSPIX_INCLUDE} ${PROJECT_SOURCE_DIR}/src)
target_link_libraries(sspix_session PUBLIC sspix)
