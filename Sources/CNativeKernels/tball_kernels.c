// Triple-double balls (see tball_kernels.h for the contract; qball_kernels.c is the same
// construction with four components, and its notes on TwoProduct's slack hold here).
//
// Notation as in ball_kernels.c: u = 2⁻⁵³, η = 2⁻¹⁰⁷⁴. TwoSum(a, b) = (s, e) with s + e = a + b
// exactly; TwoProduct(a, b) = (p, e), p = RN(a·b), e = fma(a, b, −p), p + e = a·b exactly unless
// the product is tiny (|p| < 2⁻⁹⁰⁰ with nonzero factors), where e may be off by η/2: such
// products add a slack of 2⁻¹⁰⁷⁰ (16η, more than the six products' 3η) to the radius.
#include "tball_kernels.h"
#include "ball_kernels.h"
#include <math.h>

#pragma STDC FP_CONTRACT OFF
#if defined(__clang__)
#pragma clang fp contract(off)
#endif

#define AI static inline __attribute__((always_inline))

/// As ball_kernels.c's up(): at least the exact sum x approximates when x was computed from
/// exact nonnegative terms by at most 32 round-to-nearest operations along any path.
AI double tup(double x) { return x * (1.0 + 0x1p-46) + 0x1p-1070; }

/// 10u: γ₉ = 9u/(1 − 9u) < 10u bounds the error of a recursive round-to-nearest sum of at most
/// 10 terms relative to the sum of their magnitudes (additions err by at most u relatively and
/// never underflow inexactly).
#define LEVEL2_BOUND 0x1.4p-50

AI void two_sum(double a, double b, double *s, double *e) {
    double x = a + b;
    double bv = x - a;
    double av = x - bv;
    *s = x;
    *e = (a - av) + (b - bv);
}

/// s ← RN(s + x), e ← the exact remainder.
#define ADD(s, x, e) do { double s_, e_; two_sum((s), (x), &s_, &e_); (s) = s_; (e) = e_; } while (0)
/// (p, e) ← TwoProduct(a, b).
#define TP(a, b, p, e) do { (p) = (a) * (b); (e) = fma((a), (b), -(p)); } while (0)
/// Whether the TwoProduct of nonzero a and b may have an inexact low part.
#define TINY(a, b, p) ((fabs(p) < 0x1p-900) & ((a) != 0) & ((b) != 0))

static const bp_tball unknown = {NAN, NAN, NAN, INFINITY};

AI int tfinite(double x) { return fabs(x) <= 0x1.fffffffffffffp1023; }
AI int is_unknown(const bp_tball *a) { return !(tfinite(a->c0) & tfinite(a->c1) & tfinite(a->c2) & tfinite(a->rad)); }

/// An exact renormalisation of s0 + s1 + s2 (two VecSum passes from the bottom): after it s0
/// carries the sum's leading bits, s1 the next, s2 the rest.
AI void renorm(double *s0, double *s1, double *s2) {
    ADD(*s1, *s2, *s2);
    ADD(*s0, *s1, *s1);
    ADD(*s1, *s2, *s2);
}

/// *out ← {s0, s1, s2, r}, or the unknown ball when any is not finite. Branch-free.
AI void settle(bp_tball *out, double s0, double s1, double s2, double r) {
    const int ok = tfinite(s0) & tfinite(s1) & tfinite(s2) & tfinite(r);
    out->c0 = ok ? s0 : NAN;
    out->c1 = ok ? s1 : NAN;
    out->c2 = ok ? s2 : NAN;
    out->rad = ok ? r : INFINITY;
}

