#include "gemm_kernels.h"
#include "cpu_features.h"

#if defined(__x86_64__) && (defined(__clang__) || defined(__GNUC__))
#include <immintrin.h>
#include <stdint.h>
#include <string.h>

// Depth of one k-block: the packed panel of b (KC × NR values, at most 16 KB) stays in L1 while
// every row tile of c runs over it.
#define KC 128
// Rows of c per tile: 6 rows × 2 vectors = 12 accumulators, 2 for b, 1 broadcast — 15 of the 16
// ymm registers (of 32 zmm registers with AVX-512).
#define MR 6
// Rows per tile when the tile counts flushed products: its counter and constants need 3 more
// registers, and with 6 rows the compiler keeps the accumulators in memory (2× slower).
#ifndef MR_COUNTING
#define MR_COUNTING 4
#endif

// ---------------------------------------------------------------------------------------------
// What this machine runs (cpu_features.h), derived once.

// binary32/binary64: 3 AVX-512F, 2 AVX + FMA, 1 AVX, 0 none.
static int level = -1;
// binary16/bfloat16: the vector width of their tiles, 512 (AVX-512F), 256 (AVX2 + F16C) or 0.
static int bits16 = -1;

static void detect(void) {
    if (level >= 0) return;
    const int avx512 = bp_cpu_has(BP_CPU_AVX512F), avx = bp_cpu_has(BP_CPU_AVX);
    const int avx2 = bp_cpu_has(BP_CPU_AVX | BP_CPU_AVX2), f16c = bp_cpu_has(BP_CPU_AVX | BP_CPU_F16C);
    bits16 = avx512 ? 512 : (avx2 && f16c) ? 256 : 0;
    level = avx512 ? 3 : bp_cpu_has(BP_CPU_AVX | BP_CPU_FMA) ? 2 : avx ? 1 : 0;
}

__attribute__((constructor)) static void bp_gemm_kernels_init(void) { detect(); }

int bp_gemm_simd_level(void) {
    detect();
    return level;
}

int bp_gemm16_vector_bits(void) {
    detect();
    return bits16;
}

