import AD
import Foundation
import Precision

/// How R streams a batch too large to hold whole: in chunks of consecutive samples, each
/// chunk's forward and backward computed, used and freed before the next (`StreamedReference`).
///
/// R streams when its forward values for the whole batch in quad-double balls (40 bytes a value,
/// its widest rung but MPFR) would take more than `ReferenceOptions.streamingBytes`; each chunk
/// then holds at most that much. ResNet18 for CIFAR holds ~2 M values per sample: at batch 128,
/// 10 GB whole, 10 chunks of 13 samples under the default 1 GiB (VGG11, 0.34 M: 2 chunks). Whether and how R streams
/// depends on the graph and the option only, never on threads. Nil (R runs whole) when the
/// batch fits, when samples are not independent (batch norm in training mode), when a
/// nonsmooth node or a loss operand has no batch axis, when the loss's gradient rows are not
/// each a function of their own row (`LossPrimitive.gradientRowsAreIndependent`), or when R
/// starts in MPFR intervals (`ReferenceFirstRung.mpfr`).
public struct StreamingPlan: Sendable, Equatable {
    /// The batch's size.
    public let batch: Int
    /// The chunks, in order: consecutive, disjoint, covering `0..<batch`, at least two.
    public let chunks: [Range<Int>]

    /// The plan for `graph` (whose loss node is `loss`) under `options`; nil when R runs whole.
    public init?(graph: Graph, loss: NodeID, options: ReferenceOptions) {
        guard options.firstRung == .doubleDouble, graph.nodes.indices.contains(loss),
              let batch = graph.nodes.first(where: { $0.op == .input })?.shape.first, batch > 1,
              let one = SampleSubset(graph: graph, batch: batch, samples: [0]),
              (graph.nodes[loss].op.primitive as? any LossPrimitive)?.gradientRowsAreIndependent == true,
              graph.nodes[loss].inputs.allSatisfy({ graph.nodes[$0].shape.first == batch }) else { return nil }
        let perSample = Set(one.batchNodes)
        guard graph.nodes.allSatisfy({ !$0.op.isNonsmooth || perSample.contains($0.id) }) else { return nil }
        let values = one.batchNodes.reduce(0) { $0 + graph.nodes[$1].shape.reduce(1, *) / batch }
        let bytes = max(values, 1) * MemoryLayout<QuadDoubleBallArithmetic.Slot>.stride
        guard bytes * batch > options.streamingBytes else { return nil }
        let chunk = max(1, options.streamingBytes / bytes)
        self.batch = batch
        chunks = stride(from: 0, to: batch, by: chunk).map { $0..<min($0 + chunk, batch) }
    }
}

/// R at one point computed chunk by chunk (`StreamingPlan`): what the precisions' analyses read
/// of it — its decisions for the whole batch, g_R and g_R′, and its operands at every site a
/// precision at this point classifies — without the whole batch's values ever held at once.
///
/// Samples are independent in forward and in the activations' backward, so each chunk's
/// forward values and decisions are the whole batch's rows, bit for bit; each chunk's backward
/// starts from the loss gradients the whole batch's loss gives its rows (a mean loss divides by
/// the whole batch), so its activation gradients are the batch's rows too. The parameter
/// gradients are sums over samples: each chunk's is an enclosure of its exact part, and their
/// sum, in chunk order, an enclosure of the whole (ball and interval sums are sound in any
/// order; their midpoints differ from the whole batch's in the last bits of R's own precision,
/// far below any bound). The rungs are climbed as `LadderedReference.differentiated` climbs
/// them, every chunk on the same rung, the width checked on the sums.
public struct StreamedReference<E: EnclosingArithmetic>: PointReference {
    public let arithmetic: E
    public let decisions: DecisionSet
    public let gradient: Gradients<E>?
    public let alternativeGradient: Gradients<E>?
    public let bits: Int
    public let escalations: [Int]
    public let undecidedSites: Int
    public let climbedSamples: Int
    public let gradientBits: Int
    public let gradientWidth: Double
    public let requiredWidth: Double
    public let chunks: Int?
    /// R's operands as its arithmetic renders them, at each site each precision classified:
    /// precision → node → flat site index (the whole batch's) → text.
    let certified: [PrecisionName: [NodeID: [Int: String]]]

