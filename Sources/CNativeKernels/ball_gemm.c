// The register-blocked matrix product of double-double balls (bp_ball_matrix_accumulate; see
// ball_kernels.h for the contract and ball_kernels.c for the scalar kernels it reproduces).
//
// What it must give: the bits of `depth` calls of bp_ball_axpy per row of c, k increasing
// (Precision's ScalarArithmetic.matrixAccumulateByRows): every c[m, n] updated, for each k in
// order, by accumulate_point when the multiplier a[m, k] is a one-double point (lo = 0 and
// rad = 0: the row kernel's test) and by accumulate_fma otherwise, and settled after every step.
//
// How: the columns of c in panels of NR = W·NV, the depth in blocks of KC. Each k-block of a
// panel of b is packed once, as arrays of its parts (hi, lo, rad, and two sums of magnitudes
// that every accumulate_fma step would recompute): structure of arrays, so one vector load
// takes W columns' parts with no shuffle. Every row tile of c (MR rows) then runs over the
// packed block with its MR × NV vectors of (h, l, r) in registers and a[m, k]'s parts
// broadcast. Each lane performs, operation for operation, the scalar step on its column (the
// vector operations are the same IEEE operations, lane by lane; FP contraction is off here as
// in ball_kernels.c); what differs from the row kernels is when the state is settled and where
// the step is chosen, and neither changes a bit:
//
// 1. The state is settled once, at the end of the k-block, not after every step. settle() is
//    the identity on a finite (h, l, r), and a non-finite state stays non-finite through every
//    later step whatever the operands: a non-finite h makes the first TwoSum's error, then c4,
//    then the new h NaN; a non-finite l makes c3, then c4, then the new h non-finite; a
//    non-finite r is kept or replaced by up(r + …), non-finite too. So the state settled at the
//    end is the unknown ball {NaN, NaN, +∞} exactly when a step on the way would have settled
//    to it, and otherwise has the same bits.
// 2. The step is chosen per multiplier, as the row kernel chooses it, but tested once per tile
//    where it can be: a tile whose multipliers in the k-block are all points runs the
//    accumulate_point steps with no test; any other tile tests each multiplier (a branch on a
//    broadcast value, the same for every lane) and runs accumulate_point or accumulate_fma.
//    Both are needed: for a point, accumulate_fma would give accumulate_point's bits except
//    where |xh| + |xl| + x.rad or |xl| + x.rad overflows — its terms arad·(…) and |al|·(…)
//    are then 0·∞ = NaN where accumulate_point's |ah|·x.rad may be finite — and it costs ~1.4
//    times as much (a backward's multipliers are often exact zeros: ReLU, max-pooling).
//
// BallGemmTests checks this against the row kernels, bit for bit, on every variant this machine
// can run (the portable one included).
#include "ball_kernels.h"
#include "cpu_features.h"
#include <math.h>

#pragma STDC FP_CONTRACT OFF
#if defined(__clang__)
#pragma clang fp contract(off)
#endif

#if defined(__clang__) && defined(__has_builtin)
#if __has_builtin(__builtin_elementwise_fma) && __has_builtin(__builtin_elementwise_abs)
#define BALL_GEMM 1
#endif
#endif

#ifdef BALL_GEMM

// The tiles' vectors never cross a function boundary (every helper is inlined).
#pragma clang diagnostic ignored "-Wpsabi"

// Depth of one k-block: the packed block (5 × KC × NR doubles: 40 KB at NR = 8) stays in L1/L2
// while every row tile runs over it.
#define KC 128
// The arrays of a packed block, each KC × NR: hi, lo, rad, (|hi| + |lo|) + rad, |lo| + rad.
#define PACKED 5

#define AI static inline __attribute__((always_inline))
#define ABS(x) __builtin_elementwise_abs(x)
#define FMA(a, b, c) __builtin_elementwise_fma(a, b, c)

/// two_sum on vectors: the same operations, lane by lane.
#define TWO_SUM(a, b, s, e)                                                                     \
    do {                                                                                        \
        const V x_ = (a) + (b), bv_ = x_ - (a), av_ = x_ - bv_;                                 \
        (e) = ((a) - av_) + ((b) - bv_);                                                        \
        (s) = x_;                                                                               \
    } while (0)

