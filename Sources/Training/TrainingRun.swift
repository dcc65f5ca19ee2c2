import AD
import Analyzer
import Dispatch
import Foundation
import ModelIO
import Precision

/// A training replay (issue 13): for each precision P, two trajectories from the same starting
/// weights — one trained with gradients under convention C, one under C′ — on the same shuffled
/// batches, each in P's arithmetic (weights, activations, gradients and optimizer state in P;
/// with `masterWeights`, an f32 copy of the weights and the optimizer state, cast to P for each
/// forward and backward, as mixed-precision training does).
///
/// ```swift
/// var run = TrainingRun(model: model, inputs: x, targets: y, batchSize: 32, steps: 100,
///                       optimizer: .sgd(SGDOptions(lr: 0.1, momentum: 0.9)))
/// run.precisions = [.f16, .f32]
/// let result = try run.run()
/// print(result[.f16].firstBifurcation ?? 0)
/// ```
///
/// The forward and backward passes are the analyzer's own (`Execution`, with the graph's
/// attributes rounded to P as `Analysis` rounds them); nothing here computes a layer.
public struct TrainingRun: Sendable {
    /// The network (its tensors are the starting weights unless `initialTensors` is set).
    public var model: Model
    /// The starting tensors (default: the model's), e.g. `Initialization.pytorchDefault`.
    public var initialTensors: [String: HostTensor]
    /// The tensors trained (default: every tensor but batch norm's running statistics), by key.
    public var trainable: [String]
    /// The training set `[N] + input_shape` and its targets.
    public var inputs: HostTensor
    public var targets: HostTensor
    /// Held-out data for `evaluateEvery`.
    public var evaluationInputs: HostTensor?
    public var evaluationTargets: HostTensor?
    public var batchSize: Int
    public var steps: Int
    public var optimizer: Optimizer
    /// Default f16, bf16, f32, f64 (MPFR is not offered: weights travel through `Double`).
    public var precisions: [PrecisionName] = PrecisionName.standard
    public var convention: DerivativeConvention = .pytorch
    /// Default: `convention` flipped.
    public var alternative: DerivativeConvention
    public var arithmeticModel: ArithmeticModel = .default
    /// The shuffle's seed (`ShuffleSchedule`); `shuffles = false` takes the samples in order.
    public var shuffleSeed: UInt64 = 0
    public var shuffles = true
    /// Keep an f32 master copy for precisions narrower than f32 (f32 and f64 are unaffected).
    public var masterWeights = false
    /// Evaluate on the held-out data at step 0, every `evaluateEvery` steps and at the last step.
    public var evaluateEvery: Int?
    /// Run the certified analysis of the step's batch at θ_C every `certifyEvery` steps.
    public var certifyEvery: Int?
    public var reference = ReferenceOptions()
    /// Threads: precisions run in parallel (results do not depend on it).
    public var threads = 1

    public init(model: Model, initialTensors: [String: HostTensor]? = nil, trainable: [String]? = nil,
                inputs: HostTensor, targets: HostTensor, batchSize: Int, steps: Int, optimizer: Optimizer,
                convention: DerivativeConvention = .pytorch, alternative: DerivativeConvention? = nil) {
        self.model = model
        self.initialTensors = initialTensors ?? model.tensors
        self.trainable = trainable ?? Self.defaultTrainable(model)
        self.inputs = inputs
        self.targets = targets
        self.batchSize = batchSize
        self.steps = steps
        self.optimizer = optimizer
        self.convention = convention
        self.alternative = alternative ?? convention.flipped
    }

    /// Every tensor a node uses except batch norm's `running_mean` and `running_var`, sorted.
    public static func defaultTrainable(_ model: Model) -> [String] {
        var keys = Set<String>()
        for node in model.nodes {
            for (role, key) in node.parameters where role != "running_mean" && role != "running_var" { keys.insert(key) }
        }
        return keys.sorted()
    }

