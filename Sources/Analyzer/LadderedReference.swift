import AD
import Foundation
import Precision

/// R as `Analysis.run()` computes it: the first rung in double-double balls, the MPFR-interval
/// ladder above it (`ReferenceOptions.firstRung`).
///
/// The forward pass runs in double-double balls; when every site is decided there, that run is
/// R's (decisions proven exactly as in MPFR: exactness, or an enclosure excluding the kink).
/// Otherwise R is recomputed in MPFR intervals from `initialBits`, climbing as `ReferenceRun`
/// does. The backward passes (g_R, g_R′) run in the forward's arithmetic; when double-double
/// enclosures are wider than the point's bound (one sample's backward tells first), the forward is re-run forced onto the
/// balls' proven decisions in triple-double balls (when the double-double width says 159 bits will
/// do), else in quad-double balls (when it says 212 bits will), and the backward is done there; a
/// rung whose width still misses the bound hands its own width to the next; if the last is still
/// too wide (or the width is unknown: an overflow), the same in MPFR intervals, checked and climbed as in
/// `CertifiedReference.differentiated`. The width is checked after every backward pass, so what
/// the report states about it holds.
public enum LadderedReference {
    /// Everything (forward and backward) in double-double balls; `climbedSamples` samples were
    /// decided on the MPFR ladder (their precisions in `escalations`) and stitched in.
    case doubleDouble(CertifiedReference<DoubleDoubleBallArithmetic>)
    /// Decided in double-double balls (as `doubleDouble`), differentiated in triple-double balls:
    /// the execution is the forward re-run there, forced onto the balls' decisions.
    case tripleDouble(CertifiedReference<TripleDoubleBallArithmetic>)
    /// As `tripleDouble`, in quad-double balls (where 159 bits would not do).
    case quadDouble(CertifiedReference<QuadDoubleBallArithmetic>)
    /// MPFR intervals; `escalations` starts with 106 when double-double balls were tried first.
    case mpfr(ReferenceRun)
    /// Computed chunk by chunk of samples (`StreamedReference`, `StreamingPlan`): on the rung
    /// the first sample's double-double width asks for, each chunk decided there (or in
    /// double-double balls and MPFR where that rung leaves a site unproven) and differentiated.
    case streamed(any PointReference)

    /// The double-double rung's precision in `escalations` (its midpoints' bits).
    public static let doubleDoubleBits = DoubleDoubleBallArithmetic().bits

    /// R's forward pass at `feed` (decisions proven; no gradients yet).
    public static func decide(graph: Graph, feed: Feed, options: ReferenceOptions) throws -> LadderedReference {
        if options.firstRung == .doubleDouble {
            let balls = try CertifiedReference.decide(graph: graph, feed: feed, start: DoubleDoubleBallArithmetic())
            if balls.undecidedSites == 0 { return .doubleDouble(balls) }
            if let climbed = try climbingSamples(balls, graph: graph, feed: feed, options: options) { return .doubleDouble(climbed) }
            return .mpfr(try ReferenceRun.decide(graph: graph, feed: feed, options: options).afterRung(doubleDoubleBits))
        }
        return .mpfr(try ReferenceRun.decide(graph: graph, feed: feed, options: options))
    }