// One instantiation per (name, target, lanes W, vectors per tile row NV, rows per tile MR ≤ 4).
#define BALL_GEMM_VARIANT(S, ATTR, W, NV, MR)                                                   \
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
    /* accumulate_point on W columns (ah = a[m, k].hi broadcast; x the packed parts). */        \
    ATTR AI void S##_step_point(S##_v *H, S##_v *L, S##_v *R, S##_v ah, S##_v xh, S##_v xl,     \
                                S##_v xr) {                                                     \
        typedef S##_v V;                                                                        \
        const V zero = 0.0, tiny = 0x1p-900, slack_term = 0x1p-1070, grow = 1.0 + 0x1p-46;      \
        const V p = ah * xh, e = FMA(ah, xh, -p);                                               \
        const V q = ah * xl, d = FMA(ah, xl, -q);                                               \
        V s, t, c1, e1, c3, e3, c4, e4, nh, nl;                                                 \
        TWO_SUM(*H, p, s, t);                                                                   \
        TWO_SUM(e, q, c1, e1);                                                                  \
        TWO_SUM(*L, c1, c3, e3);                                                                \
        TWO_SUM(t, c3, c4, e4);                                                                 \
        TWO_SUM(s, c4, nh, nl);                                                                 \
        const S##_m ahnz = ah != zero;                                                          \
        const S##_m slack = (ahnz & (xh != zero) & (ABS(p) < tiny))                             \
                          | (ahnz & (xl != zero) & (ABS(q) < tiny));                            \
        const V disc = (ABS(d) + ABS(e1)) + (ABS(e3) + ABS(e4));                                \
        const V extra = ABS(ah) * xr;                                                           \
        /* up(x) = x·(1 + 2⁻⁴⁶) + 2⁻¹⁰⁷⁰ */                                                     \
        const V grown = (((*R + extra) + disc) + (slack ? slack_term : zero)) * grow + slack_term; \
        *R = ((xr != zero) | slack | (disc != zero)) ? grown : *R;                              \
        *H = nh;                                                                                \
        *L = nl;                                                                                \
    }                                                                                           \
                                                                                                \
    /* accumulate_fma on W columns: a's parts broadcast with |ah|, |al| and their masks; */    \
    /* ax = (|xh| + |xl|) + xr and sxr = |xl| + xr packed with x. */                             \
    ATTR AI void S##_step_fma(S##_v *H, S##_v *L, S##_v *R, S##_v ah, S##_v al, S##_v ar,       \
                              S##_v aah, S##_v aal, S##_m ahnz, S##_m alnz, S##_m arnz,         \
                              S##_v xh, S##_v xl, S##_v xr, S##_v ax, S##_v sxr) {              \
        typedef S##_v V;                                                                        \
        const V zero = 0.0, tiny = 0x1p-900, slack_term = 0x1p-1070, grow = 1.0 + 0x1p-46;      \
        const V p = ah * xh, e = FMA(ah, xh, -p);                                               \
        const V q = ah * xl, d = FMA(ah, xl, -q);                                               \
        const V g = al * xh, f = FMA(al, xh, -g);                                               \
        V s, t, c1, e1, c2, e2, c3, e3, c4, e4, nh, nl;                                         \
        TWO_SUM(*H, p, s, t);                                                                   \
        TWO_SUM(e, q, c1, e1);                                                                  \
        TWO_SUM(c1, g, c2, e2);                                                                 \
        TWO_SUM(*L, c2, c3, e3);                                                                \
        TWO_SUM(t, c3, c4, e4);                                                                 \
        TWO_SUM(s, c4, nh, nl);                                                                 \
        const S##_m xhnz = xh != zero, xlnz = xl != zero;                                       \
        const S##_m spread = (xr != zero) | arnz | (alnz & xlnz);                               \
        const S##_m slack = (xhnz & ((ahnz & (ABS(p) < tiny)) | (alnz & (ABS(g) < tiny))))      \
                          | (ahnz & xlnz & (ABS(q) < tiny));                                    \
        const V disc = ((ABS(d) + ABS(f)) + (ABS(e1) + ABS(e2))) + (ABS(e3) + ABS(e4));         \
        const V extra = (aah * xr + aal * sxr) + ar * ax;                                       \
        const V grown = (((*R + extra) + disc) + (slack ? slack_term : zero)) * grow + slack_term; \
        *R = (spread | slack | (disc != zero)) ? grown : *R;                                    \
        *H = nh;                                                                                \
        *L = nl;                                                                                \
    }                                                                                           \
                                                                                                \
    /* One tile: the mr rows of the SoA tile (th, tl, tr; row stride NR) += a[i, k]·b[k, ·] */  \
    /* for the k-block's kc steps, in order; then settled. */                                   \
    ATTR AI void S##_tile(const int mr, const int point, double *th, double *tl, double *tr,    \
                          const bp_ball *a, ptrdiff_t lda, ptrdiff_t ak, const double *bp,      \
                          ptrdiff_t kc) {                                                       \
        typedef S##_v V;                                                                        \
        enum { NR = W * NV, PS = KC * NR };                                                     \
        V H[MR][NV], L[MR][NV], R[MR][NV];                                                      \
        for (int i = 0; i < mr; i++)                                                            \
            for (int j = 0; j < NV; j++) {                                                      \
                H[i][j] = S##_load(th + i * NR + j * W);                                        \
                L[i][j] = S##_load(tl + i * NR + j * W);                                        \
                R[i][j] = S##_load(tr + i * NR + j * W);                                        \
            }                                                                                   \
        for (ptrdiff_t k = 0; k < kc; k++) {                                                    \
            const double *bk = bp + k * NR;                                                     \
            V xh[NV], xl[NV], xr[NV];                                                           \
            for (int j = 0; j < NV; j++) {                                                      \
                xh[j] = S##_load(bk + j * W);                                                   \
                xl[j] = S##_load(bk + PS + j * W);                                              \
                xr[j] = S##_load(bk + 2 * PS + j * W);                                          \
            }                                                                                   \
            for (int i = 0; i < mr; i++) {                                                      \
                const bp_ball *am = a + i * lda + k * ak;                                       \
                const V ah = am->hi;                                                            \
                if (point) {                                                                    \
                    for (int j = 0; j < NV; j++)                                                \
                        S##_step_point(&H[i][j], &L[i][j], &R[i][j], ah, xh[j], xl[j], xr[j]);  \
                } else if (am->lo == 0 && am->rad == 0) { /* the row kernel's test */           \
                    for (int j = 0; j < NV; j++)                                                \
                        S##_step_point(&H[i][j], &L[i][j], &R[i][j], ah, xh[j], xl[j], xr[j]);  \
                } else {                                                                        \
                    const V al = am->lo, ar = am->rad;                                          \
                    const S##_m ahnz = ah != 0.0, alnz = al != 0.0, arnz = ar != 0.0;           \
                    for (int j = 0; j < NV; j++)                                                \
                        S##_step_fma(&H[i][j], &L[i][j], &R[i][j], ah, al, ar, ABS(ah), ABS(al), \
                                     ahnz, alnz, arnz, xh[j], xl[j], xr[j],                     \
                                     S##_load(bk + 3 * PS + j * W), S##_load(bk + 4 * PS + j * W)); \
                }                                                                               \
            }                                                                                   \
        }                                                                                       \
        /* settle(), lane by lane */                                                            \
        const V largest = 0x1.fffffffffffffp1023, nan = NAN, inf = INFINITY;                    \
        for (int i = 0; i < mr; i++)                                                            \
            for (int j = 0; j < NV; j++) {                                                      \
                const S##_m ok = (ABS(H[i][j]) <= largest) & (ABS(L[i][j]) <= largest)          \
                               & (ABS(R[i][j]) <= largest);                                     \
                S##_store(th + i * NR + j * W, ok ? H[i][j] : nan);                             \
                S##_store(tl + i * NR + j * W, ok ? L[i][j] : nan);                             \
                S##_store(tr + i * NR + j * W, ok ? R[i][j] : inf);                             \
            }                                                                                   \
    }                                                                                           \
                                                                                                \
    /* The tile with its row count and variant as constants, so that its loops unroll and */   \
    /* its accumulators live in registers. */                                                   \
    ATTR static void S##_tile_any(int mr, int point, double *th, double *tl, double *tr,       \
                                  const bp_ball *a, ptrdiff_t lda, ptrdiff_t ak,                \
                                  const double *bp, ptrdiff_t kc) {                             \
        _Static_assert(MR >= 1 && MR <= 4, "tiles of 1 to 4 rows");                             \
        switch ((mr < MR ? mr : MR) * 2 + (point ? 1 : 0)) {                                   \
        case 9: S##_tile(MR >= 4 ? 4 : 1, 1, th, tl, tr, a, lda, ak, bp, kc); break;            \
        case 8: S##_tile(MR >= 4 ? 4 : 1, 0, th, tl, tr, a, lda, ak, bp, kc); break;            \
        case 7: S##_tile(MR >= 3 ? 3 : 1, 1, th, tl, tr, a, lda, ak, bp, kc); break;            \
        case 6: S##_tile(MR >= 3 ? 3 : 1, 0, th, tl, tr, a, lda, ak, bp, kc); break;            \
        case 5: S##_tile(MR >= 2 ? 2 : 1, 1, th, tl, tr, a, lda, ak, bp, kc); break;            \
        case 4: S##_tile(MR >= 2 ? 2 : 1, 0, th, tl, tr, a, lda, ak, bp, kc); break;            \
        case 3: S##_tile(1, 1, th, tl, tr, a, lda, ak, bp, kc); break;                          \
        default: S##_tile(1, 0, th, tl, tr, a, lda, ak, bp, kc); break;                         \
        }                                                                                       \
    }                                                                                           \
                                                                                                \
    /* Column panels of NR, k-blocks of KC in order, row tiles of MR. A tile is copied into */  \
    /* SoA form and back; the columns past the last (in the last panel) are +0 in the packed */ \
    /* block and in the tile, and are never written back. */                                    \
    ATTR static void S##_accumulate(bp_ball *c, ptrdiff_t ldc, const bp_ball *a, ptrdiff_t lda,\
                                    ptrdiff_t ak, const bp_ball *b, ptrdiff_t ldb,              \
                                    ptrdiff_t rows, ptrdiff_t cols, ptrdiff_t depth) {          \
        enum { NR = W * NV, PS = KC * NR };                                                     \
        double bp[PACKED * PS] __attribute__((aligned(64)));                                    \
        double th[MR * NR] __attribute__((aligned(64)));                                        \
        double tl[MR * NR] __attribute__((aligned(64)));                                        \
        double tr[MR * NR] __attribute__((aligned(64)));                                        \
        for (ptrdiff_t n0 = 0; n0 < cols; n0 += NR) {                                           \
            const ptrdiff_t nr = cols - n0 < NR ? cols - n0 : NR;                               \
            for (ptrdiff_t k0 = 0; k0 < depth; k0 += KC) {                                      \
                const ptrdiff_t kc = depth - k0 < KC ? depth - k0 : KC;                         \
                for (ptrdiff_t k = 0; k < kc; k++) {                                            \
                    const bp_ball *row = b + (k0 + k) * ldb + n0;                               \
                    double *to = bp + k * NR;                                                   \
                    for (ptrdiff_t j = 0; j < NR; j++) {                                        \
                        const bp_ball x = j < nr ? row[j] : (bp_ball){0.0, 0.0, 0.0};           \
                        to[j] = x.hi;                                                           \
                        to[PS + j] = x.lo;                                                      \
                        to[2 * PS + j] = x.rad;                                                 \
                        to[3 * PS + j] = (fabs(x.hi) + fabs(x.lo)) + x.rad;                     \
                        to[4 * PS + j] = fabs(x.lo) + x.rad;                                    \
                    }                                                                           \
                }                                                                               \
                for (ptrdiff_t m0 = 0; m0 < rows; m0 += MR) {                                   \
                    const int mr = (int)(rows - m0 < MR ? rows - m0 : MR);                      \
                    const bp_ball *at = a + m0 * lda + k0 * ak;                                 \
                    int point = 1;                                                              \
                    for (int i = 0; i < mr; i++)                                                \
                        for (ptrdiff_t k = 0; k < kc; k++) {                                    \
                            const bp_ball *am = at + i * lda + k * ak;                          \
                            point &= (am->lo == 0) & (am->rad == 0);                            \
                        }                                                                       \
                    for (int i = 0; i < mr; i++) {                                              \
                        const bp_ball *ci = c + (m0 + i) * ldc + n0;                            \
                        for (ptrdiff_t j = 0; j < NR; j++) {                                    \
                            const bp_ball x = j < nr ? ci[j] : (bp_ball){0.0, 0.0, 0.0};        \
                            th[i * NR + j] = x.hi;                                              \
                            tl[i * NR + j] = x.lo;                                              \
                            tr[i * NR + j] = x.rad;                                             \
                        }                                                                       \
                    }                                                                           \
                    S##_tile_any(mr, point, th, tl, tr, at, lda, ak, bp, kc);                   \
                    for (int i = 0; i < mr; i++) {                                              \
                        bp_ball *ci = c + (m0 + i) * ldc + n0;                                  \
                        for (ptrdiff_t j = 0; j < nr; j++)                                      \
                            ci[j] = (bp_ball){th[i * NR + j], tl[i * NR + j], tr[i * NR + j]};  \
                    }                                                                           \
                }                                                                               \
            }                                                                                   \
        }                                                                                       \
    }