    public func certifiedOperands(_ node: NodeID, site: Int, for precision: PrecisionName) -> String? {
        certified[precision]?[node]?[site]
    }
}

extension LadderedReference {
    /// R at `feed` computed chunk by chunk as `plan` says (`StreamedReference`), g_R and g_R′
    /// under `conventions` with respect to `wrt`, every backward's width checked on the chunks'
    /// sums against `bound`. `precisions`: those analysed at this point, each with its own
    /// decisions on the whole batch; R keeps its operands at the sites they classify
    /// (`PointReference.certifiedOperands`). Nil when a chunk's forward went whole to MPFR
    /// intervals (every sample of it left a site undecided in balls): R then runs whole.
    /// `trace`, when given, is called as each chunk's pass starts ("chunk 3/10 forward").
    public static func streamed(graph: Graph, feed: Feed, loss: NodeID, plan: StreamingPlan, options: ReferenceOptions,
                                conventions: [DerivativeConvention], wrt: [NodeID],
                                requiredWidth bound: Double = ReferenceRun.requiredGradientWidth,
                                precisions: [(name: PrecisionName, decisions: DecisionSet)] = [],
                                trace: ((String) -> Void)? = nil) throws -> LadderedReference? {
        var stream = try ReferenceStream(graph: graph, feed: feed, loss: loss, plan: plan, options: options, conventions: conventions, wrt: wrt,
                                         requiredWidth: bound, precisions: precisions)
        stream.trace = trace
        return try stream.run()
    }
}

/// One streamed run of R: the graph, its chunks and the loss graph that gives each chunk the
/// whole batch's loss gradients for its rows.
struct ReferenceStream {
    let graph: Graph, feed: Feed, loss: NodeID
    let plan: StreamingPlan
    let options: ReferenceOptions
    let conventions: [DerivativeConvention], wrt: [NodeID]
    let bound: Double
    /// Each precision at this point and its own decisions on the whole batch (its forward
    /// pass's, computed beforehand): the sites it classifies are the ones whose operands R keeps.
    let precisions: [(name: PrecisionName, decisions: DecisionSet)]
    let subsets: [SampleSubset]
    /// The loss node alone, its operands as inputs of the whole batch's shapes.
    let lossGraph: Graph, lossInputs: [NodeID]
    /// Told as each chunk's pass starts (profiling).
    var trace: ((String) -> Void)?

    init(graph: Graph, feed: Feed, loss: NodeID, plan: StreamingPlan, options: ReferenceOptions, conventions: [DerivativeConvention],
         wrt: [NodeID], requiredWidth bound: Double, precisions: [(name: PrecisionName, decisions: DecisionSet)]) throws {
        (self.graph, self.feed, self.loss, self.plan, self.options) = (graph, feed, loss, plan, options)
        (self.conventions, self.wrt, self.bound, self.precisions) = (conventions, wrt, bound, precisions)
        subsets = plan.chunks.map { SampleSubset(graph: graph, batch: plan.batch, samples: Array($0))! }  // the plan checked independence
        (lossGraph, lossInputs) = try graph.lossAlone(loss)
    }

    /// The sums of the chunks' gradients so far, per convention, and what the chunks recorded.
    struct Sums<A: EnclosingArithmetic> {
        var gradients: [[NodeID: Tensor<A>]] = []
        var events: [[NodeID: RangeEvents]] = []
        var certified: [PrecisionName: [NodeID: [Int: String]]] = [:]
    }

    /// What the chunks' forwards proved: each node's decisions (stitched over the chunks) and the
    /// ladder's facts, as `LadderedReference.decide` reports them for the whole batch.
    struct Proven {
        var parts: [NodeID: [DecisionRecord]] = [:]
        var escalations: [Int] = [], undecided = 0, climbed = 0
        /// The precision that proved the decisions: double-double's, or the rung's that decided alone.
        var bits = LadderedReference.doubleDoubleBits
        var decisions: DecisionSet { parts.mapValues { DecisionRecord.stitch($0) } }

        /// A chunk decided on the double-double rung (its samples with an unproven site climbed to MPFR).
        mutating func add(_ r: CertifiedReference<DoubleDoubleBallArithmetic>) {
            add(r.execution.decisions)
            if r.escalations.count > escalations.count { escalations = r.escalations }
            undecided += r.undecidedSites
            climbed += r.climbedSamples
        }
        mutating func add(_ decisions: DecisionSet) {
            for (id, record) in decisions { parts[id, default: []].append(record) }
        }
    }

