#include "native_kernels.h"
#include "cpu_features.h"

#if defined(__x86_64__) && (defined(__clang__) || defined(__GNUC__))
#include <immintrin.h>

#define BP_F16C __attribute__((target("avx,f16c")))
// vcvtps2ph immediate: round to nearest even, ignoring MXCSR's rounding mode.
#define BP_RNE 0

// The CPU's features (cpu_features.h). "avx" is reported only when the OS saves the YMM state
// (XGETBV), which both the AVX and the F16C kernels need.
int bp_half_kernels_available(void) { return bp_cpu_has(BP_CPU_AVX | BP_CPU_F16C); }

BP_F16C static inline float h2f(uint16_t h) { return _cvtsh_ss(h); }
BP_F16C static inline uint16_t f2h(float f) { return (uint16_t)_cvtss_sh(f, BP_RNE); }

/// Eight binary16 values at stride s, as a vector of their encodings.
BP_F16C static inline __m128i load8(const uint16_t *p, ptrdiff_t s) {
    if (s == 1) return _mm_loadu_si128((const __m128i *)p);
    return _mm_setr_epi16((short)p[0], (short)p[s], (short)p[2 * s], (short)p[3 * s],
                          (short)p[4 * s], (short)p[5 * s], (short)p[6 * s], (short)p[7 * s]);
}

/// Eight floats rounded to binary16 and back: one rounding, exactly as the emulation.
BP_F16C static inline __m256 round8(__m256 v) { return _mm256_cvtph_ps(_mm256_cvtps_ph(v, BP_RNE)); }

BP_F16C static void axpy(uint16_t *r, ptrdiff_t rs, uint16_t a, const uint16_t *x, ptrdiff_t xs, ptrdiff_t n) {
    const float af = h2f(a);
    const __m256 av = _mm256_set1_ps(af);
    ptrdiff_t k = 0;
    if (rs == 1) {
        for (; k + 8 <= n; k += 8) {
            __m256 p = round8(_mm256_mul_ps(av, _mm256_cvtph_ps(load8(x + k * xs, xs))));
            __m256 s = _mm256_add_ps(_mm256_cvtph_ps(_mm_loadu_si128((const __m128i *)(r + k))), p);
            _mm_storeu_si128((__m128i *)(r + k), _mm256_cvtps_ph(s, BP_RNE));
        }
    }
    for (; k < n; k++) {
        float p = h2f(f2h(af * h2f(x[k * xs])));
        r[k * rs] = f2h(h2f(r[k * rs]) + p);
    }
}

BP_F16C static void dot(uint16_t *r, const uint16_t *a, ptrdiff_t as, const uint16_t *b, ptrdiff_t bs, ptrdiff_t n) {
    // Nothing to add: leave *r untouched (a round trip through float would quiet a signaling NaN).
    if (n <= 0) return;
    float acc = h2f(*r);
    float p[8];
    ptrdiff_t k = 0;
    // Products eight at a time (independent), then the sequential sum, rounded at every step.
    for (; k + 8 <= n; k += 8) {
        _mm256_storeu_ps(p, round8(_mm256_mul_ps(_mm256_cvtph_ps(load8(a + k * as, as)), _mm256_cvtph_ps(load8(b + k * bs, bs)))));
        for (int j = 0; j < 8; j++) acc = h2f(f2h(acc + p[j]));
    }
    for (; k < n; k++) {
        float q = h2f(f2h(h2f(a[k * as]) * h2f(b[k * bs])));
        acc = h2f(f2h(acc + q));
    }
    *r = f2h(acc);
}

/// Lanes whose encoding is finite and nonzero: exponent field not all ones, magnitude ≠ 0.
BP_F16C static inline __m128i finiteNonzero(__m128i h) {
    const __m128i zero = _mm_setzero_si128();
    __m128i magnitude = _mm_and_si128(h, _mm_set1_epi16(0x7FFF));
    __m128i isZero = _mm_cmpeq_epi16(magnitude, zero);
    __m128i isSpecial = _mm_cmpeq_epi16(_mm_and_si128(h, _mm_set1_epi16(0x7C00)), _mm_set1_epi16(0x7C00));
    return _mm_andnot_si128(_mm_or_si128(isZero, isSpecial), _mm_set1_epi16(-1));
}

