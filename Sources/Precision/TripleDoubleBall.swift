import CMPFR
import CNativeKernels

extension bp_tball: ZeroSlot {
    /// The point `+0`.
    public static var zeroSlot: bp_tball { bp_tball(c0: 0, c1: 0, c2: 0, rad: 0) }
}

/// **Triple-double balls**: the certified reference's backward rung between the double-double
/// and the quad-double balls. A network whose double-double enclosures of the gradient are too
/// wide for R's bound, but by less than 53 bits' worth (VGG11 at f64's 2⁻⁸⁰: double-double
/// reaches ~2⁻⁴⁷, triple-double ~2⁻¹⁰⁰), is differentiated here at about half the quad-double
/// step's cost (`CNativeKernels/tball_kernels.c`); one that needs more (ResNet18: double-double
/// 2¹¹) goes on to quad-double balls.
///
/// A slot `{c0, c1, c2, rad}` stands for every real `x` with `|x − (c0 + c1 + c2)| ≤ rad`: a
/// midpoint of about 159 bits (three doubles, renormalised after every operation) and a radius.
/// The construction is `QuadDoubleBallArithmetic`'s one level shorter: products and sums form
/// the midpoint with error-free transformations grouped by magnitude; what the three doubles do
/// not keep is bounded and added to the radius, which is summed in round-to-nearest and enlarged
/// past every rounding of that sum. So every result encloses the exact result at every point of
/// its operands. As for the quad-double balls, sums are not tracked for exactness: this rung is
/// for the backward passes and the forward re-run they need, on decisions already proven.
///
/// Decisions, where asked, are proven: by the kernels when the enclosure excludes the kink, and
/// for points (radius 0) exactly, through MPFR at 2200 bits. Division, square root and the
/// elementary functions go through MPFR intervals at 256 bits. Overflow or NaN gives the
/// unknown ball, which proves nothing.
public struct TripleDoubleBallArithmetic: ScalarArithmetic, EnclosingArithmetic, BallSlowPath, Sendable {
    public typealias Slot = bp_tball
    public typealias Storage = FixedStorage<bp_tball>

    public init() {}

    /// The midpoint's significand bits (3 × 53).
    public var bits: Int { 159 }
    public var precision: PrecisionName { .mpfr(bits: 159) }
    /// Fixed-width (32-byte values): the engine's unfolded kernels, as for the double-double balls.
    public var traits: ArithmeticTraits { ArithmeticTraits(isFixedWidth: true, canUnderflow: false, widerAccumulator: nil, isEnclosure: true) }
    public func makeStorage(count: Int) -> FixedStorage<bp_tball> { FixedStorage(count: count) }
    public func independentCopy() -> Self { self }
    public func withPrecision(bits: Int) -> Self { self }
    public var nextRung: Self? { nil }

    static let unknown = bp_tball(c0: .nan, c1: .nan, c2: .nan, rad: .infinity)

    @inlinable public func copy(_ r: Ref, _ a: Ref) { r.pointee = a.pointee }
    public func set(_ r: Ref, _ d: Double) {
        r.pointee = d.isNaN ? Self.unknown : bp_tball(c0: d, c1: 0, c2: 0, rad: 0)
    }
    /// The midpoint's leading double (within an ulp of `c0 + c1 + c2`).
    @inlinable public func double(_ a: Ref) -> Double { a.pointee.c0 }
    public func setPi(_ r: Ref) { viaMPFR(r) { i, t in i.setPi(t) } }
    public func checkingExactness(_ body: () throws -> Void) rethrows -> Bool? {
        try body()
        return nil
    }