// Portably (glibc's correctly rounded fma where the target has none; NEON on arm64), 8 lanes:
// the same tile as AVX-512's, so that the tests run its logic on any machine.
BALL_GEMM_VARIANT(portable, , 8, 1, 2)

#if defined(__x86_64__)
// AVX2 with FMA (16 registers): one row of two vectors, so that two independent sums are in
// flight (a step is a chain of ~7 dependent additions).
BALL_GEMM_VARIANT(avx2, __attribute__((target("avx2,fma"))), 4, 2, 1)
// AVX-512 (32 registers): two rows of one 8-lane vector.
BALL_GEMM_VARIANT(avx512, __attribute__((target("avx512f,avx512dq,avx512vl,fma"))), 8, 1, 2)

static int avx2_hardware(void) { return bp_cpu_has(BP_CPU_AVX2); }
#endif

#endif  // BALL_GEMM

/// The row kernels' loop itself: what the product stands for.
static void by_rows(bp_ball *c, ptrdiff_t ldc, const bp_ball *a, ptrdiff_t lda, ptrdiff_t ak, const bp_ball *b,
                    ptrdiff_t ldb, ptrdiff_t rows, ptrdiff_t cols, ptrdiff_t depth) {
    for (ptrdiff_t m = 0; m < rows; m++)
        for (ptrdiff_t k = 0; k < depth; k++) bp_ball_axpy(c + m * ldc, 1, a + m * lda + k * ak, b + k * ldb, 1, cols);
}

