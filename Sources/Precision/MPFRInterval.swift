import CMPFR

/// A closed interval `[lo, hi]` of two MPFR values: one slot of `MPFRIntervalArithmetic`.
@frozen
public struct MPFRInterval {
    public var lo: __mpfr_struct
    public var hi: __mpfr_struct
}

/// `count` intervals of one precision in one arena (like `MPFRArena`, two bounds per slot).
public final class MPFRIntervalArena: ScalarStorage, @unchecked Sendable {
    public let count: Int
    public let bits: Int
    public let base: UnsafeMutablePointer<MPFRInterval>
    private let limbs: UnsafeMutableRawPointer

    /// `count` intervals `[+0, +0]`.
    public init(count: Int, bits: Int) {
        precondition(count >= 0 && bits >= PrecisionName.mpfrMinBits && bits <= PrecisionName.mpfrMaxBits)
        self.count = count
        self.bits = bits
        let limbBytes = mpfr_custom_get_size(mpfr_prec_t(bits))
        base = .allocate(capacity: Swift.max(count, 1))
        limbs = .allocate(byteCount: Swift.max(2 * count * limbBytes, 1), alignment: 16)
        for i in 0..<count {
            MPFRLibrary.initializeZero(MPFRIntervalArithmetic.lo(base + i), limbs: limbs + 2 * i * limbBytes, bits: bits)
            MPFRLibrary.initializeZero(MPFRIntervalArithmetic.hi(base + i), limbs: limbs + (2 * i + 1) * limbBytes, bits: bits)
        }
    }

    public func clone() -> MPFRIntervalArena {
        let copy = MPFRIntervalArena(count: count, bits: bits)
        for i in 0..<count {
            mpfr_set(MPFRIntervalArithmetic.lo(copy.base + i), MPFRIntervalArithmetic.lo(base + i), MPFR_RNDN)
            mpfr_set(MPFRIntervalArithmetic.hi(copy.base + i), MPFRIntervalArithmetic.hi(base + i), MPFR_RNDN)
        }
        return copy
    }

    deinit {
        base.deallocate()
        limbs.deallocate()
    }
}

/// Interval arithmetic over MPFR with outward rounding: every result encloses the exact result
/// of the operation applied to every point of its operand intervals. Exact operations on point
/// intervals give point intervals, so a computation that MPFR performs exactly stays a point:
/// that is how the certified reference proves a decision either by exactness or by an
/// enclosure that excludes the kink.
///
/// `compare` and `sign` answer only when the answer is proven (disjoint intervals, or equal
/// points); otherwise `nil`, which the engine's nonsmooth kernels record as an undecided site
/// and cover with a hull, so later values stay enclosures.
public struct MPFRIntervalArithmetic: ScalarArithmetic, Sendable {
    public typealias Slot = MPFRInterval
    public typealias Storage = MPFRIntervalArena

    /// Significand bits of both bounds.
    public let bits: Int
    /// The top of the escalation ladder (`nextRung`), at least `bits`.
    public let capBits: Int
    @usableFromInline let limbBytes: Int

    /// Intervals of `bits`-bit bounds; `capBits` (default `bits`: no rung above) tops the
    /// escalation ladder that `nextRung` climbs.
    public init(bits: Int, capBits: Int? = nil) {
        self.bits = bits
        self.capBits = Swift.max(capBits ?? bits, bits)
        self.limbBytes = mpfr_custom_get_size(mpfr_prec_t(bits))
    }

    public var precision: PrecisionName { .mpfr(bits: bits) }
    public var traits: ArithmeticTraits { ArithmeticTraits(isFixedWidth: false, canUnderflow: false, widerAccumulator: nil, isEnclosure: true) }
    public func makeStorage(count: Int) -> MPFRIntervalArena { MPFRIntervalArena(count: count, bits: bits) }
    public func independentCopy() -> MPFRIntervalArithmetic { self }

