// Shim over MPFR and GMP for Swift.
// <stdint.h> must come before <mpfr.h>, or the intmax_t functions stay hidden.
#include <stdio.h>
#include <stdint.h>
#include <gmp.h>
#include <mpfr.h>

/// GMP's version string (`gmp_version` is a macro alias Swift cannot see).
static inline const char *bp_gmp_version(void) { return gmp_version; }