// ---------------------------------------------------------------------------------------------
// The driver, one instantiation per (format, vector width, target). It knows nothing of the
// format: its hooks, static inline functions named NAME_…, say how values are held.
//
//   T storage (float, double, or the uint16_t encoding), P packed b (T itself, or binary32 for
//   the 16-bit formats, converted once per panel rather than once per row tile), V a vector of W
//   lanes of P; FUSES whether a fused variant exists (the 16-bit formats have none), COUNTS
//   whether a variant counting flushed products exists (binary16's 256-bit tile only).
//
//   V    NAME_loadc(const T *c)          W entries of c into an accumulator
//   void NAME_storec(T *c, V acc)        and back (exact: an accumulator holds format values)
//   void NAME_pack(P *to, const T *b, n) n values of a row of b, packed
//   V    NAME_loadb(const P *bp)         W packed values of b
//   V    NAME_bcast(T a)                 a[m, k] in every lane
//   V    NAME_step(V acc, V a, V b, fused, counting, NAME_counter *n)
//                                        acc + a·b: the format's product then its sum, each
//                                        rounded (or, fused, one fma); when counting, adds the
//                                        lanes whose product flushed to zero to *n. fused and
//                                        counting are constants here.
//   NAME_counter, NAME_counter_zero(), NAME_counter_total(n)  the per-tile count and its sum
//
// A tile of MR × 2W entries of c keeps its 2·MR accumulators in registers across a k-block: for
// each k, two vectors of the packed b row, and per row one broadcast of a[m, k] and one step per
// vector. The operand order is the row kernels' (the product a·b, then acc + product), so NaN
// payloads propagate as there. The k-blocks run in order and the accumulator goes through c
// between them unchanged, so every entry is one sequential sum over k increasing: the bits of
// the element-by-element loop.
#define GEMM_DRIVER(NAME, TARGET, T, P, V, W, FUSES, COUNTS)                                               \
    TARGET static inline __attribute__((always_inline)) void NAME##_tile(                                  \
        const int mr, const int fused, const int counting, T *c, ptrdiff_t ldc, const T *a, ptrdiff_t lda, \
        ptrdiff_t ak, const P *bp, ptrdiff_t kc, ptrdiff_t *flushed) {                                     \
        V acc[MR][2];                                                                                      \
        NAME##_counter n = NAME##_counter_zero();                                                          \
        for (int i = 0; i < mr; i++) {                                                                     \
            acc[i][0] = NAME##_loadc(c + i * ldc);                                                         \
            acc[i][1] = NAME##_loadc(c + i * ldc + W);                                                     \
        }                                                                                                  \
        for (ptrdiff_t k = 0; k < kc; k++) {                                                               \
            const V b0 = NAME##_loadb(bp + k * 2 * W), b1 = NAME##_loadb(bp + k * 2 * W + W);              \
            const T *ak_ = a + k * ak;                                                                     \
            for (int i = 0; i < mr; i++) {                                                                 \
                const V av = NAME##_bcast(ak_[i * lda]);                                                   \
                acc[i][0] = NAME##_step(acc[i][0], av, b0, fused, counting, &n);                           \
                acc[i][1] = NAME##_step(acc[i][1], av, b1, fused, counting, &n);                           \
            }                                                                                              \
        }                                                                                                  \
        for (int i = 0; i < mr; i++) {                                                                     \
            NAME##_storec(c + i * ldc, acc[i][0]);                                                         \
            NAME##_storec(c + i * ldc + W, acc[i][1]);                                                     \
        }                                                                                                  \
        if (counting) *flushed += NAME##_counter_total(n);                                                 \
    }                                                                                                      \
                                                                                                           \
    /* The tile with its row count and variant as constants, so its loops unroll and the */               \
    /* accumulators live in registers. A variant a format lacks is never instantiated. */                  \
    TARGET static void NAME##_tile_any(int mr, int fused, int counting, T *c, ptrdiff_t ldc, const T *a,   \
                                       ptrdiff_t lda, ptrdiff_t ak, const P *bp, ptrdiff_t kc,             \
                                       ptrdiff_t *flushed) {                                               \
        if ((FUSES) && fused) {                                                                            \
            GEMM_TILE_SWITCH(NAME, 1, 0)                                                                   \
        } else if ((COUNTS) && counting) {                                                                 \
            GEMM_TILE_SWITCH(NAME, 0, 1)                                                                   \
        } else {                                                                                           \
            GEMM_TILE_SWITCH(NAME, 0, 0)                                                                   \
        }                                                                                                  \
    }                                                                                                      \
                                                                                                           \
    /* Column panels of NR, k-blocks of KC in order, row tiles of MR. A panel narrower than NR (the */    \
    /* last) runs on a copy of its c tile padded to NR columns and packed b padded with +0; only */       \
    /* its real columns are written back, so the padding never reaches c (and a·(+0) is ±0 or */          \
    /* NaN, never a flushed product). With flushed non-NULL (COUNTS only) the flushed products are */     \
    /* added to *flushed. */                                                                               \
    TARGET static void NAME##_accumulate(T *c, ptrdiff_t ldc, const T *a, ptrdiff_t lda, ptrdiff_t ak,     \
                                         const T *b, ptrdiff_t ldb, ptrdiff_t rows, ptrdiff_t cols,        \
                                         ptrdiff_t depth, int fused, ptrdiff_t *flushed) {                 \
        enum { NR = 2 * W };                                                                               \
        P bp[KC * NR] __attribute__((aligned(64)));                                                        \
        T edge[MR * NR] __attribute__((aligned(64)));                                                      \
        const int counting = flushed != NULL, tile_rows = counting ? MR_COUNTING : MR;                     \
        for (ptrdiff_t n0 = 0; n0 < cols; n0 += NR) {                                                      \
            const ptrdiff_t nr = cols - n0 < NR ? cols - n0 : NR;                                          \
            for (ptrdiff_t k0 = 0; k0 < depth; k0 += KC) {                                                 \
                const ptrdiff_t kc = depth - k0 < KC ? depth - k0 : KC;                                    \
                for (ptrdiff_t k = 0; k < kc; k++) {                                                       \
                    P *to = bp + k * NR;                                                                   \
                    NAME##_pack(to, b + (k0 + k) * ldb + n0, nr);                                          \
                    for (ptrdiff_t j = nr; j < NR; j++) to[j] = 0;                                         \
                }                                                                                          \
                const T *ablock = a + k0 * ak;                                                             \
                for (ptrdiff_t m0 = 0; m0 < rows; m0 += tile_rows) {                                       \
                    const int mr = (int)(rows - m0 < tile_rows ? rows - m0 : tile_rows);                   \
                    T *ct = c + m0 * ldc + n0;                                                             \
                    const T *at = ablock + m0 * lda;                                                       \
                    if (nr == NR) {                                                                        \
                        NAME##_tile_any(mr, fused, counting, ct, ldc, at, lda, ak, bp, kc, flushed);       \
                    } else {                                                                               \
                        for (int i = 0; i < mr; i++) {                                                     \
                            memcpy(edge + i * NR, ct + i * ldc, (size_t)nr * sizeof(T));                   \
                            for (ptrdiff_t j = nr; j < NR; j++) edge[i * NR + j] = 0;                      \
                        }                                                                                  \
                        NAME##_tile_any(mr, fused, counting, edge, NR, at, lda, ak, bp, kc, flushed);      \
                        for (int i = 0; i < mr; i++) memcpy(ct + i * ldc, edge + i * NR, (size_t)nr * sizeof(T)); \
                    }                                                                                      \
                }                                                                                          \
            }                                                                                              \
        }                                                                                                  \
    }

