import CMPFR

/// MPFR arithmetic at a precision chosen at run time (`mpfr:N`): every operation correctly
/// rounded to `bits` significand bits in the chosen direction, values stored in `MPFRArena`s.
///
/// MPFR's exponent range (about ±2³⁰ binary orders) means no overflow, underflow or
/// subnormal occurs in anything a network computes; `classify` reports `.normal` for every
/// finite nonzero value.
///
/// Exactness: MPFR reports whether each operation rounded. `isExact(_:)` runs a computation
/// and says whether every operation in it was exact, the basis of the certified reference's
/// proofs. MPFR's flags are per thread in the library build this package links (checked by
/// `MPFRLibrary.flagsArePerThread`).
public struct MPFRArithmetic: ScalarArithmetic, Sendable {
    public typealias Slot = __mpfr_struct
    public typealias Storage = MPFRArena

    /// Significand bits of every result.
    public let bits: Int
    /// The rounding direction of every operation.
    public let rounding: MPFRRounding
    @usableFromInline let rnd: mpfr_rnd_t
    /// Bytes of limbs per value: the product of `multiplyAccumulate` lives on the stack, so the
    /// arithmetic holds no mutable state and copies can run on any number of threads.
    @usableFromInline let limbBytes: Int

    /// An arithmetic of `bits` significand bits rounding in direction `rounding`.
    public init(bits: Int, rounding: MPFRRounding = .nearest) {
        self.bits = bits
        self.rounding = rounding
        self.rnd = rounding.mode
        self.limbBytes = mpfr_custom_get_size(mpfr_prec_t(bits))
    }

    public var precision: PrecisionName { .mpfr(bits: bits) }
    public var traits: ArithmeticTraits { ArithmeticTraits(isFixedWidth: false, canUnderflow: false, widerAccumulator: nil, isEnclosure: false) }
    public func makeStorage(count: Int) -> MPFRArena { MPFRArena(count: count, bits: bits) }
    /// MPFR arithmetics hold no mutable state: the copy is `self`.
    public func independentCopy() -> MPFRArithmetic { self }
    /// The same precision rounding in another direction (shares nothing with `self`).
    public func rounding(_ direction: MPFRRounding) -> MPFRArithmetic { MPFRArithmetic(bits: bits, rounding: direction) }

    @inlinable public func copy(_ r: Ref, _ a: Ref) { mpfr_set(r, a, rnd) }
    @inlinable public func set(_ r: Ref, _ d: Double) { mpfr_set_d(r, d, rnd) }
    @inlinable public func double(_ a: Ref) -> Double { mpfr_get_d(a, MPFR_RNDN) }
    @inlinable public func setPi(_ r: Ref) { mpfr_const_pi(r, rnd) }
    public func checkingExactness(_ body: () throws -> Void) rethrows -> Bool? {
        try MPFRLibrary.isExact(body)
    }

    @inlinable public func add(_ r: Ref, _ a: Ref, _ b: Ref) { mpfr_add(r, a, b, rnd) }
    @inlinable public func subtract(_ r: Ref, _ a: Ref, _ b: Ref) { mpfr_sub(r, a, b, rnd) }
    @inlinable public func multiply(_ r: Ref, _ a: Ref, _ b: Ref) { mpfr_mul(r, a, b, rnd) }
    @inlinable public func divide(_ r: Ref, _ a: Ref, _ b: Ref) { mpfr_div(r, a, b, rnd) }
    @inlinable public func multiplyAccumulate(_ r: Ref, _ a: Ref, _ b: Ref) {
        let bits = bits, rnd = rnd
        withUnsafeTemporaryAllocation(byteCount: limbBytes, alignment: 16) { limbs in
            withUnsafeTemporaryAllocation(of: __mpfr_struct.self, capacity: 1) { product in
                let p = product.baseAddress!
                MPFRLibrary.initializeZero(p, limbs: limbs.baseAddress!, bits: bits)
                mpfr_mul(p, a, b, rnd)
                mpfr_add(r, r, p, rnd)
            }
        }
    }
    @inlinable public func fusedMultiplyAdd(_ r: Ref, _ a: Ref, _ b: Ref, _ c: Ref) { mpfr_fma(r, a, b, c, rnd) }
    @inlinable public func negate(_ r: Ref, _ a: Ref) { mpfr_neg(r, a, rnd) }
    @inlinable public func magnitude(_ r: Ref, _ a: Ref) { mpfr_abs(r, a, rnd) }
    @inlinable public func squareRoot(_ r: Ref, _ a: Ref) { mpfr_sqrt(r, a, rnd) }

    @inlinable public func exp(_ r: Ref, _ a: Ref) { mpfr_exp(r, a, rnd) }
    @inlinable public func expMinusOne(_ r: Ref, _ a: Ref) { mpfr_expm1(r, a, rnd) }
    @inlinable public func log(_ r: Ref, _ a: Ref) { mpfr_log(r, a, rnd) }
    @inlinable public func logOnePlus(_ r: Ref, _ a: Ref) { mpfr_log1p(r, a, rnd) }
    @inlinable public func tanh(_ r: Ref, _ a: Ref) { mpfr_tanh(r, a, rnd) }
    @inlinable public func erf(_ r: Ref, _ a: Ref) { mpfr_erf(r, a, rnd) }

    @inlinable public func identical(_ a: Ref, _ b: Ref) -> Bool { MPFRFields.identical(a, b) }

    @inlinable public func compare(_ a: Ref, _ b: Ref) -> Int? {
        if mpfr_nan_p(a) != 0 || mpfr_nan_p(b) != 0 { return nil }
        let c = mpfr_cmp(a, b)
        return c < 0 ? -1 : (c > 0 ? 1 : 0)
    }
    @inlinable public func sign(_ a: Ref) -> Int? {
        if mpfr_nan_p(a) != 0 { return nil }
        if mpfr_zero_p(a) != 0 { return 0 }
        return mpfr_signbit(a) != 0 ? -1 : 1
    }
    @inlinable public func classify(_ a: Ref) -> ValueClass {
        if mpfr_nan_p(a) != 0 { return .nan }
        if mpfr_inf_p(a) != 0 { return .infinite }
        if mpfr_zero_p(a) != 0 { return .zero }
        return .normal
    }

    /// Runs `body` and returns whether every MPFR operation it performed (on this thread) was
    /// exact, i.e. none rounded. Nests: an enclosing `isExact` still sees the inexactness.
    public func isExact(_ body: () throws -> Void) rethrows -> Bool {
        try MPFRLibrary.isExact(body)
    }

    /// The value in `a` as a decimal string that reads back to the same value at this precision
    /// (`digits == 0`, MPFR's choice of enough digits) or with `digits` significant digits,
    /// e.g. `9.094947017729282379150390625e-13`, `-0`, `inf`, `nan`.
    public func decimalString(_ a: Ref, digits: Int = 0) -> String {
        MPFRLibrary.decimalString(a, digits: digits)
    }
}