    @inlinable static func lo(_ r: UnsafeMutablePointer<MPFRInterval>) -> UnsafeMutablePointer<__mpfr_struct> {
        UnsafeMutableRawPointer(r).assumingMemoryBound(to: __mpfr_struct.self)
    }
    @inlinable static func hi(_ r: UnsafeMutablePointer<MPFRInterval>) -> UnsafeMutablePointer<__mpfr_struct> {
        (UnsafeMutableRawPointer(r) + MemoryLayout<__mpfr_struct>.stride).assumingMemoryBound(to: __mpfr_struct.self)
    }

    /// Runs `body` with `n` scratch MPFR values on the stack (no allocation).
    @inlinable func withTemporaries<R>(_ n: Int, _ body: (UnsafeMutablePointer<__mpfr_struct>) -> R) -> R {
        let bits = bits, limbBytes = limbBytes
        return withUnsafeTemporaryAllocation(byteCount: n * limbBytes, alignment: 16) { limbs in
            withUnsafeTemporaryAllocation(of: __mpfr_struct.self, capacity: n) { t in
                for k in 0..<n {
                    MPFRLibrary.initializeZero(t.baseAddress! + k, limbs: limbs.baseAddress! + k * limbBytes, bits: bits)
                }
                return body(t.baseAddress!)
            }
        }
    }

    /// Whether `a` is a single point (`lo = hi`).
    @inlinable public func isPoint(_ a: Ref) -> Bool { MPFRFields.equal(Self.lo(a), Self.hi(a)) }
    /// Whether either bound is NaN.
    @inlinable func hasNaN(_ a: Ref) -> Bool { MPFRFields.isNaN(Self.lo(a)) || MPFRFields.isNaN(Self.hi(a)) }

    public func copy(_ r: Ref, _ a: Ref) {
        mpfr_set(Self.lo(r), Self.lo(a), MPFR_RNDD)
        mpfr_set(Self.hi(r), Self.hi(a), MPFR_RNDU)
    }
    public func set(_ r: Ref, _ d: Double) {
        mpfr_set_d(Self.lo(r), d, MPFR_RNDD)
        mpfr_set_d(Self.hi(r), d, MPFR_RNDU)
    }
    /// The midpoint, to the nearest `Double`.
    public func double(_ a: Ref) -> Double {
        if isPoint(a) { return mpfr_get_d(Self.lo(a), MPFR_RNDN) }
        return withTemporaries(1) { t in
            mpfr_add(t, Self.lo(a), Self.hi(a), MPFR_RNDN)
            mpfr_div_2ui(t, t, 1, MPFR_RNDN)
            return mpfr_get_d(t, MPFR_RNDN)
        }
    }
    public func setPi(_ r: Ref) {
        mpfr_const_pi(Self.lo(r), MPFR_RNDD)
        mpfr_const_pi(Self.hi(r), MPFR_RNDU)
    }
    public func checkingExactness(_ body: () throws -> Void) rethrows -> Bool? { try MPFRLibrary.isExact(body) }

