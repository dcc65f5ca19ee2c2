import Dispatch
import AD
import Foundation
import Precision

/// The analysis of analysis.md: a model and a batch replayed at several precisions, each
/// compared with the certified reference at its own rounded point.
///
/// ```swift
/// let result = try Analysis(model: model, precisions: [.f32, .f16]).run()
/// #expect(result[.f32].kinkCausedError < 1e-6)
/// ```
public struct Analysis: Sendable {
    /// What is analysed: a graph written in code with its values, or one batch of a source that
    /// makes its own graph (a model file's network over its data, BPCheck's `Analysis(model:)`).
    public enum Source: Sendable {
        /// A graph and the values it runs on.
        case graph(ModelGraph, Feed, name: String)
        /// Batch `batch` of `source`, on the graph `source` makes: both made, and checked, when
        /// the analysis runs.
        case network(any NetworkBatchSource, batch: Int)
    }

    public var source: Source
    public var precisions: [PrecisionName]
    public var reference: ReferenceOptions
    /// The convention C (default PyTorch's) and its alternative C′ (default: C flipped).
    public var convention: DerivativeConvention
    public var alternative: DerivativeConvention
    public var arithmeticModel: ArithmeticModel
    public var flagRule: FlagRule
    /// Threads for the precisions and references (results are bit-identical whatever it is).
    /// Threads inside each pass are `PassThreads.count`, process-wide (the command sets both).
    public var threads: Int = 1
    /// Whether each `PrecisionResult` keeps its five gradients per tensor in memory (for
    /// `--save-gradients` and callers who look); off for long dataset runs. Never encoded.
    public var keepsGradients = true
    /// How many of the most severe sites (spurious, then flipped, then masked) of each precision
    /// get their share of the gradient error measured (`attribution` says how, and at what cost).
    public var attributedSites: Int = 5
    /// How those shares are measured: on the site's sample alone (default; ~2/N of a pass per
    /// site) or by replaying the whole batch (one forward and backward per site).
    public var attribution: AttributionMethod = .sample
    /// The rules of the `policy:NAME` precisions, by name (`--policy FILE`).
    public var policies: [String: PolicySpec] = [:]
    /// Called with one line as each stage of the run starts and ends ("start reference 2 forward",
    /// "end f16 attributions", …), from the worker threads, for profiling (`BPCheckBench
    /// --profile-analysis` prints them with times and memory). Nil: nothing is traced.
    public var trace: (@Sendable (String) -> Void)?

    /// The analysis of a graph written in code (any network the engine can express), at the
    /// point `feed`; `graph.parameters` names the gradients compared. The graph is generic over
    /// the precision by construction: one definition runs at every precision.
    public init(graph: ModelGraph, feed: Feed, name: String = "graph", precisions: [PrecisionName] = PrecisionName.standard,
                reference: ReferenceOptions = ReferenceOptions(), convention: DerivativeConvention = .pytorch,
                alternative: DerivativeConvention? = nil, arithmeticModel: ArithmeticModel = .default,
                flagRule: FlagRule = .kinkExceedsRounding) {
        self.init(source: .graph(graph, feed, name: name), precisions: precisions, reference: reference, convention: convention,
                  alternative: alternative, arithmeticModel: arithmeticModel, flagRule: flagRule)
    }

    /// The analysis of any source; `alternative` defaults to `convention` flipped.
    public init(source: Source, precisions: [PrecisionName] = PrecisionName.standard, reference: ReferenceOptions = ReferenceOptions(),
                convention: DerivativeConvention = .pytorch, alternative: DerivativeConvention? = nil,
                arithmeticModel: ArithmeticModel = .default, flagRule: FlagRule = .kinkExceedsRounding) {
        self.source = source
        self.precisions = precisions
        self.reference = reference
        self.convention = convention
        self.alternative = alternative ?? convention.flipped
        self.arithmeticModel = arithmeticModel
        self.flagRule = flagRule
    }

