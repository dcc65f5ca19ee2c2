// Quad-double balls (see qball_kernels.h for the contract).
//
// Notation as in ball_kernels.c: u = 2⁻⁵³, η = 2⁻¹⁰⁷⁴. TwoSum(a, b) = (s, e) with s + e = a + b
// exactly; TwoProduct(a, b) = (p, e), p = RN(a·b), e = fma(a, b, −p), p + e = a·b exactly unless
// the product is tiny (|p| < 2⁻⁹⁰⁰ with nonzero factors), where e may be off by η/2: such
// products add a slack of 2⁻¹⁰⁷⁰ (16η, more than the ten products' 5η) to the radius.
#include "qball_kernels.h"
#include "ball_kernels.h"
#include <math.h>

#pragma STDC FP_CONTRACT OFF
#if defined(__clang__)
#pragma clang fp contract(off)
#endif

#define AI static inline __attribute__((always_inline))

/// As ball_kernels.c's up(): at least the exact sum x approximates when x was computed from
/// exact nonnegative terms by at most 32 round-to-nearest operations along any path.
AI double qup(double x) { return x * (1.0 + 0x1p-46) + 0x1p-1070; }

/// 17u: γ₁₆ = 16u/(1 − 16u) < 17u bounds the error of a recursive round-to-nearest sum of at
/// most 17 terms relative to the sum of their magnitudes (additions err by at most u relatively
/// and never underflow inexactly).
#define LEVEL3_BOUND 0x1.1p-49

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

static const bp_qball unknown = {NAN, NAN, NAN, NAN, INFINITY};

AI int qfinite(double x) { return fabs(x) <= 0x1.fffffffffffffp1023; }
AI int is_unknown(const bp_qball *a) {
    return !(qfinite(a->c0) & qfinite(a->c1) & qfinite(a->c2) & qfinite(a->c3) & qfinite(a->rad));
}

/// An exact renormalisation of s0 + s1 + s2 + s3 (three VecSum passes from the bottom): after it
/// s0 carries the sum's leading bits, s1 the next, and so on.
AI void renorm(double *s0, double *s1, double *s2, double *s3) {
    ADD(*s2, *s3, *s3);
    ADD(*s1, *s2, *s2);
    ADD(*s0, *s1, *s1);
    ADD(*s2, *s3, *s3);
    ADD(*s1, *s2, *s2);
    ADD(*s2, *s3, *s3);
}

/// *out ← {s0…s3, r}, or the unknown ball when any is not finite. Branch-free.
AI void settle(bp_qball *out, double s0, double s1, double s2, double s3, double r) {
    const int ok = qfinite(s0) & qfinite(s1) & qfinite(s2) & qfinite(s3) & qfinite(r);
    out->c0 = ok ? s0 : NAN;
    out->c1 = ok ? s1 : NAN;
    out->c2 = ok ? s2 : NAN;
    out->c3 = ok ? s3 : NAN;
    out->rad = ok ? r : INFINITY;
}

