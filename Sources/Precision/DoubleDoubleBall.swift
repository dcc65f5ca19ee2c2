import CMPFR
import CNativeKernels

extension bp_ball: ZeroSlot {
    /// The point `+0`.
    public static var zeroSlot: bp_ball { bp_ball(hi: 0, lo: 0, rad: 0) }
}

/// **Double-double balls**: the certified reference's first rung, about ten times cheaper than
/// MPFR intervals and a fifth of their memory (24 bytes a value).
///
/// A slot `{hi, lo, rad}` stands for every real `x` with `|x − (hi + lo)| ≤ rad`: a midpoint of
/// about 106 significant bits (a normalised double-double, `hi = RN(hi + lo)`) and a radius.
/// Products and sums (`CNativeKernels/ball_kernels.c`) compute the midpoint with error-free
/// transformations — TwoSum, and TwoProduct by fma (hardware FMA where the CPU has it, else
/// glibc's correctly rounded `fma`: the same bits) — and add to the radius every part of the
/// exact result that the midpoint does not hold, itself known exactly; the radius is summed in
/// round-to-nearest and then enlarged past every rounding of that sum. So every result encloses
/// the exact result at every point of its operands, and a result is a **point** (`rad = 0`)
/// exactly when nothing was discarded: a computation that double-double performs exactly (f32
/// and f64 products, zeros, sums that fit) stays a point, as in MPFR.
///
/// Division, square root, the elementary functions, hulls and `|x|` of a ball straddling 0 go
/// through MPFR intervals at 256 bits and back (outward): correct, slower, and not where a
/// network's time goes. A result that overflows, or meets a NaN or an infinity it cannot
/// carry, is the **unknown** ball `{NaN, NaN, +∞}`: it proves nothing, so a decision depending
/// on it is undecided and the reference climbs to MPFR intervals (`ReferenceRun`).
///
/// `bits` is 106, the midpoint's precision; the ladder within this type has one rung.
public struct DoubleDoubleBallArithmetic: ScalarArithmetic, EnclosingArithmetic, Sendable {
    public typealias Slot = bp_ball
    public typealias Storage = FixedStorage<bp_ball>

    public init() {}

    /// The midpoint's significand bits (53 + 53).
    public var bits: Int { 106 }
    public var precision: PrecisionName { .mpfr(bits: 106) }
    /// Fixed-width: 24-byte values, cheap to copy, so the engine's unfolded and across-channel
    /// kernels (long rows for the vectorised row kernels) pay off as for the hardware formats.
    /// No underflow events: a tiny product's error is taken into the radius.
    public var traits: ArithmeticTraits { ArithmeticTraits(isFixedWidth: true, canUnderflow: false, widerAccumulator: nil, isEnclosure: true) }
    public func makeStorage(count: Int) -> FixedStorage<bp_ball> { FixedStorage(count: count) }
    public func independentCopy() -> Self { self }
    public func withPrecision(bits: Int) -> Self { self }
    public var nextRung: Self? { nil }

    /// The ball that proves nothing (overflow, NaN).
    static let unknown = bp_ball(hi: .nan, lo: .nan, rad: .infinity)
    /// Whether CNativeKernels' row kernels run on FMA hardware on this machine.
    public static var usesFMAHardware: Bool { bp_ball_uses_fma_hardware() != 0 }

    @inlinable public func copy(_ r: Ref, _ a: Ref) { r.pointee = a.pointee }
    public func set(_ r: Ref, _ d: Double) {
        r.pointee = d.isNaN ? Self.unknown : bp_ball(hi: d, lo: 0, rad: 0)
    }
    /// The midpoint's leading double: the `Double` nearest to `hi + lo`.
    @inlinable public func double(_ a: Ref) -> Double { a.pointee.hi }
    public func setPi(_ r: Ref) { viaMPFR(r) { i, t in i.setPi(t) } }
    /// Not tracked per operation (a point result *is* exact: `isPoint`).
    public func checkingExactness(_ body: () throws -> Void) rethrows -> Bool? {
        try body()
        return nil
    }

