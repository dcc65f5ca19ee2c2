#include "gemm_kernels.h"

#if defined(__x86_64__) && (defined(__clang__) || defined(__GNUC__))
#include <immintrin.h>
#include <stdint.h>
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

// The emulated 16-bit formats, AVX-512F only: values are computed in binary32 exactly as the
// emulation does (`Half`/`BFloat16`: the product av·b in binary32, rounded to the format; the
// sum acc + product in binary32, rounded to the format), with the accumulators held in binary32
// registers between steps (each holds a value of the format, so the round trip through memory
// between k-blocks is exact). b is packed as binary32 once per panel, a converted per use.
// binary16 rounds on the F16C conversion (round to nearest even, subnormals, overflow to ∞);
// bfloat16 in integer lanes exactly as `bfloat16Bits(roundingFloat:)`, NaNs included. NaN
// payloads aside (the hardware conversions quiet signaling NaNs), the bits are the emulation's.
#define GEMM16_VARIANT(NAME, TO_F32, LOADC, STOREC, ROUND)                                                \
    AVX512 static inline __attribute__((always_inline)) void NAME##_tile(                                 \
        const int mr, uint16_t *c, ptrdiff_t ldc, const uint16_t *a, ptrdiff_t lda, ptrdiff_t ak,         \
        const float *bp, ptrdiff_t kc) {                                                                  \
        __m512 acc[MR][2];                                                                                \
        for (int i = 0; i < mr; i++) {                                                                    \
            acc[i][0] = LOADC(c + i * ldc);                                                               \
            acc[i][1] = LOADC(c + i * ldc + 16);                                                          \
        }                                                                                                 \
        for (ptrdiff_t k = 0; k < kc; k++) {                                                              \
            const __m512 b0 = _mm512_loadu_ps(bp + k * 32), b1 = _mm512_loadu_ps(bp + k * 32 + 16);       \
            const uint16_t *ak_ = a + k * ak;                                                             \
            for (int i = 0; i < mr; i++) {                                                                \
                const __m512 av = _mm512_set1_ps(TO_F32(ak_[i * lda]));                                   \
                acc[i][0] = ROUND(_mm512_add_ps(acc[i][0], ROUND(_mm512_mul_ps(av, b0))));                \
                acc[i][1] = ROUND(_mm512_add_ps(acc[i][1], ROUND(_mm512_mul_ps(av, b1))));                \
            }                                                                                             \
        }                                                                                                 \
        for (int i = 0; i < mr; i++) {                                                                    \
            STOREC(c + i * ldc, acc[i][0]);                                                               \
            STOREC(c + i * ldc + 16, acc[i][1]);                                                          \
        }                                                                                                 \
    }                                                                                                     \
                                                                                                          \
    AVX512 static void NAME##_tile_any(int mr, uint16_t *c, ptrdiff_t ldc, const uint16_t *a, ptrdiff_t lda, \
                                       ptrdiff_t ak, const float *bp, ptrdiff_t kc) {                     \
        switch (mr) {                                                                                     \
        case 6: NAME##_tile(6, c, ldc, a, lda, ak, bp, kc); break;                                        \
        case 5: NAME##_tile(5, c, ldc, a, lda, ak, bp, kc); break;                                        \
        case 4: NAME##_tile(4, c, ldc, a, lda, ak, bp, kc); break;                                        \
        case 3: NAME##_tile(3, c, ldc, a, lda, ak, bp, kc); break;                                        \
        case 2: NAME##_tile(2, c, ldc, a, lda, ak, bp, kc); break;                                        \
        default: NAME##_tile(1, c, ldc, a, lda, ak, bp, kc); break;                                       \
        }                                                                                                 \
    }                                                                                                     \
                                                                                                          \
    /* As the binary32 variant: panels of 32 columns, k-blocks of KC in order, tiles of MR rows; */      \
    /* the last panel on a padded copy of its c tile. */                                                  \
    AVX512 static void NAME##_accumulate(uint16_t *c, ptrdiff_t ldc, const uint16_t *a, ptrdiff_t lda,    \
                                         ptrdiff_t ak, const uint16_t *b, ptrdiff_t ldb, ptrdiff_t rows,  \
                                         ptrdiff_t cols, ptrdiff_t depth) {                               \
        enum { NR = 32 };                                                                                 \
        float bp[KC * NR] __attribute__((aligned(64)));                                                   \
        uint16_t edge[MR * NR] __attribute__((aligned(64)));                                              \
        for (ptrdiff_t n0 = 0; n0 < cols; n0 += NR) {                                                     \
            const ptrdiff_t nr = cols - n0 < NR ? cols - n0 : NR;                                         \
            for (ptrdiff_t k0 = 0; k0 < depth; k0 += KC) {                                                \
                const ptrdiff_t kc = depth - k0 < KC ? depth - k0 : KC;                                   \
                for (ptrdiff_t k = 0; k < kc; k++) {                                                      \
                    const uint16_t *row = b + (k0 + k) * ldb + n0;                                        \
                    float *to = bp + k * NR;                                                              \
                    for (ptrdiff_t j = 0; j < nr; j++) to[j] = TO_F32(row[j]);                            \
                    for (ptrdiff_t j = nr; j < NR; j++) to[j] = 0;                                        \
                }                                                                                         \
                const uint16_t *ablock = a + k0 * ak;                                                     \
                for (ptrdiff_t m0 = 0; m0 < rows; m0 += MR) {                                             \
                    const int mr = (int)(rows - m0 < MR ? rows - m0 : MR);                                \
                    uint16_t *ct = c + m0 * ldc + n0;                                                     \
                    if (nr == NR) {                                                                       \
                        NAME##_tile_any(mr, ct, ldc, ablock + m0 * lda, lda, ak, bp, kc);                 \
                    } else {                                                                              \
                        for (int i = 0; i < mr; i++) {                                                    \
                            memcpy(edge + i * NR, ct + i * ldc, (size_t)nr * sizeof(uint16_t));           \
                            for (ptrdiff_t j = nr; j < NR; j++) edge[i * NR + j] = 0;                     \
                        }                                                                                 \
                        NAME##_tile_any(mr, edge, NR, ablock + m0 * lda, lda, ak, bp, kc);                \
                        for (int i = 0; i < mr; i++) memcpy(ct + i * ldc, edge + i * NR, (size_t)nr * sizeof(uint16_t)); \
                    }                                                                                     \
                }                                                                                         \
            }                                                                                             \
        }                                                                                                 \
    }