/// (c, r) ← (c, r) + a·x. With a = Σaᵢ + α, x = Σxⱼ + ξ (|α| ≤ a.rad, |ξ| ≤ x.rad):
/// a·x = Σᵢⱼ aᵢxⱼ + (Σaᵢ)·ξ + α·x. The products with i + j ≤ 3 are split exactly (TwoProduct)
/// and summed by level with the accumulator's components: levels 0–2 by TwoSums (exact; their
/// remainders go one level down), level 3 by a recursive sum whose rounding is bounded by
/// 17u·Σ|terms|. The radius takes that bound, the TwoProducts' level-4 low parts (|e₀₃| + |e₁₂| +
/// |e₂₁| + |e₃₀|), the products never formed (i + j ≥ 4) by their magnitudes, and the operand
/// radii: |Σaᵢ|·x.rad + a.rad·(|Σxⱼ| + x.rad). DROP leaves out the level-4 and level-3 bounds
/// (the unsound variant for the tests).
#define QBALL_ACCUMULATE(NAME, DROP)                                                            \
    AI void NAME(double *c, double *r, const bp_qball *a, const bp_qball *x) {                   \
        const double a0 = a->c0, a1 = a->c1, a2 = a->c2, a3 = a->c3;                             \
        const double x0 = x->c0, x1 = x->c1, x2 = x->c2, x3 = x->c3;                             \
        double p00, e00, p01, e01, p10, e10, p02, e02, p11, e11, p20, e20;                       \
        double p03, e03, p12, e12, p21, e21, p30, e30;                                           \
        TP(a0, x0, p00, e00); TP(a0, x1, p01, e01); TP(a1, x0, p10, e10);                        \
        TP(a0, x2, p02, e02); TP(a1, x1, p11, e11); TP(a2, x0, p20, e20);                        \
        TP(a0, x3, p03, e03); TP(a1, x2, p12, e12); TP(a2, x1, p21, e21); TP(a3, x0, p30, e30);  \
        const int slack = TINY(a0, x0, p00) | TINY(a0, x1, p01) | TINY(a1, x0, p10) |            \
                          TINY(a0, x2, p02) | TINY(a1, x1, p11) | TINY(a2, x0, p20) |            \
                          TINY(a0, x3, p03) | TINY(a1, x2, p12) | TINY(a2, x1, p21) |            \
                          TINY(a3, x0, p30);                                                     \
        double s0 = c[0], f0;                                                                    \
        ADD(s0, p00, f0);                                                                        \
        double s1 = c[1], g1, g2, g3, g4;                                                        \
        ADD(s1, f0, g1); ADD(s1, e00, g2); ADD(s1, p01, g3); ADD(s1, p10, g4);                   \
        double s2 = c[2], h0, h1, h2, h3, h4, h5, h6, h7, h8;                                    \
        ADD(s2, g1, h0); ADD(s2, g2, h1); ADD(s2, g3, h2); ADD(s2, g4, h3); ADD(s2, e01, h4);     \
        ADD(s2, e10, h5); ADD(s2, p02, h6); ADD(s2, p11, h7); ADD(s2, p20, h8);                  \
        const double s3 = ((((((((((((((((c[3] + h0) + h1) + h2) + h3) + h4) + h5) + h6) + h7)   \
                          + h8) + e02) + e11) + e20) + p03) + p12) + p21) + p30);                \
        const double m3 = ((((((((((((((((fabs(c[3]) + fabs(h0)) + fabs(h1)) + fabs(h2))        \
                          + fabs(h3)) + fabs(h4)) + fabs(h5)) + fabs(h6)) + fabs(h7))            \
                          + fabs(h8)) + fabs(e02)) + fabs(e11)) + fabs(e20)) + fabs(p03))        \
                          + fabs(p12)) + fabs(p21)) + fabs(p30));                                \
        const double b1 = fabs(a1), b2 = fabs(a2), b3 = fabs(a3);                                \
        const double y1 = fabs(x1), y2 = fabs(x2), y3 = fabs(x3);                                \
        double drop = ((fabs(e03) + fabs(e12)) + (fabs(e21) + fabs(e30)))                        \
                      + ((b1 * y3 + b2 * (y2 + y3)) + b3 * ((y1 + y2) + y3));                    \
        double level3 = LEVEL3_BOUND * m3;                                                       \
        if (DROP) { drop = 0; level3 = 0; }                                                      \
        const double aa = ((fabs(a0) + b1) + (b2 + b3));                                         \
        const double ax = ((fabs(x0) + y1) + (y2 + y3)) + x->rad;                                \
        const double extra = aa * x->rad + a->rad * ax;                                          \
        const double grown = qup(((*r + extra) + (drop + level3)) + (slack ? 0x1p-1070 : 0.0));  \
        const int spread = (x->rad != 0) | (a->rad != 0) | (drop != 0) | (level3 != 0) | slack;  \
        *r = spread ? grown : *r;                                                                \
        double t0 = s0, t1 = s1, t2 = s2, t3 = s3;                                               \
        renorm(&t0, &t1, &t2, &t3);                                                              \
        c[0] = t0; c[1] = t1; c[2] = t2; c[3] = t3;                                              \
    }

