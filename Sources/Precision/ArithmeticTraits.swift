/// What an arithmetic can do, declared by the arithmetic (never inferred from its precision's
/// name): kernels and the analyzer branch on these.
public struct ArithmeticTraits: Sendable, Equatable {
    /// Values are fixed-width hardware-like floats: cheap to copy, so the unfolded (im2col) and
    /// across-channel kernels pay off.
    public var isFixedWidth: Bool
    /// A product of two nonzero finite values can round to zero (the range event "flushed");
    /// false for MPFR's practically unbounded exponent range.
    public var canUnderflow: Bool
    /// The wider hardware format that holds this format's products exactly, for the
    /// "wider accumulator" option (binary32 for f16/bf16, binary64 for f32); nil for none.
    public var widerAccumulator: WideAccumulatorFormat?
    /// Values are enclosures (intervals): `sign` and `compare` answer only when proven.
    public var isEnclosure: Bool

    public init(isFixedWidth: Bool, canUnderflow: Bool, widerAccumulator: WideAccumulatorFormat?, isEnclosure: Bool) {
        self.isFixedWidth = isFixedWidth
        self.canUnderflow = canUnderflow
        self.widerAccumulator = widerAccumulator
        self.isEnclosure = isEnclosure
    }
}

/// The wider accumulator's format.
public enum WideAccumulatorFormat: Sendable, Equatable {
    case float, double
}
