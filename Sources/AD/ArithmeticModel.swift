/// The arithmetic model: which roundings a computation performs. It decides which kinks are
/// hit, so it is fixed, documented, and printed in every report.
///
/// **Default** (analysis.md), for every precision: each elementary operation is rounded to
/// the precision, no FMA.
/// - `linear`: each output starts from +0, adds the rounded products `x[i]·W[o,i]` for
///   `i = 0, 1, …` in order, then adds the bias.
/// - `conv2d`: each output starts from +0 and adds the rounded products over the weight's
///   `(c, kh, kw)` in row-major order, skipping padded positions, then adds the bias.
/// - `avgpool2d`: sums its window in row-major order (padding as +0, counted in the divisor),
///   then divides.
/// - Every reduction over the batch (weight gradients, the mean loss) runs over samples
///   `0, 1, …` in order; every accumulation of the backward pass runs over the reduced indices
///   in increasing row-major order, samples outermost.
///
/// **Options**: `fusedMultiplyAdd` rounds each `acc + x·w` of linear and conv2d once (forward
/// and backward); `widerAccumulator` keeps the sums of linear and conv2d in a wider format
/// (binary32 for f16 and bf16 storage, binary64 for f32, as mixed-precision hardware does) with
/// exact products, adds the bias there, and rounds once to the storage precision.
public struct ArithmeticModel: Sendable, Equatable, Codable, CustomStringConvertible {
    /// How linear and conv2d accumulate their products.
    public enum Accumulation: String, Sendable, Equatable, CaseIterable, Codable {
        /// `acc ← fl(acc + fl(x·w))`: two roundings per term (the default).
        case separate
        /// `acc ← fl(acc + x·w)`: one rounding per term.
        case fusedMultiplyAdd = "fma"
        /// Exact products summed in a wider format, rounded once to storage at the end.
        case widerAccumulator = "wider"
    }

    /// How linear and conv2d accumulate.
    public var accumulation: Accumulation

    public init(accumulation: Accumulation = .separate) {
        self.accumulation = accumulation
    }

    /// The default model of analysis.md.
    public static let `default` = ArithmeticModel()

    public var description: String {
        switch accumulation {
        case .separate: "every operation rounded, no FMA, sequential sums in documented order"
        case .fusedMultiplyAdd: "every operation rounded, linear/conv2d sums with fused multiply-add"
        case .widerAccumulator: "linear/conv2d sums in a wider accumulator (f32 for 16-bit storage, f64 for f32), rounded once"
        }
    }
}