#define GEMM_TILE_SWITCH(NAME, FUSED, COUNTING)                                                            \
    switch (mr) {                                                                                          \
    case 6: NAME##_tile(6, FUSED, COUNTING, c, ldc, a, lda, ak, bp, kc, flushed); break;                   \
    case 5: NAME##_tile(5, FUSED, COUNTING, c, ldc, a, lda, ak, bp, kc, flushed); break;                   \
    case 4: NAME##_tile(4, FUSED, COUNTING, c, ldc, a, lda, ak, bp, kc, flushed); break;                   \
    case 3: NAME##_tile(3, FUSED, COUNTING, c, ldc, a, lda, ak, bp, kc, flushed); break;                   \
    case 2: NAME##_tile(2, FUSED, COUNTING, c, ldc, a, lda, ak, bp, kc, flushed); break;                   \
    default: NAME##_tile(1, FUSED, COUNTING, c, ldc, a, lda, ak, bp, kc, flushed); break;                  \
    }

// The variants that do not count: an empty counter the compiler drops.
#define NO_COUNTER(NAME)                                                                                   \
    typedef int NAME##_counter;                                                                            \
    static inline int NAME##_counter_zero(void) { return 0; }                                              \
    static inline ptrdiff_t NAME##_counter_total(int n) { return n; }

#define AVX512 __attribute__((target("avx512f")))
#define AVXFMA __attribute__((target("avx,fma")))
#define AVX __attribute__((target("avx")))
// The 16-bit formats' 256-bit tiles: F16C for binary16, AVX2's integer lanes for bfloat16. No
// FMA in the target, so the compiler cannot contract a product and a sum (the steps are unfused).
#define AVX2F16C __attribute__((target("avx,avx2,f16c")))

