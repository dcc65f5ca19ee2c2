// Double-double balls (see ball_kernels.h for the contract).
//
// Notation: u = 2⁻⁵³, η = 2⁻¹⁰⁷⁴ (the smallest subnormal). TwoSum(a, b) = (s, e) with
// s = RN(a + b) and s + e = a + b exactly (Knuth; any finite a, b without overflow).
// TwoProduct(a, b) = (p, e) with p = RN(a·b), e = fma(a, b, −p) and p + e = a·b exactly unless
// the product is within 2⁵³ of the underflow threshold, where e may be off by η/2: such
// products add a slack of 2⁻¹⁰⁷⁰ to the radius.
#include "ball_kernels.h"
#include "cpu_features.h"
#include <math.h>

#pragma STDC FP_CONTRACT OFF
#if defined(__clang__)
#pragma clang fp contract(off)
#endif

/// A value at least the exact sum that x approximates, when x was computed from exact
/// nonnegative terms by at most 32 round-to-nearest operations: RN(RN(x·(1 + 2⁻⁴⁶)) + 2⁻¹⁰⁷⁰).
/// Those operations err by at most a factor (1 + u)³² ≤ 1 + 33u relatively, plus 32·η/2 = 2⁻¹⁰⁷⁰
/// absolutely (terms that underflowed). For normal x, RN(x·(1 + 2⁻⁴⁶)) ≥ x·(1 + 127u) covers
/// both (x·94u ≥ 2⁻¹⁰⁶⁹); for subnormal x the added 2⁻¹⁰⁷⁰ = 16η covers the absolute part and
/// is added exactly.
static inline __attribute__((always_inline)) double up(double x) { return x * (1.0 + 0x1p-46) + 0x1p-1070; }

static inline __attribute__((always_inline)) void two_sum(double a, double b, double *s, double *e) {
    double x = a + b;
    double bv = x - a;
    double av = x - bv;
    *s = x;
    *e = (a - av) + (b - bv);
}

static const bp_ball unknown = {NAN, NAN, INFINITY};

static inline __attribute__((always_inline)) int finite3(double a, double b, double c) {
    return (fabs(a) <= 0x1.fffffffffffffp1023) & (fabs(b) <= 0x1.fffffffffffffp1023) & (fabs(c) <= 0x1.fffffffffffffp1023);
}

/// Whether a nonzero product p of nonzero factors is small enough for its fma error term to be
/// inexact (or p itself to have underflowed).
static inline __attribute__((always_inline)) int tiny_product(double x, double y, double p) {
    return (x != 0) & (y != 0) & (fabs(p) < 0x1p-900);
}

/// (h, l, r) ← (h, l, r) + a·x: the body shared by every product kernel. With a = ah + al + α,
/// x = xh + xl + ξ (|α| ≤ a.rad, |ξ| ≤ x.rad), a·x = ah·xh + ah·xl + al·xh + al·xl + ah·ξ +
/// α·x + al·ξ. The first three products are split exactly (TwoProduct) and summed with the
/// accumulator by TwoSums into nh + nl; the exact total is nh + nl + (every TwoSum's error
/// e1…e4, the TwoProducts' low parts d, f that were not summed) + ρ + the radius terms, each of
/// which the radius takes: |al·xl| ≤ |al|·|xl|, |ah·ξ| ≤ |ah|·x.rad, |α·x| ≤ a.rad·|x|,
/// |al·ξ| ≤ |al|·x.rad.
#define BALL_ACCUMULATE(NAME, DROP)                                                             \
    static inline __attribute__((always_inline)) void NAME(double *h, double *l, double *r,       \
                                                           const bp_ball *a, const bp_ball *x) { \
        const double ah = a->hi, al = a->lo, xh = x->hi, xl = x->lo;                            \
        const double p = ah * xh, e = fma(ah, xh, -p);                                          \
        const double q = ah * xl, d = fma(ah, xl, -q);                                          \
        const double g = al * xh, f = fma(al, xh, -g);                                          \
        double s, t, c1, e1, c2, e2, c3, e3, c4, e4, nh, nl;                                    \
        two_sum(*h, p, &s, &t);                                                                 \
        two_sum(e, q, &c1, &e1);                                                                \
        two_sum(c1, g, &c2, &e2);                                                               \
        two_sum(*l, c2, &c3, &e3);                                                              \
        two_sum(t, c3, &c4, &e4);                                                               \
        two_sum(s, c4, &nh, &nl);                                                               \
        const int spread = x->rad != 0 || a->rad != 0 || (al != 0 && xl != 0);                 \
        const int slack = tiny_product(ah, xh, p) || tiny_product(ah, xl, q) || tiny_product(al, xh, g); \
        double disc = ((fabs(d) + fabs(f)) + (fabs(e1) + fabs(e2))) + (fabs(e3) + fabs(e4));     \
        if (DROP) disc = 0;                                                                     \
        /* Branch-free (the row kernels vectorise). A term that adds nothing to the radius —     \
           nothing discarded, no operand radius, so extra = 0 exactly — leaves it unchanged:      \
           exact results stay points, and exact terms (zeros) do not enlarge an enclosure. */   \
        const double ax = fabs(xh) + fabs(xl) + x->rad;                                         \
        const double extra = (fabs(ah) * x->rad + fabs(al) * (fabs(xl) + x->rad)) + a->rad * ax; \
        const double grown = up(((*r + extra) + disc) + (slack ? 0x1p-1070 : 0.0));             \
        *r = (spread | slack | (disc != 0)) ? grown : *r;                                       \
        *h = nh;                                                                                \
        *l = nl;                                                                                \
    }

