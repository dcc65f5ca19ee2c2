// Double-double balls: the certified reference's first rung (Precision's
// DoubleDoubleBallArithmetic). A ball {hi, lo, rad} stands for every real x with
// |x − (hi + lo)| ≤ rad; hi = RN(hi + lo) (a normalised double-double midpoint); rad ≥ 0.
//
// Every operation here returns a ball that contains the exact result of the operation applied
// to every point of its operand balls. The midpoint is computed with error-free
// transformations (TwoSum; TwoProduct by fma), and every part of the exact result that does not
// fit the double-double midpoint is known exactly and added to the radius: a result is a point
// (rad = 0) exactly when nothing was discarded, so exact computations stay points. The radius
// itself is summed in round-to-nearest and then enlarged past every rounding of that sum
// (`bp_ball_up`): never rounded down.
//
// A result that overflows (or meets ±∞ or NaN) becomes the unknown ball {NaN, NaN, +∞}: it
// decides nothing, so the reference climbs to MPFR there.
//
// Why C: the error-free transformations need an unfused `a + b` and `a * b` (the file turns
// FP contraction off) and a real fma; the row kernels are compiled once for FMA hardware and
// once portably (glibc's fma, correctly rounded), chosen at run time. Both give the same bits.
#ifndef BP_BALL_KERNELS_H
#define BP_BALL_KERNELS_H

#include <stddef.h>

/// One slot of the reference's first rung.
typedef struct {
    double hi;
    double lo;
    double rad;
} bp_ball;

/// *r ← a + b.
void bp_ball_add(bp_ball *r, const bp_ball *a, const bp_ball *b);
/// *r ← a · b.
void bp_ball_mul(bp_ball *r, const bp_ball *a, const bp_ball *b);
/// *r ← *r + a · b (one enclosure of the exact sum; no intermediate rounding to a format).
void bp_ball_mul_acc(bp_ball *r, const bp_ball *a, const bp_ball *b);
/// r[k·rs] ← r[k·rs] + a · x[k·xs] for k < n.
void bp_ball_axpy(bp_ball *r, ptrdiff_t rs, const bp_ball *a, const bp_ball *x, ptrdiff_t xs, ptrdiff_t n);
/// *r ← *r + Σ a[k·as] · b[k·bs], k < n, in order.
void bp_ball_dot(bp_ball *r, const bp_ball *a, ptrdiff_t as, const bp_ball *b, ptrdiff_t bs, ptrdiff_t n);
/// The block update of matrix products: for m < rows, n < cols, c[m·ldc + n] ← c[m·ldc + n] +
/// a[m·lda + k·ak]·b[k·ldb + n] for k = 0, 1, …, depth − 1 in that order — the bits of depth
/// calls of bp_ball_axpy per row of c (each entry one sequential sum, every step an enclosure),
/// computed by register-blocked tiles (ball_gemm.c). c must not overlap a or b.
void bp_ball_matrix_accumulate(bp_ball *c, ptrdiff_t ldc, const bp_ball *a, ptrdiff_t lda, ptrdiff_t ak,
                               const bp_ball *b, ptrdiff_t ldb, ptrdiff_t rows, ptrdiff_t cols, ptrdiff_t depth);
/// bp_ball_matrix_accumulate by one compilation of its kernel, for the tests: 0 the row kernels
/// (bp_ball_axpy per row and k), 1 the portable tile (8 lanes), 2 the AVX2 tile, 3 the AVX-512
/// tile; −1 the one bp_ball_matrix_accumulate takes here. Returns the variant that ran, or −1
/// (and c untouched) when this machine cannot run the one asked for.
int bp_ball_matrix_accumulate_variant(int variant, bp_ball *c, ptrdiff_t ldc, const bp_ball *a, ptrdiff_t lda,
                                      ptrdiff_t ak, const bp_ball *b, ptrdiff_t ldb, ptrdiff_t rows, ptrdiff_t cols,
                                      ptrdiff_t depth);
/// The sign of every point of a: −1, +1, 0 (a is the point 0), or 2 when not proven.
int bp_ball_sign(const bp_ball *a);
/// The sign of a − b as bp_ball_sign gives it.
int bp_ball_compare(const bp_ball *a, const bp_ball *b);
/// Whether the balls are disjoint (every point of a differs from every point of b).
int bp_ball_disjoint(const bp_ball *a, const bp_ball *b);
/// Whether b ⊆ a.
int bp_ball_encloses(const bp_ball *a, const bp_ball *b);
/// RN((a.hi + a.lo) − (b.hi + b.lo)) to double, as a double-double difference rounded once more.
double bp_ball_midpoint_difference(const bp_ball *a, const bp_ball *b);
/// 1 when the row kernels run on FMA hardware here (else on the portable fma).
int bp_ball_uses_fma_hardware(void);
/// Which compilation of the enclosures' row kernels runs here: 2 AVX-512, 1 AVX with FMA,
/// 0 portable (the quad-double kernels dispatch on it too).
int bp_ball_simd_level(void);

/// bp_ball_mul_acc with the discarded parts of the midpoint left out of the radius: a
/// deliberately unsound enclosure, for the test that shows the soundness checks catch one.
void bp_ball_mul_acc_unsound_for_testing(bp_ball *r, const bp_ball *a, const bp_ball *b);

#endif