// ---------------------------------------------------------------------------------------------
// binary32 and binary64: the hooks are the plain vector operations; b is packed by copying.
#define NATIVE_VARIANT(NAME, TARGET, T, V, W, LOAD, STORE, SET1, MUL, ADD, FMADD)                          \
    TARGET static inline V NAME##_loadc(const T *p) { return LOAD(p); }                                    \
    TARGET static inline void NAME##_storec(T *p, V v) { STORE(p, v); }                                    \
    TARGET static inline void NAME##_pack(T *to, const T *row, ptrdiff_t n) { memcpy(to, row, (size_t)n * sizeof(T)); } \
    TARGET static inline V NAME##_loadb(const T *p) { return LOAD(p); }                                    \
    TARGET static inline V NAME##_bcast(T x) { return SET1(x); }                                           \
    NO_COUNTER(NAME)                                                                                       \
    TARGET static inline __attribute__((always_inline)) V NAME##_step(V acc, V av, V b, int fused, int counting, \
                                                                      NAME##_counter *n) {                 \
        (void)counting, (void)n;                                                                           \
        return fused ? FMADD(av, b, acc) : ADD(acc, MUL(av, b));                                           \
    }                                                                                                      \
    GEMM_DRIVER(NAME, TARGET, T, T, V, W, 1, 0)

// The plain-AVX variants are never called with fused = 1 (the dispatch below sends fused
// products there only with FMA hardware); this stands in for the fma they cannot name.
#define NO_FMA_PS(a, b, c) _mm256_add_ps(c, _mm256_mul_ps(a, b))
#define NO_FMA_PD(a, b, c) _mm256_add_pd(c, _mm256_mul_pd(a, b))

NATIVE_VARIANT(f32_512, AVX512, float, __m512, 16, _mm512_loadu_ps, _mm512_storeu_ps, _mm512_set1_ps, _mm512_mul_ps, _mm512_add_ps, _mm512_fmadd_ps)
NATIVE_VARIANT(f64_512, AVX512, double, __m512d, 8, _mm512_loadu_pd, _mm512_storeu_pd, _mm512_set1_pd, _mm512_mul_pd, _mm512_add_pd, _mm512_fmadd_pd)
NATIVE_VARIANT(f32_fma, AVXFMA, float, __m256, 8, _mm256_loadu_ps, _mm256_storeu_ps, _mm256_set1_ps, _mm256_mul_ps, _mm256_add_ps, _mm256_fmadd_ps)
NATIVE_VARIANT(f64_fma, AVXFMA, double, __m256d, 4, _mm256_loadu_pd, _mm256_storeu_pd, _mm256_set1_pd, _mm256_mul_pd, _mm256_add_pd, _mm256_fmadd_pd)
NATIVE_VARIANT(f32_avx, AVX, float, __m256, 8, _mm256_loadu_ps, _mm256_storeu_ps, _mm256_set1_ps, _mm256_mul_ps, _mm256_add_ps, NO_FMA_PS)
NATIVE_VARIANT(f64_avx, AVX, double, __m256d, 4, _mm256_loadu_pd, _mm256_storeu_pd, _mm256_set1_pd, _mm256_mul_pd, _mm256_add_pd, NO_FMA_PD)

