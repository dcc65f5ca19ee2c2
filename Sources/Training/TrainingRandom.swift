/// The seeded randomness of training replay: SplitMix64 (Steele, Lea & Flood, OOPSLA 2014) used
/// as a counter-based generator, so that every draw is a pure function of `(seed, stream,
/// counter)` and every run — every precision, both conventions, any thread count — sees the
/// same numbers.
///
/// Draw `k` of stream `s` under seed `seed` is `mix(seed &+ (s &* 2⁶⁴/φ') &+ (k + 1) &* γ)` with
/// γ = `0x9E3779B97F4A7C15` and `mix` SplitMix64's output function (two xor-shift-multiply
/// rounds, multipliers `0xBF58476D1CE4E5B9`, `0x94D049BB133111EB`). Uniform doubles in [0, 1)
/// take the draw's top 53 bits times 2⁻⁵³. This is **not** PyTorch's generator (Mersenne
/// Twister / Philox): the same seed gives other numbers than `torch.manual_seed`.
public struct TrainingRandom: Sendable, Equatable {
    /// The run's seed.
    public let seed: UInt64
    /// The stream (one per purpose: a shuffle epoch, an initialised tensor).
    public let stream: UInt64

    public init(seed: UInt64, stream: UInt64) {
        self.seed = seed
        self.stream = stream
    }

    /// The golden-ratio increment of SplitMix64.
    public static let gamma: UInt64 = 0x9E37_79B9_7F4A_7C15
    /// The stream multiplier (another odd constant, so streams do not overlap for small counts).
    public static let streamMultiplier: UInt64 = 0xD1B5_4A32_D192_ED03

    /// SplitMix64's output function.
    @inlinable
    public static func mix(_ x: UInt64) -> UInt64 {
        var z = x
        z = (z ^ (z >> 30)) &* 0xBF58_476D_1CE4_E5B9
        z = (z ^ (z >> 27)) &* 0x94D0_49BB_1331_11EB
        return z ^ (z >> 31)
    }

    /// Draw number `k` (0-based) of this stream.
    @inlinable
    public func bits(_ k: UInt64) -> UInt64 {
        Self.mix(seed &+ stream &* Self.streamMultiplier &+ (k &+ 1) &* Self.gamma)
    }

    /// Draw `k` as a uniform double in [0, 1): its top 53 bits × 2⁻⁵³.
    @inlinable
    public func uniform(_ k: UInt64) -> Double {
        Double(bits(k) >> 11) * 0x1p-53
    }

    /// A permutation of `0..<n`: Fisher–Yates from the last position down, position `i` swapped
    /// with `j = ⌊u·(i + 1)⌋` where `u` is draw `n − 1 − i` (a Lemire-free, documented mapping;
    /// the bias of 2⁻⁵³ per index is irrelevant here).
    public func permutation(_ n: Int) -> [Int] {
        var p = Array(0..<n)
        guard n > 1 else { return p }
        var k: UInt64 = 0
        for i in stride(from: n - 1, to: 0, by: -1) {
            let j = min(Int(uniform(k) * Double(i + 1)), i)
            p.swapAt(i, j)
            k += 1
        }
        return p
    }
}

/// Which samples make each training step's batch: epoch `e` visits the training set in the
/// order `TrainingRandom(seed: seed, stream: e).permutation(N)`, cut into `⌊N / B⌋` consecutive
/// batches of `B` (the incomplete last batch is dropped, as `DataLoader(drop_last=True)` does);
/// step `t` (1-based) takes batch `(t − 1) mod ⌊N / B⌋` of epoch `⌊(t − 1) / ⌊N / B⌋⌋`.
/// The same for every precision and both conventions.
public struct ShuffleSchedule: Sendable, Equatable {
    public let seed: UInt64
    public let samples: Int
    public let batchSize: Int
    /// When false, epochs visit the samples in order `0, 1, …` (no shuffle).
    public let shuffles: Bool

    public init(seed: UInt64, samples: Int, batchSize: Int, shuffles: Bool = true) {
        precondition(batchSize >= 1 && samples >= batchSize, "a batch of \(batchSize) from \(samples) samples")
        self.seed = seed
        self.samples = samples
        self.batchSize = batchSize
        self.shuffles = shuffles
    }

    /// Whole batches per epoch.
    public var batchesPerEpoch: Int { samples / batchSize }

    /// The epoch (0-based) of step `t` (1-based).
    public func epoch(ofStep t: Int) -> Int { (t - 1) / batchesPerEpoch }

    /// The sample indices of step `t`'s batch (1-based step).
    public func batch(step t: Int) -> [Int] {
        let e = epoch(ofStep: t), b = (t - 1) % batchesPerEpoch
        let order = shuffles ? TrainingRandom(seed: seed, stream: UInt64(e)).permutation(samples) : Array(0..<samples)
        return Array(order[(b * batchSize)..<((b + 1) * batchSize)])
    }
}