    public func add(_ r: Ref, _ a: Ref, _ b: Ref) {
        withTemporaries(1) { t in
            mpfr_add(t, Self.lo(a), Self.lo(b), MPFR_RNDD)
            mpfr_add(Self.hi(r), Self.hi(a), Self.hi(b), MPFR_RNDU)
            mpfr_set(Self.lo(r), t, MPFR_RNDD)
        }
    }
    public func subtract(_ r: Ref, _ a: Ref, _ b: Ref) {
        withTemporaries(1) { t in
            mpfr_sub(t, Self.lo(a), Self.hi(b), MPFR_RNDD)
            mpfr_sub(Self.hi(r), Self.hi(a), Self.lo(b), MPFR_RNDU)
            mpfr_set(Self.lo(r), t, MPFR_RNDD)
        }
    }
    public func multiply(_ r: Ref, _ a: Ref, _ b: Ref) {
        withTemporaries(4) { t in
            product(t, t + 1, a, b, t + 2)
            mpfr_set(Self.lo(r), t, MPFR_RNDD)
            mpfr_set(Self.hi(r), t + 1, MPFR_RNDU)
        }
    }
    public func divide(_ r: Ref, _ a: Ref, _ b: Ref) {
        // A divisor interval holding 0 gives no bound.
        if sign(b) == nil {
            mpfr_set_inf(Self.lo(r), -1)
            mpfr_set_inf(Self.hi(r), 1)
            if hasNaN(a) || hasNaN(b) { mpfr_set_nan(Self.lo(r)); mpfr_set_nan(Self.hi(r)) }
            return
        }
        withTemporaries(4) { t in
            cornerBounds(t, t + 1, a, b, t + 2, mpfr_div)
            mpfr_set(Self.lo(r), t, MPFR_RNDD)
            mpfr_set(Self.hi(r), t + 1, MPFR_RNDU)
        }
    }

    /// `[lo, hi] ←` an enclosure of `a·b` into two scratch values (`t` holds 2 more scratch).
    @inlinable func product(_ lo: UnsafeMutablePointer<__mpfr_struct>, _ hi: UnsafeMutablePointer<__mpfr_struct>,
                            _ a: Ref, _ b: Ref, _ t: UnsafeMutablePointer<__mpfr_struct>) {
        product(lo, hi, a, isPoint(a), b, t)
    }

    /// `product` with `a`'s point test done by the caller (once per row in `axpy`).
    @inlinable @inline(__always)
    func product(_ lo: UnsafeMutablePointer<__mpfr_struct>, _ hi: UnsafeMutablePointer<__mpfr_struct>,
                 _ a: Ref, _ pa: Bool, _ b: Ref, _ t: UnsafeMutablePointer<__mpfr_struct>) {
        let pb = isPoint(b)
        if pa && pb {
            mpfr_mul(lo, Self.lo(a), Self.lo(b), MPFR_RNDD)
            mpfr_mul(hi, Self.lo(a), Self.lo(b), MPFR_RNDU)
            return
        }
        // A point times an interval (the common case in backward: weight × gradient): the
        // bounds come from the interval's ends, swapped when the point is negative.
        if (pa || pb) && !MPFRFields.isNaN(Self.lo(pa ? a : b)) {
            let point = Self.lo(pa ? a : b), other = pa ? b : a
            let negative = MPFRFields.signBit(point) && !MPFRFields.isZero(point)
            mpfr_mul(lo, point, negative ? Self.hi(other) : Self.lo(other), MPFR_RNDD)
            mpfr_mul(hi, point, negative ? Self.lo(other) : Self.hi(other), MPFR_RNDU)
            if MPFRFields.isNaN(lo) || MPFRFields.isNaN(hi) { mpfr_set_nan(lo); mpfr_set_nan(hi) }
            return
        }
        cornerBounds(lo, hi, a, b, t, mpfr_mul)
    }

    /// `[lo, hi] ←` the min and max of `f` at the four corners of `a × b`, each rounded outward
    /// (`t` holds 2 scratch values). A NaN at any corner makes both bounds NaN.
    @inlinable func cornerBounds(_ lo: UnsafeMutablePointer<__mpfr_struct>, _ hi: UnsafeMutablePointer<__mpfr_struct>, _ a: Ref, _ b: Ref,
                                 _ t: UnsafeMutablePointer<__mpfr_struct>,
                                 _ f: (UnsafeMutablePointer<__mpfr_struct>, UnsafePointer<__mpfr_struct>, UnsafePointer<__mpfr_struct>, mpfr_rnd_t) -> Int32) {
        for k in 0..<4 {
            let x = k < 2 ? Self.lo(a) : Self.hi(a), y = k % 2 == 0 ? Self.lo(b) : Self.hi(b)
            _ = f(t, x, y, MPFR_RNDD)
            _ = f(t + 1, x, y, MPFR_RNDU)
            if k == 0 || mpfr_less_p(t, lo) != 0 { mpfr_set(lo, t, MPFR_RNDD) }
            if k == 0 || mpfr_greater_p(t + 1, hi) != 0 { mpfr_set(hi, t + 1, MPFR_RNDU) }
            if MPFRFields.isNaN(t) { mpfr_set_nan(lo); mpfr_set_nan(hi) }
        }
    }