QBALL_ACCUMULATE(accumulate, 0)
QBALL_ACCUMULATE(accumulate_dropping_bounds, 1)

/// (c, r) ← (c, r) + a·x for a with one component (a.c1 = a.c2 = a.c3 = 0: a weight, a data
/// value, a format's number): the same sum with the products that are zero left out.
AI void accumulate_single(double *c, double *r, double a0, double arad, const bp_qball *x) {
    const double x0 = x->c0, x1 = x->c1, x2 = x->c2, x3 = x->c3;
    double p0, e0, p1, e1, p2, e2, p3, e3;
    TP(a0, x0, p0, e0); TP(a0, x1, p1, e1); TP(a0, x2, p2, e2); TP(a0, x3, p3, e3);
    const int slack = TINY(a0, x0, p0) | TINY(a0, x1, p1) | TINY(a0, x2, p2) | TINY(a0, x3, p3);
    double s0 = c[0], f0;
    ADD(s0, p0, f0);
    double s1 = c[1], g1, g2, g3;
    ADD(s1, f0, g1); ADD(s1, e0, g2); ADD(s1, p1, g3);
    double s2 = c[2], h0, h1, h2, h3, h4;
    ADD(s2, g1, h0); ADD(s2, g2, h1); ADD(s2, g3, h2); ADD(s2, e1, h3); ADD(s2, p2, h4);
    const double s3 = (((((((c[3] + h0) + h1) + h2) + h3) + h4) + e2) + p3);
    const double m3 = (((((((fabs(c[3]) + fabs(h0)) + fabs(h1)) + fabs(h2)) + fabs(h3)) + fabs(h4)) + fabs(e2)) + fabs(p3));
    const double drop = fabs(e3), level3 = LEVEL3_BOUND * m3;
    const double ax = ((fabs(x0) + fabs(x1)) + (fabs(x2) + fabs(x3))) + x->rad;
    const double extra = fabs(a0) * x->rad + arad * ax;
    const double grown = qup(((*r + extra) + (drop + level3)) + (slack ? 0x1p-1070 : 0.0));
    const int spread = (x->rad != 0) | (arad != 0) | (drop != 0) | (level3 != 0) | slack;
    *r = spread ? grown : *r;
    double t0 = s0, t1 = s1, t2 = s2, t3 = s3;
    renorm(&t0, &t1, &t2, &t3);
    c[0] = t0; c[1] = t1; c[2] = t2; c[3] = t3;
}

void bp_qball_mul_acc(bp_qball *r, const bp_qball *a, const bp_qball *b) {
    if (is_unknown(r) || is_unknown(a) || is_unknown(b)) { *r = unknown; return; }
    double c[4] = {r->c0, r->c1, r->c2, r->c3}, rad = r->rad;
    accumulate(c, &rad, a, b);
    settle(r, c[0], c[1], c[2], c[3], rad);
}

void bp_qball_mul_acc_unsound_for_testing(bp_qball *r, const bp_qball *a, const bp_qball *b) {
    if (is_unknown(r) || is_unknown(a) || is_unknown(b)) { *r = unknown; return; }
    double c[4] = {r->c0, r->c1, r->c2, r->c3}, rad = r->rad;
    accumulate_dropping_bounds(c, &rad, a, b);
    settle(r, c[0], c[1], c[2], c[3], rad);
}

void bp_qball_mul(bp_qball *r, const bp_qball *a, const bp_qball *b) {
    bp_qball z = {0, 0, 0, 0, 0};
    bp_qball_mul_acc(&z, a, b);
    *r = z;
}