    /// Checks the options and the data against the model before anything runs.
    /// - Throws: `TrainingOptionError`, or `ModelError` for data that does not fit the model.
    public func validate() throws {
        func fail(_ m: String) -> TrainingOptionError { TrainingOptionError(message: m) }
        try optimizer.validate()
        try convention.validate()
        try alternative.validate()
        guard steps >= 1 else { throw fail("--steps must be at least 1, found \(steps)") }
        guard batchSize >= 1 else { throw fail("--batch-size must be at least 1, found \(batchSize)") }
        guard !precisions.isEmpty else { throw fail("no precision to train in") }
        for p in precisions where !PrecisionName.standard.contains(p) {
            throw fail("training replay runs at f16, bf16, f32 and f64; \(p) is not offered")
        }
        if let k = evaluateEvery, k < 1 { throw fail("--eval-every must be at least 1, found \(k)") }
        if evaluateEvery != nil && evaluationInputs == nil { throw fail("--eval-every needs held-out data (--eval-data)") }
        if let k = certifyEvery, k < 1 { throw fail("--certify-every must be at least 1, found \(k)") }
        guard threads >= 1 else { throw fail("threads = \(threads): at least 1") }
        let built = try model.graph(batch: 1)
        let outputShape = Array(built.graph.nodes[built.output].shape.dropFirst())
        try model.checkBatch(inputs: inputs, targets: targets, outputShape: outputShape)
        guard inputs.shape[0] >= batchSize else {
            throw fail("--batch-size \(batchSize) does not fit the \(inputs.shape[0]) training samples")
        }
        if let x = evaluationInputs {
            try model.checkBatch(inputs: x, targets: evaluationTargets, outputShape: outputShape)
        }
        for key in trainable where model.tensors[key] == nil { throw fail("trainable tensor '\(key)' is not a tensor of the model") }
        for (key, t) in model.tensors {
            guard let given = initialTensors[key] else { throw fail("no starting value for tensor '\(key)'") }
            guard given.shape == t.shape, given.dtype.isFloatingPoint else {
                throw fail("starting tensor '\(key)' has shape \(given.shape) (\(given.dtype)); the model's is \(t.shape)")
            }
        }
    }

    /// Trains every precision: both trajectories, every step.
    /// - Parameter progress: called after each step of each precision (from the thread that ran it).
    public func run(progress: (@Sendable (PrecisionName, Int, Int) -> Void)? = nil) throws -> TrainingResult {
        try validate()
        let names = precisions.reduce(into: [PrecisionName]()) { if !$0.contains($1) { $0.append($1) } }
        let box = ResultBox(count: names.count)
        let run = self
        let work: @Sendable (Int) -> Void = { (j: Int) in
            do {
                let r = try names[j].withArithmetic(PrecisionVisitor(run: run, progress: progress))
                box.set(j, .success(r))
            } catch {
                box.set(j, .failure(error))
            }
        }
        if threads == 1 || names.count == 1 {
            for j in names.indices { work(j) }
        } else {
            let queue = DispatchQueue(label: "bpcheck.training", attributes: .concurrent)
            let group = DispatchGroup(), gate = DispatchSemaphore(value: threads)
            for j in names.indices {
                gate.wait()
                queue.async(group: group) { work(j); gate.signal() }
            }
            group.wait()
        }
        return TrainingResult(run: self, results: try box.values())
    }

    struct PrecisionVisitor: ArithmeticVisitor {
        let run: TrainingRun
        let progress: (@Sendable (PrecisionName, Int, Int) -> Void)?
        func visit<A: ScalarArithmetic>(_ a: A) throws -> PrecisionTraining {
            if run.masterWeights && (a.precision == .f16 || a.precision == .bf16) {
                return try Trainer(run: run, arithmetic: a, optimizerArithmetic: FixedArithmetic<Float>(), progress: progress).train()
            }
            return try Trainer(run: run, arithmetic: a, optimizerArithmetic: a, progress: progress).train()
        }
    }
}

/// Results stored by index from several threads.
final class ResultBox: @unchecked Sendable {
    private var slots: [Result<PrecisionTraining, any Error>?]
    private let lock = NSLock()
    init(count: Int) { slots = Array(repeating: nil, count: count) }
    func set(_ j: Int, _ r: Result<PrecisionTraining, any Error>) { lock.lock(); slots[j] = r; lock.unlock() }
    func values() throws -> [PrecisionTraining] { try slots.map { try $0!.get() } }
}

