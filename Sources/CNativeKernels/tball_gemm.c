// The register-blocked matrix product of triple-double balls (bp_tball_matrix_accumulate; see
// tball_kernels.h for the contract, tball_kernels.c for the scalar kernels it reproduces, and
// qball_gemm.c for the quad-double one, whose layout, argument and driver this follows with
// three components instead of four).
//
// What it must give: the bits of `depth` calls of bp_tball_axpy per row of c, k increasing:
// every c[m, n] updated, for each k in order, by accumulate_single when the multiplier a[m, k]
// has one component (c1 = c2 = 0: the row kernel's test; any radius) and by accumulate
// otherwise, then settled. The state is settled once at the end of a k-block, for the reason
// qball_gemm.c gives (a non-finite component or radius stays non-finite through every later
// step: renorm()'s TwoSums carry a non-finite s2 or s1 up into the new c0).
//
// BallGemmTests checks this against the row kernels, bit for bit, on every variant this
// machine can run (the portable one included).
#include "tball_kernels.h"
#include "cpu_features.h"
#include "ball_kernels.h"
#include <math.h>

#pragma STDC FP_CONTRACT OFF
#if defined(__clang__)
#pragma clang fp contract(off)
#endif

#if defined(__clang__) && defined(__has_builtin)
#if __has_builtin(__builtin_elementwise_fma) && __has_builtin(__builtin_elementwise_abs)
#define TBALL_GEMM 1
#endif
#endif

#ifdef TBALL_GEMM

#pragma clang diagnostic ignored "-Wpsabi"

// Depth of one k-block: the packed block (7 × KC × NR doubles: 14 KB at NR = 4) stays in L1.
#define KC 64
// The arrays of a packed block, each KC × NR: c0, c1, c2, rad, then
// ((|c0| + |c1|) + |c2|) + rad, |c2|, |c1| + |c2|.
#define PACKED 7
/// 10u, as in tball_kernels.c.
#define LEVEL2_BOUND 0x1.4p-50

#define AI static inline __attribute__((always_inline))
#define ABS(x) __builtin_elementwise_abs(x)

/// s ← RN(s + x), e ← the exact remainder (tball_kernels.c's ADD, on vectors).
#define VADD(s, x, e)                                                                           \
    do {                                                                                        \
        const V a_ = (s), b_ = (x);                                                             \
        const V x_ = a_ + b_, bv_ = x_ - a_, av_ = x_ - bv_;                                    \
        (e) = (a_ - av_) + (b_ - bv_);                                                          \
        (s) = x_;                                                                               \
    } while (0)
/// (p, e) ← TwoProduct(a, b).
#define VTP(a, b, p, e)                                                                         \
    do {                                                                                        \
        (p) = (a) * (b);                                                                        \
        (e) = __builtin_elementwise_fma((a), (b), -(p));                                        \
    } while (0)
/// Whether the TwoProduct of nonzero a and b may have an inexact low part (anz, bnz: a ≠ 0,
/// b ≠ 0 as masks).
#define VTINY(anz, bnz, p) ((ABS(p) < tiny) & (anz) & (bnz))