    public func add(_ r: Ref, _ a: Ref, _ b: Ref) { bp_ball_add(r, a, b) }
    public func subtract(_ r: Ref, _ a: Ref, _ b: Ref) {
        var nb = bp_ball(hi: -b.pointee.hi, lo: -b.pointee.lo, rad: b.pointee.rad)
        bp_ball_add(r, a, &nb)
    }
    public func multiply(_ r: Ref, _ a: Ref, _ b: Ref) { bp_ball_mul(r, a, b) }
    public func divide(_ r: Ref, _ a: Ref, _ b: Ref) { viaMPFR(r, a, b) { i, t, x, y in i.divide(t, x, y) } }
    /// One enclosure of `r + a·b` (no rounding to a format between the product and the sum).
    public func multiplyAccumulate(_ r: Ref, _ a: Ref, _ b: Ref) { bp_ball_mul_acc(r, a, b) }
    public func fusedMultiplyAdd(_ r: Ref, _ a: Ref, _ b: Ref, _ c: Ref) {
        var acc = c.pointee
        bp_ball_mul_acc(&acc, a, b)
        r.pointee = acc
    }
    public func axpy(_ r: Ref, _ rs: Int, _ a: Ref, _ x: Ref, _ xs: Int, _ n: Int, fused: Bool) {
        bp_ball_axpy(r, rs, a, x, xs, n)
    }
    public func dotAccumulate(_ r: Ref, _ a: Ref, _ as: Int, _ b: Ref, _ bs: Int, _ n: Int, fused: Bool) {
        bp_ball_dot(r, a, `as`, b, bs, n)
    }
    public func negate(_ r: Ref, _ a: Ref) {
        let v = a.pointee
        r.pointee = bp_ball(hi: -v.hi, lo: -v.lo, rad: v.rad)
    }
    public func magnitude(_ r: Ref, _ a: Ref) {
        switch sign(a) {
        case .some(1), .some(0): copy(r, a)
        case .some(-1): negate(r, a)
        default: viaMPFR(r, a) { i, t, x in i.magnitude(t, x) }
        }
    }
    public func squareRoot(_ r: Ref, _ a: Ref) { viaMPFR(r, a) { i, t, x in i.squareRoot(t, x) } }
    public func exp(_ r: Ref, _ a: Ref) { viaMPFR(r, a) { i, t, x in i.exp(t, x) } }
    public func expMinusOne(_ r: Ref, _ a: Ref) { viaMPFR(r, a) { i, t, x in i.expMinusOne(t, x) } }
    public func log(_ r: Ref, _ a: Ref) { viaMPFR(r, a) { i, t, x in i.log(t, x) } }
    public func logOnePlus(_ r: Ref, _ a: Ref) { viaMPFR(r, a) { i, t, x in i.logOnePlus(t, x) } }
    public func tanh(_ r: Ref, _ a: Ref) { viaMPFR(r, a) { i, t, x in i.tanh(t, x) } }
    public func erf(_ r: Ref, _ a: Ref) { viaMPFR(r, a) { i, t, x in i.erf(t, x) } }

    public func compare(_ a: Ref, _ b: Ref) -> Int? {
        let s = bp_ball_compare(a, b)
        return s == 2 ? nil : Int(s)
    }
    public func sign(_ a: Ref) -> Int? {
        let s = bp_ball_sign(a)
        return s == 2 ? nil : Int(s)
    }
    public func classify(_ a: Ref) -> ValueClass {
        let v = a.pointee
        if v.hi.isNaN || v.lo.isNaN || v.rad.isNaN { return .nan }
        if v.hi.isInfinite || v.rad.isInfinite { return .infinite }
        if v.hi == 0 && v.rad == 0 { return .zero }
        return .normal
    }
    public func hull(_ r: Ref, _ a: Ref, _ b: Ref) { viaMPFR(r, a, b) { i, t, x, y in i.hull(t, x, y) } }
    @inlinable public func identical(_ a: Ref, _ b: Ref) -> Bool {
        a.pointee.hi.bitPattern == b.pointee.hi.bitPattern && a.pointee.lo.bitPattern == b.pointee.lo.bitPattern
            && a.pointee.rad.bitPattern == b.pointee.rad.bitPattern
    }