/// One trajectory: weights and optimizer state in the optimizer's arithmetic `O`.
struct Trajectory<O: ScalarArithmetic> {
    var weights: [Tensor<O>]
    var state: OptimizerState<O>
    var firstOverflow: RangeEventLocation?
    var firstNaN: RangeEventLocation?
}

/// The training of one precision: network arithmetic `A`, optimizer arithmetic `O` (A itself,
/// or f32 for master weights).
struct Trainer<A: ScalarArithmetic, O: ScalarArithmetic> {
    let run: TrainingRun
    let a: A
    let o: O
    let progress: (@Sendable (PrecisionName, Int, Int) -> Void)?
    let trainable: [String]
    /// Training data, flattened, and per-sample sizes.
    let x: [Double]
    let sampleSize: Int
    let labels: [Int]?
    let targetValues: [Double]?
    let targetSize: Int
    /// Frozen tensors (not trained), as doubles.
    let frozen: [String: [Double]]

    init(run: TrainingRun, arithmetic: A, optimizerArithmetic: O, progress: (@Sendable (PrecisionName, Int, Int) -> Void)?) {
        self.run = run
        a = arithmetic
        o = optimizerArithmetic
        self.progress = progress
        trainable = run.trainable
        x = run.inputs.doubles()
        sampleSize = run.inputs.shape.dropFirst().reduce(1, *)
        labels = run.model.loss == .crossEntropy ? run.targets.ints() : nil
        targetValues = run.model.loss == .mse ? run.targets.doubles() : nil
        targetSize = run.targets.shape.dropFirst().reduce(1, *)
        var frozen: [String: [Double]] = [:]
        let trained = Set(run.trainable)
        for (k, t) in run.initialTensors where !trained.contains(k) && run.model.tensors[k] != nil { frozen[k] = t.doubles() }
        self.frozen = frozen
    }

    /// The graph for `batch` samples with its attributes rounded to P (as `Analysis` does).
    func graph(batch: Int) throws -> ModelGraph {
        let built = try run.model.graph(batch: batch)
        let arithmetic = a
        let g = built.graph.roundingAttributes { d in Tensor<A>(shape: [], [d], arithmetic).doubles(arithmetic)[0] }
        return ModelGraph(graph: g, input: built.input, parameters: built.parameters, output: built.output, loss: built.loss, targets: built.targets)
    }

    /// The feed of samples `indices` of (x, labels | targets): frozen tensors, inputs, targets.
    static func feed(_ indices: [Int], x: [Double], sampleSize: Int, labels: [Int]?, targets: [Double]?, targetSize: Int,
                     frozen: [String: [Double]]) -> Feed {
        var f = Feed(values: frozen)
        var input = [Double]()
        input.reserveCapacity(indices.count * sampleSize)
        for i in indices { input += x[(i * sampleSize)..<((i + 1) * sampleSize)] }
        f.values["input"] = input
        if let labels { f.labels["targets"] = indices.map { labels[$0] } }
        if let targets {
            var t = [Double]()
            for i in indices { t += targets[(i * targetSize)..<((i + 1) * targetSize)] }
            f.values["targets"] = t
        }
        return f
    }

    /// A tensor of `O` in `A` (rounded once; no copy when they are the same arithmetic).
    func toNetwork(_ t: Tensor<O>) -> Tensor<A> {
        if let same = t as? Tensor<A> { return same }
        return Tensor(shape: t.shape, t.doubles(o), a)
    }

    /// A gradient of `A` in `O` (exact: O is at least as wide).
    func toOptimizer(_ t: Tensor<A>) -> Tensor<O> {
        if let same = t as? Tensor<O> { return same }
        return Tensor(shape: t.shape, t.doubles(a), o)
    }

    func tensors(_ t: Trajectory<O>) -> [String: Tensor<A>] {
        var out: [String: Tensor<A>] = [:]
        for (k, w) in zip(trainable, t.weights) { out[k] = toNetwork(w) }
        return out
    }

    func identical(_ l: [Tensor<O>], _ r: [Tensor<O>]) -> Bool {
        for (x, y) in zip(l, r) {
            if x.storage === y.storage { continue }
            for i in 0..<x.count where !o.identical(x.slots + i, y.slots + i) { return false }
        }
        return true
    }