BALL_ACCUMULATE(accumulate_fma, 0)

/// accumulate_fma for a multiplier that is a one-double point (a.lo = 0, a.rad = 0: a weight, a
/// format's value), with the terms that are then zero left out: the same bits. (The terms left
/// out add +0 to nonnegative sums, or a signed zero to c1, which is never −0: e is +0 whenever
/// it is 0, and +0 + q is then +0 or q.)
static inline __attribute__((always_inline)) void accumulate_point(double *h, double *l, double *r, double ah, const bp_ball *x) {
    const double xh = x->hi, xl = x->lo;
    const double p = ah * xh, e = fma(ah, xh, -p);
    const double q = ah * xl, d = fma(ah, xl, -q);
    double s, t, c1, e1, c3, e3, c4, e4, nh, nl;
    two_sum(*h, p, &s, &t);
    two_sum(e, q, &c1, &e1);
    two_sum(*l, c1, &c3, &e3);
    two_sum(t, c3, &c4, &e4);
    two_sum(s, c4, &nh, &nl);
    const int spread = x->rad != 0;
    const int slack = tiny_product(ah, xh, p) || tiny_product(ah, xl, q);
    const double disc = (fabs(d) + fabs(e1)) + (fabs(e3) + fabs(e4));
    const double extra = fabs(ah) * x->rad;
    const double grown = up(((*r + extra) + disc) + (slack ? 0x1p-1070 : 0.0));
    *r = (spread | slack | (disc != 0)) ? grown : *r;
    *h = nh;
    *l = nl;
}
// The same with the discarded parts dropped: a deliberately unsound enclosure, for the test
// that shows the soundness checks catch one.
BALL_ACCUMULATE(accumulate_dropping_discards, 1)

/// *out ← {h, l, r}, or the unknown ball when any is not finite (an overflow, or a NaN or
/// infinity met on the way: every operation propagates them into h or r). Branch-free.
static inline __attribute__((always_inline)) void settle(bp_ball *out, double h, double l, double r) {
    const int ok = finite3(h, l, r);
    out->hi = ok ? h : NAN;
    out->lo = ok ? l : NAN;
    out->rad = ok ? r : INFINITY;
}

static inline __attribute__((always_inline)) int is_unknown(const bp_ball *a) { return !finite3(a->hi, a->lo, a->rad); }

void bp_ball_mul_acc(bp_ball *r, const bp_ball *a, const bp_ball *b) {
    if (is_unknown(r) || is_unknown(a) || is_unknown(b)) { *r = unknown; return; }
    double h = r->hi, l = r->lo, rad = r->rad;
    accumulate_fma(&h, &l, &rad, a, b);
    settle(r, h, l, rad);
}

void bp_ball_mul_acc_unsound_for_testing(bp_ball *r, const bp_ball *a, const bp_ball *b) {
    if (is_unknown(r) || is_unknown(a) || is_unknown(b)) { *r = unknown; return; }
    double h = r->hi, l = r->lo, rad = r->rad;
    accumulate_dropping_discards(&h, &l, &rad, a, b);
    settle(r, h, l, rad);
}