// One instantiation per (name, target, lanes W, vectors per tile row NV, rows per tile MR ≤ 4).
#define TBALL_GEMM_VARIANT(S, ATTR, W, NV, MR)                                                  \
    typedef double S##_v __attribute__((ext_vector_type(W)));                                  \
    typedef __typeof__((S##_v){0} < (S##_v){0}) S##_m;                                          \
                                                                                                \
    ATTR AI S##_v S##_load(const double *p) {                                                   \
        S##_v v;                                                                                \
        __builtin_memcpy(&v, p, sizeof v);                                                      \
        return v;                                                                               \
    }                                                                                           \
    ATTR AI void S##_store(double *p, S##_v v) { __builtin_memcpy(p, &v, sizeof v); }           \
                                                                                                \
    /* renorm() on vectors. */                                                                  \
    ATTR AI void S##_renorm(S##_v *s0, S##_v *s1, S##_v *s2) {                                  \
        typedef S##_v V;                                                                        \
        VADD(*s1, *s2, *s2);                                                                    \
        VADD(*s0, *s1, *s1);                                                                    \
        VADD(*s1, *s2, *s2);                                                                    \
    }                                                                                           \
                                                                                                \
    /* accumulate() on W columns: a's parts broadcast (A[0..2] the components, ar the radius, */\
    /* B[1..2] their magnitudes, aa = (|a0| + |a1|) + |a2|, Z[i] = a_i ≠ 0); x the packed */    \
    /* parts. */                                                                                \
    ATTR AI void S##_step(S##_v *C, S##_v *R, const S##_v *A, S##_v ar, const S##_v *B,         \
                          S##_v aa, const S##_m *Z, const S##_v *X, S##_v xr, S##_v ax,         \
                          S##_v y2, S##_v y12) {                                                \
        typedef S##_v V;                                                                        \
        const V zero = 0.0, tiny = 0x1p-900, slack_term = 0x1p-1070, grow = 1.0 + 0x1p-46;      \
        const V level2_bound = LEVEL2_BOUND;                                                    \
        const V a0 = A[0], a1 = A[1], a2 = A[2];                                                \
        const V x0 = X[0], x1 = X[1], x2 = X[2];                                                \
        V p00, e00, p01, e01, p10, e10, p02, e02, p11, e11, p20, e20;                           \
        VTP(a0, x0, p00, e00); VTP(a0, x1, p01, e01); VTP(a1, x0, p10, e10);                    \
        VTP(a0, x2, p02, e02); VTP(a1, x1, p11, e11); VTP(a2, x0, p20, e20);                    \
        const S##_m w0 = x0 != zero, w1 = x1 != zero, w2 = x2 != zero;                          \
        const S##_m slack = VTINY(Z[0], w0, p00) | VTINY(Z[0], w1, p01) | VTINY(Z[1], w0, p10)  \
                          | VTINY(Z[0], w2, p02) | VTINY(Z[1], w1, p11) | VTINY(Z[2], w0, p20); \
        V s0 = C[0], f0;                                                                        \
        VADD(s0, p00, f0);                                                                      \
        V s1 = C[1], g1, g2, g3, g4;                                                            \
        VADD(s1, f0, g1); VADD(s1, e00, g2); VADD(s1, p01, g3); VADD(s1, p10, g4);              \
        V s2 = (((((((((C[2] + g1) + g2) + g3) + g4) + e01) + e10) + p02) + p11) + p20);        \
        const V m2 = (((((((((ABS(C[2]) + ABS(g1)) + ABS(g2)) + ABS(g3)) + ABS(g4))             \
                     + ABS(e01)) + ABS(e10)) + ABS(p02)) + ABS(p11)) + ABS(p20));               \
        const V drop = ((ABS(e02) + ABS(e11)) + ABS(e20)) + (B[1] * y2 + B[2] * y12);           \
        const V level2 = level2_bound * m2;                                                     \
        const V extra = aa * xr + ar * ax;                                                      \
        const V grown = (((*R + extra) + (drop + level2)) + (slack ? slack_term : zero)) * grow + slack_term; \
        const S##_m spread = (xr != zero) | (ar != zero) | (drop != zero) | (level2 != zero) | slack; \
        *R = spread ? grown : *R;                                                               \
        S##_renorm(&s0, &s1, &s2);                                                              \
        C[0] = s0; C[1] = s1; C[2] = s2;                                                        \
    }                                                                                           \
                                                                                                \
    /* accumulate_single() on W columns (a0, ar broadcast; a0z = a0 ≠ 0). */                    \
    ATTR AI void S##_step_single(S##_v *C, S##_v *R, S##_v a0, S##_v aa0, S##_v ar, S##_m a0z,  \
                                 const S##_v *X, S##_v xr, S##_v ax) {                          \
        typedef S##_v V;                                                                        \
        const V zero = 0.0, tiny = 0x1p-900, slack_term = 0x1p-1070, grow = 1.0 + 0x1p-46;      \
        const V level2_bound = LEVEL2_BOUND;                                                    \
        const V x0 = X[0], x1 = X[1], x2 = X[2];                                                \
        V p0, e0, p1, e1, p2, e2;                                                               \
        VTP(a0, x0, p0, e0); VTP(a0, x1, p1, e1); VTP(a0, x2, p2, e2);                          \
        const S##_m slack = VTINY(a0z, x0 != zero, p0) | VTINY(a0z, x1 != zero, p1)             \
                          | VTINY(a0z, x2 != zero, p2);                                         \
        V s0 = C[0], f0;                                                                        \
        VADD(s0, p0, f0);                                                                       \
        V s1 = C[1], g1, g2, g3;                                                                \
        VADD(s1, f0, g1); VADD(s1, e0, g2); VADD(s1, p1, g3);                                   \
        V s2 = (((((C[2] + g1) + g2) + g3) + e1) + p2);                                         \
        const V m2 = (((((ABS(C[2]) + ABS(g1)) + ABS(g2)) + ABS(g3)) + ABS(e1)) + ABS(p2));     \
        const V drop = ABS(e2), level2 = level2_bound * m2;                                     \
        const V extra = aa0 * xr + ar * ax;                                                     \
        const V grown = (((*R + extra) + (drop + level2)) + (slack ? slack_term : zero)) * grow + slack_term; \
        const S##_m spread = (xr != zero) | (ar != zero) | (drop != zero) | (level2 != zero) | slack; \
        *R = spread ? grown : *R;                                                               \
        S##_renorm(&s0, &s1, &s2);                                                              \
        C[0] = s0; C[1] = s1; C[2] = s2;                                                        \
    }                                                                                           \
                                                                                                \
    /* One tile: the mr rows of the SoA tile t (four arrays of MR × NR: c0 … c2, rad) += */     \
    /* a[i, k]·b[k, ·] for the k-block's kc steps, in order; then settled. */                   \
    ATTR AI void S##_tile(const int mr, double *t, const bp_tball *a, ptrdiff_t lda,            \
                          ptrdiff_t ak, const double *bp, ptrdiff_t kc) {                       \
        typedef S##_v V;                                                                        \
        enum { NR = W * NV, PS = KC * NR, TS = MR * NR };                                       \
        V C[MR][NV][3], R[MR][NV];                                                              \
        for (int i = 0; i < mr; i++)                                                            \
            for (int j = 0; j < NV; j++) {                                                      \
                for (int q = 0; q < 3; q++) C[i][j][q] = S##_load(t + q * TS + i * NR + j * W);  \
                R[i][j] = S##_load(t + 3 * TS + i * NR + j * W);                                \
            }                                                                                   \
        for (ptrdiff_t k = 0; k < kc; k++) {                                                    \
            const double *bk = bp + k * NR;                                                     \
            for (int i = 0; i < mr; i++) {                                                      \
                const bp_tball *am = a + i * lda + k * ak;                                      \
                const V a0 = am->c0, ar = am->rad;                                              \
                if (am->c1 == 0 && am->c2 == 0) {                                               \
                    for (int j = 0; j < NV; j++) {                                              \
                        const V X[3] = {S##_load(bk + j * W), S##_load(bk + PS + j * W),        \
                                        S##_load(bk + 2 * PS + j * W)};                         \
                        S##_step_single(C[i][j], &R[i][j], a0, ABS(a0), ar, a0 != 0.0, X,       \
                                        S##_load(bk + 3 * PS + j * W), S##_load(bk + 4 * PS + j * W)); \
                    }                                                                           \
                } else {                                                                        \
                    const V A[3] = {a0, am->c1, am->c2};                                        \
                    const V B[3] = {ABS(A[0]), ABS(A[1]), ABS(A[2])};                           \
                    const S##_m Z[3] = {A[0] != 0.0, A[1] != 0.0, A[2] != 0.0};                 \
                    const V aa = (B[0] + B[1]) + B[2];                                          \
                    for (int j = 0; j < NV; j++) {                                              \
                        const V X[3] = {S##_load(bk + j * W), S##_load(bk + PS + j * W),        \
                                        S##_load(bk + 2 * PS + j * W)};                         \
                        S##_step(C[i][j], &R[i][j], A, ar, B, aa, Z, X,                         \
                                 S##_load(bk + 3 * PS + j * W), S##_load(bk + 4 * PS + j * W),  \
                                 S##_load(bk + 5 * PS + j * W), S##_load(bk + 6 * PS + j * W)); \
                    }                                                                           \
                }                                                                               \
            }                                                                                   \
        }                                                                                       \
        /* settle(), lane by lane */                                                            \
        const V largest = 0x1.fffffffffffffp1023, nan = NAN, inf = INFINITY;                    \
        for (int i = 0; i < mr; i++)                                                            \
            for (int j = 0; j < NV; j++) {                                                      \
                S##_m ok = ABS(R[i][j]) <= largest;                                             \
                for (int q = 0; q < 3; q++) ok &= ABS(C[i][j][q]) <= largest;                   \
                for (int q = 0; q < 3; q++) S##_store(t + q * TS + i * NR + j * W, ok ? C[i][j][q] : nan); \
                S##_store(t + 3 * TS + i * NR + j * W, ok ? R[i][j] : inf);                     \
            }                                                                                   \
    }                                                                                           \
                                                                                                \
    ATTR static void S##_tile_any(int mr, double *t, const bp_tball *a, ptrdiff_t lda,          \
                                  ptrdiff_t ak, const double *bp, ptrdiff_t kc) {               \
        _Static_assert(MR >= 1 && MR <= 4, "tiles of 1 to 4 rows");                             \
        switch (mr < MR ? mr : MR) {                                                            \
        case 4: S##_tile(MR >= 4 ? 4 : 1, t, a, lda, ak, bp, kc); break;                        \
        case 3: S##_tile(MR >= 3 ? 3 : 1, t, a, lda, ak, bp, kc); break;                        \
        case 2: S##_tile(MR >= 2 ? 2 : 1, t, a, lda, ak, bp, kc); break;                        \
        default: S##_tile(1, t, a, lda, ak, bp, kc); break;                                     \
        }                                                                                       \
    }                                                                                           \
                                                                                                \
    /* Column panels of NR, k-blocks of KC in order, row tiles of MR; columns past the last */  \
    /* are +0 in the packed block and the tile, and never written back. */                      \
    ATTR static void S##_accumulate(bp_tball *c, ptrdiff_t ldc, const bp_tball *a, ptrdiff_t lda,\
                                    ptrdiff_t ak, const bp_tball *b, ptrdiff_t ldb,             \
                                    ptrdiff_t rows, ptrdiff_t cols, ptrdiff_t depth) {          \
        enum { NR = W * NV, PS = KC * NR, TS = MR * NR };                                       \
        double bp[PACKED * PS] __attribute__((aligned(64)));                                    \
        double t[4 * TS] __attribute__((aligned(64)));                                          \
        for (ptrdiff_t n0 = 0; n0 < cols; n0 += NR) {                                           \
            const ptrdiff_t nr = cols - n0 < NR ? cols - n0 : NR;                               \
            for (ptrdiff_t k0 = 0; k0 < depth; k0 += KC) {                                      \
                const ptrdiff_t kc = depth - k0 < KC ? depth - k0 : KC;                         \
                for (ptrdiff_t k = 0; k < kc; k++) {                                            \
                    const bp_tball *row = b + (k0 + k) * ldb + n0;                              \
                    double *to = bp + k * NR;                                                   \
                    for (ptrdiff_t j = 0; j < NR; j++) {                                        \
                        const bp_tball x = j < nr ? row[j] : (bp_tball){0, 0, 0, 0};            \
                        const double y1 = fabs(x.c1), y2 = fabs(x.c2);                          \
                        to[j] = x.c0;                                                           \
                        to[PS + j] = x.c1;                                                      \
                        to[2 * PS + j] = x.c2;                                                  \
                        to[3 * PS + j] = x.rad;                                                 \
                        to[4 * PS + j] = ((fabs(x.c0) + y1) + y2) + x.rad;                      \
                        to[5 * PS + j] = y2;                                                    \
                        to[6 * PS + j] = y1 + y2;                                               \
                    }                                                                           \
                }                                                                               \
                for (ptrdiff_t m0 = 0; m0 < rows; m0 += MR) {                                   \
                    const int mr = (int)(rows - m0 < MR ? rows - m0 : MR);                      \
                    for (int i = 0; i < mr; i++) {                                              \
                        const bp_tball *ci = c + (m0 + i) * ldc + n0;                           \
                        for (ptrdiff_t j = 0; j < NR; j++) {                                    \
                            const bp_tball x = j < nr ? ci[j] : (bp_tball){0, 0, 0, 0};         \
                            t[i * NR + j] = x.c0;                                               \
                            t[TS + i * NR + j] = x.c1;                                          \
                            t[2 * TS + i * NR + j] = x.c2;                                      \
                            t[3 * TS + i * NR + j] = x.rad;                                     \
                        }                                                                       \
                    }                                                                           \
                    S##_tile_any(mr, t, a + m0 * lda + k0 * ak, lda, ak, bp, kc);               \
                    for (int i = 0; i < mr; i++) {                                              \
                        bp_tball *ci = c + (m0 + i) * ldc + n0;                                 \
                        for (ptrdiff_t j = 0; j < nr; j++)                                      \
                            ci[j] = (bp_tball){t[i * NR + j], t[TS + i * NR + j], t[2 * TS + i * NR + j], \
                                               t[3 * TS + i * NR + j]};                         \
                    }                                                                           \
                }                                                                               \
            }                                                                                   \
        }                                                                                       \
    }