    static func kinkHits(_ e: Execution<A>) -> Int {
        var n = 0
        for (_, record) in e.decisions {
            for i in 0..<record.siteCount where record.state(i) == .kink { n += 1 }
        }
        return n
    }

    func train() throws -> PrecisionTraining {
        let p = a.precision
        let built = try graph(batch: run.batchSize)
        let ids = trainable.map { built.parameters[$0]! }
        let schedule = ShuffleSchedule(seed: run.shuffleSeed, samples: run.inputs.shape[0], batchSize: run.batchSize, shuffles: run.shuffles)
        let start = trainable.map { k in Tensor<O>(shape: run.initialTensors[k]!.shape, run.initialTensors[k]!.doubles(), o) }
        var c = Trajectory(weights: start, state: OptimizerState(run.optimizer, o))
        var alt = c
        var steps: [StepRecord] = [], evaluations: [EvaluationRecord] = [], certifications: [CertificationRecord] = []
        let evaluator = try run.evaluationInputs.map { try Evaluator(trainer: self, inputs: $0, targets: run.evaluationTargets!) }
        if let evaluator { evaluations.append(try evaluator.evaluate(step: 0, c, alt, identical: true)) }

        for t in 1...run.steps {
            let indices = schedule.batch(step: t)
            let feed = Self.feed(indices, x: x, sampleSize: sampleSize, labels: labels, targets: targetValues, targetSize: targetSize, frozen: frozen)
            let same = identical(c.weights, alt.weights)
            let pass = try Execution(graph: built.graph, arithmetic: a, feed: feed, tensors: tensors(c), model: run.arithmeticModel)
            let both = try pass.backward(conventions: [run.convention, run.alternative], wrt: ids)
            let bifurcation = Self.differ(both[0], both[1], ids, a)
            let layers = bifurcation ? try origins(pass) : []
            let passAlt: Execution<A>, gAlt: Gradients<A>
            if same {
                (passAlt, gAlt) = (pass, both[1])
            } else {
                passAlt = try Execution(graph: built.graph, arithmetic: a, feed: feed, tensors: tensors(alt), model: run.arithmeticModel)
                gAlt = try passAlt.backward(convention: run.alternative, wrt: ids)
            }
            let loss = pass.value(built.loss).doubles(a)[0], lossAlt = passAlt.value(built.loss).doubles(a)[0]
            var events = locate(pass, both[0], step: t, "C", &c)
            var eventsAlt = locate(passAlt, gAlt, step: t, "C′", &alt)
            let kinks = Self.kinkHits(pass), kinksAlt = same ? kinks : Self.kinkHits(passAlt)

            if let k = run.certifyEvery, t % k == 0 {
                certifications.append(try certify(step: t, built: built, feed: feed, weights: tensors(c)))
            }

            c.state.update(&c.weights, gradients: ids.map { toOptimizer(both[0][$0]!) })
            alt.state.update(&alt.weights, gradients: ids.map { toOptimizer(gAlt[$0]!) })
            events = events + locateUpdate(step: t, "C", &c)
            eventsAlt = eventsAlt + locateUpdate(step: t, "C′", &alt)

            let nowSame = identical(c.weights, alt.weights)
            steps.append(StepRecord(step: t, epoch: schedule.epoch(ofStep: t), loss: loss, lossAlternative: lossAlt, bifurcation: bifurcation,
                                    bifurcationLayers: layers, divergence: nowSame ? 0 : divergence(c.weights, alt.weights), identical: nowSame,
                                    kinkHits: kinks, kinkHitsAlternative: kinksAlt, events: events, eventsAlternative: eventsAlt))
            if let evaluator, let k = run.evaluateEvery, t % k == 0 || t == run.steps {
                evaluations.append(try evaluator.evaluate(step: t, c, alt, identical: nowSame))
            }
            progress?(p, t, run.steps)
        }
        let first = [c.firstOverflow, c.firstNaN, alt.firstOverflow, alt.firstNaN].compactMap { $0 }
        return PrecisionTraining(precision: p, optimizerPrecision: o.precision, steps: steps, evaluations: evaluations,
                                 certifications: certifications, firstEvents: first,
                                 finalWeights: weights(c), finalWeightsAlternative: weights(alt))
    }

