import AD
import Precision

/// Where R's ladder starts.
public enum ReferenceFirstRung: String, Sendable, Codable, Equatable, CaseIterable {
    /// Double-double balls (`DoubleDoubleBallArithmetic`), then MPFR intervals from
    /// `initialBits` where a site is undecided or a gradient enclosure too wide.
    case doubleDouble = "double-double"
    /// MPFR intervals only, from `initialBits` (the reference before double-double balls, kept
    /// to compare against).
    case mpfr
}

/// The certified reference R: the same computation at the same point in an enclosing arithmetic
/// (`EnclosingArithmetic`), every decision proven — by exactness (a point) or by an enclosure
/// that excludes the kink. R starts in double-double balls (`firstRung`); where a decision is
/// not proven there, it runs in MPFR intervals from `initialBits`, doubling up to a cap; beyond
/// it the site stays `undecided`. R never guesses. These options are R's ladder.
public struct ReferenceOptions: Sendable, Equatable {
    /// The first rung: double-double balls (default) or MPFR intervals.
    public var firstRung: ReferenceFirstRung
    /// The first precision tried (bits).
    public var initialBits: Int
    /// The highest precision tried before a site is reported undecided.
    public var capBits: Int
    /// The precision of R's backward passes (at most the forward's). Backward decides nothing:
    /// it only needs enclosures of `g_R` far narrower than any precision's error, and 128-bit
    /// intervals cost half the 256-bit ones. Checked after every backward pass: every enclosure
    /// must be narrower than its point's bound (`CertifiedReference.requiredGradientWidth(unitRoundoff:)`:
    /// 2⁻⁸⁰ where f64 is analysed) × its tensor's largest midpoint,
    /// or the backward passes are repeated at the forward's precision, then higher up the
    /// ladder (the forward re-run there, forced onto R's decisions) to the cap; the width
    /// reached is reported (`CertifiedReference.gradientWidth`) whether or not it met the bound.
    public var gradientBits: Int
    /// The most memory R's forward values may take: above it, R runs chunk by chunk of samples,
    /// each chunk's values in quad-double balls within it (`StreamingPlan`). Default 1 GiB: at
    /// batch 128, LeNet-5 runs whole, VGG11 for 32×32 inputs streams in 2 chunks, ResNet18 in 10.
    public var streamingBytes: Int

    public init(initialBits: Int = 256, capBits: Int = 4096, gradientBits: Int = 128, firstRung: ReferenceFirstRung = .doubleDouble,
                streamingBytes: Int = 1 << 30) {
        self.firstRung = firstRung
        self.initialBits = initialBits
        self.capBits = max(capBits, initialBits)
        self.gradientBits = gradientBits
        self.streamingBytes = streamingBytes
    }
}

extension ReferenceOptions {
    /// The MPFR rungs of R's ladder: MPFR intervals of `initialBits` bits, doubling up to `capBits`.
    public var arithmetic: MPFRIntervalArithmetic { MPFRIntervalArithmetic(bits: initialBits, capBits: capBits) }
}

/// R in MPFR intervals only (`ReferenceOptions` give its ladder): `LadderedReference`'s upper
/// rungs, and the reference as it was before double-double balls.
public typealias ReferenceRun = CertifiedReference<MPFRIntervalArithmetic>