// Portably, 8 lanes (the AVX-512 tile's shape, so that the tests run its logic anywhere).
TBALL_GEMM_VARIANT(portable, , 8, 1, 1)

#if defined(__x86_64__)
TBALL_GEMM_VARIANT(avx2, __attribute__((target("avx2,fma"))), 4, 1, 1)
TBALL_GEMM_VARIANT(avx512, __attribute__((target("avx512f,avx512dq,avx512vl,fma"))), 8, 1, 1)

static int avx2_hardware(void) { return bp_cpu_has(BP_CPU_AVX2); }
#endif

#endif  // TBALL_GEMM

static void by_rows(bp_tball *c, ptrdiff_t ldc, const bp_tball *a, ptrdiff_t lda, ptrdiff_t ak, const bp_tball *b,
                    ptrdiff_t ldb, ptrdiff_t rows, ptrdiff_t cols, ptrdiff_t depth) {
    for (ptrdiff_t m = 0; m < rows; m++)
        for (ptrdiff_t k = 0; k < depth; k++) bp_tball_axpy(c + m * ldc, 1, a + m * lda + k * ak, b + k * ldb, 1, cols);
}

int bp_tball_matrix_accumulate_variant(int variant, bp_tball *c, ptrdiff_t ldc, const bp_tball *a, ptrdiff_t lda,
                                       ptrdiff_t ak, const bp_tball *b, ptrdiff_t ldb, ptrdiff_t rows, ptrdiff_t cols,
                                       ptrdiff_t depth) {
    const int level = bp_ball_simd_level();
    if (variant < 0) {  // the best this machine has
#if defined(TBALL_GEMM) && defined(__x86_64__)
        variant = level == 2 ? 3 : (level == 1 ? (avx2_hardware() ? 2 : 0) : 1);
#elif defined(TBALL_GEMM)
        variant = 1;
#else
        variant = 0;
#endif
    }
    if (rows <= 0 || cols <= 0 || depth <= 0) return variant;
    switch (variant) {
    case 0: by_rows(c, ldc, a, lda, ak, b, ldb, rows, cols, depth); return 0;
#ifdef TBALL_GEMM
    case 1: portable_accumulate(c, ldc, a, lda, ak, b, ldb, rows, cols, depth); return 1;
#if defined(__x86_64__)
    case 2:
        if (level < 1 || !avx2_hardware()) return -1;
        avx2_accumulate(c, ldc, a, lda, ak, b, ldb, rows, cols, depth);
        return 2;
    case 3:
        if (level < 2) return -1;
        avx512_accumulate(c, ldc, a, lda, ak, b, ldb, rows, cols, depth);
        return 3;
#endif
#endif
    default: return -1;
    }
}

void bp_tball_matrix_accumulate(bp_tball *c, ptrdiff_t ldc, const bp_tball *a, ptrdiff_t lda, ptrdiff_t ak,
                                const bp_tball *b, ptrdiff_t ldb, ptrdiff_t rows, ptrdiff_t cols, ptrdiff_t depth) {
    bp_tball_matrix_accumulate_variant(-1, c, ldc, a, lda, ak, b, ldb, rows, cols, depth);
}
