/* SPDX-License-Identifier: MIT */
/*
 * analyzer-model.h - forced in front of the files that gcc -fanalyzer reads in scripts/analyze.sh;
 * never part of a build.
 *
 * The analyzer sees one file at a time, so it cannot know that sspix_fail() and sspix_fail_more()
 * return the status they are given: it follows `return sspix_fail(SEC_E_..., ...)` as if it could
 * return SEC_E_OK, and reports the NULL dereferences that would follow a "success" that cannot
 * happen. These wrappers make the returned status visible, and change nothing else.
 */
#ifndef SSPIX_ANALYZER_MODEL_H
#define SSPIX_ANALYZER_MODEL_H

#include "sspi/errors.h"

#ifndef sspix_fail
#define sspix_fail(status, ...)                                                                                        \
    __extension__({                                                                                                    \
        SECURITY_STATUS sspix_model_st_ = (status);                                                                    \
        (sspix_fail)(sspix_model_st_, __VA_ARGS__);                                                                    \
        sspix_model_st_;                                                                                               \
    })
#endif
#ifndef sspix_fail_more
#define sspix_fail_more(status, ...)                                                                                   \
    __extension__({                                                                                                    \
        SECURITY_STATUS sspix_model_st_ = (status);                                                                    \
        (sspix_fail_more)(sspix_model_st_, __VA_ARGS__);                                                               \
        sspix_model_st_;                                                                                               \
    })
#endif

#endif