void bp_ball_mul(bp_ball *r, const bp_ball *a, const bp_ball *b) {
    bp_ball z = {0.0, 0.0, 0.0};
    bp_ball_mul_acc(&z, a, b);
    *r = z;
}

/// (h, l) ← the double-double (ah + al) + (bh + bl), normalised; returns a bound on the part of
/// the exact sum it leaves out (|e1| + |e2|: the remainders of the two TwoSums it does not keep),
/// 0 when the sum is exact.
static inline __attribute__((always_inline)) double dd_add(double ah, double al, double bh, double bl, double *h, double *l) {
    double s, t, c1, e1, c2, e2;
    two_sum(ah, bh, &s, &t);
    two_sum(al, bl, &c1, &e1);
    two_sum(t, c1, &c2, &e2);
    two_sum(s, c2, h, l);
    return fabs(e1) + fabs(e2);
}

void bp_ball_add(bp_ball *r, const bp_ball *a, const bp_ball *b) {
    if (is_unknown(a) || is_unknown(b)) { *r = unknown; return; }
    double nh, nl;
    const double disc = dd_add(a->hi, a->lo, b->hi, b->lo, &nh, &nl);
    double rad = 0;
    if (a->rad != 0 || b->rad != 0 || disc != 0) rad = up((a->rad + b->rad) + disc);
    settle(r, nh, nl, rad);
}

// The row kernels, compiled three times: for AVX-512 and for AVX with FMA (the same loops,
// vectorised 8 and 4 wide), and portably (fma from libm, which is correctly rounded): the same
// bits everywhere, since every operation is an IEEE operation on binary64.
#define BALL_ROWS(SUFFIX, ATTR)                                                                 \
    ATTR static void axpy_##SUFFIX(bp_ball *r, ptrdiff_t rs, const bp_ball *a, const bp_ball *x,\
                                   ptrdiff_t xs, ptrdiff_t n) {                                 \
        /* No test of the operands: a NaN or infinity in any of them reaches h or rad. */      \
        const bp_ball av = *a;                                                                  \
        if (av.lo == 0 && av.rad == 0 && rs == 1 && xs == 1) {                                  \
            const double ah = av.hi;                                                            \
            _Pragma("clang loop vectorize(enable)")                                             \
            for (ptrdiff_t k = 0; k < n; k++) {                                                 \
                double h = r[k].hi, l = r[k].lo, rad = r[k].rad;                                \
                accumulate_point(&h, &l, &rad, ah, x + k);                                      \
                settle(r + k, h, l, rad);                                                       \
            }                                                                                   \
            return;                                                                             \
        }                                                                                       \
        if (rs == 1 && xs == 1) {                                                               \
            _Pragma("clang loop vectorize(enable)")                                             \
            for (ptrdiff_t k = 0; k < n; k++) {                                                 \
                double h = r[k].hi, l = r[k].lo, rad = r[k].rad;                                \
                accumulate_fma(&h, &l, &rad, &av, x + k);                                       \
                settle(r + k, h, l, rad);                                                       \
            }                                                                                   \
            return;                                                                             \
        }                                                                                       \
        for (ptrdiff_t k = 0; k < n; k++) {                                                     \
            bp_ball *rk = r + k * rs;                                                           \
            double h = rk->hi, l = rk->lo, rad = rk->rad;                                       \
            accumulate_fma(&h, &l, &rad, &av, x + k * xs);                                      \
            settle(rk, h, l, rad);                                                              \
        }                                                                                       \
    }                                                                                           \
    ATTR static void dot_##SUFFIX(bp_ball *r, const bp_ball *a, ptrdiff_t as, const bp_ball *b, \
                                  ptrdiff_t bs, ptrdiff_t n) {                                  \
        if (is_unknown(r)) return;                                                              \
        double h = r->hi, l = r->lo, rad = r->rad;                                              \
        for (ptrdiff_t k = 0; k < n; k++) {                                                     \
            const bp_ball *ak = a + k * as, *bk = b + k * bs;                                   \
            if (is_unknown(ak) || is_unknown(bk)) { *r = unknown; return; }                     \
            accumulate_fma(&h, &l, &rad, ak, bk);                                               \
        }                                                                                       \
        settle(r, h, l, rad);                                                                   \
    }