BP_F16C static inline ptrdiff_t countLanes(__m128i mask) {
    return __builtin_popcount((unsigned)_mm_movemask_epi8(mask)) / 2;
}

BP_F16C static inline int scalarFiniteNonzero(uint16_t h) { return (h & 0x7FFF) != 0 && (h & 0x7C00) != 0x7C00; }

BP_F16C static ptrdiff_t flushedProducts(uint16_t a, const uint16_t *x, ptrdiff_t xs, ptrdiff_t n) {
    if (!scalarFiniteNonzero(a)) return 0;
    const __m256 av = _mm256_set1_ps(h2f(a));
    const __m128i magnitudeMask = _mm_set1_epi16(0x7FFF), zero = _mm_setzero_si128();
    ptrdiff_t count = 0, k = 0;
    for (; k + 8 <= n; k += 8) {
        __m128i xv = load8(x + k * xs, xs);
        __m128i p = _mm256_cvtps_ph(_mm256_mul_ps(av, _mm256_cvtph_ps(xv)), BP_RNE);
        __m128i flushed = _mm_cmpeq_epi16(_mm_and_si128(p, magnitudeMask), zero);
        count += countLanes(_mm_and_si128(flushed, finiteNonzero(xv)));
    }
    const float af = h2f(a);
    for (; k < n; k++) {
        uint16_t v = x[k * xs];
        count += ((f2h(af * h2f(v)) & 0x7FFF) == 0 && scalarFiniteNonzero(v)) ? 1 : 0;
    }
    return count;
}

BP_F16C static ptrdiff_t flushedPairs(const uint16_t *u, ptrdiff_t us, const uint16_t *v, ptrdiff_t vs, ptrdiff_t n) {
    const __m128i magnitudeMask = _mm_set1_epi16(0x7FFF), zero = _mm_setzero_si128();
    ptrdiff_t count = 0, k = 0;
    for (; k + 8 <= n; k += 8) {
        __m128i uv = load8(u + k * us, us), vv = load8(v + k * vs, vs);
        __m128i p = _mm256_cvtps_ph(_mm256_mul_ps(_mm256_cvtph_ps(uv), _mm256_cvtph_ps(vv)), BP_RNE);
        __m128i flushed = _mm_cmpeq_epi16(_mm_and_si128(p, magnitudeMask), zero);
        count += countLanes(_mm_and_si128(flushed, _mm_and_si128(finiteNonzero(uv), finiteNonzero(vv))));
    }
    for (; k < n; k++) {
        uint16_t x = u[k * us], y = v[k * vs];
        count += ((f2h(h2f(x) * h2f(y)) & 0x7FFF) == 0 && scalarFiniteNonzero(x) && scalarFiniteNonzero(y)) ? 1 : 0;
    }
    return count;
}

int bp_half_axpy(uint16_t *r, ptrdiff_t rs, uint16_t a, const uint16_t *x, ptrdiff_t xs, ptrdiff_t n) {
    if (!bp_half_kernels_available()) return 0;
    axpy(r, rs, a, x, xs, n);
    return 1;
}

int bp_half_dot(uint16_t *r, const uint16_t *a, ptrdiff_t as, const uint16_t *b, ptrdiff_t bs, ptrdiff_t n) {
    if (!bp_half_kernels_available()) return 0;
    dot(r, a, as, b, bs, n);
    return 1;
}

ptrdiff_t bp_half_flushed_products(uint16_t a, const uint16_t *x, ptrdiff_t xs, ptrdiff_t n) {
    return bp_half_kernels_available() ? flushedProducts(a, x, xs, n) : -1;
}

