/// Helpers for the accumulation options of linear and conv2d (the default and FMA steps are the
/// arithmetic's `axpy` and `dotAccumulate`; the wider accumulator is here).
public enum Accumulate {
    /// The wider accumulator's format (declared by the arithmetic's traits).
    public typealias WideFormat = WideAccumulatorFormat

    /// The wide format of `precision`, or `nil` when there is no wider hardware format.
    public static func wideFormat(for precision: PrecisionName) -> WideFormat? { precision.traits.widerAccumulator }

    /// A tensor's values as exact `Double`s (for the wider accumulator; fixed formats only).
    @inlinable
    public static func exactDoubles<A: ScalarArithmetic>(_ arith: A, _ p: UnsafeMutablePointer<A.Slot>, _ count: Int) -> [Double] {
        var out = [Double](repeating: 0, count: count)
        for i in 0..<count { out[i] = arith.double(p + i) }
        return out
    }
}

/// A wide accumulator: binary32 or binary64 with exact products of the storage format.
@usableFromInline
struct WideSum {
    @usableFromInline let format: Accumulate.WideFormat
    @usableFromInline var value: Double = 0  // holds a binary32 value when format == .float

    @inlinable init(_ format: Accumulate.WideFormat) { self.format = format }

    /// `acc ← acc + p`, rounded to the wide format (`p`, a product of two storage values, is
    /// exact in `Double`; for f16 it is exact in binary32 too).
    @inlinable mutating func add(_ p: Double) {
        switch format {
        case .float: value = Double(Float(value) + Float(p))
        case .double: value += p
        }
    }
}
