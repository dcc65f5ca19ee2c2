import Precision

/// One rounding of a whole tensor to a narrower format, as a mixed-precision policy performs it:
/// the output of a 16-bit op, a GEMM's fp8 copy of its input, a gradient's cast.
///
/// Every value the policies produce is exactly a binary32 value, so the cast is applied to the
/// binary32 slots of the engine's `FixedArithmetic<Float>` through `Double` without extra error.
///
/// - `scaling == .amax` (the FP8 recipes' per-tensor scale): with `amax` the largest finite
///   magnitude in the tensor and `M` the format's largest finite value, `s = 2^k` with `k` the
///   largest integer such that `amax · 2^k ≤ M` (`s = 1` when `amax = 0`); each value becomes
///   `round(x·s)/s`, the dequantised copy a GEMM on scaled operands computes with. A power of two
///   keeps `x·s` and `/s` exact, so the emulation of the GEMM (which scales after accumulating)
///   is exact while products stay inside binary32's range.
/// - `rounding == .stochastic`: `x` between neighbours `lo < hi` of the grid goes to `hi` with
///   probability `(x − lo)/(hi − lo)` (so `E[round(x)] = x`), from 53 bits of
///   `StochasticStream` keyed on (seed, node, stream, element).
/// - Overflow: a rounded magnitude above `M` saturates to `±M` (`saturating`, counted in
///   `RangeEvents.saturated`, ±∞ inputs too) or becomes ±∞ (NaN in a format without ∞).
public struct TensorCast: Sendable, Hashable, CustomStringConvertible {
    /// How a value between two neighbours is rounded.
    public enum Rounding: String, Sendable, Hashable { case nearest, stochastic }
    /// The per-tensor scale applied before rounding.
    public enum Scaling: String, Sendable, Hashable { case none, amax }

    public var format: FormatInfo
    public var rounding: Rounding
    public var scaling: Scaling
    public var saturating: Bool

    public init(_ format: FormatInfo, rounding: Rounding = .nearest, scaling: Scaling = .none, saturating: Bool = false) {
        self.format = format
        self.rounding = rounding
        self.scaling = scaling
        self.saturating = saturating
    }

    public var description: String {
        var s = FormatInfo.shortName(format)
        if rounding == .stochastic { s = "sr:" + s }
        if scaling == .amax { s += " (amax-scaled)" }
        if saturating { s += " (saturating)" }
        return s
    }

    /// The counts one cast contributes to a node's range events.
    public struct Counts: Sendable, Equatable {
        /// Magnitudes above the largest finite value (±∞ included) clamped to it.
        public var saturated = 0
        /// Nonzero values rounded to zero.
        public var flushed = 0
        /// Results subnormal in the format but normal in binary32 (which the binary32 value scan
        /// of `RangeEvents.scan` cannot see: f16's and fp8's subnormals).
        public var subnormal = 0
        public init(saturated: Int = 0, flushed: Int = 0, subnormal: Int = 0) {
            self.saturated = saturated
            self.flushed = flushed
            self.subnormal = subnormal
        }
        public static func + (l: Counts, r: Counts) -> Counts {
            Counts(saturated: l.saturated + r.saturated, flushed: l.flushed + r.flushed, subnormal: l.subnormal + r.subnormal)
        }
    }

    /// Rounds every value of `v` in place; `element` numbers the stochastic draws from
    /// `StochasticStream(seed:node:stream:)`.
    public func apply(_ v: inout [Double], seed: UInt64, node: Int, stream: UInt64) -> Counts {
        var counts = Counts()
        let top = format.greatestFiniteMagnitude ?? .infinity
        var scale = 1.0, unscale = 1.0
        if scaling == .amax {
            let k = Self.scaleExponent(amax: v.reduce(0) { $1.isFinite ? max($0, $1.magnitude) : $0 }, largest: top)
            scale = Double(sign: .plus, exponent: k, significand: 1)
            unscale = Double(sign: .plus, exponent: -k, significand: 1)
        }
        let normal = Double(sign: .plus, exponent: format.minExponent, significand: 1)
        let f32Normal = Double(sign: .plus, exponent: -126, significand: 1)
        let draws = rounding == .stochastic ? StochasticStream(seed: seed, node: node, stream: stream) : nil
        for i in v.indices {
            let x = v[i] * scale
            var r: Double
            if x.isNaN {
                r = x
            } else if x.isInfinite {
                r = saturating ? (x < 0 ? -top : top) : (format.hasInfinities ? x : .nan)
                if saturating { counts.saturated += 1 }
            } else {
                r = draws.map { Self.roundStochastically(x, format, uniform: $0.uniform(UInt64(i))) }
                    ?? roundDoubleToGrid(x, p: format.significandBits, emin: format.minExponent)
                if r.magnitude > top {
                    if saturating {
                        r = r < 0 ? -top : top
                        counts.saturated += 1
                    } else {
                        r = format.hasInfinities ? (r < 0 ? -.infinity : .infinity) : .nan
                    }
                }
                if r == 0 && x != 0 { counts.flushed += 1 }
                // Subnormal in the format, normal once unscaled in binary32.
                if r != 0 && r.magnitude < normal && (r * unscale).magnitude >= f32Normal { counts.subnormal += 1 }
            }
            v[i] = r * unscale
        }
        return counts
    }

    /// The largest `k` with `amax · 2^k ≤ largest` (0 when `amax` is 0 or `largest` infinite),
    /// found exactly: scaling by a power of two is exact in `Double`.
    public static func scaleExponent(amax: Double, largest: Double) -> Int {
        guard amax > 0, largest.isFinite else { return 0 }
        var k = Int(largest.exponent) - Int(amax.exponent)
        k = min(max(k, -1000), 1000)
        while amax * Double(sign: .plus, exponent: k, significand: 1) > largest { k -= 1 }
        while amax * Double(sign: .plus, exponent: k + 1, significand: 1) <= largest { k += 1 }
        return k
    }

    /// `x` rounded to `format`'s grid (subnormals included) stochastically: to the neighbour
    /// above `|x|` with probability `(|x| − lo)/ulp`, given `u` uniform in [0, 1). The distance
    /// is exact in `Double` (both neighbours are truncations of `x`'s bits), so the probability
    /// is exact whenever it has at most 53 bits (always, for binary32 inputs and 16-bit formats
    /// above 2⁻¹⁰⁰). Above the largest value the upper neighbour is the next power of two.
    public static func roundStochastically(_ x: Double, _ format: FormatInfo, uniform u: Double) -> Double {
        let a = x.magnitude
        if a == 0 { return x }
        let e = Swift.max(Int(a.exponent), format.minExponent)
        let quantum = Double(sign: .plus, exponent: e - (format.significandBits - 1), significand: 1)
        let lo = (a / quantum).rounded(.down) * quantum
        let fraction = (a - lo) / quantum
        let r = u < fraction ? lo + quantum : lo
        return x.sign == .minus ? -r : r
    }
}

extension FormatInfo {
    /// The precision name of a format bpcheck knows (`bf16`, `e4m3`, …), or its parameters.
    public static func shortName(_ f: FormatInfo) -> String {
        switch f {
        case .binary16: "f16"
        case .bfloat16: "bf16"
        case .binary32: "f32"
        case .binary64: "f64"
        case .e4m3: "e4m3"
        case .e5m2: "e5m2"
        default: "p\(f.significandBits)"
        }
    }
}