/// (c, r) ← (c, r) + a·x. With a = Σaᵢ + α, x = Σxⱼ + ξ (|α| ≤ a.rad, |ξ| ≤ x.rad):
/// a·x = Σᵢⱼ aᵢxⱼ + (Σaᵢ)·ξ + α·x. The products with i + j ≤ 2 are split exactly (TwoProduct)
/// and summed by level with the accumulator's components: levels 0–1 by TwoSums (exact; their
/// remainders go one level down), level 2 by a recursive sum of 10 terms — c2, level 1's four
/// remainders, the low parts e₀₁ and e₁₀, and p₀₂, p₁₁, p₂₀ — whose rounding is bounded by
/// 10u·Σ|terms|. The radius takes that bound, the TwoProducts' level-3 low parts (|e₀₂| + |e₁₁|
/// + |e₂₀|), the products never formed (a₁x₂, a₂x₁, a₂x₂) by their magnitudes, and the operand
/// radii: |Σaᵢ|·x.rad + a.rad·(|Σxⱼ| + x.rad). DROP leaves out the level-3 and level-2 bounds
/// (the unsound variant for the tests). tball_gemm.c's step repeats these operations in order.
#define TBALL_ACCUMULATE(NAME, DROP)                                                            \
    AI void NAME(double *c, double *r, const bp_tball *a, const bp_tball *x) {                   \
        const double a0 = a->c0, a1 = a->c1, a2 = a->c2;                                         \
        const double x0 = x->c0, x1 = x->c1, x2 = x->c2;                                         \
        double p00, e00, p01, e01, p10, e10, p02, e02, p11, e11, p20, e20;                       \
        TP(a0, x0, p00, e00); TP(a0, x1, p01, e01); TP(a1, x0, p10, e10);                        \
        TP(a0, x2, p02, e02); TP(a1, x1, p11, e11); TP(a2, x0, p20, e20);                        \
        const int slack = TINY(a0, x0, p00) | TINY(a0, x1, p01) | TINY(a1, x0, p10) |            \
                          TINY(a0, x2, p02) | TINY(a1, x1, p11) | TINY(a2, x0, p20);             \
        double s0 = c[0], f0;                                                                    \
        ADD(s0, p00, f0);                                                                        \
        double s1 = c[1], g1, g2, g3, g4;                                                        \
        ADD(s1, f0, g1); ADD(s1, e00, g2); ADD(s1, p01, g3); ADD(s1, p10, g4);                   \
        const double s2 = (((((((((c[2] + g1) + g2) + g3) + g4) + e01) + e10) + p02) + p11) + p20); \
        const double m2 = (((((((((fabs(c[2]) + fabs(g1)) + fabs(g2)) + fabs(g3)) + fabs(g4))    \
                          + fabs(e01)) + fabs(e10)) + fabs(p02)) + fabs(p11)) + fabs(p20));      \
        const double b1 = fabs(a1), b2 = fabs(a2);                                               \
        const double y1 = fabs(x1), y2 = fabs(x2);                                               \
        double drop = ((fabs(e02) + fabs(e11)) + fabs(e20)) + (b1 * y2 + b2 * (y1 + y2));        \
        double level2 = LEVEL2_BOUND * m2;                                                       \
        if (DROP) { drop = 0; level2 = 0; }                                                      \
        const double aa = (fabs(a0) + b1) + b2;                                                  \
        const double ax = ((fabs(x0) + y1) + y2) + x->rad;                                       \
        const double extra = aa * x->rad + a->rad * ax;                                          \
        const double grown = tup(((*r + extra) + (drop + level2)) + (slack ? 0x1p-1070 : 0.0));  \
        const int spread = (x->rad != 0) | (a->rad != 0) | (drop != 0) | (level2 != 0) | slack;  \
        *r = spread ? grown : *r;                                                                \
        double t0 = s0, t1 = s1, t2 = s2;                                                        \
        renorm(&t0, &t1, &t2);                                                                   \
        c[0] = t0; c[1] = t1; c[2] = t2;                                                         \
    }

TBALL_ACCUMULATE(accumulate, 0)
TBALL_ACCUMULATE(accumulate_dropping_bounds, 1)

/// (c, r) ← (c, r) + a·x for a with one component (a.c1 = a.c2 = 0: a weight, a data value, a
/// format's number): the same sum with the products that are zero left out (level 2: c2, the
/// three remainders, e₁ and p₂).
AI void accumulate_single(double *c, double *r, double a0, double arad, const bp_tball *x) {
    const double x0 = x->c0, x1 = x->c1, x2 = x->c2;
    double p0, e0, p1, e1, p2, e2;
    TP(a0, x0, p0, e0); TP(a0, x1, p1, e1); TP(a0, x2, p2, e2);
    const int slack = TINY(a0, x0, p0) | TINY(a0, x1, p1) | TINY(a0, x2, p2);
    double s0 = c[0], f0;
    ADD(s0, p0, f0);
    double s1 = c[1], g1, g2, g3;
    ADD(s1, f0, g1); ADD(s1, e0, g2); ADD(s1, p1, g3);
    const double s2 = (((((c[2] + g1) + g2) + g3) + e1) + p2);
    const double m2 = (((((fabs(c[2]) + fabs(g1)) + fabs(g2)) + fabs(g3)) + fabs(e1)) + fabs(p2));
    const double drop = fabs(e2), level2 = LEVEL2_BOUND * m2;
    const double ax = ((fabs(x0) + fabs(x1)) + fabs(x2)) + x->rad;
    const double extra = fabs(a0) * x->rad + arad * ax;
    const double grown = tup(((*r + extra) + (drop + level2)) + (slack ? 0x1p-1070 : 0.0));
    const int spread = (x->rad != 0) | (arad != 0) | (drop != 0) | (level2 != 0) | slack;
    *r = spread ? grown : *r;
    double t0 = s0, t1 = s1, t2 = s2;
    renorm(&t0, &t1, &t2);
    c[0] = t0; c[1] = t1; c[2] = t2;
}

