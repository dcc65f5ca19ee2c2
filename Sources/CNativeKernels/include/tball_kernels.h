// Triple-double balls: the certified reference's backward rung between double-double and
// quad-double balls (Precision's TripleDoubleBallArithmetic). A ball {c0, c1, c2, rad} stands
// for every real x with |x − (c0 + c1 + c2)| ≤ rad: a midpoint of about 159 significant bits
// (three doubles, renormalised after every operation so that each is about an ulp of the one
// before) and a radius ≥ 0.
//
// The construction is the quad-double balls' (qball_kernels.h) one level shorter: the midpoint
// is formed with error-free transformations (TwoSum; TwoProduct by fma) grouped by magnitude
// level; the terms of level 3 and below are not kept, and a bound on them goes into the radius —
// the TwoProducts' low parts exactly, the partial products never formed by their magnitudes, and
// the level-2 sum's rounding by the classical bound γₙ₋₁·Σ|terms| (Higham, Accuracy and
// Stability, §4.2), taken as 10u·Σ|terms| for the at most 10 terms summed there. The radius is
// summed in round-to-nearest and enlarged past every rounding of that sum.
//
// What this rung is for: a backward pass whose double-double enclosures are too wide for the
// point's bound but whose growth leaves room at 159 bits (VGG11 at f64's 2⁻⁸⁰: double-double
// reaches ~2⁻⁴⁷, so triple-double ~2⁻¹⁰⁰), at about half the quad-double step's operations. As
// for the quad-double balls, sums are not tracked for exactness: this rung decides nothing
// beyond what it is asked.
//
// An overflow, a NaN or an infinity gives the unknown ball {NaN, NaN, NaN, +∞}.
#ifndef BP_TBALL_KERNELS_H
#define BP_TBALL_KERNELS_H

#include <stddef.h>

/// One slot of the triple-double rung.
typedef struct {
    double c0;
    double c1;
    double c2;
    double rad;
} bp_tball;

/// *r ← a + b.
void bp_tball_add(bp_tball *r, const bp_tball *a, const bp_tball *b);
/// *r ← a · b.
void bp_tball_mul(bp_tball *r, const bp_tball *a, const bp_tball *b);
/// *r ← *r + a · b.
void bp_tball_mul_acc(bp_tball *r, const bp_tball *a, const bp_tball *b);
/// r[k·rs] ← r[k·rs] + a · x[k·xs] for k < n.
void bp_tball_axpy(bp_tball *r, ptrdiff_t rs, const bp_tball *a, const bp_tball *x, ptrdiff_t xs, ptrdiff_t n);
/// *r ← *r + Σ a[k·as] · b[k·bs], k < n, in order.
void bp_tball_dot(bp_tball *r, const bp_tball *a, ptrdiff_t as, const bp_tball *b, ptrdiff_t bs, ptrdiff_t n);
/// The block update of matrix products: for m < rows, n < cols, c[m·ldc + n] ← c[m·ldc + n] +
/// a[m·lda + k·ak]·b[k·ldb + n] for k = 0, 1, …, depth − 1 in that order — the bits of depth
/// calls of bp_tball_axpy per row of c — computed by register-blocked tiles (tball_gemm.c).
/// c must not overlap a or b.
void bp_tball_matrix_accumulate(bp_tball *c, ptrdiff_t ldc, const bp_tball *a, ptrdiff_t lda, ptrdiff_t ak,
                                const bp_tball *b, ptrdiff_t ldb, ptrdiff_t rows, ptrdiff_t cols, ptrdiff_t depth);
/// bp_tball_matrix_accumulate by one compilation of its kernel, for the tests: 0 the row
/// kernels, 1 the portable tile (8 lanes), 2 the AVX2 tile, 3 the AVX-512 tile; −1 the one
/// bp_tball_matrix_accumulate takes here. Returns the variant that ran, or −1 (and c untouched)
/// when this machine cannot run the one asked for.
int bp_tball_matrix_accumulate_variant(int variant, bp_tball *c, ptrdiff_t ldc, const bp_tball *a, ptrdiff_t lda,
                                       ptrdiff_t ak, const bp_tball *b, ptrdiff_t ldb, ptrdiff_t rows, ptrdiff_t cols,
                                       ptrdiff_t depth);
/// The sign of every point of a − b (b may be NULL: the sign of a): −1, +1, 0 (a − b is the
/// point 0), or 2 when these kernels cannot prove it (the caller may decide points exactly).
int bp_tball_compare(const bp_tball *a, const bp_tball *b);
/// Whether b ⊆ a (0 when not proven).
int bp_tball_encloses(const bp_tball *a, const bp_tball *b);
/// The leading double of the triple-double difference mid a − mid b (renormalised).
double bp_tball_midpoint_difference(const bp_tball *a, const bp_tball *b);

/// bp_tball_mul_acc with the level-3 terms left out of the radius: a deliberately unsound
/// enclosure, for the test that shows the soundness checks catch one.
void bp_tball_mul_acc_unsound_for_testing(bp_tball *r, const bp_tball *a, const bp_tball *b);

#endif
