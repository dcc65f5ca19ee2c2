#include "gemm_kernels.h"

#if defined(__x86_64__) && (defined(__clang__) || defined(__GNUC__))
#include <immintrin.h>
#include <string.h>

// Depth of one k-block: the packed panel of b (KC × NR values, 16 KB) stays in L1 while every
// row tile of c runs over it.
#define KC 128
// Rows of c per tile: 6 rows × 2 vectors = 12 accumulators, 2 for b, 1 broadcast (of 16 or 32
// registers).
#define MR 6

static int level = -1;

static int simd_level(void) {
    if (level < 0) {
        __builtin_cpu_init();
        // __builtin_cpu_supports reports AVX and AVX-512 only when the OS saves their state.
        if (__builtin_cpu_supports("avx512f")) level = 3;
        else if (__builtin_cpu_supports("avx") && __builtin_cpu_supports("fma")) level = 2;
        else if (__builtin_cpu_supports("avx")) level = 1;
        else level = 0;
    }
    return level;
}

__attribute__((constructor)) static void bp_gemm_kernels_init(void) { simd_level(); }

int bp_gemm_simd_level(void) { return simd_level(); }

// One instantiation per (format, vector width, target). W lanes per vector, NR = 2W columns
// per tile. The tile keeps its MR × 2 accumulators in registers across a k-block: for each k,
// two vectors of the packed b row, and per row of the tile one broadcast of a[m, k], one
// multiply and one add per vector (or one fma). The operand order is the row kernels' (the
// product av·b, then acc + product), so NaN payloads propagate as there.
#define GEMM_VARIANT(NAME, T, V, W, TARGET, LOAD, STORE, SET1, MUL, ADD, FMADD)                        \
    TARGET static inline __attribute__((always_inline)) void NAME##_tile(                                \
        const int mr, const int fused, T *c, ptrdiff_t ldc, const T *a, ptrdiff_t lda, ptrdiff_t ak,     \
        const T *bp, ptrdiff_t kc) {                                                                     \
        V acc[MR][2];                                                                                    \
        for (int i = 0; i < mr; i++) {                                                                   \
            acc[i][0] = LOAD(c + i * ldc);                                                               \
            acc[i][1] = LOAD(c + i * ldc + W);                                                           \
        }                                                                                                \
        for (ptrdiff_t k = 0; k < kc; k++) {                                                             \
            const V b0 = LOAD(bp + k * 2 * W), b1 = LOAD(bp + k * 2 * W + W);                            \
            const T *ak_ = a + k * ak;                                                                   \
            for (int i = 0; i < mr; i++) {                                                               \
                const V av = SET1(ak_[i * lda]);                                                         \
                if (fused) {                                                                             \
                    acc[i][0] = FMADD(av, b0, acc[i][0]);                                                \
                    acc[i][1] = FMADD(av, b1, acc[i][1]);                                                \
                } else {                                                                                 \
                    acc[i][0] = ADD(acc[i][0], MUL(av, b0));                                             \
                    acc[i][1] = ADD(acc[i][1], MUL(av, b1));                                             \
                }                                                                                        \
            }                                                                                            \
        }                                                                                                \
        for (int i = 0; i < mr; i++) {                                                                   \
            STORE(c + i * ldc, acc[i][0]);                                                               \
            STORE(c + i * ldc + W, acc[i][1]);                                                           \
        }                                                                                                \
    }                                                                                                    \
                                                                                                         \
    /* The tile with its row count and variant as constants, so the loops above unroll and the */       \
    /* accumulators live in registers. */                                                                \
    TARGET static void NAME##_tile_any(int mr, int fused, T *c, ptrdiff_t ldc, const T *a, ptrdiff_t lda, \
                                       ptrdiff_t ak, const T *bp, ptrdiff_t kc) {                         \
        if (fused) {                                                                                     \
            switch (mr) {                                                                                \
            case 6: NAME##_tile(6, 1, c, ldc, a, lda, ak, bp, kc); break;                                \
            case 5: NAME##_tile(5, 1, c, ldc, a, lda, ak, bp, kc); break;                                \
            case 4: NAME##_tile(4, 1, c, ldc, a, lda, ak, bp, kc); break;                                \
            case 3: NAME##_tile(3, 1, c, ldc, a, lda, ak, bp, kc); break;                                \
            case 2: NAME##_tile(2, 1, c, ldc, a, lda, ak, bp, kc); break;                                \
            default: NAME##_tile(1, 1, c, ldc, a, lda, ak, bp, kc); break;                               \
            }                                                                                            \
        } else {                                                                                         \
            switch (mr) {                                                                                \
            case 6: NAME##_tile(6, 0, c, ldc, a, lda, ak, bp, kc); break;                                \
            case 5: NAME##_tile(5, 0, c, ldc, a, lda, ak, bp, kc); break;                                \
            case 4: NAME##_tile(4, 0, c, ldc, a, lda, ak, bp, kc); break;                                \
            case 3: NAME##_tile(3, 0, c, ldc, a, lda, ak, bp, kc); break;                                \
            case 2: NAME##_tile(2, 0, c, ldc, a, lda, ak, bp, kc); break;                                \
            default: NAME##_tile(1, 0, c, ldc, a, lda, ak, bp, kc); break;                               \
            }                                                                                            \
        }                                                                                                \
    }                                                                                                    \
                                                                                                         \
    /* Column panels of NR, k-blocks of KC in order, row tiles of MR. A panel narrower than NR (the */  \
    /* last) runs on a copy of its c tile padded to NR columns and packed b padded with +0; only */     \
    /* its real columns are written back, so the padding never reaches c. */                            \
    TARGET static void NAME##_accumulate(T *c, ptrdiff_t ldc, const T *a, ptrdiff_t lda, ptrdiff_t ak,    \
                                         const T *b, ptrdiff_t ldb, ptrdiff_t rows, ptrdiff_t cols,       \
                                         ptrdiff_t depth, int fused) {                                    \
        enum { NR = 2 * W };                                                                             \
        T bp[KC * NR] __attribute__((aligned(64)));                                                      \
        T edge[MR * NR] __attribute__((aligned(64)));                                                    \
        for (ptrdiff_t n0 = 0; n0 < cols; n0 += NR) {                                                    \
            const ptrdiff_t nr = cols - n0 < NR ? cols - n0 : NR;                                        \
            for (ptrdiff_t k0 = 0; k0 < depth; k0 += KC) {                                               \
                const ptrdiff_t kc = depth - k0 < KC ? depth - k0 : KC;                                  \
                for (ptrdiff_t k = 0; k < kc; k++) {                                                     \
                    const T *row = b + (k0 + k) * ldb + n0;                                              \
                    T *to = bp + k * NR;                                                                 \
                    memcpy(to, row, (size_t)nr * sizeof(T));                                             \
                    for (ptrdiff_t j = nr; j < NR; j++) to[j] = 0;                                       \
                }                                                                                        \
                const T *ablock = a + k0 * ak;                                                           \
                for (ptrdiff_t m0 = 0; m0 < rows; m0 += MR) {                                            \
                    const int mr = (int)(rows - m0 < MR ? rows - m0 : MR);                               \
                    T *ct = c + m0 * ldc + n0;                                                           \
                    if (nr == NR) {                                                                      \
                        NAME##_tile_any(mr, fused, ct, ldc, ablock + m0 * lda, lda, ak, bp, kc);         \
                    } else {                                                                             \
                        for (int i = 0; i < mr; i++) {                                                   \
                            memcpy(edge + i * NR, ct + i * ldc, (size_t)nr * sizeof(T));                 \
                            for (ptrdiff_t j = nr; j < NR; j++) edge[i * NR + j] = 0;                    \
                        }                                                                                \
                        NAME##_tile_any(mr, fused, edge, NR, ablock + m0 * lda, lda, ak, bp, kc);        \
                        for (int i = 0; i < mr; i++) memcpy(ct + i * ldc, edge + i * NR, (size_t)nr * sizeof(T)); \
                    }                                                                                    \
                }                                                                                        \
            }                                                                                            \
        }                                                                                                \
    }