    func weights(_ t: Trajectory<O>) -> TrajectoryWeights {
        var values: [String: [Double]] = [:], shapes: [String: [Int]] = [:]
        for (k, w) in zip(trainable, t.weights) { values[k] = w.doubles(o); shapes[k] = w.shape }
        for (k, v) in frozen { values[k] = Tensor<O>(shape: run.initialTensors[k]!.shape, v, o).doubles(o); shapes[k] = run.initialTensors[k]!.shape }
        return TrajectoryWeights(precision: o.precision, values: values, shapes: shapes)
    }

    /// The nonsmooth nodes where C and C′ first change the gradient of this forward pass: their
    /// output's gradient is the same under both conventions and an input's gradient differs
    /// (from the loss down).
    func origins(_ e: Execution<A>) throws -> [String] {
        let nonsmooth = e.graph.nodes.filter { $0.op.isNonsmooth }
        var wanted = Set<NodeID>()
        for n in nonsmooth {
            wanted.insert(n.id)
            for i in n.inputs { wanted.insert(i) }
        }
        let g = try e.backward(conventions: [run.convention, run.alternative], wrt: wanted.sorted())
        var out: [String] = []
        for n in nonsmooth.reversed() where !Self.differ(g[0], g[1], [n.id], a) && Self.differ(g[0], g[1], n.inputs, a) {
            out.append(n.name)
        }
        return out
    }

    /// ‖l − r‖₂ / ‖l‖₂ over every trained tensor, in f64.
    func divergence(_ l: [Tensor<O>], _ r: [Tensor<O>]) -> Double {
        var difference = 0.0, norm = 0.0
        for (x, y) in zip(l, r) {
            for (u, v) in zip(x.doubles(o), y.doubles(o)) {
                difference += (u - v) * (u - v)
                norm += u * u
            }
        }
        return difference.squareRoot() / norm.squareRoot()
    }

    /// Whether two gradients differ in any value (−0 = +0; NaN = NaN).
    static func differ(_ g: Gradients<A>, _ h: Gradients<A>, _ ids: [NodeID], _ a: A) -> Bool {
        for id in ids {
            let x = g[id]!, y = h[id]!
            if x.storage === y.storage { continue }
            for i in 0..<x.count {
                let u = a.double(x.slots + i), v = a.double(y.slots + i)
                if !(u == v || (u.isNaN && v.isNaN)) { return true }
            }
        }
        return false
    }

    /// The step's forward and backward range events, recording the trajectory's first overflow
    /// and first NaN: forward in node order, then backward from the loss down.
    func locate(_ e: Execution<A>, _ g: Gradients<A>, step: Int, _ name: String, _ t: inout Trajectory<O>) -> RangeEvents {
        var total = RangeEvents()
        let nodes = e.graph.nodes
        for node in nodes {
            let ev = e.forwardEvents[node.id]
            total = total + ev
            note(ev, step: step, name, node.name, "forward", &t)
        }
        for node in nodes.reversed() {
            guard let ev = g.events[node.id] else { continue }
            total = total + ev
            note(ev, step: step, name, node.name, "backward", &t)
        }
        return total
    }

    func locateUpdate(step: Int, _ name: String, _ t: inout Trajectory<O>) -> RangeEvents {
        var total = RangeEvents()
        for (k, w) in zip(trainable, t.weights) {
            var ev = RangeEvents.scan(w, o)
            ev.subnormal = 0  // weights that are subnormal are not an event of the update
            total = total + ev
            note(ev, step: step, name, k, "update", &t)
        }
        return total
    }

    func note(_ ev: RangeEvents, step: Int, _ name: String, _ node: String, _ pass: String, _ t: inout Trajectory<O>) {
        if ev.overflow > 0 && t.firstOverflow == nil {
            t.firstOverflow = RangeEventLocation(trajectory: name, kind: "overflow", step: step, node: node, pass: pass, count: ev.overflow)
        }
        if ev.nan > 0 && t.firstNaN == nil {
            t.firstNaN = RangeEventLocation(trajectory: name, kind: "nan", step: step, node: node, pass: pass, count: ev.nan)
        }
    }

