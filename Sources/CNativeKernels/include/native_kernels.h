// Row kernels on x86-64 extensions chosen at run time: binary16 on the F16C conversion
// instructions, binary32/binary64 axpy on 256-bit AVX.
//
// Why C: Swift cannot mark one function for a CPU feature, and the build must not depend on
// -target-cpu flags (toolchain-notes.md). These functions carry
// __attribute__((target("avx,f16c"))) (or "avx") and run only when the CPU (and the OS, for
// the AVX state) supports them; otherwise every function returns 0 ("not handled") and the
// caller runs the portable Swift code. Each result is bit for bit the Swift code's. binary16:
// values are
// computed in binary32 exactly as the emulation does (products of two 11-bit significands are
// exact; a sum in binary32 then one rounding to binary16 is correctly rounded, Figueroa) and
// rounded to binary16 by the hardware's round-to-nearest-even conversion, which handles
// subnormals, overflow to infinity and NaN payloads as the emulation does.
#ifndef BP_NATIVE_KERNELS_H
#define BP_NATIVE_KERNELS_H

#include <stddef.h>
#include <stdint.h>

/// 1 when the F16C kernels run on this machine.
int bp_half_kernels_available(void);

/// r[k·rs] ← h(r[k·rs] + h(a·x[k·xs])) for k < n; returns 0 when not handled.
int bp_half_axpy(uint16_t *r, ptrdiff_t rs, uint16_t a, const uint16_t *x, ptrdiff_t xs, ptrdiff_t n);

/// *r ← the sequential sum *r + h(a[0]·b[0]) + …, rounded after every step; 0 when not handled.
int bp_half_dot(uint16_t *r, const uint16_t *a, ptrdiff_t as, const uint16_t *b, ptrdiff_t bs, ptrdiff_t n);

/// How many h(a·x[k·xs]) are ±0 while x[k·xs] is finite and nonzero (a finite and nonzero),
/// or −1 when not handled.
ptrdiff_t bp_half_flushed_products(uint16_t a, const uint16_t *x, ptrdiff_t xs, ptrdiff_t n);

/// How many h(u[k·us]·v[k·vs]) are ±0 while both factors are finite and nonzero, or −1.
ptrdiff_t bp_half_flushed_pairs(const uint16_t *u, ptrdiff_t us, const uint16_t *v, ptrdiff_t vs, ptrdiff_t n);

/// binary32 and binary64 r[k] ← r[k] + a·x[k] (unit strides; a multiplication then an
/// addition, each rounded: no FMA) on 256-bit AVX registers; 0 when not handled.
int bp_float_axpy(float *r, float a, const float *x, ptrdiff_t n);
int bp_double_axpy(double *r, double a, const double *x, ptrdiff_t n);

#endif