    /// Runs the analysis of the batch.
    /// - Throws: what the source throws (for a model file's network: `ModelError` when there is
    ///   no batch or it does not fit the model); `ExecutionError` or `ConventionError` for an impossible option.
    public func run() throws -> AnalysisResult {
        try validateOptions()
        let built: ModelGraph, feed: Feed, name: String
        switch source {
        case .graph(let g, let f, let n):
            (built, feed, name) = (g, f, n)
        case .network(let source, let k):
            built = try source.graph()
            feed = try source.feed(batch: k)
            name = source.name
        }
        // The point of each precision, the references of the distinct points (R, then g_R and
        // g_R′), then the precisions: one task graph on `threads` threads. Every task is an
        // independent deterministic computation stored by index, so results do not depend on
        // `threads`.
        let names = precisions.reduce(into: [PrecisionName]()) { if !$0.contains($1) { $0.append($1) } }
        // A point is the rounded feed and the graph with its attributes rounded to P (R computes
        // with P's slopes, bounds and eps).
        let points = names.map { roundedFeed($0, feed) }
        let graphs = names.map { roundedAttributes($0, built) }
        var distinct: [(feed: Feed, graph: ModelGraph)] = []
        let pointIndex = zip(points, graphs).map { point, g in
            if let i = distinct.firstIndex(where: { Self.samePoint($0.feed, point) && $0.graph.graph.nodes == g.graph.nodes }) { return i }
            distinct.append((point, g))
            return distinct.count - 1
        }
        // Each point's bound on R's gradient widths, from the finest precision analysed there.
        let bounds = distinct.indices.map { i in
            ReferenceRun.requiredGradientWidth(unitRoundoff: names.indices.filter { pointIndex[$0] == i }
                .map { names[$0].finestUnitRoundoff }.min()!)
        }
        let options = reference, distinctPoints = distinct
        let conventions = [convention, alternative], ids = built.parameters.keys.sorted().map { built.parameters[$0]! }
        // Tasks: R's forward at each distinct point (decisions), then R's backward at each (g_R,
        // g_R′), then each precision, which needs its point's full reference. A free thread
        // takes the lowest-numbered runnable task, so the order is the priority: within each
        // stage the points go costliest first — the finest bound first (its backward may climb
        // to triple- or quad-double balls: on VGG11 the f32/f64 point's is the analysis'
        // longest chain), ties in order — and references before precisions (a precision is a
        // short leaf; a reference left for last would run alone on one thread).
        //
        // Where R streams (`StreamingPlan`: a batch whose reference would not fit in memory),
        // its forward and backward are one task, chunk by chunk, and its "backward" task hands
        // it on. It keeps its operands only at the sites the precisions at its point classify,
        // so each of those precisions' forward decisions is a task before it (one forward pass
        // more per precision, against R's whole batch of values held).
        let order = distinct.indices.sorted { (bounds[$0], $0) < (bounds[$1], $1) }
        let plan = StreamingPlan(graph: built.graph, loss: built.loss, options: options)
        var tasks: [TaskGraph.Task] = []
        var forwardTask = Array(repeating: 0, count: distinct.count)
        for i in order {
            let atPoint = names.indices.filter { pointIndex[$0] == i }
            guard let plan else {
                forwardTask[i] = tasks.count
                tasks.append(TaskGraph.Task(dependencies: []) { _ in
                    try traced("reference \(i) forward") {
                        UncheckedBox(try LadderedReference.decide(graph: distinctPoints[i].graph.graph, feed: distinctPoints[i].feed, options: options))
                    }
                })
                continue
            }
            var own: [Int] = []
            for j in atPoint {
                own.append(tasks.count)
                tasks.append(TaskGraph.Task(dependencies: []) { _ in
                    try traced("\(names[j]) decisions") { UncheckedBox(try decisions(names[j], graphs[j], points[j])) }
                })
            }
            forwardTask[i] = tasks.count
            tasks.append(TaskGraph.Task(dependencies: own) { inputs in
                let precisions = atPoint.indices.map { (name: names[atPoint[$0]], decisions: (inputs[$0] as! UncheckedBox<DecisionSet>).value) }
                return try traced("reference \(i) streamed") {
                    let point = distinctPoints[i]
                    if let streamed = try LadderedReference.streamed(graph: point.graph.graph, feed: point.feed, loss: built.loss, plan: plan,
                                                                     options: options, conventions: conventions, wrt: ids,
                                                                     requiredWidth: bounds[i], precisions: precisions,
                                                                     trace: trace.map { t in { t("reference \(i) \($0)") } }) {
                        return UncheckedBox(streamed)
                    }
                    // A chunk went whole to MPFR intervals: R runs whole, as without streaming.
                    return UncheckedBox(try LadderedReference.decide(graph: point.graph.graph, feed: point.feed, options: options)
                        .differentiated(options: options, conventions: conventions, wrt: ids, requiredWidth: bounds[i]))
                }
            })
        }
        var backwardTask = Array(repeating: 0, count: distinct.count)
        for i in order {
            backwardTask[i] = tasks.count
            tasks.append(TaskGraph.Task(dependencies: [forwardTask[i]]) { inputs in
                // Taken, not read: `differentiated` then holds R's forward alone and frees it
                // once it has what it needs (its decisions) for a triple- or quad-double re-run.
                // (A streamed reference is differentiated already: it comes back as it is.)
                try traced("reference \(i) backward") {
                    UncheckedBox(try (inputs.take(0) as! UncheckedBox<LadderedReference>).value
                        .differentiated(options: options, conventions: conventions, wrt: ids, requiredWidth: bounds[i]))
                }
            })
        }
        var precisionTask = Array(repeating: 0, count: names.count)
        for i in order {
            for j in names.indices where pointIndex[j] == i {
                precisionTask[j] = tasks.count
                tasks.append(TaskGraph.Task(dependencies: [backwardTask[i]]) { inputs in
                    try traced("\(names[j]) at reference \(i)") {
                        try analyze(names[j], graphs[j], points[j], (inputs[0] as! UncheckedBox<LadderedReference>).value)
                    }
                })
            }
        }
        // Only the precisions' results are read: each reference is released once every
        // precision at its point is done (memory then does not hold every reference to the end).
        let outputs = try TaskGraph(tasks, keeping: Set(precisionTask)).run(threads: threads)
        let perPrecision = precisionTask.map { outputs[$0] as! PrecisionResult }
        var results: [PrecisionName: PrecisionResult] = [:]
        for (p, r) in zip(names, perPrecision) { results[p] = r }
        return AnalysisResult(model: name, precisions: precisions, results: results, convention: convention,
                              alternative: alternative, arithmeticModel: arithmeticModel,
                              batchSize: built.graph.nodes[built.input].shape.first ?? 0)
    }

