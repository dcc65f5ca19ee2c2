/// IEEE 754 binary16 (`f16`), emulated exactly: 11-bit significand, exponents −14…15,
/// subnormals down to 2⁻²⁴, overflow to ±∞ from 65520, round-to-nearest-even after every
/// operation. See `Emulated16BitFloat` for why the arithmetic is correctly rounded.
///
/// Named `Half` to stay clear of the standard library's `Float16`, whose operations are
/// library calls on the default x86-64 target and whose fused multiply-add rounds twice.
@frozen
public struct Half: Emulated16BitFloat, Hashable, BitwiseCopyable {
    /// The encoding: sign, 5 exponent bits (bias 15), 10 fraction bits.
    public var bitPattern: UInt16

    @inlinable @inline(__always) public init(bitPattern: UInt16) { self.bitPattern = bitPattern }

    public static let format = FormatInfo.binary16
    public static let precisionName = PrecisionName.f16
    public static var widerAccumulator: WideAccumulatorFormat? { .float }

    @inlinable @inline(__always) public static func encode(roundingFloat f: Float) -> UInt16 { binary16Bits(roundingFloat: f) }
    @inlinable @inline(__always) public static var exponentMask: UInt16 { 0x7C00 }
    @inlinable @inline(__always) public static func decode(_ bits: UInt16) -> Float { floatFromBinary16Bits(bits) }

    /// IEEE equality: `+0 == −0`, NaN equals nothing.
    @inlinable public static func == (lhs: Half, rhs: Half) -> Bool { lhs.float == rhs.float }
    @inlinable public static func < (lhs: Half, rhs: Half) -> Bool { lhs.float < rhs.float }
    /// Hashes the value so that `+0` and `−0` hash alike (consistent with `==`).
    public func hash(into hasher: inout Hasher) { hasher.combine(float) }
}
