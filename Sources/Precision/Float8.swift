import RealModule

// The two OCP 8-bit floating-point formats ("OCP 8-bit Floating Point Specification (OFP8)",
// revision 1.0, 2023), emulated exactly.
//
// Why the arithmetic is exact. Every value of both formats is exactly a `Double`. `+ − ×` of two
// values are exact in `Double` (a product has at most 8 significand bits; a sum spans at most
// 15 − (−16) + 3 = 34 bits for E5M2), so rounding the `Double` result once to the format is the
// correctly rounded operation. `÷` and `√` are rounded twice (to `Double`, then to the format);
// two roundings equal one when the wider format has at least `2p + 2` bits (Figueroa, "When is
// double rounding innocuous?", 1995), and `53 ≥ 2·4 + 2`. The fused multiply-add computes the
// exact product in `Double`, adds with round-to-odd (`sumRoundedToOdd`, the same routine the
// 16-bit formats use) and rounds once. Elementary functions are computed in `Double` (libm) and
// rounded once. The tests check all of this against MPFR and the encodings against ml_dtypes.

/// What a conversion does with a finite value whose rounded magnitude exceeds the format's
/// largest finite value, and with ±∞.
///
/// The OFP8 specification (§ 5, conversions) leaves the choice to the implementation and names
/// both modes. bpcheck's precisions `e4m3`/`e5m2` use `.nonSaturating`, the semantics of
/// PyTorch's `tensor.to(torch.float8_*)` and of ml_dtypes' `astype`: an overflow stays visible
/// as a value (NaN for E4M3FN, which has no infinities; ±∞ for E5M2) and is counted among the
/// range events of the node where it happened. `.saturating` is what NVIDIA's `cvt…satfinite`
/// and Transformer Engine's casts do.
public enum Float8Overflow: Sendable, Hashable {
    /// Finite overflows and ±∞ become ±(largest finite value); NaN stays NaN.
    case saturating
    /// Finite overflows become ±∞ (E5M2) or NaN (E4M3FN, sign kept); ±∞ stays ±∞ (E5M2) or
    /// becomes NaN (E4M3FN).
    case nonSaturating
}

/// The value of `d` rounded to the binary grid of a format with `p` significand bits and least
/// normal exponent `emin`, with subnormals and an unbounded exponent above: round to nearest,
/// ties to even. Exact: scaling by a power of two is exact at these magnitudes, and
/// `rounded(.toNearestOrEven)` is exact. `d` must be finite; the result may exceed the format's
/// range (the caller decides overflow) and is `±∞` only when it exceeds `Double`'s.
@inlinable
public func roundDoubleToGrid(_ d: Double, p: Int, emin: Int) -> Double {
    let a = d.magnitude
    if a == 0 { return d }
    // The exponent of the leading bit (`Double.exponent` is exact for subnormal doubles too).
    let e = Swift.max(Int(a.exponent), emin)
    let quantum = e - (p - 1)
    // a·2^−quantum < 2^p + 1: exact (no overflow, and for tiny a at most a shift of 2^1074).
    let scaled = (a * Double(sign: .plus, exponent: -quantum, significand: 1)).rounded(.toNearestOrEven)
    let r = scaled * Double(sign: .plus, exponent: quantum, significand: 1)
    return d.sign == .minus ? -r : r
}

/// The parameters and special encodings of an 8-bit format: `1` sign bit, `exponentBits`,
/// `fractionBits = 7 − exponentBits`.
public protocol Float8Encoding {
    /// The format's parameters (`p`, `emin`, `emax`, largest finite value).
    static var format: FormatInfo { get }
    /// The exponent bias (7 for E4M3FN, 15 for E5M2).
    static var exponentBias: Int { get }
    /// Whether the encodings S.11111.00 are ±∞ (E5M2) or the format has no infinities (E4M3FN).
    static var hasInfinities: Bool { get }
    /// The encoding of the positive quiet NaN conversions produce: 0x7F for E4M3FN (its only
    /// NaN, S.1111.111), 0x7E for E5M2 (S.11111.10, what ml_dtypes produces).
    static var quietNaNBits: UInt8 { get }
}

/// An OCP 8-bit float (`Float8E4M3FN`, `Float8E5M2`): a value stored as its encoding, computed
/// in `Double` and rounded back once in software (see the comment at the top of `Float8.swift`
/// for why that is correctly rounded). Conversions into the format are non-saturating
/// (`Float8Overflow.nonSaturating`); `init(_:overflow:)` offers both modes.
public protocol Emulated8BitFloat: FloatingScalar, Float8Encoding, ExpressibleByFloatLiteral where BitPattern == UInt8 {}

extension Emulated8BitFloat {
    @inlinable static var fractionBits: Int { format.significandBits - 1 }
    @inlinable static var fractionMask: UInt8 { UInt8((1 << fractionBits) - 1) }
    @inlinable static var exponentFieldMask: UInt8 { 0x7F & ~fractionMask }