    /// The certified analysis of this step's batch at P, at the C trajectory's weights.
    func certify(step: Int, built: ModelGraph, feed: Feed, weights: [String: Tensor<A>]) throws -> CertificationRecord {
        var point = feed
        for (k, w) in weights { point.values[k] = w.doubles(a) }
        let plain = try run.model.graph(batch: run.batchSize)
        var analysis = Analysis(graph: plain, feed: point, name: run.model.name, precisions: [a.precision], reference: run.reference,
                                convention: run.convention, alternative: run.alternative, arithmeticModel: run.arithmeticModel)
        analysis.keepsGradients = false
        analysis.attributedSites = 0
        let r = try analysis.run()[a.precision]
        var counts: [String: Int] = [:]
        for c in SiteClass.allCases { counts[c.rawValue] = r.counts[c] ?? 0 }
        return CertificationRecord(step: step, counts: counts, referenceBifurcation: r.referenceBifurcation.changed,
                                   kinkCausedError: r.error.kink, roundingError: r.error.rounding, flagged: r.flagged)
    }
}

/// Held-out loss and accuracy at P, in chunks of at most 256 samples.
struct Evaluator<A: ScalarArithmetic, O: ScalarArithmetic> {
    let trainer: Trainer<A, O>
    let x: [Double]
    let labels: [Int]?
    let targets: [Double]?
    let count: Int
    let chunks: [(range: Range<Int>, graph: ModelGraph)]

    init(trainer: Trainer<A, O>, inputs: HostTensor, targets: HostTensor) throws {
        self.trainer = trainer
        x = inputs.doubles()
        count = inputs.shape[0]
        labels = trainer.run.model.loss == .crossEntropy ? targets.ints() : nil
        self.targets = trainer.run.model.loss == .mse ? targets.doubles() : nil
        var chunks: [(Range<Int>, ModelGraph)] = []
        var graphs: [Int: ModelGraph] = [:]
        for lo in stride(from: 0, to: count, by: 256) {
            let r = lo..<min(lo + 256, count)
            if graphs[r.count] == nil { graphs[r.count] = try trainer.graph(batch: r.count) }
            chunks.append((r, graphs[r.count]!))
        }
        self.chunks = chunks
    }

    func evaluate(step: Int, _ c: Trajectory<O>, _ alt: Trajectory<O>, identical: Bool) throws -> EvaluationRecord {
        let (l, acc) = try measure(c)
        let (lAlt, accAlt) = identical ? (l, acc) : try measure(alt)
        return EvaluationRecord(step: step, loss: l, lossAlternative: lAlt, accuracy: acc, accuracyAlternative: accAlt)
    }

    /// The mean loss (each chunk's mean at P, combined in f64 by sample count) and the accuracy.
    func measure(_ t: Trajectory<O>) throws -> (Double, Double?) {
        let a = trainer.a
        let weights = trainer.tensors(t)
        let sampleSize = x.count / max(count, 1), targetSize = (targets?.count ?? 0) / max(count, 1)
        var loss = 0.0, correct = 0
        for (range, built) in chunks {
            let feed = Trainer<A, O>.feed(Array(range), x: x, sampleSize: sampleSize, labels: labels, targets: targets, targetSize: targetSize,
                                         frozen: trainer.frozen)
            let e = try Execution(graph: built.graph, arithmetic: a, feed: feed, tensors: weights, model: trainer.run.arithmeticModel)
            loss += e.value(built.loss).doubles(a)[0] * Double(range.count)
            if let labels {
                let logits = e.value(built.output).doubles(a)
                let classes = logits.count / range.count
                for (j, i) in range.enumerated() {
                    let row = logits[(j * classes)..<((j + 1) * classes)]
                    guard !row.contains(where: \.isNaN) else { continue }
                    var best = row.startIndex
                    for k in row.indices where row[k] > row[best] { best = k }
                    if best - row.startIndex == labels[i] { correct += 1 }
                }
            }
        }
        return (loss / Double(count), labels == nil ? nil : Double(correct) / Double(count))
    }
}