    /// R streamed: nil when a chunk's forward had to be recomputed whole in MPFR intervals
    /// (every sample of it left a site undecided in balls): the caller then runs R whole.
    ///
    /// The rung comes first, from the batch's first sample alone in double-double balls (as
    /// `LadderedReference.differentiated` sizes it). On the double-double rung each chunk's
    /// forward decides and its backward runs on it at once. On triple- or quad-double balls each
    /// chunk's forward runs there and decides there (a proven decision is the same fact in any
    /// enclosure; where that rung leaves a site unproven, the chunk is decided as on the
    /// double-double rung and the forward re-run forced onto it), its backward at once: one
    /// forward a chunk, not a double-double one to decide and another to differentiate.
    func run() throws -> LadderedReference? {
        let sampled = try firstSampleWidth()
        if let sampled, sampled > bound {
            if LadderedReference.fits(TripleDoubleBallArithmetic(), sampled, bound: bound) { return try deciding(TripleDoubleBallArithmetic(), after: sampled) }
            if LadderedReference.fits(QuadDoubleBallArithmetic(), sampled, bound: bound) { return try deciding(QuadDoubleBallArithmetic(), after: sampled) }
        }
        let balls = DoubleDoubleBallArithmetic()
        var proven = Proven()
        // On the double-double rung when the first sample meets the bound; otherwise (only MPFR
        // will do, or the width is unknown) the chunks' forwards only decide, and the backward
        // runs on the rung their width asks for, each chunk's forward re-run there onto the decisions.
        var onBalls = sampled.map { $0 <= bound } ?? true, width = sampled ?? .nan
        var sums = Sums<DoubleDoubleBallArithmetic>()
        for (k, subset) in subsets.enumerated() {
            trace?("chunk \(k + 1)/\(subsets.count) double-double forward")
            guard case .doubleDouble(let r) = try LadderedReference.decide(graph: subset.graph, feed: subset.feed(feed), options: options) else { return nil }
            proven.add(r)
            // The first sample left a site unproven alone: its width from the first chunk, its
            // samples climbed (as the whole batch's reference sizes it).
            if k == 0, sampled == nil, let w = try LadderedReference.oneSampleWidth(r, conventions: conventions, wrt: wrt), w > bound {
                (onBalls, width) = (false, w)
            }
            if onBalls { try accumulate(r.execution, chunk: k, into: &sums) }
        }
        if onBalls {
            width = Self.width(sums, balls)
            if width <= bound { return result(sums, balls, proven, width: width, gradientBits: proven.bits) }
        }
        return try climbing(from: width, at: LadderedReference.doubleDoubleBits, proven, rungs: [TripleDoubleBallArithmetic(), QuadDoubleBallArithmetic()])
    }

    /// The double-double width of g_R and g_R′ on the batch's first sample alone, every decision
    /// proven in the balls; nil when one is not (the first chunk's forward then sizes the rung).
    func firstSampleWidth() throws -> Double? {
        guard let one = SampleSubset(graph: graph, batch: plan.batch, samples: [0]) else { return nil }
        let r = try CertifiedReference.decide(graph: one.graph, feed: one.feed(feed), start: DoubleDoubleBallArithmetic())
        guard r.undecidedSites == 0 else { return nil }
        return try r.differentiated(gradientBits: r.bits, conventions: conventions, wrt: wrt, requiredWidth: .infinity).gradientWidth
    }