    /// Per-sample escalation: the samples with a site the balls left undecided are recomputed
    /// alone on the MPFR ladder (`SampleSubset`), their decisions stitched into the balls' and
    /// the balls' forward re-run forced onto them, with those samples' values replaced by
    /// enclosures of the MPFR values. Nil when the samples are not independent (batch norm in
    /// training mode) or every sample climbs: then the whole batch does.
    static func climbingSamples(_ balls: CertifiedReference<DoubleDoubleBallArithmetic>, graph: Graph, feed: Feed,
                                options: ReferenceOptions) throws -> CertifiedReference<DoubleDoubleBallArithmetic>? {
        guard let batch = graph.nodes.first(where: { $0.op == .input })?.shape.first else { return nil }
        var climbing = Set<Int>()
        for record in balls.execution.decisions.values {
            guard record.siteCount % batch == 0 else { return nil }
            let perSample = record.siteCount / batch
            for i in 0..<record.siteCount where !record.state(i).isDecided { climbing.insert(i / perSample) }
        }
        guard let subset = SampleSubset(graph: graph, batch: batch, samples: climbing.sorted()) else { return nil }
        let sub = try ReferenceRun.decide(graph: subset.graph, feed: subset.feed(feed), options: options)
        let arithmetic = balls.execution.arithmetic
        let forced = try Execution(graph: graph, arithmetic: arithmetic, feed: feed,
                                   forcing: balls.execution.decisions(stitching: sub.execution, subset))
        forced.overwriteSamples(from: sub.execution, subset) { r, t in arithmetic.setEnclosing(r, t) }
        var run = CertifiedReference(execution: forced, bits: balls.bits, escalations: sub.escalations + [sub.bits],
                                     undecidedSites: sub.undecidedSites, gradientBits: balls.bits, gradientWidth: .nan, feed: feed,
                                     gradients: nil)
        run.climbedSamples = subset.samples.count
        return run
    }

    /// This run with g_R and g_R′ (see the type's documentation for where they are computed),
    /// every backward pass checked against `requiredWidth` (the point's bound,
    /// `CertifiedReference.requiredGradientWidth(unitRoundoff:)`).
    ///
    /// Consuming: when the double-double balls hand over to quad-double balls or MPFR
    /// intervals, their forward values (on VGG11 at batch 128, a gigabyte) are freed before the
    /// re-run, which needs only the balls' decisions — unless the caller still holds this run.
    public consuming func differentiated(options: ReferenceOptions, conventions: [DerivativeConvention], wrt: [NodeID],
                                         requiredWidth bound: Double = ReferenceRun.requiredGradientWidth) throws -> LadderedReference {
        switch consume self {
        case .mpfr(let r):
            return .mpfr(try r.differentiated(options: options, conventions: conventions, wrt: wrt, requiredWidth: bound))
        case .tripleDouble(let r):
            return .tripleDouble(r)
        case .quadDouble(let r):
            return .quadDouble(r)
        case .streamed(let r):
            return .streamed(r)
        case .doubleDouble(let r):
            var width: Double, widthBits = Self.doubleDoubleBits
            // One sample's backward in balls first (1/batch of the cost): when even it misses the
            // bound, the whole batch's is taken to miss it too (its widths come from the same
            // layers' growth) and that pass, a third of R's time on a deep network, is skipped
            // for the next rung, sized from this width. A wrong guess costs time, never rigour:
            // every rung's width is still checked after its pass. When one sample meets the
            // bound, the whole batch's pass is done and checked as before.
            if let sampled = try Self.oneSampleWidth(r, conventions: conventions, wrt: wrt), sampled > bound {
                width = sampled
            } else {  // the balls' gradients are released before anything else is computed
                let done = try r.differentiated(options: options, conventions: conventions, wrt: wrt, requiredWidth: bound)
                if done.gradientWidth <= bound { return .doubleDouble(done) }
                width = done.gradientWidth
            }
            // From here on only the balls' decisions and facts are needed: their values go.
            let decided = Decided(r)
            _ = consume r
            if let triple = try Self.ballBackward(TripleDoubleBallArithmetic(), decided, after: &width, at: &widthBits,
                                                  conventions: conventions, wrt: wrt, requiredWidth: bound) {
                return .tripleDouble(triple)
            }
            if let quad = try Self.ballBackward(QuadDoubleBallArithmetic(), decided, after: &width, at: &widthBits,
                                                conventions: conventions, wrt: wrt, requiredWidth: bound) {
                return .quadDouble(quad)
            }
            // Too wide (or unknown): the same decisions, recomputed in MPFR intervals, at the
            // precision the balls' width says the backward needs (widths scale with the working
            // precision's unit; the growth per layer does not depend on it) — chosen up front
            // instead of tried at 128 bits and thrown away. The check still runs after it.
            let bits = Self.gradientBits(after: width, at: widthBits, options: options, requiredWidth: bound)
            let forward = options.arithmetic.withPrecision(bits: max(options.initialBits, bits))
            let forced = try Execution(graph: decided.graph, arithmetic: forward, feed: decided.feed, forcing: decided.decisions)
            let mpfr = ReferenceRun(execution: forced, bits: forward.bits, escalations: [], undecidedSites: 0,
                                    gradientBits: forward.bits, gradientWidth: .nan, feed: decided.feed, gradients: nil)
            return .mpfr(try mpfr.differentiated(gradientBits: bits, conventions: conventions, wrt: wrt, requiredWidth: bound)
                .afterRung(Self.doubleDoubleBits))
        }
    }