/// One reference run in the enclosing arithmetic `E`: the execution at the rung of `E`'s
/// escalation ladder that decided every site it could.
public struct CertifiedReference<E: EnclosingArithmetic> {
    public let execution: Execution<E>
    /// The precision finally used.
    public let bits: Int
    /// The precisions tried before it (each left a site unproven).
    public let escalations: [Int]
    /// Sites left undecided at the top of the ladder.
    public let undecidedSites: Int
    /// How many samples were recomputed on the next arithmetic's ladder because this one left a
    /// site of theirs undecided (`LadderedReference`); their decisions and values are stitched
    /// into this run's. 0 when none (or when the whole batch climbed).
    public internal(set) var climbedSamples = 0
    /// The precision of the backward passes (`ReferenceOptions.gradientBits`, or higher when the
    /// enclosures were too wide there).
    public let gradientBits: Int
    /// The widest relative enclosure of `g_R` and `g_R′`: the largest over their tensors of
    /// (widest enclosure) ÷ (largest |midpoint|) — 0 when every value is exact, +∞ for a nonzero
    /// width in an all-zero tensor, NaN when none was computed. `≤ 2⁻⁸⁰`
    /// (`Self.requiredGradientWidth`) unless the ladder's cap was reached first.
    public let gradientWidth: Double
    /// The bound every backward pass is checked against when f64 is analysed at R's point:
    /// 2⁻⁸⁰ of a tensor's largest component (`requiredGradientWidth(unitRoundoff:)` of f64's 2⁻⁵³).
    public static var requiredGradientWidth: Double { 0x1p-80 }
    /// The bound for a point whose finest precision has unit roundoff `u` (2⁻ᵖ for p significand
    /// bits): 2⁻²⁷·u of a tensor's largest component, so that that precision's errors (≥ u
    /// relative wherever they are not 0) are measured to seven digits or better — 2⁻⁸⁰ for f64,
    /// 2⁻⁵¹ for f32, 2⁻³⁸ for f16, 2⁻³⁵ for bf16. A bound tighter than a coarse point needs
    /// buys nothing and can cost a rung (VGG11's f16 point: quad-double balls instead of
    /// double-double), so each point gets its own.
    public static func requiredGradientWidth(unitRoundoff u: Double) -> Double { 0x1p-27 * u }
    /// The bound this run's backward passes were checked against (`requiredGradientWidth` unless
    /// `differentiated` was given another).
    public internal(set) var requiredWidth: Double = Self.requiredGradientWidth
    /// The point R ran at (kept to re-run the forward higher up the ladder for the backward).
    let feed: Feed
    /// `g_R` and `g_R′`: backprop in R under C and under C′, computed once per reference
    /// (f32 and f64 share their point and so these passes); nil when no gradient was asked.
    public var gradient: Gradients<E>? { gradients?[0] }
    public var alternativeGradient: Gradients<E>? { gradients?[1] }
    let gradients: [Gradients<E>]?

    static func undecided(_ decisions: DecisionSet) -> Int {
        decisions.values.reduce(0) { $0 + $1.undecidedCount }
    }

    /// Runs R on `graph` at the point `feed` from the rung `start`, climbing `E`'s ladder while a
    /// site is unproven, then, when `wrt` is given, backprop at `gradientBits` bits (at most the
    /// forward's) under `convention` and `alternative` (default: C flipped).
    public static func run(graph: Graph, feed: Feed, start: E, gradientBits: Int, convention: DerivativeConvention = .pytorch,
                           alternative: DerivativeConvention? = nil, wrt: [NodeID]? = nil) throws -> Self {
        let decided = try decide(graph: graph, feed: feed, start: start)
        guard let wrt else { return decided }
        return try decided.differentiated(gradientBits: gradientBits, conventions: [convention, alternative ?? convention.flipped], wrt: wrt)
    }

    /// The forward pass of R (decisions proven, climbing the ladder from `start` while a site is
    /// unproven); no gradients yet.
    static func decide(graph: Graph, feed: Feed, start: E) throws -> Self {
        var arithmetic = start
        var tried: [Int] = []
        while true {
            // Ties the enclosures cannot prove are proven when both values are computed alike.
            let rung = arithmetic
            let execution = try Execution(graph: graph, arithmetic: rung, feed: feed, proveTies: { rung.isPoint($0) })
            let open = undecided(execution.decisions)
            guard open != 0, let next = arithmetic.nextRung else {
                return Self(execution: execution, bits: arithmetic.bits, escalations: tried, undecidedSites: open,
                            gradientBits: arithmetic.bits, gradientWidth: .nan, feed: feed, gradients: nil)
            }
            tried.append(arithmetic.bits)
            arithmetic = next
        }
    }

    /// The widest relative enclosure of `g` (see `gradientWidth`).
    static func relativeWidth(_ g: Gradients<E>, in a: E) -> Double {
        var worst = 0.0
        for t in g.tensors.values {
            var largest = 0.0, widest = 0.0
            for i in 0..<t.count {
                largest = max(largest, abs(a.double(t.slots + i)))
                widest = max(widest, a.width(t.slots + i))
            }
            if widest.isNaN { return .nan }
            if widest != 0 { worst = max(worst, largest == 0 ? .infinity : widest / largest) }
        }
        return worst
    }

