// Register-blocked matrix-product kernels for binary32 and binary64 that keep the arithmetic
// model of the formats' row kernels: every output is one sequential sum, in the order of its
// terms, each term a product rounded once and then added with one rounding (or, `fused`, one
// fma). Many outputs advance per instruction and operands are reused from registers, as in a
// BLAS micro-kernel within one k-block; the k-blocks run in order and the accumulator goes
// through memory between them unchanged, so the bits are those of the element-by-element loop
// (`GemmKernelTests` checks this against naive loops, NaN, infinities and signed zeros included).
//
// Chosen at run time: AVX-512F (6 × 32 floats / 6 × 16 doubles per tile), AVX (6 × 16 / 6 × 8;
// with FMA for the fused variant). The emulated 16-bit formats run binary32 lanes: AVX-512F
// (6 × 32 per tile) or AVX2 with F16C (6 × 16). Without them every function returns 0 ("not
// handled") and the caller runs the portable Swift loops.
#ifndef BP_GEMM_KERNELS_H
#define BP_GEMM_KERNELS_H

#include <stddef.h>
#include <stdint.h>

/// For m < rows, n < cols: c[m·ldc + n] ← c[m·ldc + n] + a[m·lda + k·ak]·b[k·ldb + n] for
/// k = 0, 1, …, depth − 1 in that order; the product and the sum each rounded (fused = 0) or
/// one fma (fused = 1). `c` must not overlap `a` or `b`. Returns 0 when not handled.
int bp_float_matrix_accumulate(float *c, ptrdiff_t ldc, const float *a, ptrdiff_t lda, ptrdiff_t ak,
                               const float *b, ptrdiff_t ldb, ptrdiff_t rows, ptrdiff_t cols, ptrdiff_t depth, int fused);
int bp_double_matrix_accumulate(double *c, ptrdiff_t ldc, const double *a, ptrdiff_t lda, ptrdiff_t ak,
                                const double *b, ptrdiff_t ldb, ptrdiff_t rows, ptrdiff_t cols, ptrdiff_t depth, int fused);

/// The same for binary16 and bfloat16 encodings, computed as the emulation computes: the
/// product in binary32 rounded to the format, the sum in binary32 rounded to the format.
/// Separate roundings only: returns 0 (not handled) for fused = 1, and when the machine has
/// neither AVX-512F nor AVX2 with F16C.
int bp_half_matrix_accumulate(uint16_t *c, ptrdiff_t ldc, const uint16_t *a, ptrdiff_t lda, ptrdiff_t ak,
                              const uint16_t *b, ptrdiff_t ldb, ptrdiff_t rows, ptrdiff_t cols, ptrdiff_t depth, int fused);
int bp_bfloat16_matrix_accumulate(uint16_t *c, ptrdiff_t ldc, const uint16_t *a, ptrdiff_t lda, ptrdiff_t ak,
                                  const uint16_t *b, ptrdiff_t ldb, ptrdiff_t rows, ptrdiff_t cols, ptrdiff_t depth, int fused);

/// As bp_half_matrix_accumulate (unfused), and adds to *flushed the number of products
/// a[m·lda + k·ak]·b[k·ldb + n] of nonzero finite factors that round to ±0 in binary16 (the
/// range event "flushed"), counted in the tile. Returns 0 — nothing computed, *flushed
/// untouched — when not handled (only the AVX2 + F16C tile counts).
int bp_half_matrix_accumulate_counting_flushes(uint16_t *c, ptrdiff_t ldc, const uint16_t *a, ptrdiff_t lda, ptrdiff_t ak,
                                               const uint16_t *b, ptrdiff_t ldb, ptrdiff_t rows, ptrdiff_t cols,
                                               ptrdiff_t depth, ptrdiff_t *flushed);

/// Which binary32/binary64 kernels run here: 0 none, 1 AVX, 2 AVX with FMA, 3 AVX-512F.
int bp_gemm_simd_level(void);

/// The vector width of the binary16/bfloat16 kernels here: 512 (AVX-512F), 256 (AVX2 and
/// F16C) or 0 (none: the row kernels run).
int bp_gemm16_vector_bits(void);

#endif