    /// `[lo, hi] ← [RD(v), RU(v)]` from `lo = RN(v)` and its ternary value `t` (MPFR: the sign
    /// of RN(v) − v). The directed roundings of a correctly rounded operation are RN's value and
    /// its neighbour on the side of `v`, so one rounding gives both bounds — the same bits as
    /// two directed operations, for half the multiplications.
    @inlinable @inline(__always)
    func outward(_ lo: UnsafeMutablePointer<__mpfr_struct>, _ hi: UnsafeMutablePointer<__mpfr_struct>, _ t: Int32) {
        mpfr_set(hi, lo, MPFR_RNDN)
        if t > 0 { mpfr_nextbelow(lo) } else if t < 0 { mpfr_nextabove(hi) }
    }

    /// Whether both bounds of `x` are finite (neither NaN nor infinite).
    @inlinable @inline(__always) static func finite(_ x: Ref) -> Bool {
        let l = lo(x).pointee._mpfr_exp, h = hi(x).pointee._mpfr_exp
        return l != MPFRFields.nanExponent && l != MPFRFields.infExponent && h != MPFRFields.nanExponent && h != MPFRFields.infExponent
    }


    /// `rk ← rk + a·b` where `pa` says whether `a` is a point (`t`: 3 scratch values).
    ///
    /// The certified forward pass multiplies points (parameters × activations) that MPFR
    /// multiplies exactly and adds into point accumulators: there, one round-to-nearest
    /// multiplication and one addition give the bounds (`outward`), instead of two directed
    /// operations each. Results are the same bits as the general path, which runs whenever
    /// anything is not a regular point (zeros included: a sum cancelling to exactly 0 is −0
    /// rounded down and +0 rounded up, which the fast path reproduces below).
    @inlinable @inline(__always)
    func accumulateProduct(_ rk: Ref, _ a: Ref, _ pa: Bool, _ b: Ref, _ t: UnsafeMutablePointer<__mpfr_struct>) {
        // A zero point times a finite enclosure is exactly ±0, which leaves nonzero finite
        // bounds unchanged in every rounding: skip. (ReLU zeros and zero pixels make this the
        // most common product of the reference.)
        if MPFRFields.isRegular(Self.lo(rk)) && MPFRFields.isRegular(Self.hi(rk)) {
            if pa && MPFRFields.isZero(Self.lo(a)) && Self.finite(b) { return }
            if MPFRFields.isZero(Self.lo(b)) && MPFRFields.isZero(Self.hi(b)) && Self.finite(a) { return }
        }
        if pa && MPFRFields.isRegular(Self.lo(a)) && isPoint(b) && MPFRFields.isRegular(Self.lo(b)) {
            let tm = mpfr_mul(t, Self.lo(a), Self.lo(b), MPFR_RNDN)
            if tm == 0 && MPFRFields.isRegular(Self.lo(rk)) && isPoint(rk) {
                let ta = mpfr_add(Self.lo(rk), Self.lo(rk), t, MPFR_RNDN)
                if MPFRFields.isZero(Self.lo(rk)) {
                    // Two nonzero terms cancelled exactly.
                    mpfr_set_zero(Self.lo(rk), -1)
                    mpfr_set_zero(Self.hi(rk), 1)
                } else {
                    outward(Self.lo(rk), Self.hi(rk), ta)
                }
                return
            }
            outward(t, t + 1, tm)
        } else {
            product(t, t + 1, a, pa, b, t + 2)
        }
        mpfr_add(Self.lo(rk), Self.lo(rk), t, MPFR_RNDD)
        mpfr_add(Self.hi(rk), Self.hi(rk), t + 1, MPFR_RNDU)
    }