    /// What a re-run forced onto the double-double balls' decisions needs of them, without their values.
    struct Decided {
        let graph: Graph, feed: Feed, decisions: DecisionSet
        let bits: Int, escalations: [Int], undecidedSites: Int, climbedSamples: Int
        init(_ r: CertifiedReference<DoubleDoubleBallArithmetic>) {
            (graph, feed, decisions) = (r.execution.graph, r.feed, r.execution.decisions)
            (bits, escalations, undecidedSites, climbedSamples) = (r.bits, r.escalations, r.undecidedSites, r.climbedSamples)
        }
    }

    /// The relative width (`CertifiedReference.gradientWidth`) of g_R and g_R′ in double-double
    /// balls on the batch's first sample alone (`SampleSubset`, the forward forced onto `r`'s
    /// decisions for it); nil when the batch is one sample or its samples are not independent.
    static func oneSampleWidth(_ r: CertifiedReference<DoubleDoubleBallArithmetic>, conventions: [DerivativeConvention],
                               wrt: [NodeID]) throws -> Double? {
        let graph = r.execution.graph
        guard let batch = graph.nodes.first(where: { $0.op == .input })?.shape.first,
              let subset = SampleSubset(graph: graph, batch: batch, samples: [0]) else { return nil }
        var forcing: DecisionSet = [:]
        for (id, record) in r.execution.decisions {
            guard record.siteCount % batch == 0 else { return nil }
            forcing[id] = record.samples(0..<1, of: batch)
        }
        let one = try Execution(graph: subset.graph, arithmetic: r.execution.arithmetic, feed: subset.feed(r.feed), forcing: forcing)
        let sampled = CertifiedReference(execution: one, bits: r.bits, escalations: [], undecidedSites: 0, gradientBits: r.bits,
                                         gradientWidth: .nan, feed: subset.feed(r.feed), gradients: nil)
        return try sampled.differentiated(gradientBits: r.bits, conventions: conventions, wrt: wrt, requiredWidth: .infinity).gradientWidth
    }

    /// The backward passes in the balls of `arithmetic` (triple- or quad-double), the forward
    /// re-run there forced onto `r`'s decisions, when the width `width` reached at `widthBits`
    /// bits says `arithmetic.bits` will do (widths scale with the working precision's unit: the
    /// same growth from 2⁻¹⁵⁹ instead of 2⁻¹⁰⁶ must land 2⁴ below `bound`). Nil when it will
    /// not; nil too when the width, checked after the pass, still misses the bound — then
    /// `width` and `widthBits` become this rung's, for the next to size itself from.
    static func ballBackward<A: EnclosingArithmetic>(_ arithmetic: A, _ r: Decided, after width: inout Double, at widthBits: inout Int,
                                                     conventions: [DerivativeConvention], wrt: [NodeID],
                                                     requiredWidth bound: Double) throws -> CertifiedReference<A>? {
        guard fits(arithmetic, width, at: widthBits, bound: bound) else { return nil }
        let forced = try Execution(graph: r.graph, arithmetic: arithmetic, feed: r.feed, forcing: r.decisions)
        let rerun = CertifiedReference(execution: forced, bits: arithmetic.bits, escalations: r.escalations, undecidedSites: r.undecidedSites,
                                       gradientBits: arithmetic.bits, gradientWidth: .nan, feed: r.feed, gradients: nil)
        let done = try rerun.differentiated(gradientBits: arithmetic.bits, conventions: conventions, wrt: wrt, requiredWidth: bound)
        guard done.gradientWidth <= bound else {
            // An unknown width (an overflow) says nothing about the growth: the last known one stays.
            if done.gradientWidth.isFinite { (width, widthBits) = (done.gradientWidth, arithmetic.bits) }
            return nil
        }
        // R's forward precision stays the balls' (they proved the decisions).
        var run = CertifiedReference(execution: forced, bits: r.bits, escalations: r.escalations, undecidedSites: r.undecidedSites,
                                     gradientBits: arithmetic.bits, gradientWidth: done.gradientWidth, feed: r.feed, gradients: done.gradients)
        run.climbedSamples = r.climbedSamples
        run.requiredWidth = bound
        return run
    }

