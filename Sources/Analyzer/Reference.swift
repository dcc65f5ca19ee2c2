import AD
import Precision

/// The certified reference R: the same computation at the same point in MPFR interval
/// arithmetic, every decision proven — by exactness (a point interval) or by an enclosure that
/// excludes the kink. Where a decision is not proven, the precision doubles, up to a cap;
/// beyond it the site stays `undecided`. R never guesses.
public struct ReferenceOptions: Sendable, Equatable {
    /// The first precision tried (bits).
    public var initialBits: Int
    /// The highest precision tried before a site is reported undecided.
    public var capBits: Int
    /// The precision of R's backward passes (at most the forward's). Backward decides nothing:
    /// it only needs enclosures of `g_R` far narrower than any precision's error, and 128-bit
    /// intervals cost half the 256-bit ones. Checked after the fact: every enclosure must be
    /// narrower than `2⁻¹⁰⁰ ×` its tensor's largest midpoint (f64's errors are ~2⁻⁵³), or the
    /// backward passes are repeated at the forward's precision.
    public var gradientBits: Int

    public init(initialBits: Int = 256, capBits: Int = 4096, gradientBits: Int = 128) {
        self.initialBits = initialBits
        self.capBits = max(capBits, initialBits)
        self.gradientBits = gradientBits
    }
}

/// One reference run: the execution at the precision that decided every site it could.
public struct ReferenceRun {
    public let execution: Execution<MPFRIntervalArithmetic>
    /// The precision finally used.
    public let bits: Int
    /// The precisions tried before it (each left a site unproven).
    public let escalations: [Int]
    /// Sites left undecided at the cap.
    public let undecidedSites: Int
    /// The precision of the backward passes (`ReferenceOptions.gradientBits`, or `bits` when the
    /// narrower enclosures were too wide).
    public let gradientBits: Int
    /// `g_R` and `g_R′`: backprop in R under C and under C′, computed once per reference
    /// (f32 and f64 share their point and so these passes); nil when no gradient was asked.
    public var gradient: Gradients<MPFRIntervalArithmetic>? { gradients?[0] }
    public var alternativeGradient: Gradients<MPFRIntervalArithmetic>? { gradients?[1] }
    let gradients: [Gradients<MPFRIntervalArithmetic>]?

    static func undecided(_ decisions: DecisionSet) -> Int {
        decisions.values.reduce(0) { $0 + $1.undecidedCount }
    }

    /// Runs R on `graph` at the point `feed`, raising the precision while a site is unproven,
    /// then, when `wrt` is given, backprop under `convention` and `alternative` (default: C flipped).
    public static func run(graph: Graph, feed: Feed, options: ReferenceOptions, convention: DerivativeConvention = .pytorch,
                           alternative: DerivativeConvention? = nil, wrt: [NodeID]? = nil) throws -> ReferenceRun {
        let decided = try decide(graph: graph, feed: feed, options: options)
        guard let wrt else { return decided }
        return try decided.differentiated(options: options, conventions: [convention, alternative ?? convention.flipped], wrt: wrt)
    }

    /// The forward pass of R (decisions proven, precision raised while a site is unproven); no
    /// gradients yet.
    static func decide(graph: Graph, feed: Feed, options: ReferenceOptions) throws -> ReferenceRun {
        var bits = options.initialBits
        var tried: [Int] = []
        while true {
            let execution = try Execution(graph: graph, arithmetic: MPFRIntervalArithmetic(bits: bits), feed: feed)
            let open = undecided(execution.decisions)
            if open == 0 || bits >= options.capBits {
                return ReferenceRun(execution: execution, bits: bits, escalations: tried, undecidedSites: open, gradientBits: bits, gradients: nil)
            }
            tried.append(bits)
            bits = min(bits * 2, options.capBits)
        }
    }

    /// Whether every enclosure of `g` is narrower than 2⁻¹⁰⁰ × its tensor's largest |midpoint|
    /// (zero width where the tensor is all zeros).
    static func narrow(_ g: Gradients<MPFRIntervalArithmetic>, bits: Int) -> Bool {
        let a = MPFRIntervalArithmetic(bits: bits)
        for t in g.tensors.values {
            var largest = 0.0, widest = 0.0
            for i in 0..<t.count {
                largest = max(largest, abs(a.double(t.slots + i)))
                widest = max(widest, a.width(t.slots + i))
            }
            if !(widest <= 0x1p-100 * largest) && widest != 0 { return false }
        }
        return true
    }