ptrdiff_t bp_half_flushed_pairs(const uint16_t *u, ptrdiff_t us, const uint16_t *v, ptrdiff_t vs, ptrdiff_t n) {
    return bp_half_kernels_available() ? flushedPairs(u, us, v, vs, n) : -1;
}

static int avx_available(void) { return bp_cpu_has(BP_CPU_AVX); }

// Eight (four) lanes at a time; each lane is r + a·x with two roundings, exactly the scalar
// `r[k] + a * x[k]`: the intrinsics name a separate multiply and add, and these functions'
// target has no FMA to contract the scalar tail into (the volatile makes sure anyway).
__attribute__((target("avx"))) static void float_axpy(float *r, float a, const float *x, ptrdiff_t n) {
    const __m256 av = _mm256_set1_ps(a);
    ptrdiff_t k = 0;
    for (; k + 16 <= n; k += 16) {
        __m256 p0 = _mm256_mul_ps(av, _mm256_loadu_ps(x + k)), p1 = _mm256_mul_ps(av, _mm256_loadu_ps(x + k + 8));
        _mm256_storeu_ps(r + k, _mm256_add_ps(_mm256_loadu_ps(r + k), p0));
        _mm256_storeu_ps(r + k + 8, _mm256_add_ps(_mm256_loadu_ps(r + k + 8), p1));
    }
    for (; k + 8 <= n; k += 8) _mm256_storeu_ps(r + k, _mm256_add_ps(_mm256_loadu_ps(r + k), _mm256_mul_ps(av, _mm256_loadu_ps(x + k))));
    for (; k < n; k++) {
        volatile float p = a * x[k];  // no contraction into an FMA
        r[k] = r[k] + p;
    }
}

__attribute__((target("avx"))) static void double_axpy(double *r, double a, const double *x, ptrdiff_t n) {
    const __m256d av = _mm256_set1_pd(a);
    ptrdiff_t k = 0;
    for (; k + 8 <= n; k += 8) {
        __m256d p0 = _mm256_mul_pd(av, _mm256_loadu_pd(x + k)), p1 = _mm256_mul_pd(av, _mm256_loadu_pd(x + k + 4));
        _mm256_storeu_pd(r + k, _mm256_add_pd(_mm256_loadu_pd(r + k), p0));
        _mm256_storeu_pd(r + k + 4, _mm256_add_pd(_mm256_loadu_pd(r + k + 4), p1));
    }
    for (; k + 4 <= n; k += 4) _mm256_storeu_pd(r + k, _mm256_add_pd(_mm256_loadu_pd(r + k), _mm256_mul_pd(av, _mm256_loadu_pd(x + k))));
    for (; k < n; k++) {
        volatile double p = a * x[k];
        r[k] = r[k] + p;
    }
}

int bp_float_axpy(float *r, float a, const float *x, ptrdiff_t n) {
    if (!avx_available()) return 0;
    float_axpy(r, a, x, n);
    return 1;
}

int bp_double_axpy(double *r, double a, const double *x, ptrdiff_t n) {
    if (!avx_available()) return 0;
    double_axpy(r, a, x, n);
    return 1;
}

#else

int bp_float_axpy(float *r, float a, const float *x, ptrdiff_t n) { return 0; }
int bp_double_axpy(double *r, double a, const double *x, ptrdiff_t n) { return 0; }
int bp_half_kernels_available(void) { return 0; }
int bp_half_axpy(uint16_t *r, ptrdiff_t rs, uint16_t a, const uint16_t *x, ptrdiff_t xs, ptrdiff_t n) { return 0; }
int bp_half_dot(uint16_t *r, const uint16_t *a, ptrdiff_t as, const uint16_t *b, ptrdiff_t bs, ptrdiff_t n) { return 0; }
ptrdiff_t bp_half_flushed_products(uint16_t a, const uint16_t *x, ptrdiff_t xs, ptrdiff_t n) { return -1; }
ptrdiff_t bp_half_flushed_pairs(const uint16_t *u, ptrdiff_t us, const uint16_t *v, ptrdiff_t vs, ptrdiff_t n) { return -1; }

#endif