    // MARK: Enclosures

    /// `rad = 0` with a finite midpoint (or a point infinity).
    @inlinable public func isPoint(_ a: Ref) -> Bool { a.pointee.rad == 0 && !a.pointee.hi.isNaN }
    /// `2·rad`, rounded up; `+∞` for the unknown ball.
    public func width(_ a: Ref) -> Double {
        let v = a.pointee
        if v.hi.isNaN { return .nan }
        return v.rad == 0 ? 0 : (2 * v.rad).nextUp
    }
    public func encloses(_ a: Ref, _ b: Ref) -> Bool { bp_ball_encloses(a, b) != 0 }
    public func provenDifferent(_ a: Ref, _ b: Ref) -> Bool { bp_ball_disjoint(a, b) != 0 }
    /// `RN₆₄(mid a − mid b)`, the midpoints' difference formed in double-double.
    public func midpointDifference(_ a: Ref, _ b: Ref) -> Double { bp_ball_midpoint_difference(a, b) }
    public func midpointDifference(_ p: Double, _ a: Ref) -> Double {
        var point = bp_ball(hi: p, lo: 0, rad: 0)
        return bp_ball_midpoint_difference(&point, a)
    }
    /// As MPFR intervals render: a point to 40 significant digits, a ball as its bounds to 20.
    /// A zero point renders as 0 whatever its sign (there is one zero over ℝ, and MPFR's exact
    /// cancellations are `[−0, +0]`, rendered 0).
    public func render(_ a: Ref) -> String {
        var v = a.pointee
        if v.rad == 0 && v.hi == 0 { v = bp_ball(hi: 0, lo: 0, rad: 0) }
        return Self.withInterval { i, t in
            toInterval(t, &v)
            return i.render(t)
        }
    }

    // MARK: MPFR conversions (the slow path)

    /// The interval arithmetic of the slow path.
    static let interval = MPFRIntervalArithmetic(bits: 256)

    /// Runs `body` with four 256-bit interval scratch slots.
    static func withInterval<R>(_ body: (MPFRIntervalArithmetic, UnsafeMutablePointer<MPFRInterval>) -> R) -> R {
        let arena = MPFRIntervalArena(count: 4, bits: 256)
        return withExtendedLifetime(arena) { body(interval, arena.base) }
    }

    /// `t ← [(hi + lo) − rad, (hi + lo) + rad]`, each bound rounded outward.
    func toInterval(_ t: UnsafeMutablePointer<MPFRInterval>, _ a: Ref) {
        let v = a.pointee
        let lo = MPFRIntervalArithmetic.lo(t), hi = MPFRIntervalArithmetic.hi(t)
        if v.hi.isNaN || v.lo.isNaN || v.rad.isNaN {
            mpfr_set_nan(lo); mpfr_set_nan(hi); return
        }
        // Zero terms are skipped: x − 0 rounded down is −0 for x = +0, and a point must stay
        // one value.
        mpfr_set_d(lo, v.hi, MPFR_RNDD)
        mpfr_set_d(hi, v.hi, MPFR_RNDU)
        if v.lo != 0 {
            mpfr_add_d(lo, lo, v.lo, MPFR_RNDD)
            mpfr_add_d(hi, hi, v.lo, MPFR_RNDU)
        }
        if v.rad != 0 {
            mpfr_sub_d(lo, lo, v.rad, MPFR_RNDD)
            mpfr_add_d(hi, hi, v.rad, MPFR_RNDU)
        }
    }