    /// This run with `g_R` (`conventions[0]`) and `g_R′` (`conventions[1]`) with respect to `wrt`,
    /// from one shared backward pass at `gradientBits` bits (at most the forward's). Every
    /// backward pass is checked: while an enclosure is wider than `requiredGradientWidth` of its
    /// tensor's largest midpoint, the passes are repeated at the forward's precision, then up
    /// `E`'s ladder with the forward re-run there forced onto R's decisions; at the top the
    /// width reached is kept as it is (`gradientWidth` says so).
    func differentiated(gradientBits requested: Int, conventions: [DerivativeConvention], wrt: [NodeID],
                        requiredWidth bound: Double = Self.requiredGradientWidth) throws -> Self {
        let forward = execution.arithmetic
        var gradientBits = min(requested, bits)
        var run = gradientBits < bits ? execution.converted(to: forward.withPrecision(bits: gradientBits)) : execution
        var gradients = try run.backward(conventions: conventions, wrt: wrt)
        var width = gradients.map { Self.relativeWidth($0, in: run.arithmetic) }.max() ?? 0
        var next: E? = gradientBits < bits ? forward : forward.nextRung
        while width > bound, let rung = next {  // NaN (NaN inputs): no rung narrows it
            run = rung.bits == bits ? execution : try Execution(graph: execution.graph, arithmetic: rung, feed: feed, forcing: execution.decisions)
            gradientBits = rung.bits
            gradients = try run.backward(conventions: conventions, wrt: wrt)
            width = gradients.map { Self.relativeWidth($0, in: run.arithmetic) }.max() ?? 0
            next = rung.nextRung
        }
        var done = Self(execution: execution, bits: bits, escalations: escalations, undecidedSites: undecidedSites,
                        gradientBits: gradientBits, gradientWidth: width, feed: feed, gradients: gradients)
        done.climbedSamples = climbedSamples
        done.requiredWidth = bound
        return done
    }

    /// `differentiated(gradientBits:…)` at `options.gradientBits`.
    func differentiated(options: ReferenceOptions, conventions: [DerivativeConvention], wrt: [NodeID],
                        requiredWidth bound: Double = Self.requiredGradientWidth) throws -> Self {
        try differentiated(gradientBits: options.gradientBits, conventions: conventions, wrt: wrt, requiredWidth: bound)
    }
}

extension CertifiedReference where E == MPFRIntervalArithmetic {
    /// Runs R on `graph` at the point `feed`, raising the precision while a site is unproven,
    /// then, when `wrt` is given, backprop under `convention` and `alternative` (default: C flipped).
    public static func run(graph: Graph, feed: Feed, options: ReferenceOptions, convention: DerivativeConvention = .pytorch,
                           alternative: DerivativeConvention? = nil, wrt: [NodeID]? = nil) throws -> ReferenceRun {
        try run(graph: graph, feed: feed, start: options.arithmetic, gradientBits: options.gradientBits, convention: convention,
                alternative: alternative, wrt: wrt)
    }

    /// The forward pass of R from `options`' ladder; no gradients yet.
    static func decide(graph: Graph, feed: Feed, options: ReferenceOptions) throws -> ReferenceRun {
        try decide(graph: graph, feed: feed, start: options.arithmetic)
    }
}

/// Exact-enough arithmetic on gradients: differences between a precision's gradient and the
/// reference's are formed by the enclosing arithmetic above its own precision before they are
/// rounded to `Double` (`EnclosingArithmetic.midpointDifference`), so f64's ~10⁻¹⁶ errors are
/// measured, not drowned.
enum GradientAlgebra {
    /// `p − mid(r)` entry by entry, formed by `e` (R's forward arithmetic).
    static func difference<E: EnclosingArithmetic>(_ p: [Double], _ r: Tensor<E>, in e: E) -> [Double] {
        (0..<p.count).map { e.midpointDifference(p[$0], r.slots + $0) }
    }

    /// `mid(r1) − mid(r2)` entry by entry, formed by `e`.
    static func difference<E: EnclosingArithmetic>(_ r1: Tensor<E>, _ r2: Tensor<E>, in e: E) -> [Double] {
        (0..<r1.count).map { e.midpointDifference(r1.slots + $0, r2.slots + $0) }
    }

    /// Whether some entry's enclosures are disjoint: `g_R ≠ g_R′` proven over ℝ. Midpoints that
    /// differ inside overlapping enclosures (two conventions take different paths through R's
    /// rounding) prove nothing.
    static func provenDifferent<E: EnclosingArithmetic>(_ r1: Tensor<E>, _ r2: Tensor<E>, in e: E) -> Bool {
        (0..<r1.count).contains { e.provenDifferent(r1.slots + $0, r2.slots + $0) }
    }

    static func norm(_ v: [Double]) -> Double { v.reduce(0) { $0 + $1 * $1 }.squareRoot() }
}