// ---------------------------------------------------------------------------------------------
// The emulated 16-bit formats: values are computed in binary32 exactly as the emulation does
// (`Half`/`BFloat16`: the product a·b in binary32, rounded to the format; the sum acc + product
// in binary32, rounded to the format), with the accumulators held in binary32 lanes between
// steps (each holds a value of the format, so the round trip through c between k-blocks is
// exact). b is packed as binary32 once per panel, a converted per use. binary16 rounds on the
// F16C conversion (round to nearest even — immediate 0, not MXCSR's mode — subnormals, overflow
// to ∞); bfloat16 in integer lanes exactly as `bfloat16Bits(roundingFloat:)`, NaNs included
// (the 512-bit tile computes its NaN branch; the 256-bit one shows it is never taken). NaN
// payloads aside (the hardware conversions quiet signaling NaNs), the bits are the
// emulation's. Separate roundings only: there is no fused variant.
//
// LOADC/STOREC move W encodings of c to binary32 lanes and back, TO_F32 converts one encoding,
// ROUND rounds W binary32 lanes to the format (and back to binary32); COUNTS says whether
// COUNT(n, p) adds to counter n the lanes whose exact product p flushes (counter hooks defined
// before), else NO_COUNTER supplies an empty counter.
#define FORMAT16_VARIANT(NAME, TARGET, V, W, LOADC, STOREC, TO_F32, LOADPS, SET1, MUL, ADD, ROUND, COUNTS, COUNT) \
    TARGET static inline V NAME##_loadc(const uint16_t *p) { return LOADC(p); }                            \
    TARGET static inline void NAME##_storec(uint16_t *p, V v) { STOREC(p, v); }                            \
    TARGET static inline void NAME##_pack(float *to, const uint16_t *row, ptrdiff_t n) {                   \
        for (ptrdiff_t j = 0; j < n; j++) to[j] = TO_F32(row[j]);                                          \
    }                                                                                                      \
    TARGET static inline V NAME##_loadb(const float *p) { return LOADPS(p); }                              \
    TARGET static inline V NAME##_bcast(uint16_t x) { return SET1(TO_F32(x)); }                            \
    TARGET static inline __attribute__((always_inline)) V NAME##_step(V acc, V av, V b, int fused, int counting, \
                                                                      NAME##_counter *n) {                 \
        (void)fused;                                                                                       \
        const V p = MUL(av, b);                                                                            \
        if (counting) COUNT(n, p);                                                                         \
        return ROUND(ADD(acc, ROUND(p)));                                                                  \
    }                                                                                                      \
    GEMM_DRIVER(NAME, TARGET, uint16_t, float, V, W, 0, COUNTS)

#define NO_COUNT(n, p) ((void)(n), (void)(p))

// binary16: F16C's conversions. The scalar one serves both widths (AVX-512F implies F16C).
__attribute__((target("f16c"))) static inline float half_to_f32(uint16_t h) { return _cvtsh_ss(h); }

AVX512 static inline __m512 half_load16(const uint16_t *p) { return _mm512_cvtph_ps(_mm256_loadu_si256((const __m256i *)p)); }
AVX512 static inline void half_store16(uint16_t *p, __m512 v) { _mm256_storeu_si256((__m256i *)p, _mm512_cvtps_ph(v, 0)); }
AVX512 static inline __m512 half_round16(__m512 v) { return _mm512_cvtph_ps(_mm512_cvtps_ph(v, 0)); }

AVX2F16C static inline __m256 half_load8(const uint16_t *p) { return _mm256_cvtph_ps(_mm_loadu_si128((const __m128i *)p)); }
AVX2F16C static inline void half_store8(uint16_t *p, __m256 v) { _mm_storeu_si128((__m128i *)p, _mm256_cvtps_ph(v, 0)); }
AVX2F16C static inline __m256 half_round8(__m256 v) { return _mm256_cvtph_ps(_mm256_cvtps_ph(v, 0)); }

// bfloat16: the top half of a binary32, so widening is a shift and narrowing drops the low half
// (zero in an accumulator).
static inline float bf16_to_f32(uint16_t b) {
    const uint32_t x = (uint32_t)b << 16;
    float f;
    memcpy(&f, &x, sizeof f);
    return f;
}