    /// The encoding of the value nearest `d` (ties to even, gradual underflow); overflows and
    /// ±∞ as `overflow` says; a NaN becomes the quiet NaN with `d`'s sign.
    @inlinable
    public static func encode(_ d: Double, overflow: Float8Overflow) -> UInt8 {
        let sign: UInt8 = d.sign == .minus ? 0x80 : 0
        if d.isNaN { return sign | quietNaNBits }
        let maxFinite = format.greatestFiniteMagnitude!  // ≤ 57344: always a Double
        let r = d.isInfinite ? d : roundDoubleToGrid(d, p: format.significandBits, emin: format.minExponent)
        let a = r.magnitude
        if a > maxFinite {
            switch overflow {
            case .saturating: return sign | encodeMagnitude(maxFinite)
            case .nonSaturating: return sign | (hasInfinities ? exponentFieldMask : quietNaNBits)
            }
        }
        return sign | encodeMagnitude(a)
    }

    /// The encoding of a nonnegative value on the format's grid, at most the largest finite.
    @inlinable
    static func encodeMagnitude(_ a: Double) -> UInt8 {
        if a == 0 { return 0 }
        let emin = format.minExponent
        let m = fractionBits
        if a < Double(sign: .plus, exponent: emin, significand: 1) {
            return UInt8(a * Double(sign: .plus, exponent: m - emin, significand: 1))  // subnormal: a / 2^(emin − m)
        }
        let e = Int(a.exponent)
        let significand = Int(a * Double(sign: .plus, exponent: m - e, significand: 1))  // in 2^m ..< 2^(m+1)
        return UInt8(((e + exponentBias) << m) | (significand - (1 << m)))
    }

    /// The exact value of an encoding as a `Double` (NaN with the encoding's sign).
    @inlinable
    public static func decode(_ bits: UInt8) -> Double {
        let negative = bits & 0x80 != 0
        let e = Int((bits & 0x7F) >> UInt8(fractionBits))
        let f = Int(bits & fractionMask)
        let m = fractionBits
        let maxField = (1 << (7 - m)) - 1
        var v: Double
        if hasInfinities && e == maxField {
            v = f == 0 ? .infinity : .nan
        } else if !hasInfinities && e == maxField && f == Int(fractionMask) {
            v = .nan
        } else if e == 0 {
            v = Double(f) * Double(sign: .plus, exponent: 1 - exponentBias - m, significand: 1)
        } else {
            v = Double(f + (1 << m)) * Double(sign: .plus, exponent: e - exponentBias - m, significand: 1)
        }
        return negative ? -v : v
    }

    /// The nearest value to `d` under the given overflow mode.
    @inlinable public init(_ d: Double, overflow: Float8Overflow) { self.init(bitPattern: Self.encode(d, overflow: overflow)) }

    @inlinable public init(_ d: Double) { self.init(bitPattern: Self.encode(d, overflow: .nonSaturating)) }
    @inlinable public init(_ f: Float) { self.init(Double(f)) }
    @inlinable public init(integerLiteral value: Int) { self.init(Double(value)) }
    /// A literal is first a `Double`, then rounded to this format.
    @inlinable public init(floatLiteral value: Double) { self.init(value) }

    @inlinable public var exactDouble: Double { Self.decode(bitPattern) }

    @inlinable public var isNaN: Bool {
        let a = bitPattern & 0x7F
        return Self.hasInfinities ? a > Self.exponentFieldMask : a == 0x7F
    }
    @inlinable public var isInfinite: Bool { Self.hasInfinities && bitPattern & 0x7F == Self.exponentFieldMask }
    @inlinable public var isZero: Bool { bitPattern & 0x7F == 0 }
    @inlinable public var isSubnormal: Bool { bitPattern & Self.exponentFieldMask == 0 && !isZero }

    @inlinable public static var zero: Self { Self(bitPattern: 0) }
    @inlinable public static var one: Self { Self(Double(1)) }
    /// +∞ for E5M2; for E4M3FN, which has none, the NaN (what an overflow produces).
    @inlinable public static var infinity: Self { Self(bitPattern: hasInfinities ? exponentFieldMask : quietNaNBits) }
    @inlinable public static var nan: Self { Self(bitPattern: quietNaNBits) }
    @inlinable public static var greatestFiniteMagnitude: Self { Self(format.greatestFiniteMagnitude!, overflow: .saturating) }
    @inlinable public static var leastNonzeroMagnitude: Self { Self(bitPattern: 1) }
    @inlinable public static var leastNormalMagnitude: Self { Self(bitPattern: fractionMask + 1) }

