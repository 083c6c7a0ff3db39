/* SPDX-License-Identifier: MIT */
/*
 * must_check_probe.c - compiled by ctest, never run (cmake/tests-status.cmake):
 * with DROP_INT or DROP_STATUS defined it ignores a result that
 * SSPIX_MUST_CHECK says must be looked at, and the compiler must refuse it
 * under -Werror; without either it uses both results and must compile.
 */
#include "common/buf.h"
#include "sspi/handles.h"
#include "sspi/status.h"

int sspix_must_check_probe(sspix_reader *r, const SecHandle *h);

int sspix_must_check_probe(sspix_reader *r, const SecHandle *h)
{
    uint8_t b;
#if defined(DROP_INT)
    sspix_reader_u8(r, &b);
    return h == NULL;
#elif defined(DROP_STATUS)
    sspix_handle_close(SSPIX_HANDLE_CTX, h);
    return r == NULL;
#else
    return sspix_reader_u8(r, &b) < 0 || sspix_handle_close(SSPIX_HANDLE_CTX, h) != SEC_E_OK;
#endif
}