AVX512 static inline __m512 bf16_load16(const uint16_t *p) {
    return _mm512_castsi512_ps(_mm512_slli_epi32(_mm512_cvtepu16_epi32(_mm256_loadu_si256((const __m256i *)p)), 16));
}
AVX512 static inline void bf16_store16(uint16_t *p, __m512 v) {
    _mm256_storeu_si256((__m256i *)p, _mm512_cvtepi32_epi16(_mm512_srli_epi32(_mm512_castps_si512(v), 16)));
}
// bfloat16Bits(roundingFloat:) in sixteen lanes: add 0x7FFF plus the kept lsb and clear the low
// half (subnormals and overflow to ∞ come out of the carry); a NaN keeps its top half, with the
// quiet bit set when its kept payload would be zero.
AVX512 static inline __m512 bf16_round16(__m512 v) {
    const __m512i x = _mm512_castps_si512(v), high = _mm512_set1_epi32((int)0xFFFF0000u);
    const __m512i lsb = _mm512_and_si512(_mm512_srli_epi32(x, 16), _mm512_set1_epi32(1));
    const __m512i rounded = _mm512_and_si512(_mm512_add_epi32(_mm512_add_epi32(x, _mm512_set1_epi32(0x7FFF)), lsb), high);
    __m512i top = _mm512_and_si512(x, high);
    const __mmask16 noPayload = _mm512_testn_epi32_mask(x, _mm512_set1_epi32(0x007F0000));
    top = _mm512_mask_or_epi32(top, noPayload, top, _mm512_set1_epi32(0x00400000));
    const __mmask16 nan = _mm512_cmp_ps_mask(v, v, _CMP_UNORD_Q);
    return _mm512_castsi512_ps(_mm512_mask_mov_epi32(rounded, nan, top));
}

AVX2F16C static inline __m256 bf16_load8(const uint16_t *p) {
    return _mm256_castsi256_ps(_mm256_slli_epi32(_mm256_cvtepu16_epi32(_mm_loadu_si128((const __m128i *)p)), 16));
}
AVX2F16C static inline void bf16_store8(uint16_t *p, __m256 v) {
    // The high halves fit 16 bits, so the saturating pack keeps them; packus interleaves 128-bit
    // lanes, so pack the two halves of the register against each other.
    const __m256i x = _mm256_srli_epi32(_mm256_castps_si256(v), 16);
    _mm_storeu_si128((__m128i *)p, _mm_packus_epi32(_mm256_castsi256_si128(x), _mm256_extracti128_si256(x, 1)));
}
// The same rounding in eight lanes, without bfloat16Bits' NaN branch, which no value a tile
// rounds can take: every value rounded here is the result of a binary32 multiply or add whose
// operands all have a zero low half (encodings of bfloat16 widened, or earlier results of this
// rounding). x86 returns a NaN operand quieted (bit 22 set) or the default NaN 0xFFC00000, so
// every NaN rounded here is quiet with a zero low half: adding at most 0x8000 cannot carry out
// of the low half, and clearing it returns the NaN unchanged — what bfloat16Bits returns (its
// top half, payload nonzero since the quiet bit is in it). GemmKernelTests feeds signaling NaNs
// and all-ones payloads. 5 integer operations per rounding instead of 12: bfloat16's steps were
// 1.6× slower than binary16's with the branch computed in every lane.
AVX2F16C static inline __m256 bf16_round8(__m256 v) {
    const __m256i x = _mm256_castps_si256(v);
    const __m256i lsb = _mm256_and_si256(_mm256_srli_epi32(x, 16), _mm256_set1_epi32(1));
    const __m256i rounded = _mm256_add_epi32(_mm256_add_epi32(x, _mm256_set1_epi32(0x7FFF)), lsb);
    return _mm256_castsi256_ps(_mm256_and_si256(rounded, _mm256_set1_epi32((int)0xFFFF0000u)));
}