    /// Every chunk's forward in `a`'s balls, deciding there, and its backward at once (see `run`);
    /// when the sums are still too wide, the rungs above, as `climbing`.
    func deciding<A: EnclosingArithmetic>(_ a: A, after sampled: Double) throws -> LadderedReference? {
        var proven = Proven()
        proven.bits = a.bits
        var sums = Sums<A>()
        for (k, subset) in subsets.enumerated() {
            trace?("chunk \(k + 1)/\(subsets.count) \(a.bits)-bit forward and backward")
            let chunkFeed = subset.feed(feed)
            var run = try Execution(graph: subset.graph, arithmetic: a, feed: chunkFeed, proveTies: { a.isPoint($0) })
            if CertifiedReference<A>.undecided(run.decisions) == 0 {
                proven.add(run.decisions)
            } else {
                trace?("chunk \(k + 1)/\(subsets.count) undecided at \(a.bits) bits: double-double forward")
                guard case .doubleDouble(let r) = try LadderedReference.decide(graph: subset.graph, feed: chunkFeed, options: options) else { return nil }
                // Decided on the double-double rung: R's forward precision is the balls', as on that path.
                proven.bits = LadderedReference.doubleDoubleBits
                proven.add(r)
                run = try Execution(graph: subset.graph, arithmetic: a, feed: chunkFeed, forcing: r.execution.decisions)
            }
            try accumulate(run, chunk: k, into: &sums)
        }
        let width = Self.width(sums, a)
        if width <= bound { return result(sums, a, proven, width: width, gradientBits: a.bits) }
        sums = Sums()
        let higher: [any EnclosingArithmetic] = a is TripleDoubleBallArithmetic ? [QuadDoubleBallArithmetic()] : []
        // A miss hands its own width on; an unknown one (an overflow) leaves the first sample's.
        return try width.isFinite ? climbing(from: width, at: a.bits, proven, rungs: higher)
                                  : climbing(from: sampled, at: LadderedReference.doubleDoubleBits, proven, rungs: higher)
    }

    /// The backward on each of `rungs` in turn (ball arithmetics) whose bits the width reached so
    /// far says will do, every chunk's forward re-run there forced onto the decisions; then MPFR
    /// intervals at the precision the last width asks for, climbing while still too wide.
    func climbing(from width: Double, at widthBits: Int, _ proven: Proven, rungs: [any EnclosingArithmetic]) throws -> LadderedReference? {
        let decisions = proven.decisions
        var (width, widthBits) = (width, widthBits)
        func climb<A: EnclosingArithmetic>(_ a: A) throws -> LadderedReference? {
            guard LadderedReference.fits(a, width, at: widthBits, bound: bound) else { return nil }
            let s = try backward(a, decisions)
            let reached = Self.width(s, a)
            if reached <= bound { return result(s, a, proven, width: reached, gradientBits: a.bits) }
            if reached.isFinite { (width, widthBits) = (reached, a.bits) }
            return nil
        }
        for rung in rungs { if let done = try climb(rung) { return done } }
        var gradientBits = LadderedReference.gradientBits(after: width, at: widthBits, options: options, requiredWidth: bound)
        while true {
            let a = options.arithmetic.withPrecision(bits: gradientBits)
            let s = try backward(a, decisions)
            let reached = Self.width(s, a)
            guard reached > bound, let next = a.nextRung else {
                return result(s, a, proven, width: reached, gradientBits: gradientBits, mpfr: true)
            }
            gradientBits = next.bits
        }
    }

    /// The streamed reference from the chunks' sums in `a`.
    func result<A: EnclosingArithmetic>(_ sums: Sums<A>, _ a: A, _ proven: Proven, width: Double, gradientBits: Int,
                                        mpfr: Bool = false) -> LadderedReference {
        // As the whole batch's MPFR rung reports it: R's forward at the intervals' precision, after the balls.
        let (bits, escalations) = mpfr ? (a.bits, [proven.bits]) : (proven.bits, proven.escalations)
        let g = sums.gradients.indices.map { Gradients(tensors: sums.gradients[$0], events: sums.events[$0], convention: conventions[$0]) }
        return .streamed(StreamedReference(arithmetic: a, decisions: proven.decisions, gradient: g.first,
                                           alternativeGradient: g.count > 1 ? g[1] : nil, bits: bits, escalations: escalations,
                                           undecidedSites: proven.undecided, climbedSamples: proven.climbed, gradientBits: gradientBits,
                                           gradientWidth: width, requiredWidth: bound, chunks: plan.chunks.count, certified: sums.certified))
    }

    /// Every chunk's forward re-run in `a` forced onto `decisions`, and its backward summed.
    func backward<A: EnclosingArithmetic>(_ a: A, _ decisions: DecisionSet) throws -> Sums<A> {
        var sums = Sums<A>()
        for (k, subset) in subsets.enumerated() {
            let range = plan.chunks[k]
            trace?("chunk \(k + 1)/\(subsets.count) \(a.bits)-bit forward and backward")
            var forcing: DecisionSet = [:]
            for (id, record) in decisions { forcing[id] = record.samples(range, of: plan.batch) }
            let run = try Execution(graph: subset.graph, arithmetic: a, feed: subset.feed(feed), forcing: forcing)
            try accumulate(run, chunk: k, into: &sums)
        }
        return sums
    }