void bp_tball_mul_acc(bp_tball *r, const bp_tball *a, const bp_tball *b) {
    if (is_unknown(r) || is_unknown(a) || is_unknown(b)) { *r = unknown; return; }
    double c[3] = {r->c0, r->c1, r->c2}, rad = r->rad;
    accumulate(c, &rad, a, b);
    settle(r, c[0], c[1], c[2], rad);
}

void bp_tball_mul_acc_unsound_for_testing(bp_tball *r, const bp_tball *a, const bp_tball *b) {
    if (is_unknown(r) || is_unknown(a) || is_unknown(b)) { *r = unknown; return; }
    double c[3] = {r->c0, r->c1, r->c2}, rad = r->rad;
    accumulate_dropping_bounds(c, &rad, a, b);
    settle(r, c[0], c[1], c[2], rad);
}

void bp_tball_mul(bp_tball *r, const bp_tball *a, const bp_tball *b) {
    bp_tball z = {0, 0, 0, 0};
    bp_tball_mul_acc(&z, a, b);
    *r = z;
}

/// (s0, s1, s2) ← the triple-double a + sign·b, renormalised; returns a bound on the part of
/// the exact sum left out (0 when the sum is exact: level 2's remainders are summed exactly into
/// that bound).
AI double td_add(const bp_tball *a, const bp_tball *b, double sign, double *s) {
    const double b0 = sign * b->c0, b1 = sign * b->c1, b2 = sign * b->c2;
    double s0 = a->c0, f0;
    ADD(s0, b0, f0);
    double s1 = a->c1, g1, g2;
    ADD(s1, b1, g1); ADD(s1, f0, g2);
    double s2 = a->c2, h0, h1, h2;
    ADD(s2, b2, h0); ADD(s2, g1, h1); ADD(s2, g2, h2);
    renorm(&s0, &s1, &s2);
    s[0] = s0; s[1] = s1; s[2] = s2;
    // Three nonnegative terms: well inside tup's 32 operations.
    return (fabs(h0) + fabs(h1)) + fabs(h2);
}

void bp_tball_add(bp_tball *r, const bp_tball *a, const bp_tball *b) {
    if (is_unknown(a) || is_unknown(b)) { *r = unknown; return; }
    double s[3];
    const double disc = td_add(a, b, 1.0, s);
    double rad = 0;
    if (a->rad != 0 || b->rad != 0 || disc != 0) rad = tup((a->rad + b->rad) + disc);
    settle(r, s[0], s[1], s[2], rad);
}