/// (s0…s3) ← the quad-double a + sign·b, renormalised; returns a bound on the part of the exact
/// sum left out (0 when the sum is exact: every TwoSum's remainder of level 3 is summed exactly
/// into that bound).
AI double qd_add(const bp_qball *a, const bp_qball *b, double sign, double *s) {
    const double b0 = sign * b->c0, b1 = sign * b->c1, b2 = sign * b->c2, b3 = sign * b->c3;
    double s0 = a->c0, f0;
    ADD(s0, b0, f0);
    double s1 = a->c1, g1, g2;
    ADD(s1, b1, g1); ADD(s1, f0, g2);
    double s2 = a->c2, h0, h1, h2;
    ADD(s2, b2, h0); ADD(s2, g1, h1); ADD(s2, g2, h2);
    double s3 = a->c3, k0, k1, k2, k3;
    ADD(s3, b3, k0); ADD(s3, h0, k1); ADD(s3, h1, k2); ADD(s3, h2, k3);
    renorm(&s0, &s1, &s2, &s3);
    s[0] = s0; s[1] = s1; s[2] = s2; s[3] = s3;
    // Four nonnegative terms: well inside qup's 32 operations.
    return (fabs(k0) + fabs(k1)) + (fabs(k2) + fabs(k3));
}

void bp_qball_add(bp_qball *r, const bp_qball *a, const bp_qball *b) {
    if (is_unknown(a) || is_unknown(b)) { *r = unknown; return; }
    double s[4];
    const double disc = qd_add(a, b, 1.0, s);
    double rad = 0;
    if (a->rad != 0 || b->rad != 0 || disc != 0) rad = qup((a->rad + b->rad) + disc);
    settle(r, s[0], s[1], s[2], s[3], rad);
}

// The row kernels, compiled for AVX-512, for AVX with FMA, and portably (glibc's correctly
// rounded fma): the same bits everywhere, as for the double-double balls.
#define QBALL_ROWS(SUFFIX, ATTR)                                                                \
    ATTR static void axpy_##SUFFIX(bp_qball *r, ptrdiff_t rs, const bp_qball *a, const bp_qball *x,\
                                   ptrdiff_t xs, ptrdiff_t n) {                                 \
        const bp_qball av = *a;                                                                 \
        if (av.c1 == 0 && av.c2 == 0 && av.c3 == 0) {                                           \
            const double a0 = av.c0, arad = av.rad;                                             \
            if (rs == 1 && xs == 1) {                                                           \
                _Pragma("clang loop vectorize(enable)")                                         \
                for (ptrdiff_t k = 0; k < n; k++) {                                             \
                    double c[4] = {r[k].c0, r[k].c1, r[k].c2, r[k].c3}, rad = r[k].rad;         \
                    accumulate_single(c, &rad, a0, arad, x + k);                                \
                    settle(r + k, c[0], c[1], c[2], c[3], rad);                                 \
                }                                                                               \
                return;                                                                         \
            }                                                                                   \
            for (ptrdiff_t k = 0; k < n; k++) {                                                 \
                bp_qball *rk = r + k * rs;                                                      \
                double c[4] = {rk->c0, rk->c1, rk->c2, rk->c3}, rad = rk->rad;                  \
                accumulate_single(c, &rad, a0, arad, x + k * xs);                               \
                settle(rk, c[0], c[1], c[2], c[3], rad);                                        \
            }                                                                                   \
            return;                                                                             \
        }                                                                                       \
        _Pragma("clang loop vectorize(enable)")                                                 \
        for (ptrdiff_t k = 0; k < n; k++) {                                                     \
            bp_qball *rk = r + k * rs;                                                          \
            double c[4] = {rk->c0, rk->c1, rk->c2, rk->c3}, rad = rk->rad;                      \
            accumulate(c, &rad, &av, x + k * xs);                                               \
            settle(rk, c[0], c[1], c[2], c[3], rad);                                            \
        }                                                                                       \
    }                                                                                           \
    ATTR static void dot_##SUFFIX(bp_qball *r, const bp_qball *a, ptrdiff_t as, const bp_qball *b,\
                                  ptrdiff_t bs, ptrdiff_t n) {                                  \
        if (is_unknown(r)) return;                                                              \
        double c[4] = {r->c0, r->c1, r->c2, r->c3}, rad = r->rad;                               \
        for (ptrdiff_t k = 0; k < n; k++) {                                                     \
            const bp_qball *ak = a + k * as, *bk = b + k * bs;                                  \
            if (is_unknown(ak) || is_unknown(bk)) { *r = unknown; return; }                     \
            accumulate(c, &rad, ak, bk);                                                        \
        }                                                                                       \
        settle(r, c[0], c[1], c[2], c[3], rad);                                                 \
    }