    /// Whether `a`'s bits will do after the width `width` reached at `widthBits` bits: widths
    /// scale with the working precision's unit, and the same growth from `a`'s must land 2⁴
    /// below `bound`.
    static func fits<A: EnclosingArithmetic>(_ a: A, _ width: Double, at widthBits: Int = doubleDoubleBits, bound: Double) -> Bool {
        width.isFinite && width * Foundation.exp2(Double(widthBits - a.bits)) <= bound / 16
    }

    /// The MPFR precision for a backward pass whose width at `widthBits` bits (double-double's
    /// 106, or a rung above it) was `width` (relative to its tensors' largest components): enough
    /// bits that the same growth from a unit of 2⁻ᵇⁱᵗˢ instead of 2⁻ʷⁱᵈᵗʰᴮⁱᵗˢ lands 2⁸ below `bound`, rounded up to a whole number of 64-bit
    /// limbs, at least `options.gradientBits`, at most the cap. Unknown widths (NaN: an overflow
    /// or a NaN in the balls) give `options.gradientBits`.
    static func gradientBits(after width: Double, at widthBits: Int = doubleDoubleBits, options: ReferenceOptions,
                             requiredWidth bound: Double) -> Int {
        guard width.isFinite, width > 0 else { return options.gradientBits }
        let needed = Double(widthBits) + Foundation.log2(width) - Foundation.log2(bound) + 8
        let limbs = (Int(needed.rounded(.up)) + 63) / 64 * 64
        return min(max(limbs, options.gradientBits), options.capBits)
    }

    /// What the report says R's forward ran in: "double-double" or "mpfr" (as the backward's
    /// arithmetic says when it fell back to MPFR intervals).
    public var arithmetic: String {
        switch self {
        case .mpfr: ReferenceFirstRung.mpfr.rawValue
        case .streamed(let r): (r.arithmetic is MPFRIntervalArithmetic ? ReferenceFirstRung.mpfr : .doubleDouble).rawValue
        default: ReferenceFirstRung.doubleDouble.rawValue
        }
    }
    /// R at its point, as the precisions' analyses read it.
    public var point: any PointReference {
        switch self {
        case .doubleDouble(let r): r
        case .tripleDouble(let r): r
        case .quadDouble(let r): r
        case .mpfr(let r): r
        case .streamed(let r): r
        }
    }
    public var bits: Int { point.bits }
    public var escalations: [Int] { point.escalations }
    public var undecidedSites: Int { point.undecidedSites }
    public var gradientBits: Int { point.gradientBits }
    public var gradientWidth: Double { point.gradientWidth }
    /// The bound R's backward passes were checked against (the point's).
    public var requiredWidth: Double { point.requiredWidth }
    public var climbedSamples: Int { point.climbedSamples }
    /// R's decisions at every nonsmooth node.
    public var decisions: DecisionSet { point.decisions }
}

extension CertifiedReference {
    /// This run with `bits` (a rung tried first, in another arithmetic) put before its escalations.
    func afterRung(_ bits: Int) -> Self {
        var run = Self(execution: execution, bits: self.bits, escalations: [bits] + escalations, undecidedSites: undecidedSites,
                       gradientBits: gradientBits, gradientWidth: gradientWidth, feed: feed, gradients: gradients)
        run.requiredWidth = requiredWidth
        return run
    }
}