    /// `body`, between its "start" and "end" lines when the run is traced.
    func traced<T>(_ stage: String, _ body: () throws -> T) rethrows -> T {
        trace?("start \(stage)")
        defer { trace?("end \(stage)") }
        return try body()
    }

    /// Options a caller may get wrong, checked before anything runs (no trap on them later).
    func validateOptions() throws {
        try convention.validate()
        try alternative.validate()
        let range = PrecisionName.mpfrMinBits...PrecisionName.mpfrMaxBits
        for (name, bits) in [("reference.initialBits", reference.initialBits), ("reference.capBits", reference.capBits),
                             ("reference.gradientBits", reference.gradientBits)] where !range.contains(bits) {
            throw AnalysisOptionError(message: "\(name) = \(bits) is outside \(range.lowerBound)…\(range.upperBound)")
        }
        for case .mpfr(let bits) in precisions where !range.contains(bits) {
            throw AnalysisOptionError(message: "precision mpfr:\(bits) is outside mpfr:\(range.lowerBound)…mpfr:\(range.upperBound)")
        }
        guard !precisions.isEmpty else { throw AnalysisOptionError(message: "no precision to analyse") }
        guard threads >= 1 else { throw AnalysisOptionError(message: "threads = \(threads): at least 1") }
        guard attributedSites >= 0 else { throw AnalysisOptionError(message: "attributedSites = \(attributedSites): at least 0") }
        for case .policy(let name) in precisions where policies[name] == nil {
            throw AnalysisOptionError(message: "precision policy:\(name) has no rules: give its policy file (--policy FILE)")
        }
    }