// Flushed binary16 products, counted in the tile where the product is formed anyway (the range
// event "flushed", else a second pass over every product: FlushCounting). A product p = a·b of
// two binary16 values is exact in binary32 (11 + 11 significant bits, no binary32 underflow:
// |p| ≥ 2⁻⁴⁸). With a and b nonzero and finite it rounds to ±0 in binary16 exactly when
// 0 < |p| ≤ 2⁻²⁵: 2⁻²⁵ is half the least subnormal 2⁻²⁴, a tie between 0 and 2⁻²⁴ (odd),
// which goes to the even 0; anything larger goes up to 2⁻²⁴. A zero factor gives p = ±0, and
// ∞ or NaN factors give ∞ or NaN, so the test reads p alone — and the +0 padding of the last
// panel is never counted. In integer lanes: |p|'s encoding lies in [1, 0x33000000]; adding
// 0x7FFFFFFF − 0x33000000 puts that range, and only it, above 0x4CFFFFFF (signed: larger
// magnitudes wrap negative). Each lane counts at most 2·MR·KC per tile: no overflow.
typedef __m256i f16_256_counter;
AVX2F16C static inline __m256i f16_256_counter_zero(void) { return _mm256_setzero_si256(); }
AVX2F16C static inline ptrdiff_t f16_256_counter_total(__m256i n) {
    __m128i s = _mm_add_epi32(_mm256_castsi256_si128(n), _mm256_extracti128_si256(n, 1));
    s = _mm_add_epi32(s, _mm_shuffle_epi32(s, 0x4E));
    s = _mm_add_epi32(s, _mm_shuffle_epi32(s, 0xB1));
    return _mm_cvtsi128_si32(s);
}
AVX2F16C static inline void half_count_flushes8(__m256i *n, __m256 p) {
    const __m256i magnitude = _mm256_and_si256(_mm256_castps_si256(p), _mm256_set1_epi32(0x7FFFFFFF));
    const __m256i shifted = _mm256_add_epi32(magnitude, _mm256_set1_epi32(0x7FFFFFFF - 0x33000000));
    *n = _mm256_sub_epi32(*n, _mm256_cmpgt_epi32(shifted, _mm256_set1_epi32(0x7FFFFFFF - 0x33000000)));  // −(−1) per lane
}

// The 512-bit tiles do not count (not testable on the machines this was written on): the
// counting entry point reports "not handled" there and FlushCounting counts.
NO_COUNTER(f16_512)
NO_COUNTER(bf16_512)
NO_COUNTER(bf16_256)
FORMAT16_VARIANT(f16_512, AVX512, __m512, 16, half_load16, half_store16, half_to_f32, _mm512_loadu_ps, _mm512_set1_ps, _mm512_mul_ps, _mm512_add_ps, half_round16, 0, NO_COUNT)
FORMAT16_VARIANT(bf16_512, AVX512, __m512, 16, bf16_load16, bf16_store16, bf16_to_f32, _mm512_loadu_ps, _mm512_set1_ps, _mm512_mul_ps, _mm512_add_ps, bf16_round16, 0, NO_COUNT)
FORMAT16_VARIANT(f16_256, AVX2F16C, __m256, 8, half_load8, half_store8, half_to_f32, _mm256_loadu_ps, _mm256_set1_ps, _mm256_mul_ps, _mm256_add_ps, half_round8, 1, half_count_flushes8)
FORMAT16_VARIANT(bf16_256, AVX2F16C, __m256, 8, bf16_load8, bf16_store8, bf16_to_f32, _mm256_loadu_ps, _mm256_set1_ps, _mm256_mul_ps, _mm256_add_ps, bf16_round8, 0, NO_COUNT)

