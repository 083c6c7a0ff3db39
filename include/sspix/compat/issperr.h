/* Windows-named entry point for the SSPI status codes. */
#include <sspix/secerr.h>