    /// `r ← r + a·b` (enclosures): the product lives on the stack, no allocation.
    public func multiplyAccumulate(_ r: Ref, _ a: Ref, _ b: Ref) {
        withTemporaries(4) { t in accumulateProduct(r, a, isPoint(a), b, t) }
    }
    /// An enclosure of `a·b + c` (the product's and the sum's enclosures; no tighter fused form).
    public func fusedMultiplyAdd(_ r: Ref, _ a: Ref, _ b: Ref, _ c: Ref) {
        withTemporaries(4) { t in
            product(t, t + 1, a, b, t + 2)
            mpfr_add(Self.lo(r), Self.lo(c), t, MPFR_RNDD)
            mpfr_add(Self.hi(r), Self.hi(c), t + 1, MPFR_RNDU)
        }
    }
    /// One set of stack scratch for the whole row (the default would make one per element).
    public func axpy(_ r: Ref, _ rs: Int, _ a: Ref, _ x: Ref, _ xs: Int, _ n: Int, fused: Bool) {
        let pa = isPoint(a)
        withTemporaries(4) { t in
            for k in 0..<n { accumulateProduct(r + k &* rs, a, pa, x + k &* xs, t) }
        }
    }
    public func dotAccumulate(_ r: Ref, _ a: Ref, _ as: Int, _ b: Ref, _ bs: Int, _ n: Int, fused: Bool) {
        withTemporaries(4) { t in
            for k in 0..<n {
                let ak = a + k &* `as`
                accumulateProduct(r, ak, isPoint(ak), b + k &* bs, t)
            }
        }
    }
    public func negate(_ r: Ref, _ a: Ref) {
        withTemporaries(1) { t in
            mpfr_neg(t, Self.hi(a), MPFR_RNDD)
            mpfr_neg(Self.hi(r), Self.lo(a), MPFR_RNDU)
            mpfr_set(Self.lo(r), t, MPFR_RNDD)
        }
    }
    public func magnitude(_ r: Ref, _ a: Ref) {
        switch sign(a) {
        case .some(1), .some(0): copy(r, a)
        case .some(-1): negate(r, a)
        default:
            withTemporaries(1) { t in
                mpfr_neg(t, Self.lo(a), MPFR_RNDU)
                if mpfr_greater_p(t, Self.hi(a)) != 0 { mpfr_set(Self.hi(r), t, MPFR_RNDU) } else { mpfr_set(Self.hi(r), Self.hi(a), MPFR_RNDU) }
                mpfr_set_zero(Self.lo(r), 1)
                if hasNaN(a) { mpfr_set_nan(Self.lo(r)); mpfr_set_nan(Self.hi(r)) }
            }
        }
    }

    /// Applies an increasing function bound by bound.
    @inlinable func increasing(_ r: Ref, _ a: Ref, _ f: (UnsafeMutablePointer<__mpfr_struct>, UnsafePointer<__mpfr_struct>, mpfr_rnd_t) -> Int32) {
        withTemporaries(1) { t in
            _ = f(t, Self.lo(a), MPFR_RNDD)
            _ = f(Self.hi(r), Self.hi(a), MPFR_RNDU)
            mpfr_set(Self.lo(r), t, MPFR_RNDD)
        }
    }
    public func squareRoot(_ r: Ref, _ a: Ref) { increasing(r, a, mpfr_sqrt) }
    public func exp(_ r: Ref, _ a: Ref) { increasing(r, a, mpfr_exp) }
    public func expMinusOne(_ r: Ref, _ a: Ref) { increasing(r, a, mpfr_expm1) }
    public func log(_ r: Ref, _ a: Ref) { increasing(r, a, mpfr_log) }
    public func logOnePlus(_ r: Ref, _ a: Ref) { increasing(r, a, mpfr_log1p) }
    public func tanh(_ r: Ref, _ a: Ref) { increasing(r, a, mpfr_tanh) }
    public func erf(_ r: Ref, _ a: Ref) { increasing(r, a, mpfr_erf) }

