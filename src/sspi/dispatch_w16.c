/* SPDX-License-Identifier: MIT */
/*
 * dispatch_w16.c - the UTF-16 W functions under Windows' names: dispatch_w.c
 * compiled with Windows' 16-bit wchar_t (the build gives this file
 * -fshort-wchar). The file itself compiles nothing else.
 */
#if !defined(__SIZEOF_WCHAR_T__) || __SIZEOF_WCHAR_T__ != 2
#error "dispatch_w16.c must be compiled with -fshort-wchar (see CMakeLists.txt)"
#endif
#include "dispatch_w.c"
