# SPDX-License-Identifier: MIT
# The server's connection state machine (src/service/conn.c, proto_ms.c, proto_gss.c) on a deterministic fake
# SSPI table (tests/common/fake_sspi.c): both protocols, limits, refusals and every outcome, with no KDC and no
# clock, so unit.service.fake needs no realm fixture.
add_library(sspix_fake_sspi STATIC ${PROJECT_SOURCE_DIR}/tests/common/fake_sspi.c)
target_include_directories(sspix_fake_sspi PUBLIC ${PROJECT_SOURCE_DIR}/tests ${PROJECT_SOURCE_DIR}/src
                                                  ${SSPIX_INCLUDE} ${SSPIX_COMPAT_INCLUDE})

sspix_test_exe(test_service_fake tests/unit/test_service_fake.c)
target_link_libraries(test_service_fake PRIVATE sspix_fake_sspi sspix_conn)
sspix_unit_test(unit.service.fake $<TARGET_FILE:test_service_fake>)