QBALL_ROWS(portable, )

#if defined(__x86_64__) && (defined(__clang__) || defined(__GNUC__))
QBALL_ROWS(fma3, __attribute__((target("avx,fma"))))
QBALL_ROWS(avx512, __attribute__((target("avx512f,avx512dq,avx512vl,fma"))))
#define QBALL_X86 1
#endif

// Dispatched as the double-double kernels are (bp_ball_simd_level).
void bp_qball_axpy(bp_qball *r, ptrdiff_t rs, const bp_qball *a, const bp_qball *x, ptrdiff_t xs, ptrdiff_t n) {
#ifdef QBALL_X86
    switch (bp_ball_simd_level()) {
    case 2: axpy_avx512(r, rs, a, x, xs, n); return;
    case 1: axpy_fma3(r, rs, a, x, xs, n); return;
    default: break;
    }
#endif
    axpy_portable(r, rs, a, x, xs, n);
}

void bp_qball_dot(bp_qball *r, const bp_qball *a, ptrdiff_t as, const bp_qball *b, ptrdiff_t bs, ptrdiff_t n) {
#ifdef QBALL_X86
    if (bp_ball_simd_level() > 0) { dot_fma3(r, a, as, b, bs, n); return; }
#endif
    dot_portable(r, a, as, b, bs, n);
}

/// (s, bound) ← mid a − mid b (b NULL: mid a) as a renormalised quad-double and a bound on what
/// it leaves out.
AI double difference(const bp_qball *a, const bp_qball *b, double *s) {
    if (b) return qd_add(a, b, -1.0, s);
    s[0] = a->c0; s[1] = a->c1; s[2] = a->c2; s[3] = a->c3;
    renorm(&s[0], &s[1], &s[2], &s[3]);
    return 0;
}

int bp_qball_compare(const bp_qball *a, const bp_qball *b) {
    if (is_unknown(a) || (b && is_unknown(b))) return 2;
    double s[4];
    const double disc = difference(a, b, s);
    const double rb = b ? b->rad : 0;
    const double r = (a->rad != 0 || rb != 0 || disc != 0) ? qup((a->rad + rb) + disc) : 0;
    const double tail = (fabs(s[1]) + fabs(s[2])) + fabs(s[3]);
    if (r == 0 && tail == 0) return s[0] > 0 ? 1 : (s[0] < 0 ? -1 : 0);
    // |Σs| ≥ |s0| − tail' (tail' the exact tail ≤ qup(tail)) > r: every point has s0's sign.
    if (fabs(s[0]) > qup(r + tail)) return s[0] > 0 ? 1 : -1;
    return 2;
}

int bp_qball_encloses(const bp_qball *a, const bp_qball *b) {
    if (is_unknown(a) || is_unknown(b)) return 0;
    double s[4];
    const double disc = difference(b, a, s);
    const double distance = ((fabs(s[0]) + fabs(s[1])) + (fabs(s[2]) + fabs(s[3]))) + disc;
    if (distance == 0 && b->rad <= a->rad) return 1;
    return qup(qup(distance) + b->rad) <= a->rad;
}

double bp_qball_midpoint_difference(const bp_qball *a, const bp_qball *b) {
    double s[4];
    difference(a, b, s);
    return s[0];
}