#define AVX512 __attribute__((target("avx512f")))
#define AVXFMA __attribute__((target("avx,fma")))
#define AVX __attribute__((target("avx")))
// The plain-AVX variants are never called with fused = 1 (the dispatch below sends fused
// products there only with FMA hardware); this stands in for the fma they cannot name.
#define NO_FMA_PS(a, b, c) _mm256_add_ps(c, _mm256_mul_ps(a, b))
#define NO_FMA_PD(a, b, c) _mm256_add_pd(c, _mm256_mul_pd(a, b))

GEMM_VARIANT(f32_512, float, __m512, 16, AVX512, _mm512_loadu_ps, _mm512_storeu_ps, _mm512_set1_ps, _mm512_mul_ps, _mm512_add_ps, _mm512_fmadd_ps)
GEMM_VARIANT(f64_512, double, __m512d, 8, AVX512, _mm512_loadu_pd, _mm512_storeu_pd, _mm512_set1_pd, _mm512_mul_pd, _mm512_add_pd, _mm512_fmadd_pd)
GEMM_VARIANT(f32_fma, float, __m256, 8, AVXFMA, _mm256_loadu_ps, _mm256_storeu_ps, _mm256_set1_ps, _mm256_mul_ps, _mm256_add_ps, _mm256_fmadd_ps)
GEMM_VARIANT(f64_fma, double, __m256d, 4, AVXFMA, _mm256_loadu_pd, _mm256_storeu_pd, _mm256_set1_pd, _mm256_mul_pd, _mm256_add_pd, _mm256_fmadd_pd)
GEMM_VARIANT(f32_avx, float, __m256, 8, AVX, _mm256_loadu_ps, _mm256_storeu_ps, _mm256_set1_ps, _mm256_mul_ps, _mm256_add_ps, NO_FMA_PS)
GEMM_VARIANT(f64_avx, double, __m256d, 4, AVX, _mm256_loadu_pd, _mm256_storeu_pd, _mm256_set1_pd, _mm256_mul_pd, _mm256_add_pd, NO_FMA_PD)