    /// `point` is P's rounded point, `reference` R at that point.
    func analyze(_ p: PrecisionName, _ built: ModelGraph, _ point: Feed, _ reference: LadderedReference) throws -> PrecisionResult {
        struct Run: ArithmeticVisitor {
            let analysis: Analysis, built: ModelGraph, point: Feed, reference: LadderedReference
            let name: PrecisionName
            func visit<A: ScalarArithmetic>(_ a: A) throws -> PrecisionResult {
                try reference.point.analysed(by: analysis.precisionAnalysis(name, a, built, point), arithmetic: reference.arithmetic)
            }
        }
        return try p.withArithmetic(Run(analysis: self, built: built, point: point, reference: reference, name: p))
    }

    /// P's own decisions on the whole batch: the forward pass its analysis runs, alone.
    func decisions(_ p: PrecisionName, _ built: ModelGraph, _ point: Feed) throws -> DecisionSet {
        struct Forward: ArithmeticVisitor {
            let analysis: Analysis, built: ModelGraph, point: Feed, name: PrecisionName
            func visit<A: ScalarArithmetic>(_ a: A) throws -> DecisionSet {
                try analysis.precisionAnalysis(name, a, built, point).forward().decisions
            }
        }
        return try p.withArithmetic(Forward(analysis: self, built: built, point: point, name: p))
    }

    /// The analysis of precision `name` in its arithmetic `a` at its point.
    func precisionAnalysis<A: ScalarArithmetic>(_ name: PrecisionName, _ a: A, _ built: ModelGraph, _ point: Feed) throws -> PrecisionAnalysis<A> {
        var run = PrecisionAnalysis(self, a, built, point)
        run.name = name
        run.rounding = try NodeRounding.forPrecision(name, graph: built.graph, policies: policies)
        // A policy fixes its own accumulation (binary32 sums of exact products: the GEMM's f32 accumulator).
        if name.isPolicy { run.model = .default }
        return run
    }

    /// The point analysed at `p`: every value rounded to `p` (parameters, inputs, real targets);
    /// for a policy, to its `pointPrecision` (f32 master weights for autocast).
    func roundedFeed(_ p: PrecisionName, _ feed: Feed) -> Feed {
        let round = Self.rounding(p.pointPrecision)
        var out = feed
        for (k, v) in feed.values { out.values[k] = round(v) }
        return out
    }

    /// `built` with its attributes rounded to `p`, each once from its value (`Graph.roundingAttributes`).
    func roundedAttributes(_ p: PrecisionName, _ built: ModelGraph) -> ModelGraph {
        let round = Self.rounding(p.pointPrecision)
        let g = built.graph.roundingAttributes { round([$0])[0] }
        return ModelGraph(graph: g, input: built.input, parameters: built.parameters, output: built.output, loss: built.loss, targets: built.targets)
    }

    /// Values rounded to `p`, each once (through `p`'s own arithmetic).
    static func rounding(_ p: PrecisionName) -> @Sendable ([Double]) -> [Double] {
        struct Round: ArithmeticVisitor {
            func visit<A: ScalarArithmetic>(_ a: A) -> @Sendable ([Double]) -> [Double] { { a.doubles(a.makeStorage($0)) } }
        }
        return try! p.withArithmetic(Round())  // Round never throws
    }

    /// Whether two points are the same bits (f32 weights give f32 and f64 one point, one R).
    static func samePoint(_ a: Feed, _ b: Feed) -> Bool {
        a.labels == b.labels && a.values.count == b.values.count && a.values.allSatisfy { k, v in
            guard let w = b.values[k], w.count == v.count else { return false }
            return zip(v, w).allSatisfy { $0.bitPattern == $1.bitPattern }
        }
    }
}