AVX512 static inline float half_to_f32(uint16_t h) { return _cvtsh_ss(h); }
AVX512 static inline __m512 half_load(const uint16_t *p) { return _mm512_cvtph_ps(_mm256_loadu_si256((const __m256i *)p)); }
AVX512 static inline void half_store(uint16_t *p, __m512 v) { _mm256_storeu_si256((__m256i *)p, _mm512_cvtps_ph(v, 0)); }
// Round to nearest even (imm 0 = _MM_FROUND_TO_NEAREST_INT), not MXCSR's mode.
AVX512 static inline __m512 half_round(__m512 v) { return _mm512_cvtph_ps(_mm512_cvtps_ph(v, 0)); }

static inline float bf16_to_f32(uint16_t b) {
    const uint32_t x = (uint32_t)b << 16;
    float f;
    memcpy(&f, &x, sizeof f);
    return f;
}
AVX512 static inline __m512 bf16_load(const uint16_t *p) {
    return _mm512_castsi512_ps(_mm512_slli_epi32(_mm512_cvtepu16_epi32(_mm256_loadu_si256((const __m256i *)p)), 16));
}
AVX512 static inline void bf16_store(uint16_t *p, __m512 v) {
    _mm256_storeu_si256((__m256i *)p, _mm512_cvtepi32_epi16(_mm512_srli_epi32(_mm512_castps_si512(v), 16)));
}
// bfloat16Bits(roundingFloat:) in sixteen lanes: add 0x7FFF plus the kept lsb and clear the low
// half (subnormals and overflow to ∞ come out of the carry); a NaN keeps its top half, with the
// quiet bit set when its kept payload would be zero.
AVX512 static inline __m512 bf16_round(__m512 v) {
    const __m512i x = _mm512_castps_si512(v), high = _mm512_set1_epi32((int)0xFFFF0000u);
    const __m512i lsb = _mm512_and_si512(_mm512_srli_epi32(x, 16), _mm512_set1_epi32(1));
    const __m512i rounded = _mm512_and_si512(_mm512_add_epi32(_mm512_add_epi32(x, _mm512_set1_epi32(0x7FFF)), lsb), high);
    __m512i top = _mm512_and_si512(x, high);
    const __mmask16 noPayload = _mm512_testn_epi32_mask(x, _mm512_set1_epi32(0x007F0000));
    top = _mm512_mask_or_epi32(top, noPayload, top, _mm512_set1_epi32(0x00400000));
    const __mmask16 nan = _mm512_cmp_ps_mask(v, v, _CMP_UNORD_Q);
    return _mm512_castsi512_ps(_mm512_mask_mov_epi32(rounded, nan, top));
}