int bp_ball_matrix_accumulate_variant(int variant, bp_ball *c, ptrdiff_t ldc, const bp_ball *a, ptrdiff_t lda, ptrdiff_t ak,
                                      const bp_ball *b, ptrdiff_t ldb, ptrdiff_t rows, ptrdiff_t cols, ptrdiff_t depth) {
    const int level = bp_ball_simd_level();
    if (variant < 0) {  // the best this machine has
#if defined(BALL_GEMM) && defined(__x86_64__)
        // AVX with FMA but no AVX2: the row kernels on FMA hardware beat the portable tile.
        variant = level == 2 ? 3 : (level == 1 ? (avx2_hardware() ? 2 : 0) : 1);
#elif defined(BALL_GEMM)
        variant = 1;
#else
        variant = 0;
#endif
    }
    if (rows <= 0 || cols <= 0 || depth <= 0) return variant;
    switch (variant) {
    case 0: by_rows(c, ldc, a, lda, ak, b, ldb, rows, cols, depth); return 0;
#ifdef BALL_GEMM
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

void bp_ball_matrix_accumulate(bp_ball *c, ptrdiff_t ldc, const bp_ball *a, ptrdiff_t lda, ptrdiff_t ak, const bp_ball *b,
                               ptrdiff_t ldb, ptrdiff_t rows, ptrdiff_t cols, ptrdiff_t depth) {
    bp_ball_matrix_accumulate_variant(-1, c, ldc, a, lda, ak, b, ldb, rows, cols, depth);
}