int bp_float_matrix_accumulate(float *c, ptrdiff_t ldc, const float *a, ptrdiff_t lda, ptrdiff_t ak,
                               const float *b, ptrdiff_t ldb, ptrdiff_t rows, ptrdiff_t cols, ptrdiff_t depth, int fused) {
    const int l = simd_level();
    if (rows <= 0 || cols <= 0 || depth <= 0) return l > (fused ? 1 : 0);
    if (l == 3) f32_512_accumulate(c, ldc, a, lda, ak, b, ldb, rows, cols, depth, fused);
    else if (l == 2) f32_fma_accumulate(c, ldc, a, lda, ak, b, ldb, rows, cols, depth, fused);
    else if (l == 1 && !fused) f32_avx_accumulate(c, ldc, a, lda, ak, b, ldb, rows, cols, depth, 0);
    else return 0;
    return 1;
}

int bp_double_matrix_accumulate(double *c, ptrdiff_t ldc, const double *a, ptrdiff_t lda, ptrdiff_t ak,
                                const double *b, ptrdiff_t ldb, ptrdiff_t rows, ptrdiff_t cols, ptrdiff_t depth, int fused) {
    const int l = simd_level();
    if (rows <= 0 || cols <= 0 || depth <= 0) return l > (fused ? 1 : 0);
    if (l == 3) f64_512_accumulate(c, ldc, a, lda, ak, b, ldb, rows, cols, depth, fused);
    else if (l == 2) f64_fma_accumulate(c, ldc, a, lda, ak, b, ldb, rows, cols, depth, fused);
    else if (l == 1 && !fused) f64_avx_accumulate(c, ldc, a, lda, ak, b, ldb, rows, cols, depth, 0);
    else return 0;
    return 1;
}

#else

int bp_gemm_simd_level(void) { return 0; }
int bp_float_matrix_accumulate(float *c, ptrdiff_t ldc, const float *a, ptrdiff_t lda, ptrdiff_t ak,
                               const float *b, ptrdiff_t ldb, ptrdiff_t rows, ptrdiff_t cols, ptrdiff_t depth, int fused) { return 0; }
int bp_double_matrix_accumulate(double *c, ptrdiff_t ldc, const double *a, ptrdiff_t lda, ptrdiff_t ak,
                                const double *b, ptrdiff_t ldb, ptrdiff_t rows, ptrdiff_t cols, ptrdiff_t depth, int fused) { return 0; }

#endif
