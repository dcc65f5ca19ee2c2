/// bfloat16 (`bf16`), emulated exactly: 8-bit significand, binary32's exponent range
/// (−126…127) with subnormals down to 2⁻¹³³ (analysis.md: every format has gradual underflow),
/// round-to-nearest-even after every operation.
@frozen
public struct BFloat16: Emulated16BitFloat, Hashable, BitwiseCopyable {
    /// The encoding: the top 16 bits of the binary32 encoding.
    public var bitPattern: UInt16

    @inlinable @inline(__always) public init(bitPattern: UInt16) { self.bitPattern = bitPattern }

    public static let format = FormatInfo.bfloat16
    public static let precisionName = PrecisionName.bf16
    public static var widerAccumulator: WideAccumulatorFormat? { .float }

    @inlinable @inline(__always) public static func encode(roundingFloat f: Float) -> UInt16 { bfloat16Bits(roundingFloat: f) }
    @inlinable @inline(__always) public static var exponentMask: UInt16 { 0x7F80 }
    @inlinable @inline(__always) public static func decode(_ bits: UInt16) -> Float { floatFromBFloat16Bits(bits) }

    /// IEEE equality: `+0 == −0`, NaN equals nothing.
    @inlinable public static func == (lhs: BFloat16, rhs: BFloat16) -> Bool { lhs.float == rhs.float }
    @inlinable public static func < (lhs: BFloat16, rhs: BFloat16) -> Bool { lhs.float < rhs.float }
    /// Hashes the value so that `+0` and `−0` hash alike (consistent with `==`).
    public func hash(into hasher: inout Hasher) { hasher.combine(float) }
}
