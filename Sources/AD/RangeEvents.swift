/// Values that left a precision's comfortable range in one node, forward or backward.
///
/// - `overflow`: results that are ±∞ (a 16-bit replay that overflows must say where);
/// - `nan`: results that are NaN;
/// - `subnormal`: results below the least normal magnitude (precision is being lost);
/// - `flushed`: products of nonzero finite operands that rounded to zero (underflow), counted
///   in linear and conv2d (forward, and backward for the gradients computed), where almost all
///   products are; never in MPFR, whose exponent range makes it impossible.
public struct RangeEvents: Sendable, Equatable, Codable, CustomStringConvertible {
    public var overflow = 0
    public var nan = 0
    public var subnormal = 0
    public var flushed = 0

    public init(overflow: Int = 0, nan: Int = 0, subnormal: Int = 0, flushed: Int = 0) {
        self.overflow = overflow
        self.nan = nan
        self.subnormal = subnormal
        self.flushed = flushed
    }

    /// Whether nothing happened.
    public var isEmpty: Bool { overflow == 0 && nan == 0 && subnormal == 0 && flushed == 0 }

    /// Adds another node's counts.
    public static func + (l: RangeEvents, r: RangeEvents) -> RangeEvents {
        RangeEvents(overflow: l.overflow + r.overflow, nan: l.nan + r.nan, subnormal: l.subnormal + r.subnormal, flushed: l.flushed + r.flushed)
    }

    /// Counts the ±∞, NaN and subnormal values of `tensor`.
    @inlinable
    public static func scan<A: ScalarArithmetic>(_ tensor: Tensor<A>, _ a: A) -> RangeEvents {
        var e = RangeEvents()
        let p = tensor.slots
        for i in 0..<tensor.count {
            switch a.classify(p + i) {
            case .infinite: e.overflow += 1
            case .nan: e.nan += 1
            case .subnormal: e.subnormal += 1
            case .zero, .normal: break
            }
        }
        return e
    }

    public var description: String { "overflow \(overflow), nan \(nan), subnormal \(subnormal), flushed \(flushed)" }
}