// The row kernels, compiled for AVX-512, for AVX with FMA, and portably (glibc's correctly
// rounded fma): the same bits everywhere, as for the double-double balls.
#define TBALL_ROWS(SUFFIX, ATTR)                                                                \
    ATTR static void axpy_##SUFFIX(bp_tball *r, ptrdiff_t rs, const bp_tball *a, const bp_tball *x,\
                                   ptrdiff_t xs, ptrdiff_t n) {                                 \
        const bp_tball av = *a;                                                                 \
        if (av.c1 == 0 && av.c2 == 0) {                                                         \
            const double a0 = av.c0, arad = av.rad;                                             \
            _Pragma("clang loop vectorize(enable)")                                             \
            for (ptrdiff_t k = 0; k < n; k++) {                                                 \
                bp_tball *rk = r + k * rs;                                                      \
                double c[3] = {rk->c0, rk->c1, rk->c2}, rad = rk->rad;                          \
                accumulate_single(c, &rad, a0, arad, x + k * xs);                               \
                settle(rk, c[0], c[1], c[2], rad);                                              \
            }                                                                                   \
            return;                                                                             \
        }                                                                                       \
        _Pragma("clang loop vectorize(enable)")                                                 \
        for (ptrdiff_t k = 0; k < n; k++) {                                                     \
            bp_tball *rk = r + k * rs;                                                          \
            double c[3] = {rk->c0, rk->c1, rk->c2}, rad = rk->rad;                              \
            accumulate(c, &rad, &av, x + k * xs);                                               \
            settle(rk, c[0], c[1], c[2], rad);                                                  \
        }                                                                                       \
    }                                                                                           \
    ATTR static void dot_##SUFFIX(bp_tball *r, const bp_tball *a, ptrdiff_t as, const bp_tball *b,\
                                  ptrdiff_t bs, ptrdiff_t n) {                                  \
        if (is_unknown(r)) return;                                                              \
        double c[3] = {r->c0, r->c1, r->c2}, rad = r->rad;                                      \
        for (ptrdiff_t k = 0; k < n; k++) {                                                     \
            const bp_tball *ak = a + k * as, *bk = b + k * bs;                                  \
            if (is_unknown(ak) || is_unknown(bk)) { *r = unknown; return; }                     \
            accumulate(c, &rad, ak, bk);                                                        \
        }                                                                                       \
        settle(r, c[0], c[1], c[2], rad);                                                       \
    }

TBALL_ROWS(portable, )

#if defined(__x86_64__) && (defined(__clang__) || defined(__GNUC__))
TBALL_ROWS(fma3, __attribute__((target("avx,fma"))))
TBALL_ROWS(avx512, __attribute__((target("avx512f,avx512dq,avx512vl,fma"))))
#define TBALL_X86 1
#endif

// Dispatched as the double-double kernels are (bp_ball_simd_level).
void bp_tball_axpy(bp_tball *r, ptrdiff_t rs, const bp_tball *a, const bp_tball *x, ptrdiff_t xs, ptrdiff_t n) {
#ifdef TBALL_X86
    switch (bp_ball_simd_level()) {
    case 2: axpy_avx512(r, rs, a, x, xs, n); return;
    case 1: axpy_fma3(r, rs, a, x, xs, n); return;
    default: break;
    }
#endif
    axpy_portable(r, rs, a, x, xs, n);
}

void bp_tball_dot(bp_tball *r, const bp_tball *a, ptrdiff_t as, const bp_tball *b, ptrdiff_t bs, ptrdiff_t n) {
#ifdef TBALL_X86
    if (bp_ball_simd_level() > 0) { dot_fma3(r, a, as, b, bs, n); return; }
#endif
    dot_portable(r, a, as, b, bs, n);
}

/// (s, bound) ← mid a − mid b (b NULL: mid a) as a renormalised triple-double and a bound on
/// what it leaves out.
AI double difference(const bp_tball *a, const bp_tball *b, double *s) {
    if (b) return td_add(a, b, -1.0, s);
    s[0] = a->c0; s[1] = a->c1; s[2] = a->c2;
    renorm(&s[0], &s[1], &s[2]);
    return 0;
}

int bp_tball_compare(const bp_tball *a, const bp_tball *b) {
    if (is_unknown(a) || (b && is_unknown(b))) return 2;
    double s[3];
    const double disc = difference(a, b, s);
    const double rb = b ? b->rad : 0;
    const double r = (a->rad != 0 || rb != 0 || disc != 0) ? tup((a->rad + rb) + disc) : 0;
    const double tail = fabs(s[1]) + fabs(s[2]);
    if (r == 0 && tail == 0) return s[0] > 0 ? 1 : (s[0] < 0 ? -1 : 0);
    // |Σs| ≥ |s0| − tail' (tail' the exact tail ≤ tup(tail)) > r: every point has s0's sign.
    if (fabs(s[0]) > tup(r + tail)) return s[0] > 0 ? 1 : -1;
    return 2;
}

int bp_tball_encloses(const bp_tball *a, const bp_tball *b) {
    if (is_unknown(a) || is_unknown(b)) return 0;
    double s[3];
    const double disc = difference(b, a, s);
    const double distance = ((fabs(s[0]) + fabs(s[1])) + fabs(s[2])) + disc;
    if (distance == 0 && b->rad <= a->rad) return 1;
    return tup(tup(distance) + b->rad) <= a->rad;
}

double bp_tball_midpoint_difference(const bp_tball *a, const bp_tball *b) {
    double s[3];
    difference(a, b, s);
    return s[0];
}