/// The analysis at one precision, generic over its arithmetic.
struct PrecisionAnalysis<A: ScalarArithmetic> {
    let analysis: Analysis
    let arithmetic: A
    let built: ModelGraph
    let feed: Feed
    /// The precision's name (a policy's, not its binary32 arithmetic's).
    var name: PrecisionName
    /// A policy's per-node roundings, given to every replay (g_P, g_P′, g_P|R, the attributions).
    var rounding: NodeRounding?
    var model: ArithmeticModel

    init(_ analysis: Analysis, _ arithmetic: A, _ built: ModelGraph, _ feed: Feed) {
        self.analysis = analysis
        self.arithmetic = arithmetic
        self.built = built
        self.feed = feed
        self.name = arithmetic.precision
        self.model = analysis.arithmeticModel
    }

    /// `feed` is already P's rounded point; `reference` is R there.
    func run<R: PointReference>(_ reference: R, arithmetic referenceArithmetic: String) throws -> PrecisionResult {
        let a = arithmetic
        let graph = built.graph
        let point = feed
        let parameterNames = built.parameters.keys.sorted()
        let ids = parameterNames.map { built.parameters[$0]! }

        func stage<T>(_ what: String, _ body: () throws -> T) rethrows -> T { try analysis.traced("\(name) \(what)", body) }
        let r = (decisions: reference.decisions, arithmetic: reference.arithmetic)
        // Analysis.run always asks R for both gradients.
        let gR = reference.gradient!, gRAlt = reference.alternativeGradient!
        // ‖g_R‖², in parameter order (the attributions need it before the errors are formed).
        let rSquares = ids.reduce(0.0) { sum, id in gR[id]!.doubles(r.arithmetic).reduce(sum) { $0 + $1 * $1 } }
        let rNorm = rSquares.squareRoot()

        // P's own forward and backward, and everything read of P's forward values: the sites,
        // their attributions, the kink distances and range events. P's values are released at
        // the end of this block, before the aligned replay builds its own (on ResNet18 at batch
        // 128, 2 GB of f64 values each).
        var forcing: DecisionSet = [:]
        let (gP, gPAlt, classified, distances, events) = try { () throws -> (Gradients<A>, Gradients<A>, ([Site], Int), [Int], [String: RangeEvents]) in
            let p = try stage("forward") { try forward() }
            let both = try stage("backward C, C′") { try p.backward(conventions: [analysis.convention, analysis.alternative], wrt: ids) }
            // g_P|R's decisions: R's, P's own where R could not decide.
            for (id, record) in r.decisions { forcing[id] = Self.merge(record, p.decisions[id]!) }
            var (sites, siteCount) = try stage("classification") { try classify(p, reference) }
            try stage("attributions") { try attribute(&sites, p, r.decisions, ids, rNorm: rNorm, gP: both[0]) }
            var events: [String: RangeEvents] = [:]
            for node in graph.nodes {
                events[node.name] = p.forwardEvents[node.id] + (both[0].events[node.id] ?? RangeEvents())
            }
            return (both[0], both[1], (sites, siteCount), kinkDistances(p), events)
        }()

        // g_P|R: P's arithmetic, R's decisions (P's own where R could not decide).
        let gAligned = try stage("aligned forward and backward") {
            try Execution(graph: graph, arithmetic: a, feed: point, model: model, forcing: forcing, rounding: rounding)
                .backward(convention: analysis.convention, wrt: ids)
        }

        // Errors, whole and per tensor. The whole-gradient norms are running sums of squares in
        // parameter order (the bits of the norm of the concatenation, without holding it: on
        // VGG11 each parameter-sized array is 74 MB).
        var totalSquares = 0.0, kinkSquares = 0.0, roundingSquares = 0.0
        var bifurcationSquares = 0.0, referenceBifurcationSquares = 0.0
        var changed = false, referenceChanged = false
        var perTensor: [String: ErrorNorms] = [:]
        var referenceBifurcationPerTensor: [String: Double] = [:]
        var gradients: [String: GradientSet] = [:]
        func squares(_ v: [Double], into sum: inout Double) { sum = v.reduce(sum) { $0 + $1 * $1 } }
        stage("errors") {
            for (name, id) in zip(parameterNames, ids) {
                let vP = gP[id]!.doubles(a), vPAlt = gPAlt[id]!.doubles(a), vAligned = gAligned[id]!.doubles(a)
                let t = GradientAlgebra.difference(vP, gR[id]!, in: r.arithmetic)
                let k = zip(vP, vAligned).map { $0 - $1 }
                let ro = GradientAlgebra.difference(vAligned, gR[id]!, in: r.arithmetic)
                let rv = gR[id]!.doubles(r.arithmetic)
                perTensor[name] = ErrorNorms(total: t, kink: k, rounding: ro, referenceNorm: GradientAlgebra.norm(rv))
                squares(t, into: &totalSquares)
                squares(k, into: &kinkSquares)
                squares(ro, into: &roundingSquares)
                squares(zip(vP, vPAlt).map { $0 - $1 }, into: &bifurcationSquares)
                changed = changed || zip(vP, vPAlt).contains { !($0 == $1 || ($0.isNaN && $1.isNaN)) }
                if analysis.keepsGradients {
                    gradients[name] = GradientSet(p: vP, pAlternative: vPAlt, aligned: vAligned, r: rv,
                                                  rAlternative: gRAlt[id]!.doubles(r.arithmetic), shape: gR[id]!.shape)
                }
                let rDifference = GradientAlgebra.difference(gR[id]!, gRAlt[id]!, in: r.arithmetic)
                referenceChanged = referenceChanged || GradientAlgebra.provenDifferent(gR[id]!, gRAlt[id]!, in: r.arithmetic)
                squares(rDifference, into: &referenceBifurcationSquares)
                referenceBifurcationPerTensor[name] = GradientAlgebra.norm(rDifference)
            }
        }
        let error = ErrorNorms(absoluteTotal: totalSquares.squareRoot(), absoluteKink: kinkSquares.squareRoot(),
                               absoluteRounding: roundingSquares.squareRoot(), referenceNorm: rNorm)
        func relative(_ squares: Double) -> Double? { rNorm > 0 ? squares.squareRoot() / rNorm : nil }

        let flagged: Bool
        switch analysis.flagRule {
        case .kinkExceedsRounding: flagged = error.absoluteKink > error.absoluteRounding
        case .kinkTolerance(let tolerance): flagged = (error.kink ?? (error.absoluteKink > 0 ? .infinity : 0)) > tolerance
        }

        // Sites.
        let (sites, siteCount) = classified
        var counts: [SiteClass: Int] = [:], perLayer: [String: [SiteClass: Int]] = [:]
        for node in graph.nodes where node.op.isNonsmooth { perLayer[node.name] = [:] }
        for s in sites {
            counts[s.siteClass, default: 0] += 1
            perLayer[s.layer, default: [:]][s.siteClass, default: 0] += 1
        }
        return PrecisionResult(
            precision: name, classifiedSites: sites, counts: counts, perLayer: perLayer,
            samplesAffected: Set(sites.map(\.sample)).count, siteCount: siteCount,
            bifurcation: BifurcationTest(changed: changed, relative: relative(bifurcationSquares)),
            referenceBifurcation: BifurcationTest(changed: referenceChanged, relative: relative(referenceBifurcationSquares)),
            referenceBifurcationPerTensor: referenceBifurcationPerTensor,
            error: error, perTensor: perTensor, flagged: flagged, flagRule: analysis.flagRule, rangeEvents: events,
            kinkDistances: distances, gradients: gradients,
            referenceBits: reference.bits, referenceEscalations: reference.escalations, referenceGradientBits: reference.gradientBits,
            referenceGradientWidth: reference.gradientWidth.isNaN ? nil : reference.gradientWidth,
            referenceGradientBound: reference.requiredWidth,
            referenceArithmetic: referenceArithmetic, referenceClimbedSamples: reference.climbedSamples,
            referenceChunks: reference.chunks)
    }