// ---------------------------------------------------------------------------------------------
// The entry points: each format's variant for this machine, or NULL ("not handled": the caller
// runs its portable loops). A fused product needs FMA hardware; the 16-bit formats have none;
// only binary16's 256-bit tile counts flushed products.
#define NATIVE_CHOICE(F, fused, counting)                                                                  \
    ((counting) ? NULL : level == 3 ? F##_512_accumulate : level == 2 ? F##_fma_accumulate                 \
     : level == 1 && !(fused) ? F##_avx_accumulate : NULL)
#define FORMAT16_CHOICE(F, fused, counting)                                                                \
    ((fused) ? NULL : bits16 == 512 ? ((counting) ? NULL : F##_512_accumulate)                             \
     : bits16 == 256 ? ((counting) && !F##_256_counts ? NULL : F##_256_accumulate) : NULL)
enum { f16_256_counts = 1, bf16_256_counts = 0 };

// Shapes with nothing to compute are "handled" whenever a variant would be (and count 0).
#define GEMM_RUN(T, CHOICE, F, flushed)                                                                    \
    detect();                                                                                              \
    __typeof__(F##_512_accumulate) *const run = CHOICE(F, fused, (flushed) != NULL);                        \
    if (!run) return 0;                                                                                    \
    if (rows > 0 && cols > 0 && depth > 0) run(c, ldc, a, lda, ak, b, ldb, rows, cols, depth, fused, flushed); \
    return 1;

#define GEMM_ENTRY(FN, T, CHOICE, F)                                                                       \
    int FN(T *c, ptrdiff_t ldc, const T *a, ptrdiff_t lda, ptrdiff_t ak, const T *b, ptrdiff_t ldb,       \
           ptrdiff_t rows, ptrdiff_t cols, ptrdiff_t depth, int fused) {                                   \
        GEMM_RUN(T, CHOICE, F, (ptrdiff_t *)NULL)                                                          \
    }

GEMM_ENTRY(bp_float_matrix_accumulate, float, NATIVE_CHOICE, f32)
GEMM_ENTRY(bp_double_matrix_accumulate, double, NATIVE_CHOICE, f64)
GEMM_ENTRY(bp_half_matrix_accumulate, uint16_t, FORMAT16_CHOICE, f16)
GEMM_ENTRY(bp_bfloat16_matrix_accumulate, uint16_t, FORMAT16_CHOICE, bf16)

int bp_half_matrix_accumulate_counting_flushes(uint16_t *c, ptrdiff_t ldc, const uint16_t *a, ptrdiff_t lda, ptrdiff_t ak,
                                               const uint16_t *b, ptrdiff_t ldb, ptrdiff_t rows, ptrdiff_t cols,
                                               ptrdiff_t depth, ptrdiff_t *flushed) {
    const int fused = 0;
    GEMM_RUN(uint16_t, FORMAT16_CHOICE, f16, flushed)
}

#else

int bp_gemm_simd_level(void) { return 0; }
int bp_gemm16_vector_bits(void) { return 0; }
int bp_float_matrix_accumulate(float *c, ptrdiff_t ldc, const float *a, ptrdiff_t lda, ptrdiff_t ak,
                               const float *b, ptrdiff_t ldb, ptrdiff_t rows, ptrdiff_t cols, ptrdiff_t depth, int fused) { return 0; }
int bp_double_matrix_accumulate(double *c, ptrdiff_t ldc, const double *a, ptrdiff_t lda, ptrdiff_t ak,
                                const double *b, ptrdiff_t ldb, ptrdiff_t rows, ptrdiff_t cols, ptrdiff_t depth, int fused) { return 0; }
int bp_half_matrix_accumulate(uint16_t *c, ptrdiff_t ldc, const uint16_t *a, ptrdiff_t lda, ptrdiff_t ak,
                              const uint16_t *b, ptrdiff_t ldb, ptrdiff_t rows, ptrdiff_t cols, ptrdiff_t depth, int fused) { return 0; }
int bp_bfloat16_matrix_accumulate(uint16_t *c, ptrdiff_t ldc, const uint16_t *a, ptrdiff_t lda, ptrdiff_t ak,
                                  const uint16_t *b, ptrdiff_t ldb, ptrdiff_t rows, ptrdiff_t cols, ptrdiff_t depth, int fused) { return 0; }
int bp_half_matrix_accumulate_counting_flushes(uint16_t *c, ptrdiff_t ldc, const uint16_t *a, ptrdiff_t lda, ptrdiff_t ak,
                                               const uint16_t *b, ptrdiff_t ldb, ptrdiff_t rows, ptrdiff_t cols,
                                               ptrdiff_t depth, ptrdiff_t *flushed) { return 0; }

#endif