    public func add(_ r: Ref, _ a: Ref, _ b: Ref) { bp_tball_add(r, a, b) }
    public func subtract(_ r: Ref, _ a: Ref, _ b: Ref) {
        var nb = Self.negated(b.pointee)
        bp_tball_add(r, a, &nb)
    }
    public func multiply(_ r: Ref, _ a: Ref, _ b: Ref) { bp_tball_mul(r, a, b) }
    public func divide(_ r: Ref, _ a: Ref, _ b: Ref) { viaMPFR(r, a, b) { i, t, x, y in i.divide(t, x, y) } }
    public func multiplyAccumulate(_ r: Ref, _ a: Ref, _ b: Ref) { bp_tball_mul_acc(r, a, b) }
    public func fusedMultiplyAdd(_ r: Ref, _ a: Ref, _ b: Ref, _ c: Ref) {
        var acc = c.pointee
        bp_tball_mul_acc(&acc, a, b)
        r.pointee = acc
    }
    public func axpy(_ r: Ref, _ rs: Int, _ a: Ref, _ x: Ref, _ xs: Int, _ n: Int, fused: Bool) {
        bp_tball_axpy(r, rs, a, x, xs, n)
    }
    public func dotAccumulate(_ r: Ref, _ a: Ref, _ as: Int, _ b: Ref, _ bs: Int, _ n: Int, fused: Bool) {
        bp_tball_dot(r, a, `as`, b, bs, n)
    }
    /// Register-blocked tiles (`CNativeKernels/tball_gemm.c`) with the bits of the row kernels'
    /// loop `matrixAccumulateByRows` (`MultiDoubleBallGemmTests`); `fused` changes nothing.
    public func matrixAccumulate(_ c: Ref, _ ldc: Int, _ a: Ref, _ lda: Int, _ ak: Int, _ b: Ref, _ ldb: Int,
                                 rows: Int, cols: Int, depth: Int, fused: Bool) {
        bp_tball_matrix_accumulate(c, ldc, a, lda, ak, b, ldb, rows, cols, depth)
    }
    static func negated(_ v: bp_tball) -> bp_tball { bp_tball(c0: -v.c0, c1: -v.c1, c2: -v.c2, rad: v.rad) }
    public func negate(_ r: Ref, _ a: Ref) { r.pointee = Self.negated(a.pointee) }
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
        let s = bp_tball_compare(a, b)
        if s != 2 { return Int(s) }
        return a.pointee.rad == 0 && b.pointee.rad == 0 ? Self.exactSign(a.pointee, minus: b.pointee) : nil
    }
    public func sign(_ a: Ref) -> Int? {
        if a.pointee.rad == 0 && a.pointee.c1 == 0 && a.pointee.c2 == 0 && a.pointee.c0.isInfinite {
            return a.pointee.c0 > 0 ? 1 : -1
        }
        let s = bp_tball_compare(a, nil)
        if s != 2 { return Int(s) }
        return a.pointee.rad == 0 ? Self.exactSign(a.pointee, minus: nil) : nil
    }
    /// The sign of `mid a − mid b` for points, exactly: any sum of doubles is exact in 2200 bits
    /// (they span 2⁻¹⁰⁷⁴ to 2¹⁰²⁴). Nil for the unknown ball.
    static func exactSign(_ a: bp_tball, minus b: bp_tball?) -> Int? {
        var terms = parts(a).components
        if let b { terms += parts(b).components.map { -$0 } }
        guard terms.allSatisfy(\.isFinite) else { return nil }
        let sum = MPFRArithmetic(bits: 2200), s = sum.makeStorage(count: 1)
        return withExtendedLifetime(s) {
            mpfr_set_zero(s.base, 1)
            for x in terms { mpfr_add_d(s.base, s.base, x, MPFR_RNDN) }
            return Int(MPFRFields.sign(s.base))
        }
    }
    public func classify(_ a: Ref) -> ValueClass {
        let v = a.pointee
        if v.c0.isNaN || v.rad.isNaN { return .nan }
        if v.c0.isInfinite || v.rad.isInfinite { return .infinite }
        if v.c0 == 0 && v.c1 == 0 && v.rad == 0 { return .zero }
        return .normal
    }
    public func hull(_ r: Ref, _ a: Ref, _ b: Ref) { viaMPFR(r, a, b) { i, t, x, y in i.hull(t, x, y) } }
    @inlinable public func identical(_ a: Ref, _ b: Ref) -> Bool {
        let x = a.pointee, y = b.pointee
        return x.c0.bitPattern == y.c0.bitPattern && x.c1.bitPattern == y.c1.bitPattern && x.c2.bitPattern == y.c2.bitPattern
            && x.rad.bitPattern == y.rad.bitPattern
    }

    // MARK: Enclosures

    @inlinable public func isPoint(_ a: Ref) -> Bool { a.pointee.rad == 0 && !a.pointee.c0.isNaN }
    /// `2·rad`, rounded up; NaN for the unknown ball.
    public func width(_ a: Ref) -> Double {
        let v = a.pointee
        if v.c0.isNaN { return .nan }
        return v.rad == 0 ? 0 : (2 * v.rad).nextUp
    }
    public func encloses(_ a: Ref, _ b: Ref) -> Bool { bp_tball_encloses(a, b) != 0 }
    public func provenDifferent(_ a: Ref, _ b: Ref) -> Bool {
        guard let c = compare(a, b) else { return false }
        return c != 0
    }
    /// The leading double of the triple-double difference of the midpoints.
    public func midpointDifference(_ a: Ref, _ b: Ref) -> Double { bp_tball_midpoint_difference(a, b) }
    public func midpointDifference(_ p: Double, _ a: Ref) -> Double {
        var point = bp_tball(c0: p, c1: 0, c2: 0, rad: 0)
        return bp_tball_midpoint_difference(&point, a)
    }
    public func render(_ a: Ref) -> String { renderBall(a) }

    // MARK: The slow path (BallSlowPath)

    static let slowPath = MPFRIntervalArithmetic(bits: 256)
    static func parts(_ a: bp_tball) -> (components: [Double], radius: Double) { ([a.c0, a.c1, a.c2], a.rad) }
    static func slot(components c: [Double], radius: Double) -> bp_tball {
        bp_tball(c0: c[0], c1: c[1], c2: c[2], rad: radius)
    }

    /// `r ←` a ball enclosing the MPFR interval `a` (of any precision).
    public func setEnclosing(_ r: Ref, _ a: UnsafeMutablePointer<MPFRInterval>) { enclose(r, a) }
}
