/// Values that left a precision's comfortable range in one node, forward or backward.
///
/// - `overflow`: results that are ±∞ (a 16-bit replay that overflows must say where);
/// - `nan`: results that are NaN;
/// - `subnormal`: results below the least normal magnitude (precision is being lost);
/// - `flushed`: products of nonzero finite operands that rounded to zero (underflow), counted
///   in linear and conv2d (forward, and backward for the gradients computed), where almost all
///   products are; never in MPFR, whose exponent range makes it impossible. A policy's casts
///   (`TensorCast`) add the nonzero values they round to zero;
/// - `saturated`: values a saturating cast clamped to the format's largest finite magnitude
///   (the fp8 recipe's casts): invisible in the values, so counted by the cast itself.
///
/// Encoded without `saturated` when it is 0 (results written before it existed read back).
public struct RangeEvents: Sendable, Equatable, Codable, CustomStringConvertible {
    public var overflow = 0
    public var nan = 0
    public var subnormal = 0
    public var flushed = 0
    public var saturated = 0

    enum CodingKeys: String, CodingKey { case overflow, nan, subnormal, flushed, saturated }

    public init(from decoder: any Decoder) throws {
        let c = try decoder.container(keyedBy: CodingKeys.self)
        overflow = try c.decode(Int.self, forKey: .overflow)
        nan = try c.decode(Int.self, forKey: .nan)
        subnormal = try c.decode(Int.self, forKey: .subnormal)
        flushed = try c.decode(Int.self, forKey: .flushed)
        saturated = try c.decodeIfPresent(Int.self, forKey: .saturated) ?? 0
    }

    public func encode(to encoder: any Encoder) throws {
        var c = encoder.container(keyedBy: CodingKeys.self)
        try c.encode(overflow, forKey: .overflow)
        try c.encode(nan, forKey: .nan)
        try c.encode(subnormal, forKey: .subnormal)
        try c.encode(flushed, forKey: .flushed)
        if saturated != 0 { try c.encode(saturated, forKey: .saturated) }
    }

    public init(overflow: Int = 0, nan: Int = 0, subnormal: Int = 0, flushed: Int = 0) {
        self.overflow = overflow
        self.nan = nan
        self.subnormal = subnormal
        self.flushed = flushed
    }

    /// Whether nothing happened.
    public var isEmpty: Bool { overflow == 0 && nan == 0 && subnormal == 0 && flushed == 0 && saturated == 0 }

    /// Adds another node's counts.
    public static func + (l: RangeEvents, r: RangeEvents) -> RangeEvents {
        var e = RangeEvents(overflow: l.overflow + r.overflow, nan: l.nan + r.nan, subnormal: l.subnormal + r.subnormal, flushed: l.flushed + r.flushed)
        e.saturated = l.saturated + r.saturated
        return e
    }

    /// Counts the ±∞, NaN and subnormal values of `tensor`: in chunks on the pass's threads
    /// for fixed-width arithmetics (their `classify` reads only the slot; integer counts, the
    /// same for any split), on this thread otherwise or for small tensors.
    @inlinable
    public static func scan<A: ScalarArithmetic>(_ tensor: Tensor<A>, _ a: A) -> RangeEvents {
        let p = tensor.slots
        func count(_ range: Range<Int>) -> (overflow: Int, nan: Int, subnormal: Int) {
            var overflow = 0, nan = 0, subnormal = 0
            for i in range {
                switch a.classify(p + i) {
                case .infinite: overflow += 1
                case .nan: nan += 1
                case .subnormal: subnormal += 1
                case .zero, .normal: break
                }
            }
            return (overflow, nan, subnormal)
        }
        guard PassThreads.count > 1 && a.traits.isFixedWidth && tensor.count >= 1 << 16 else {
            let c = count(0..<tensor.count)
            return RangeEvents(overflow: c.overflow, nan: c.nan, subnormal: c.subnormal)
        }
        return PassThreads.eachChunk(tensor.count, initial: (overflow: 0, nan: 0, subnormal: 0), count)
            .reduce(RangeEvents()) { RangeEvents(overflow: $0.overflow + $1.overflow, nan: $0.nan + $1.nan, subnormal: $0.subnormal + $1.subnormal) }
    }

    public var description: String {
        "overflow \(overflow), nan \(nan), subnormal \(subnormal), flushed \(flushed)" + (saturated != 0 ? ", saturated \(saturated)" : "")
    }
}
