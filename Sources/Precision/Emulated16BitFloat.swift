import RealModule

/// What the two emulated 16-bit formats (`Half`, `BFloat16`) share: a value stored as its
/// 16-bit encoding, computed in `Float` or `Double`, and rounded back once in software.
///
/// Why the arithmetic is exact. `+ − × ÷ √` are computed in `Float` and rounded to the format.
/// Two roundings equal one when the wider format has at least `2p + 2` bits (Figueroa, "When is
/// double rounding innocuous?", 1995): Float's 24 bits suffice for binary16 (`p = 11`) and
/// bfloat16 (`p = 8`). binary16's whole range, subnormals included, is normal in `Float`.
/// bfloat16 shares Float's exponent range, but its subnormal grid (2⁻¹³³) is 2¹⁶ times
/// coarser than Float's, so the argument still holds there; products of two 8-bit
/// significands are exact. The fused multiply-add computes the exact product in `Double`, adds
/// with round-to-odd and rounds once (`sumRoundedToOdd`). Elementary functions are computed in
/// `Double` (libm) and rounded once. The tests check all of this against MPFR.
public protocol Emulated16BitFloat: FloatingScalar, ExpressibleByFloatLiteral where BitPattern == UInt16 {
    /// The encoding of the value nearest `f` (ties to even).
    static func encode(roundingFloat f: Float) -> UInt16
    /// The exact `Float` value of an encoding.
    static func decode(_ bits: UInt16) -> Float
    /// The exponent field's mask (all ones: ∞ and NaN), a constant so classification inlines.
    static var exponentMask: UInt16 { get }
}

extension Emulated16BitFloat {
    /// The exact value as a `Float`.
    @inlinable @inline(__always) public var float: Float { Self.decode(bitPattern) }

    @inlinable @inline(__always) public init(_ f: Float) { self.init(bitPattern: Self.encode(roundingFloat: f)) }

    @inlinable public init(_ d: Double) {
        let f = Self.format
        let bits = roundDoubleToBinaryFormat(d, p: f.significandBits, emin: f.minExponent, emax: f.maxExponent, signBit: 15)
        self.init(bitPattern: UInt16(truncatingIfNeeded: bits))
    }

    @inlinable public init(integerLiteral value: Int) { self.init(Double(value)) }
    /// A literal is first a `Double`, then rounded to this format (two roundings; write
    /// `Half(bitPattern:)` when the exact encoding matters).
    @inlinable public init(floatLiteral value: Double) { self.init(value) }

    @inlinable public var exactDouble: Double {
        if isNaN {
            // Keep the payload bit for bit (hardware Float → Double would quiet a signaling NaN).
            let fractionBits = Self.format.significandBits - 1
            let payload = UInt64(bitPattern & UInt16((1 << fractionBits) - 1)) << UInt64(52 - fractionBits)
            return Double(bitPattern: (UInt64(bitPattern >> 15) << 63) | 0x7FF0_0000_0000_0000 | payload)
        }
        return Double(float)
    }

    @inlinable public var isNaN: Bool { bitPattern & 0x7FFF > Self.exponentMask }
    @inlinable public var isInfinite: Bool { bitPattern & 0x7FFF == Self.exponentMask }
    @inlinable public var isZero: Bool { bitPattern & 0x7FFF == 0 }
    @inlinable public var isSubnormal: Bool { bitPattern & Self.exponentMask == 0 && !isZero }

    @inlinable public static var zero: Self { Self(bitPattern: 0) }
    @inlinable public static var one: Self { Self(Float(1)) }
    @inlinable public static var infinity: Self { Self(bitPattern: exponentMask) }
    /// The quiet NaN: all exponent bits and the leading fraction bit.
    @inlinable public static var nan: Self { Self(bitPattern: exponentMask | (exponentMask & ~(exponentMask << 1)) >> 1) }
    @inlinable public static var greatestFiniteMagnitude: Self { Self(bitPattern: exponentMask - 1) }
    @inlinable public static var leastNonzeroMagnitude: Self { Self(bitPattern: 1) }
    @inlinable public static var leastNormalMagnitude: Self { Self(bitPattern: exponentMask & ~(exponentMask << 1)) }

    @inlinable @inline(__always) public static func + (lhs: Self, rhs: Self) -> Self { Self(lhs.float + rhs.float) }
    @inlinable @inline(__always) public static func - (lhs: Self, rhs: Self) -> Self { Self(lhs.float - rhs.float) }
    @inlinable @inline(__always) public static func * (lhs: Self, rhs: Self) -> Self { Self(lhs.float * rhs.float) }
    @inlinable @inline(__always) public static func / (lhs: Self, rhs: Self) -> Self { Self(lhs.float / rhs.float) }
    @inlinable @inline(__always) public static prefix func - (operand: Self) -> Self { Self(bitPattern: operand.bitPattern ^ 0x8000) }
    @inlinable public static func sqrt(_ x: Self) -> Self { Self(x.float.squareRoot()) }

    /// `self + lhs × rhs`, rounded once: the product is exact in `Double`, the sum is rounded
    /// to odd there, then rounded to this format.
    @inlinable public func addingProduct(_ lhs: Self, _ rhs: Self) -> Self {
        Self(sumRoundedToOdd(Double(lhs.float) * Double(rhs.float), Double(float)))
    }

    @inlinable public static func exp(_ x: Self) -> Self { Self(Double.exp(Double(x.float))) }
    @inlinable public static func expMinusOne(_ x: Self) -> Self { Self(Double.expMinusOne(Double(x.float))) }
    @inlinable public static func log(_ x: Self) -> Self { Self(Double.log(Double(x.float))) }
    @inlinable public static func log(onePlus x: Self) -> Self { Self(Double.log(onePlus: Double(x.float))) }
    @inlinable public static func tanh(_ x: Self) -> Self { Self(Double.tanh(Double(x.float))) }
    @inlinable public static func erf(_ x: Self) -> Self { Self(Double.erf(Double(x.float))) }

    public var description: String { "\(float)" }
}