    @inlinable public static func + (lhs: Self, rhs: Self) -> Self { Self(lhs.exactDouble + rhs.exactDouble) }
    @inlinable public static func - (lhs: Self, rhs: Self) -> Self { Self(lhs.exactDouble - rhs.exactDouble) }
    @inlinable public static func * (lhs: Self, rhs: Self) -> Self { Self(lhs.exactDouble * rhs.exactDouble) }
    @inlinable public static func / (lhs: Self, rhs: Self) -> Self { Self(lhs.exactDouble / rhs.exactDouble) }
    @inlinable public static prefix func - (operand: Self) -> Self { Self(bitPattern: operand.bitPattern ^ 0x80) }
    @inlinable public static func sqrt(_ x: Self) -> Self { Self(x.exactDouble.squareRoot()) }

    /// `self + lhs × rhs`, rounded once: the product is exact in `Double`, the sum is rounded
    /// to odd there, then rounded to this format.
    @inlinable public func addingProduct(_ lhs: Self, _ rhs: Self) -> Self {
        Self(sumRoundedToOdd(lhs.exactDouble * rhs.exactDouble, exactDouble))
    }

    @inlinable public static func exp(_ x: Self) -> Self { Self(Double.exp(x.exactDouble)) }
    @inlinable public static func expMinusOne(_ x: Self) -> Self { Self(Double.expMinusOne(x.exactDouble)) }
    @inlinable public static func log(_ x: Self) -> Self { Self(Double.log(x.exactDouble)) }
    @inlinable public static func log(onePlus x: Self) -> Self { Self(Double.log(onePlus: x.exactDouble)) }
    @inlinable public static func tanh(_ x: Self) -> Self { Self(Double.tanh(x.exactDouble)) }
    @inlinable public static func erf(_ x: Self) -> Self { Self(Double.erf(x.exactDouble)) }

    /// IEEE equality: `+0 == −0`, NaN equals nothing.
    @inlinable public static func == (lhs: Self, rhs: Self) -> Bool { lhs.exactDouble == rhs.exactDouble }
    @inlinable public static func < (lhs: Self, rhs: Self) -> Bool { lhs.exactDouble < rhs.exactDouble }

    public var description: String { "\(exactDouble)" }
}

/// OCP E4M3 as ml_dtypes and PyTorch name it, `float8_e4m3fn` (`e4m3`): 4 exponent bits with
/// bias 7, 3 fraction bits (`p = 4`), normal exponents −6…8, subnormals down to 2⁻⁹, **no
/// infinities** ("fn": finite), one NaN per sign (S.1111.111), largest finite value
/// S.1111.110 = 1.75·2⁸ = 448 (OFP8 spec, table 1). Round-to-nearest-even after every
/// operation; overflow is non-saturating (NaN), see `Float8Overflow`.
@frozen
public struct Float8E4M3FN: Emulated8BitFloat, Hashable, BitwiseCopyable {
    /// The encoding: sign, 4 exponent bits (bias 7), 3 fraction bits.
    public var bitPattern: UInt8

    @inlinable @inline(__always) public init(bitPattern: UInt8) { self.bitPattern = bitPattern }

    public static let format = FormatInfo.e4m3
    public static let precisionName = PrecisionName.e4m3
    /// Products of two 4-bit significands are exact in binary32.
    public static var widerAccumulator: WideAccumulatorFormat? { .float }
    @inlinable public static var exponentBias: Int { 7 }
    @inlinable public static var hasInfinities: Bool { false }
    @inlinable public static var quietNaNBits: UInt8 { 0x7F }

    /// Hashes the value so that `+0` and `−0` hash alike (consistent with `==`).
    public func hash(into hasher: inout Hasher) { hasher.combine(exactDouble) }
}

/// OCP E5M2 (`e5m2`, ml_dtypes' `float8_e5m2`): 5 exponent bits with bias 15, 2 fraction bits
/// (`p = 3`), normal exponents −14…15, subnormals down to 2⁻¹⁶, IEEE-like specials (±∞ =
/// S.11111.00, NaN = S.11111.{01,10,11}), largest finite value 1.75·2¹⁵ = 57344 (OFP8 spec,
/// table 1). Round-to-nearest-even after every operation; overflow is non-saturating (±∞).
@frozen
public struct Float8E5M2: Emulated8BitFloat, Hashable, BitwiseCopyable {
    /// The encoding: sign, 5 exponent bits (bias 15), 2 fraction bits.
    public var bitPattern: UInt8

    @inlinable @inline(__always) public init(bitPattern: UInt8) { self.bitPattern = bitPattern }

    public static let format = FormatInfo.e5m2
    public static let precisionName = PrecisionName.e5m2
    /// Products of two 3-bit significands are exact in binary32.
    public static var widerAccumulator: WideAccumulatorFormat? { .float }
    @inlinable public static var exponentBias: Int { 15 }
    @inlinable public static var hasInfinities: Bool { true }
    @inlinable public static var quietNaNBits: UInt8 { 0x7E }

    /// Hashes the value so that `+0` and `−0` hash alike (consistent with `==`).
    public func hash(into hasher: inout Hasher) { hasher.combine(exactDouble) }
}