BALL_ROWS(portable, )

#if defined(__x86_64__) && (defined(__clang__) || defined(__GNUC__))
BALL_ROWS(fma3, __attribute__((target("avx,fma"))))
BALL_ROWS(avx512, __attribute__((target("avx512f,avx512dq,avx512vl,fma"))))
static int fma_hardware(void) { return bp_cpu_has(BP_CPU_AVX | BP_CPU_FMA); }
static int avx512_hardware(void) {
    return bp_cpu_has(BP_CPU_AVX | BP_CPU_FMA | BP_CPU_AVX512F | BP_CPU_AVX512DQ | BP_CPU_AVX512VL);
}
#else
static int fma_hardware(void) { return 0; }
#endif

int bp_ball_uses_fma_hardware(void) { return fma_hardware(); }

int bp_ball_simd_level(void) {
#if defined(__x86_64__) && (defined(__clang__) || defined(__GNUC__))
    if (fma_hardware()) return avx512_hardware() ? 2 : 1;
#endif
    return 0;
}

void bp_ball_axpy(bp_ball *r, ptrdiff_t rs, const bp_ball *a, const bp_ball *x, ptrdiff_t xs, ptrdiff_t n) {
#if defined(__x86_64__) && (defined(__clang__) || defined(__GNUC__))
    if (fma_hardware()) {
        if (avx512_hardware()) axpy_avx512(r, rs, a, x, xs, n); else axpy_fma3(r, rs, a, x, xs, n);
        return;
    }
#endif
    axpy_portable(r, rs, a, x, xs, n);
}

void bp_ball_dot(bp_ball *r, const bp_ball *a, ptrdiff_t as, const bp_ball *b, ptrdiff_t bs, ptrdiff_t n) {
#if defined(__x86_64__) && (defined(__clang__) || defined(__GNUC__))
    if (fma_hardware()) { dot_fma3(r, a, as, b, bs, n); return; }
#endif
    dot_portable(r, a, as, b, bs, n);
}

/// The midpoint difference (a.hi + a.lo) − (b.hi + b.lo) as a ball of radius the discarded part.
static inline void midpoint_difference(const bp_ball *a, const bp_ball *b, double *h, double *l, double *r) {
    const double disc = dd_add(a->hi, a->lo, -b->hi, -b->lo, h, l);
    *r = disc == 0 ? 0 : up(disc);
}

static inline int sign_of(double h, double l, double r) {
    if (isnan(h) || isnan(l) || isnan(r)) return 2;
    if (r == 0) {
        if (h == 0) return 0;
        return h > 0 ? 1 : -1;
    }
    if (!finite3(h, l, r)) return 2;
    // |h + l| ≥ |h| − |l| > up(r + |l|) − |l| ≥ r.
    if (fabs(h) > up(r + fabs(l))) return h > 0 ? 1 : -1;
    return 2;
}

int bp_ball_sign(const bp_ball *a) {
    if (a->rad == 0 && a->lo == 0 && isinf(a->hi)) return a->hi > 0 ? 1 : -1;
    return sign_of(a->hi, a->lo, a->rad);
}

int bp_ball_compare(const bp_ball *a, const bp_ball *b) {
    if (is_unknown(a) || is_unknown(b)) return 2;
    double h, l, r;
    midpoint_difference(a, b, &h, &l, &r);
    if (a->rad != 0 || b->rad != 0 || r != 0) r = up((a->rad + b->rad) + r);
    return sign_of(h, l, r);
}

int bp_ball_disjoint(const bp_ball *a, const bp_ball *b) {
    int s = bp_ball_compare(a, b);
    return s == 1 || s == -1;
}

int bp_ball_encloses(const bp_ball *a, const bp_ball *b) {
    if (is_unknown(a) || is_unknown(b)) return 0;
    double h, l, r;
    midpoint_difference(b, a, &h, &l, &r);
    // |mid b − mid a| ≤ |h| + |l| + r; [b] ⊆ [a] when that plus b's radius is at most a's.
    double distance = fabs(h) + fabs(l) + r;
    if (distance == 0 && b->rad <= a->rad) return 1;
    return up(up(distance) + b->rad) <= a->rad;
}

double bp_ball_midpoint_difference(const bp_ball *a, const bp_ball *b) {
    double h, l, r;
    midpoint_difference(a, b, &h, &l, &r);
    return h;
}
