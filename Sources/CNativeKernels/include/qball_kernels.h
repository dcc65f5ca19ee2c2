// Quad-double balls: the certified reference's backward rung for deep networks (Precision's
// QuadDoubleBallArithmetic). A ball {c0, c1, c2, c3, rad} stands for every real x with
// |x − (c0 + c1 + c2 + c3)| ≤ rad: a midpoint of about 212 significant bits (four doubles,
// renormalised after every operation so that each is about an ulp of the one before) and a
// radius ≥ 0.
//
// Every operation returns a ball containing the exact result at every point of its operands.
// The midpoint is formed with error-free transformations (TwoSum; TwoProduct by fma) grouped by
// magnitude level (level k: the terms of size ~2⁻⁵³ᵏ of the result); the terms of level 4 and
// below are not kept, and a bound on them goes into the radius: the TwoProducts' low parts
// exactly, the partial products never formed by their magnitudes, and the level-3 sum's
// rounding by the classical bound γₙ₋₁·Σ|terms| (Higham, Accuracy and Stability, §4.2), taken as
// 17u·Σ|terms| for the at most 17 terms summed there. The radius is summed in round-to-nearest
// and enlarged past every rounding of that sum, as for the double-double balls (ball_kernels.h).
//
// What this rung is for: the backward passes of a network deep enough that double-double
// enclosures grow past 2⁻⁸⁰ of the gradient (interval widths grow ~4–5 bits a layer whatever the
// arithmetic), re-run on the decisions the double-double forward proved. It decides nothing
// itself beyond what it is asked, so its sums are not tracked for exactness the way the
// double-double balls' are: an inexact-looking level-3 sum (nonzero fourth components) widens
// the radius even when it happens to be exact.
//
// An overflow, a NaN or an infinity gives the unknown ball {NaN, NaN, NaN, NaN, +∞}.
#ifndef BP_QBALL_KERNELS_H
#define BP_QBALL_KERNELS_H

#include <stddef.h>

/// One slot of the quad-double rung.
typedef struct {
    double c0;
    double c1;
    double c2;
    double c3;
    double rad;
} bp_qball;

/// *r ← a + b.
void bp_qball_add(bp_qball *r, const bp_qball *a, const bp_qball *b);
/// *r ← a · b.
void bp_qball_mul(bp_qball *r, const bp_qball *a, const bp_qball *b);
/// *r ← *r + a · b.
void bp_qball_mul_acc(bp_qball *r, const bp_qball *a, const bp_qball *b);
/// r[k·rs] ← r[k·rs] + a · x[k·xs] for k < n.
void bp_qball_axpy(bp_qball *r, ptrdiff_t rs, const bp_qball *a, const bp_qball *x, ptrdiff_t xs, ptrdiff_t n);
/// *r ← *r + Σ a[k·as] · b[k·bs], k < n, in order.
void bp_qball_dot(bp_qball *r, const bp_qball *a, ptrdiff_t as, const bp_qball *b, ptrdiff_t bs, ptrdiff_t n);
/// The block update of matrix products: for m < rows, n < cols, c[m·ldc + n] ← c[m·ldc + n] +
/// a[m·lda + k·ak]·b[k·ldb + n] for k = 0, 1, …, depth − 1 in that order — the bits of depth
/// calls of bp_qball_axpy per row of c — computed by register-blocked tiles (qball_gemm.c).
/// c must not overlap a or b.
void bp_qball_matrix_accumulate(bp_qball *c, ptrdiff_t ldc, const bp_qball *a, ptrdiff_t lda, ptrdiff_t ak,
                                const bp_qball *b, ptrdiff_t ldb, ptrdiff_t rows, ptrdiff_t cols, ptrdiff_t depth);
/// bp_qball_matrix_accumulate by one compilation of its kernel, for the tests: 0 the row
/// kernels, 1 the portable tile (8 lanes), 2 the AVX2 tile, 3 the AVX-512 tile; −1 the one
/// bp_qball_matrix_accumulate takes here. Returns the variant that ran, or −1 (and c untouched)
/// when this machine cannot run the one asked for.
int bp_qball_matrix_accumulate_variant(int variant, bp_qball *c, ptrdiff_t ldc, const bp_qball *a, ptrdiff_t lda,
                                       ptrdiff_t ak, const bp_qball *b, ptrdiff_t ldb, ptrdiff_t rows, ptrdiff_t cols,
                                       ptrdiff_t depth);
/// The sign of every point of a − b (b may be NULL: the sign of a): −1, +1, 0 (a − b is the
/// point 0), or 2 when these kernels cannot prove it (the caller may decide points exactly).
int bp_qball_compare(const bp_qball *a, const bp_qball *b);
/// Whether b ⊆ a (0 when not proven).
int bp_qball_encloses(const bp_qball *a, const bp_qball *b);
/// The leading double of the quad-double difference mid a − mid b (renormalised).
double bp_qball_midpoint_difference(const bp_qball *a, const bp_qball *b);

/// bp_qball_mul_acc with the level-4 terms left out of the radius: a deliberately unsound
/// enclosure, for the test that shows the soundness checks catch one.
void bp_qball_mul_acc_unsound_for_testing(bp_qball *r, const bp_qball *a, const bp_qball *b);

#endif