    /// P's forward pass at its point.
    func forward() throws -> Execution<A> {
        try Execution(graph: built.graph, arithmetic: arithmetic, feed: feed, model: model, rounding: rounding)
    }

    /// The histogram of distances to the nearest kink at P, in epsilons of P (each nonsmooth
    /// primitive measures its own distances).
    func kinkDistances(_ p: Execution<A>) -> [Int] {
        let a = p.arithmetic
        let epsilon = name.format.epsilon
        var buckets = [Int](repeating: 0, count: KinkDistance.labels.count)
        for node in built.graph.nodes {
            guard let primitive = node.op.nonsmooth else { continue }
            let inputs = node.inputs.map { p.value($0).doubles(a) }
            let shapes = node.inputs.map { built.graph.nodes[$0].shape }
            for d in primitive.kinkDistances(inputs, shapes: shapes) { buckets[KinkDistance.bucket(d / epsilon)] += 1 }
        }
        return buckets
    }

    /// R's record where it decided, P's where it did not.
    static func merge(_ r: DecisionRecord, _ p: DecisionRecord) -> DecisionRecord {
        var merged = r
        merged.fillUndecided(from: p)
        return merged
    }

    /// The classified (non-ok) sites of every nonsmooth node, and the number of sites.
    func classify<R: PointReference>(_ p: Execution<A>, _ r: R) throws -> ([Site], Int) {
        var sites: [Site] = []
        var siteCount = 0
        let batch = max(built.graph.nodes[built.input].shape.first ?? 1, 1)
        for node in built.graph.nodes {
            guard let primitive = node.op.nonsmooth, let pRecord = p.decisions[node.id], let rRecord = r.decisions[node.id] else { continue }
            siteCount += pRecord.siteCount
            let perSample = max(pRecord.siteCount / batch, 1)
            let pInputs = node.inputs.map { p.value($0) }
            for i in 0..<pRecord.siteCount {
                guard let c = SiteClass.of(pRecord, rRecord, i) else { continue }
                sites.append(Site(layer: node.name, sample: i / perSample, index: i % perSample, siteClass: c,
                                  decisionAtP: primitive.label(of: pRecord, i),
                                  valueAtP: primitive.siteOperands(i, inputs: pInputs, output: p.value(node.id)) { "\(p.arithmetic.double($0))" },
                                  decisionInR: primitive.label(of: rRecord, i),
                                  certifiedValue: try certifiedOperands(r, node, i, perSample: perSample)))
            }
        }
        return (sites, siteCount)
    }