    @inlinable public func identical(_ a: Ref, _ b: Ref) -> Bool {
        MPFRFields.identical(Self.lo(a), Self.lo(b)) && MPFRFields.identical(Self.hi(a), Self.hi(b))
    }

    public func compare(_ a: Ref, _ b: Ref) -> Int? {
        if hasNaN(a) || hasNaN(b) { return nil }
        if mpfr_less_p(Self.hi(a), Self.lo(b)) != 0 { return -1 }
        if mpfr_greater_p(Self.lo(a), Self.hi(b)) != 0 { return 1 }
        if isPoint(a) && isPoint(b) && mpfr_equal_p(Self.lo(a), Self.lo(b)) != 0 { return 0 }
        return nil
    }
    public func sign(_ a: Ref) -> Int? {
        if hasNaN(a) { return nil }
        if MPFRFields.sign(Self.lo(a)) > 0 { return 1 }
        if MPFRFields.sign(Self.hi(a)) < 0 { return -1 }
        if MPFRFields.isZero(Self.lo(a)) && MPFRFields.isZero(Self.hi(a)) { return 0 }
        return nil
    }
    public func classify(_ a: Ref) -> ValueClass {
        if hasNaN(a) { return .nan }
        if mpfr_inf_p(Self.lo(a)) != 0 || mpfr_inf_p(Self.hi(a)) != 0 { return .infinite }
        if MPFRFields.isZero(Self.lo(a)) && MPFRFields.isZero(Self.hi(a)) { return .zero }
        return .normal
    }
    /// `r ← [min(a.lo, b.lo), max(a.hi, b.hi)]`.
    public func hull(_ r: Ref, _ a: Ref, _ b: Ref) {
        if hasNaN(a) || hasNaN(b) { mpfr_set_nan(Self.lo(r)); mpfr_set_nan(Self.hi(r)); return }
        withTemporaries(1) { t in
            if mpfr_less_p(Self.lo(b), Self.lo(a)) != 0 { mpfr_set(t, Self.lo(b), MPFR_RNDD) } else { mpfr_set(t, Self.lo(a), MPFR_RNDD) }
            if mpfr_greater_p(Self.hi(b), Self.hi(a)) != 0 { mpfr_set(Self.hi(r), Self.hi(b), MPFR_RNDU) } else { mpfr_set(Self.hi(r), Self.hi(a), MPFR_RNDU) }
            mpfr_set(Self.lo(r), t, MPFR_RNDD)
        }
    }

    /// Whether `a` encloses `b` (`a.lo ≤ b.lo` and `b.hi ≤ a.hi`; bounds of any precisions).
    /// False when either holds a NaN.
    public func encloses(_ a: Ref, _ b: Ref) -> Bool {
        if hasNaN(a) || hasNaN(b) { return false }
        return mpfr_lessequal_p(Self.lo(a), Self.lo(b)) != 0 && mpfr_lessequal_p(Self.hi(b), Self.hi(a)) != 0
    }

    /// `r ← [lo, hi]` (`lo ≤ hi`), each bound rounded outward to this precision.
    public func setBounds(_ r: Ref, _ lo: Double, _ hi: Double) {
        mpfr_set_d(Self.lo(r), lo, MPFR_RNDD)
        mpfr_set_d(Self.hi(r), hi, MPFR_RNDU)
    }

    /// The width `hi − lo` of `a` as a `Double` (rounded up).
    public func width(_ a: Ref) -> Double {
        withTemporaries(1) { t in
            mpfr_sub(t, Self.hi(a), Self.lo(a), MPFR_RNDU)
            return mpfr_get_d(t, MPFR_RNDU)
        }
    }

