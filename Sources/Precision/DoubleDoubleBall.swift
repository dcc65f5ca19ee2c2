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
public struct DoubleDoubleBallArithmetic: ScalarArithmetic, EnclosingArithmetic, BallSlowPath, Sendable {
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
    /// Register-blocked tiles (`CNativeKernels/ball_gemm.c`) with the bits of the row kernels'
    /// loop `matrixAccumulateByRows` (`BallGemmTests`). `fused` changes nothing, as for `axpy`:
    /// every step is already one enclosure of `c + a·b`.
    public func matrixAccumulate(_ c: Ref, _ ldc: Int, _ a: Ref, _ lda: Int, _ ak: Int, _ b: Ref, _ ldb: Int,
                                 rows: Int, cols: Int, depth: Int, fused: Bool) {
        bp_ball_matrix_accumulate(c, ldc, a, lda, ak, b, ldb, rows, cols, depth)
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
    /// As MPFR intervals render: a point to 40 significant digits, a ball as its bounds to 20
    /// (a zero point as 0 whatever its sign).
    public func render(_ a: Ref) -> String { renderBall(a) }

    // MARK: The slow path (BallSlowPath)

    static let slowPath = MPFRIntervalArithmetic(bits: 256)
    static func parts(_ a: bp_ball) -> (components: [Double], radius: Double) { ([a.hi, a.lo], a.rad) }
    static func slot(components c: [Double], radius: Double) -> bp_ball { bp_ball(hi: c[0], lo: c[1], rad: radius) }

    /// `r ←` a ball enclosing the MPFR interval `a` (of any precision): how values computed by
    /// the MPFR rungs for a few samples are put back among the balls'.
    public func setEnclosing(_ r: Ref, _ a: UnsafeMutablePointer<MPFRInterval>) { enclose(r, a) }
}