    /// R's operands at site `i` of `node`, for people, as R's arithmetic renders them (MPFR
    /// intervals: a point to 40 significant digits, exact when its decimal is that short as
    /// 2⁻⁴⁰'s is; an interval's bounds to 20). A streamed R keeps them at the sites this
    /// precision's own forward classified beforehand — the same forward as this one, bit for bit.
    func certifiedOperands<R: PointReference>(_ r: R, _ node: Node, _ i: Int, perSample: Int) throws -> String {
        guard let text = r.certifiedOperands(node.id, site: i, for: name) else {
            throw AnalysisOptionError(message: "internal: R kept no operands for \(name)'s site \(i % perSample) of sample \(i / perSample) at \(node.name)")
        }
        return text
    }
}

/// An analysis option outside its range (a library caller's mistake, reported, never trapped).
public struct AnalysisOptionError: Error, CustomStringConvertible, Equatable {
    public let message: String
    public init(message: String) { self.message = message }
    public var description: String { message }
}

extension PrecisionName {
    /// The unit roundoff of the finest arithmetic this precision's replay uses: 2⁻ᵖ for a format
    /// of p significand bits (f64 2⁻⁵³, f32 2⁻²⁴, f16 2⁻¹¹, bf16 2⁻⁸, MPFR's p bits); binary32's
    /// 2⁻²⁴ for a policy (replayed in binary32 with per-node roundings). R's backward widths are
    /// bounded from it (`CertifiedReference.requiredGradientWidth(unitRoundoff:)`). Beyond 990
    /// bits, 2⁻⁹⁹⁰: errors are measured as `Double`s, which end near 2⁻¹⁰⁷⁴.
    var finestUnitRoundoff: Double {
        let p = isPolicy ? FormatInfo.binary32.significandBits : format.significandBits
        return Foundation.exp2(-Double(min(p, 990)))
    }
}