    /// Chunk `k`'s backward from its rows of the whole batch's loss gradients, added to `sums`,
    /// and R's operands at the sites each precision classifies in it recorded.
    func accumulate<A: EnclosingArithmetic>(_ run: Execution<A>, chunk k: Int, into sums: inout Sums<A>) throws {
        let a = run.arithmetic, range = plan.chunks[k], rows = range.count
        // The whole batch's loss operands with this chunk's rows in place (the other rows a copy
        // of its first: any finite values do, each gradient row depending on its own row only).
        var operands: [String: Tensor<A>] = [:]
        for (k, id) in graph.nodes[loss].inputs.enumerated() {
            let t = run.value(id), per = t.count / rows
            var full = Tensor<A>(zeros: graph.nodes[id].shape, a)
            full.withMutableSlots { q in
                for s in 0..<plan.batch {
                    let from = range.contains(s) ? (s - range.lowerBound) * per : 0
                    for i in 0..<per { a.copy(q + s * per + i, t.slots + from + i) }
                }
            }
            operands["operand\(k)"] = withExtendedLifetime(t) { full }
        }
        let lossRun = try Execution(graph: lossGraph, arithmetic: a, feed: Feed(labels: feed.labels), tensors: operands)
        let lossGradients = try lossRun.backward(convention: conventions[0], wrt: lossInputs)
        let given: [Tensor<A>?] = lossInputs.map { id in
            let g = lossGradients[id]!, per = g.count / plan.batch
            var out = Tensor<A>(zeros: [rows] + g.shape.dropFirst(), a)
            out.withMutableSlots { q in for i in 0..<(rows * per) { a.copy(q + i, g.slots + range.lowerBound * per + i) } }
            return withExtendedLifetime(g) { out }
        }
        let chunkGradients = try run.backward(conventions: conventions, from: loss, lossOperandGradients: given, wrt: wrt)
        if sums.gradients.isEmpty {
            sums.gradients = chunkGradients.map { $0.tensors }
            sums.events = chunkGradients.map { $0.events }
        } else {
            for (j, g) in chunkGradients.enumerated() {
                for (id, t) in g.tensors {
                    sums.gradients[j][id]!.withMutableSlots { q in for i in 0..<t.count { a.add(q + i, q + i, t.slots + i) } }
                }
                for (id, e) in g.events { sums.events[j][id] = (sums.events[j][id] ?? RangeEvents()) + e }
                withExtendedLifetime(g) {}
            }
        }
        record(run, chunk: k, into: &sums.certified)
    }

    /// R's operands, rendered, at the sites of chunk `k` that each precision classifies.
    func record<A: EnclosingArithmetic>(_ run: Execution<A>, chunk k: Int, into certified: inout [PrecisionName: [NodeID: [Int: String]]]) {
        let range = plan.chunks[k]
        for node in graph.nodes {
            guard let primitive = node.op.nonsmooth, let rRecord = run.decisions[node.id] else { continue }
            let perSample = rRecord.siteCount / range.count
            let inputs = node.inputs.map { run.value($0) }, output = run.value(node.id)
            for (name, decisions) in precisions {
                guard let whole = decisions[node.id] else { continue }
                let pRecord = whole.samples(range, of: plan.batch)
                for i in 0..<rRecord.siteCount where SiteClass.of(pRecord, rRecord, i) != nil {
                    certified[name, default: [:]][node.id, default: [:]][range.lowerBound * perSample + i] =
                        primitive.siteOperands(i, inputs: inputs, output: output) { run.arithmetic.render($0) }
                }
            }
        }
    }

    /// The widest relative enclosure of the sums (`CertifiedReference.gradientWidth`).
    static func width<A: EnclosingArithmetic>(_ sums: Sums<A>, _ a: A) -> Double {
        sums.gradients.indices.map { j in
            CertifiedReference<A>.relativeWidth(Gradients(tensors: sums.gradients[j], events: [:], convention: .pytorch), in: a)
        }.max() ?? 0
    }
}