GEMM16_VARIANT(f16_512, half_to_f32, half_load, half_store, half_round)
GEMM16_VARIANT(bf16_512, bf16_to_f32, bf16_load, bf16_store, bf16_round)

int bp_half_matrix_accumulate(uint16_t *c, ptrdiff_t ldc, const uint16_t *a, ptrdiff_t lda, ptrdiff_t ak,
                              const uint16_t *b, ptrdiff_t ldb, ptrdiff_t rows, ptrdiff_t cols, ptrdiff_t depth) {
    if (simd_level() < 3) return 0;
    if (rows > 0 && cols > 0 && depth > 0) f16_512_accumulate(c, ldc, a, lda, ak, b, ldb, rows, cols, depth);
    return 1;
}

int bp_bfloat16_matrix_accumulate(uint16_t *c, ptrdiff_t ldc, const uint16_t *a, ptrdiff_t lda, ptrdiff_t ak,
                                  const uint16_t *b, ptrdiff_t ldb, ptrdiff_t rows, ptrdiff_t cols, ptrdiff_t depth) {
    if (simd_level() < 3) return 0;
    if (rows > 0 && cols > 0 && depth > 0) bf16_512_accumulate(c, ldc, a, lda, ak, b, ldb, rows, cols, depth);
    return 1;
}

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
int bp_half_matrix_accumulate(uint16_t *c, ptrdiff_t ldc, const uint16_t *a, ptrdiff_t lda, ptrdiff_t ak,
                              const uint16_t *b, ptrdiff_t ldb, ptrdiff_t rows, ptrdiff_t cols, ptrdiff_t depth) { return 0; }
int bp_bfloat16_matrix_accumulate(uint16_t *c, ptrdiff_t ldc, const uint16_t *a, ptrdiff_t lda, ptrdiff_t ak,
                                  const uint16_t *b, ptrdiff_t ldb, ptrdiff_t rows, ptrdiff_t cols, ptrdiff_t depth) { return 0; }
int bp_float_matrix_accumulate(float *c, ptrdiff_t ldc, const float *a, ptrdiff_t lda, ptrdiff_t ak,
                               const float *b, ptrdiff_t ldb, ptrdiff_t rows, ptrdiff_t cols, ptrdiff_t depth, int fused) { return 0; }
int bp_double_matrix_accumulate(double *c, ptrdiff_t ldc, const double *a, ptrdiff_t lda, ptrdiff_t ak,
                                const double *b, ptrdiff_t ldb, ptrdiff_t rows, ptrdiff_t cols, ptrdiff_t depth, int fused) { return 0; }

#endif