    /// This run with `g_R` (`conventions[0]`) and `g_R′` (`conventions[1]`) with respect to `wrt`,
    /// from one shared backward pass in `options.gradientBits`-bit intervals (checked narrow,
    /// else repeated at the forward's precision).
    func differentiated(options: ReferenceOptions, conventions: [DerivativeConvention], wrt: [NodeID]) throws -> ReferenceRun {
        var gradientBits = min(options.gradientBits, bits)
        var gradients = try (gradientBits < bits ? execution.converted(to: MPFRIntervalArithmetic(bits: gradientBits)) : execution)
            .backward(conventions: conventions, wrt: wrt)
        if gradientBits < bits && !gradients.allSatisfy({ Self.narrow($0, bits: gradientBits) }) {
            gradientBits = bits
            gradients = try execution.backward(conventions: conventions, wrt: wrt)
        }
        return ReferenceRun(execution: execution, bits: bits, escalations: escalations, undecidedSites: undecidedSites,
                            gradientBits: gradientBits, gradients: gradients)
    }
}

/// Exact-enough arithmetic on gradients: differences between a precision's gradient and the
/// reference's are formed in MPFR before they are rounded to `Double`, so f64's ~10⁻¹⁶ errors
/// are measured, not drowned.
enum GradientAlgebra {
    /// `p − mid(r)` entry by entry, formed at `bits` bits.
    static func difference(_ p: [Double], _ r: Tensor<MPFRIntervalArithmetic>, bits: Int) -> [Double] {
        let m = MPFRArithmetic(bits: bits + 64)
        let s = m.makeStorage([0, 0, 0.5])
        return (0..<p.count).map { k in
            midpoint(r, k, into: s.base + 1, m, half: s.base + 2)
            m.set(s.base, p[k])
            m.subtract(s.base, s.base, s.base + 1)
            return m.double(s.base)
        }
    }

    /// `mid(r1) − mid(r2)` entry by entry.
    static func difference(_ r1: Tensor<MPFRIntervalArithmetic>, _ r2: Tensor<MPFRIntervalArithmetic>, bits: Int) -> [Double] {
        let m = MPFRArithmetic(bits: bits + 64)
        let s = m.makeStorage([0, 0, 0.5])
        return (0..<r1.count).map { k in
            midpoint(r1, k, into: s.base, m, half: s.base + 2)
            midpoint(r2, k, into: s.base + 1, m, half: s.base + 2)
            m.subtract(s.base, s.base, s.base + 1)
            return m.double(s.base)
        }
    }

    /// The midpoint of entry `k` of `r`, exactly (at `m`'s precision, 64 bits above r's).
    static func midpoint(_ r: Tensor<MPFRIntervalArithmetic>, _ k: Int, into out: MPFRArithmetic.Ref, _ m: MPFRArithmetic,
                         half: MPFRArithmetic.Ref) {
        let bounds = UnsafeMutableRawPointer(r.slots + k).assumingMemoryBound(to: MPFRArithmetic.Slot.self)
        m.add(out, bounds, bounds + 1)
        m.multiply(out, out, half)
    }

    /// Whether some entry's enclosures are disjoint: `g_R ≠ g_R′` proven over ℝ. Midpoints that
    /// differ inside overlapping enclosures (two conventions take different paths through R's
    /// rounding) prove nothing.
    static func provenDifferent(_ r1: Tensor<MPFRIntervalArithmetic>, _ r2: Tensor<MPFRIntervalArithmetic>) -> Bool {
        let a = MPFRIntervalArithmetic(bits: PrecisionName.mpfrMinBits)  // compare reads each value's own precision
        return (0..<r1.count).contains { a.compare(r1.slots + $0, r2.slots + $0).map { $0 != 0 } ?? false }
    }

    static func norm(_ v: [Double]) -> Double { v.reduce(0) { $0 + $1 * $1 }.squareRoot() }
}
