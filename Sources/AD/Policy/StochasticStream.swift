/// The random bits of stochastic rounding: a counter-based stream, a pure function of
/// (seed, node, stream, element), so that a draw depends on nothing else — not on the thread
/// that computes it, not on the order of the computation, not on the replay. The g_P, g_P′ and
/// g_P|R replays of one precision round the same (node, stream, element) with the same bits,
/// which keeps the decomposition of analysis.md meaningful (kink-caused error 0 without kinks).
///
/// The function is SplitMix64's finaliser (Steele, Lea & Flood 2014, the mixer of
/// `java.util.SplittableRandom`) applied to each key word in turn: a bijection of 64 bits per
/// step with full avalanche, as counter-based generators use (Salmon et al. 2011, "Parallel
/// random numbers: as easy as 1, 2, 3" — Philox is the same idea with more rounds).
///
/// Streams of `Execution`: `forwardOutput` (a node's output), `operand(k)` (its cast of operand
/// k), `incoming(k)` (the incoming gradient as used for operand k), `gradient(k)` (its
/// contribution to operand k), `accumulation(t)` (the t-th addition of contributions).
public struct StochasticStream: Sendable, Equatable {
    @usableFromInline let key: UInt64

    public init(seed: UInt64, node: Int, stream: UInt64) {
        key = Self.mix(Self.mix(Self.mix(seed) ^ UInt64(truncatingIfNeeded: node)) ^ stream)
    }

    /// 64 random bits for `element`.
    @inlinable public func bits(_ element: UInt64) -> UInt64 { Self.mix(key ^ Self.mix(element)) }

    /// A uniform value in [0, 1) with 53 random bits, for `element`.
    @inlinable public func uniform(_ element: UInt64) -> Double {
        Double(bits(element) >> 11) * 0x1p-53
    }

    /// SplitMix64's step: add the golden-ratio increment, then the finaliser.
    @inlinable public static func mix(_ x: UInt64) -> UInt64 {
        var z = x &+ 0x9E37_79B9_7F4A_7C15
        z = (z ^ (z >> 30)) &* 0xBF58_476D_1CE4_E5B9
        z = (z ^ (z >> 27)) &* 0x94D0_49BB_1331_11EB
        return z ^ (z >> 31)
    }

    public static let forwardOutput: UInt64 = 0
    public static func operand(_ k: Int) -> UInt64 { 1 << 32 | UInt64(k) }
    public static func incoming(_ k: Int) -> UInt64 { 2 << 32 | UInt64(k) }
    public static func gradient(_ k: Int, step: Int) -> UInt64 { 3 << 32 | UInt64(step) << 16 | UInt64(k) }
    public static func accumulation(_ t: Int) -> UInt64 { 4 << 32 | UInt64(t) }
}