    /// `r ←` a ball enclosing the interval `t` (`t + 1` is scratch): the midpoint rounded to a
    /// double-double, the radius the larger distance to a bound, rounded up.
    func fromInterval(_ r: Ref, _ t: UnsafeMutablePointer<MPFRInterval>) {
        let lo = MPFRIntervalArithmetic.lo(t), hi = MPFRIntervalArithmetic.hi(t)
        let m = MPFRIntervalArithmetic.lo(t + 1), d = MPFRIntervalArithmetic.hi(t + 1)
        guard mpfr_number_p(lo) != 0, mpfr_number_p(hi) != 0 else {
            // A point infinity stays one; anything else unbounded proves nothing.
            if mpfr_inf_p(lo) != 0 && mpfr_equal_p(lo, hi) != 0 {
                r.pointee = bp_ball(hi: mpfr_get_d(lo, MPFR_RNDN), lo: 0, rad: 0)
            } else {
                r.pointee = Self.unknown
            }
            return
        }
        mpfr_add(m, lo, hi, MPFR_RNDN)
        mpfr_div_2ui(m, m, 1, MPFR_RNDN)
        var h = mpfr_get_d(m, MPFR_RNDN)
        mpfr_sub_d(d, m, h, MPFR_RNDN)
        var l = mpfr_get_d(d, MPFR_RNDN)
        let s = h + l
        l = l - (s - h)  // |l| ≤ ulp(h)/2 already, so this is Fast2Sum: exact, h + l unchanged
        h = s
        guard h.isFinite, l.isFinite else { r.pointee = Self.unknown; return }
        // rad ≥ max(hi − (h + l), (h + l) − lo), each difference rounded up in two steps.
        mpfr_sub_d(m, hi, h, MPFR_RNDU)
        mpfr_sub_d(m, m, l, MPFR_RNDU)
        mpfr_set_d(d, h, MPFR_RNDU)
        mpfr_sub(d, d, lo, MPFR_RNDU)
        mpfr_add_d(d, d, l, MPFR_RNDU)
        if mpfr_less_p(m, d) != 0 { mpfr_swap(m, d) }
        let rad = MPFRFields.sign(m) <= 0 ? 0 : mpfr_get_d(m, MPFR_RNDU)
        r.pointee = rad.isFinite ? bp_ball(hi: h, lo: l, rad: rad) : Self.unknown
    }

    /// `r ←` a ball enclosing the MPFR interval `a` (of any precision): how values computed by
    /// the MPFR rungs for a few samples are put back among the balls'.
    public func setEnclosing(_ r: Ref, _ a: UnsafeMutablePointer<MPFRInterval>) {
        Self.withInterval { i, t in
            i.copy(t, a)
            fromInterval(r, t)
        }
    }

    func viaMPFR(_ r: Ref, _ f: (MPFRIntervalArithmetic, UnsafeMutablePointer<MPFRInterval>) -> Void) {
        Self.withInterval { i, t in
            f(i, t)
            fromInterval(r, t)
        }
    }
    func viaMPFR(_ r: Ref, _ a: Ref, _ f: (MPFRIntervalArithmetic, UnsafeMutablePointer<MPFRInterval>, UnsafeMutablePointer<MPFRInterval>) -> Void) {
        Self.withInterval { i, t in
            toInterval(t + 2, a)
            f(i, t, t + 2)
            fromInterval(r, t)
        }
    }
    func viaMPFR(_ r: Ref, _ a: Ref, _ b: Ref,
                 _ f: (MPFRIntervalArithmetic, UnsafeMutablePointer<MPFRInterval>, UnsafeMutablePointer<MPFRInterval>, UnsafeMutablePointer<MPFRInterval>) -> Void) {
        Self.withInterval { i, t in
            toInterval(t + 2, a)
            toInterval(t + 3, b)
            f(i, t, t + 2, t + 3)
            fromInterval(r, t)
        }
    }
}