    /// `[lo, hi]` as decimal strings (one string when a point).
    public func decimalString(_ a: Ref, digits: Int = 0) -> String {
        let l = MPFRLibrary.decimalString(Self.lo(a), digits: digits)
        if isPoint(a) { return l }
        return "[\(l), \(MPFRLibrary.decimalString(Self.hi(a), digits: digits))]"
    }
}

/// The certified reference's arithmetic: the ladder doubles the bits up to `capBits`; midpoints
/// are formed from the bounds at `bits + 64` bits, in round-to-nearest.
extension MPFRIntervalArithmetic: EnclosingArithmetic {
    /// The same cap, `bits` bits (the cap raised to `bits` if below).
    public func withPrecision(bits: Int) -> MPFRIntervalArithmetic { MPFRIntervalArithmetic(bits: bits, capBits: capBits) }

    /// `min(2·bits, capBits)` bits, or `nil` once `bits` has reached `capBits`.
    public var nextRung: MPFRIntervalArithmetic? {
        bits < capBits ? MPFRIntervalArithmetic(bits: Swift.min(bits * 2, capBits), capBits: capBits) : nil
    }

    /// `a.hi < b.lo` or `b.hi < a.lo` (bounds of any precisions): `compare` answering ±1.
    public func provenDifferent(_ a: Ref, _ b: Ref) -> Bool {
        if hasNaN(a) || hasNaN(b) { return false }
        return mpfr_less_p(Self.hi(a), Self.lo(b)) != 0 || mpfr_greater_p(Self.lo(a), Self.hi(b)) != 0
    }

    /// `RN_Double(RN(RN(mid(a)) − RN(mid(b))))`, each inner `RN` at `bits + 64` bits, where
    /// `mid(x) = (x.lo + x.hi)·½`. The sum of two bounds of at most `bits` bits whose exponents
    /// differ by at most 63 is exact there, and so is the difference of two such midpoints of
    /// similar magnitude (a gradient entry under C and C′): then only the rounding to `Double`
    /// remains.
    public func midpointDifference(_ a: Ref, _ b: Ref) -> Double {
        withMidpointScratch { t in
            Self.midpoint(t, a)
            Self.midpoint(t + 1, b)
            mpfr_sub(t, t, t + 1, MPFR_RNDN)
            return mpfr_get_d(t, MPFR_RNDN)
        }
    }

    /// `RN₆₄(p − RN(mid(a)))` at `bits + 64` bits (`p` is exact there).
    public func midpointDifference(_ p: Double, _ a: Ref) -> Double {
        withMidpointScratch { t in
            Self.midpoint(t + 1, a)
            mpfr_set_d(t, p, MPFR_RNDN)
            mpfr_sub(t, t, t + 1, MPFR_RNDN)
            return mpfr_get_d(t, MPFR_RNDN)
        }
    }

    /// A point to 40 significant digits (exact when its decimal is that short, as 2⁻⁴⁰'s is),
    /// an interval `[lo, hi]` with its bounds to 20 (`decimalString`).
    public func render(_ a: Ref) -> String {
        decimalString(a, digits: isPoint(a) ? 40 : 20)
    }

    /// Two scratch values of `bits + 64` bits on the stack.
    func withMidpointScratch<R>(_ body: (UnsafeMutablePointer<__mpfr_struct>) -> R) -> R {
        MPFRIntervalArithmetic(bits: bits + 64).withTemporaries(2, body)
    }

    /// `m ← (x.lo + x.hi)·½`, rounded to nearest at `m`'s precision (the halving is exact).
    static func midpoint(_ m: UnsafeMutablePointer<__mpfr_struct>, _ x: Ref) {
        mpfr_add(m, lo(x), hi(x), MPFR_RNDN)
        mpfr_div_2ui(m, m, 1, MPFR_RNDN)
    }
}
