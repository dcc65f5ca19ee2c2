/// One forward pass of a graph at one precision, kept whole so that backward can run under any
/// number of conventions without recomputing it.
///
/// The forward pass stores every node's output, the decisions of every nonsmooth node (or
/// follows `forcing`, another run's decisions, evaluating the selected pieces in this
/// precision: that is how `g_P|R` is computed), range events per node, and, where the arithmetic
/// can tell (MPFR), whether each node's computation was exact. `backward(convention:wrt:)`
/// reads all of this and never changes it.
///
/// Single-threaded and deterministic: the same graph, feed and arithmetic give the same bits.
public final class Execution<A: ScalarArithmetic> {
    public typealias Ref = UnsafeMutablePointer<A.Slot>

    /// The computation.
    public let graph: Graph
    /// The precision's arithmetic.
    public let arithmetic: A
    /// The arithmetic model (accumulation options).
    public let model: ArithmeticModel
    /// The integer labels fed.
    public let labels: [String: [Int]]
    /// Whether the decisions were forced from outside rather than computed.
    public let isForced: Bool
    /// Every node's output, by id.
    public private(set) var values: [Tensor<A>] = []
    /// The decisions of every nonsmooth node, by id (the forcing ones for a forced run).
    public private(set) var decisions: DecisionSet = [:]
    /// Range events of each node's forward output (leaves included: rounding weights to a
    /// narrow format can overflow), by id.
    public private(set) var forwardEvents: [RangeEvents] = []
    /// Whether each node's forward computation was exact (`nil` when the arithmetic cannot tell).
    public private(set) var forwardExact: [Bool?] = []
    /// How many node evaluations the forward pass made: the node count, and it never grows
    /// (backward does not recompute forward).
    public private(set) var nodeEvaluations = 0

    /// Runs the forward pass.
    /// - Throws: `ExecutionError` for a missing or mis-sized leaf value, missing or out-of-range
    ///   labels, a forcing record that does not fit, or an accumulator option the precision has
    ///   no meaning for.
    ///
    /// `tensors` gives leaves directly in this precision (they take precedence over `feed`):
    /// for points that `Double` cannot hold, such as a finite-difference step in MPFR.
    public init(graph: Graph, arithmetic: A, feed: Feed, tensors: [String: Tensor<A>] = [:],
                model: ArithmeticModel = .default, forcing: DecisionSet? = nil) throws {
        self.graph = graph
        self.arithmetic = arithmetic
        self.model = model
        self.labels = feed.labels
        self.isForced = forcing != nil
        if model.accumulation == .widerAccumulator && Accumulate.wideFormat(for: arithmetic.precision) == nil {
            throw ExecutionError(node: graph.nodes.first?.name ?? "-", message: "a wider accumulator is defined for f16, bf16 and f32 storage, not \(arithmetic.precision)")
        }
        try runForward(feed: feed, tensors: tensors, forcing: forcing)
    }

    @_specialize(where A == FixedArithmetic<Float>)
    @_specialize(where A == FixedArithmetic<Double>)
    @_specialize(where A == FixedArithmetic<Half>)
    @_specialize(where A == FixedArithmetic<BFloat16>)
    @_specialize(where A == MPFRArithmetic)
    @_specialize(where A == MPFRIntervalArithmetic)
    private func runForward(feed: Feed, tensors: [String: Tensor<A>], forcing: DecisionSet?) throws {
        values.reserveCapacity(graph.nodes.count)
        for node in graph.nodes {
            var output = Tensor<A>(zeros: node.shape, arithmetic)
            var flushed = 0
            let exact = try arithmetic.checkingExactness {
                flushed = try forward(node, into: &output, feed: feed, tensors: tensors, forcing: forcing)
            }
            nodeEvaluations += 1
            var events = RangeEvents.scan(output, arithmetic)
            events.flushed = flushed
            values.append(output)
            forwardEvents.append(events)
            forwardExact.append(exact)
        }
    }

    /// This forward pass's state — values, decisions, events — in another instance of the same
    /// arithmetic (for MPFR, another number of bits), each value converted by `copy` (for
    /// intervals: rounded outward, so enclosures stay enclosures). Backward from the copy runs
    /// in the new arithmetic under this pass's decisions.
    public func converted(to other: A) -> Execution<A> {
        Execution(converting: self, to: other)
    }

    private init(converting source: Execution<A>, to other: A) {
        graph = source.graph
        arithmetic = other
        model = source.model
        labels = source.labels
        isForced = source.isForced
        values = source.values.map { v in
            var t = Tensor<A>(zeros: v.shape, other)
            t.withMutableSlots { p in for i in 0..<v.count { other.copy(p + i, v.slots + i) } }
            return t
        }
        decisions = source.decisions
        forwardEvents = source.forwardEvents
        forwardExact = source.forwardExact
        nodeEvaluations = source.nodeEvaluations
    }

    /// The output of node `id`.
    public func value(_ id: NodeID) -> Tensor<A> { values[id] }

    /// The loss: the last node whose op is a loss.
    public var lossNode: NodeID? { graph.nodes.last { $0.op.isLoss }?.id }

    // MARK: Forward

    /// Computes `node` into `y` (fresh, +0); returns the number of flushed products.
    @_specialize(where A == FixedArithmetic<Float>)
    @_specialize(where A == FixedArithmetic<Double>)
    @_specialize(where A == FixedArithmetic<Half>)
    @_specialize(where A == FixedArithmetic<BFloat16>)
    @_specialize(where A == MPFRArithmetic)
    @_specialize(where A == MPFRIntervalArithmetic)
    private func forward(_ node: Node, into y: inout Tensor<A>, feed: Feed, tensors: [String: Tensor<A>], forcing: DecisionSet?) throws -> Int {
        let a = arithmetic
        let inputs = node.inputs.map { values[$0] }
        let count = y.count
        func forced() throws -> DecisionRecord? {
            guard let forcing else { return nil }
            guard let record = forcing[node.id] else {
                throw ExecutionError(node: node.name, message: "the forcing decisions have no record for this nonsmooth node")
            }
            return record
        }
        switch node.op {
        case .input, .parameter:
            if let given = tensors[node.name] {
                guard given.shape == node.shape else {
                    throw ExecutionError(node: node.name, message: "expected a tensor of shape \(node.shape), found \(given.shape)")
                }
                y = given
                return 0
            }
            guard let data = feed.values[node.name] else {
                throw ExecutionError(node: node.name, message: "no value was given for this \(node.op == .input ? "input" : "parameter")")
            }
            guard data.count == count else {
                throw ExecutionError(node: node.name, message: "expected \(count) values for shape \(node.shape), found \(data.count)")
            }
            y.withMutableSlots { p in for i in 0..<data.count { a.set(p + i, data[i]) } }
            return 0

        case .linear(let hasBias):
            let x = inputs[0], w = inputs[1]
            let n = x.shape[0], inF = x.shape[1], outF = w.shape[0]
            y.withMutableSlots { p in
                LinearKernels.forward(a, model.accumulation, x: x.slots, w: w.slots, b: hasBias ? inputs[2].slots : nil,
                                      y: p, n: n, inputs: inF, outputs: outF)
            }
            return FlushCounting.pairs(a, shared: inF, u: x.slots, uk: 1, ur: inF, nu: n, v: w.slots, vk: 1, vc: inF, nv: outF)

        case .conv2d(let attributes):
            let g = Execution.convShape(inputs[0].shape, inputs[1].shape, attributes)
            y.withMutableSlots { p in
                Conv2DKernels.forward(a, model.accumulation, g, x: inputs[0].slots, w: inputs[1].slots,
                                      b: inputs.count == 3 ? inputs[2].slots : nil, y: p)
            }
            return FlushCounting.conv2d(a, g, x: inputs[0].slots, w: inputs[1].slots)

        case .maxPool2d(let attributes):
            let g = Execution.poolShape(inputs[0].shape, attributes)
            var forcedSets: ArgmaxSets?
            if let record = try forced() {
                guard case .argmax(let sets) = record, sets.count == count else {
                    throw ExecutionError(node: node.name, message: "the forcing record does not fit this max-pool node (\(count) sites)")
                }
                forcedSets = sets
            }
            let sets = y.withMutableSlots { p in PoolKernels.maxForward(a, g, x: inputs[0].slots, y: p, forced: forcedSets) }
            decisions[node.id] = .argmax(sets)
            return 0

        case .avgPool2d(let attributes):
            let g = Execution.poolShape(inputs[0].shape, attributes)
            y.withMutableSlots { p in PoolKernels.avgForward(a, g, x: inputs[0].slots, y: p) }
            return 0

        case .relu, .leakyReLU, .relu6, .hardtanh, .abs:
            let kind = Execution.piecewiseKind(node.op)!
            let codes = try forcedCodes(node, try forced(), count: count)
            let result = y.withMutableSlots { p in PiecewiseKernels.forward(a, kind, x: inputs[0].slots, y: p, count: count, forced: codes) }
            decisions[node.id] = .pieces(result)
            return 0

        case .maximum, .minimum:
            let codes = try forcedCodes(node, try forced(), count: count)
            let result = y.withMutableSlots { p in
                PiecewiseKernels.binaryForward(a, isMaximum: node.op == .maximum, a: inputs[0].slots, b: inputs[1].slots, y: p, count: count, forced: codes)
            }
            decisions[node.id] = .pieces(result)
            return 0

        case .tanh, .sigmoid, .softplus, .gelu:
            let kind = Execution.smoothKind(node.op)!
            y.withMutableSlots { p in SmoothKernels.forward(a, kind, x: inputs[0].slots, y: p, count: count) }
            return 0

        case .batchNorm(let eps, let training):
            let x = inputs[0]
            let (n, c, hw) = (x.shape[0], x.shape[1], x.shape.count == 4 ? x.shape[2] * x.shape[3] : 1)
            y.withMutableSlots { p in
                BatchNormKernels.forward(a, training: training, eps: eps, x: x.slots, weight: inputs[1].slots, bias: inputs[2].slots,
                                         mean: inputs[3].slots, variance: inputs[4].slots, y: p, n: n, c: c, hw: hw)
            }
            return 0

        case .flatten, .identity:
            y = inputs[0].reshaped(node.shape)
            return 0

        case .add:
            y.withMutableSlots { p in for i in 0..<count { a.add(p + i, inputs[0].slots + i, inputs[1].slots + i) } }
            return 0

        case .crossEntropy(let name):
            let z = inputs[0]
            let labels = try checkedLabels(node, name, n: z.shape[0], classes: z.shape[1])
            y.withMutableSlots { p in LossKernels.crossEntropyForward(a, z: z.slots, labels: labels, classes: z.shape[1], loss: p) }
            return 0

        case .mse:
            y.withMutableSlots { p in LossKernels.mseForward(a, y: inputs[0].slots, target: inputs[1].slots, count: inputs[0].count, loss: p) }
            return 0
        }
    }

    private func forcedCodes(_ node: Node, _ record: DecisionRecord?, count: Int) throws -> [UInt8]? {
        guard let record else { return nil }
        guard case .pieces(let codes) = record, codes.count == count else {
            throw ExecutionError(node: node.name, message: "the forcing record does not fit this \(node.op.name) node (\(count) sites)")
        }
        return codes
    }

    private func checkedLabels(_ node: Node, _ name: String, n: Int, classes: Int) throws -> [Int] {
        guard let labels = labels[name] else {
            throw ExecutionError(node: node.name, message: "no labels were given under '\(name)'")
        }
        guard labels.count == n else {
            throw ExecutionError(node: node.name, message: "expected \(n) labels (one per sample) under '\(name)', found \(labels.count)")
        }
        if let bad = labels.firstIndex(where: { $0 < 0 || $0 >= classes }) {
            throw ExecutionError(node: node.name, message: "label \(labels[bad]) of sample \(bad) is outside 0..<\(classes)")
        }
        return labels
    }

    // MARK: Backward

    /// Backpropagates from the scalar `loss` (default: the graph's last loss node) under
    /// `convention`, returning the gradients of the nodes in `wrt`.
    ///
    /// A node used by several consumers sums their contributions in increasing consumer order
    /// (and operand order within one consumer). Only the nodes between `wrt` and the loss are
    /// visited.
    public func backward(convention: DerivativeConvention = .pytorch, from loss: NodeID? = nil, wrt: [NodeID]) throws -> Gradients<A> {
        try backward(conventions: [convention], from: loss, wrt: wrt)[0]
    }

    /// Backpropagates under several conventions at once; element `j` of the result is exactly
    /// `backward(convention: conventions[j], …)`, bit for bit.
    ///
    /// Why together: two conventions differ only at kink hits, so their gradients usually
    /// coincide again a node or two after a nonsmooth node (a max-pool tie routed to another
    /// zero, then killed by the ReLU below it). Where a node's incoming gradient is identical
    /// under convention `j` and under the first, and the node is smooth, its backward is shared
    /// instead of recomputed; after a nonsmooth node, each result identical to the first
    /// convention's is replaced by it, so sharing resumes below. For the certified reference,
    /// whose backward passes are the analysis' most expensive work, this nearly halves C′'s cost.
    @_specialize(where A == FixedArithmetic<Float>)
    @_specialize(where A == FixedArithmetic<Double>)
    @_specialize(where A == FixedArithmetic<Half>)
    @_specialize(where A == FixedArithmetic<BFloat16>)
    @_specialize(where A == MPFRArithmetic)
    @_specialize(where A == MPFRIntervalArithmetic)
    public func backward(conventions: [DerivativeConvention], from loss: NodeID? = nil, wrt: [NodeID]) throws -> [Gradients<A>] {
        for c in conventions { try c.validate() }
        guard let root = loss ?? lossNode else {
            throw ExecutionError(node: graph.nodes.last?.name ?? "-", message: "the graph has no loss to differentiate")
        }
        guard values[root].count == 1 else {
            throw ExecutionError(node: graph.nodes[root].name, message: "backward starts from a scalar; this node has shape \(graph.nodes[root].shape)")
        }
        let a = arithmetic
        let wanted = Set(wrt)
        var needs = [Bool](repeating: false, count: graph.nodes.count)
        for node in graph.nodes {
            needs[node.id] = wanted.contains(node.id) || node.inputs.contains { needs[$0] }
        }
        let count = conventions.count
        var pending = [[NodeID: [(order: Int, tensor: Tensor<A>)]]](repeating: [:], count: count)
        var seed = Tensor<A>(zeros: values[root].shape, a)
        seed.withMutableSlots { a.set($0, 1) }
        for j in 0..<count { pending[j][root] = [(0, seed)] }
        var result = [[NodeID: Tensor<A>]](repeating: [:], count: count)
        var events = [[NodeID: RangeEvents]](repeating: [:], count: count)

        for id in stride(from: root, through: 0, by: -1) where needs[id] {
            let parts = (0..<count).map { pending[$0].removeValue(forKey: id) }
            guard let first = parts[0] else { continue }
            let node = graph.nodes[id]
            let differentiate = !node.inputs.isEmpty && node.inputs.contains(where: { needs[$0] })
            let theirs = first.sorted { $0.order < $1.order }.map(\.tensor)
            let gy0 = sum(theirs)
            var grads0: [Tensor<A>?] = [], events0 = RangeEvents()
            for j in 0..<count {
                var gy: Tensor<A>
                var shared = false
                if j == 0 {
                    gy = gy0
                } else {
                    let mine = parts[j]!.sorted { $0.order < $1.order }.map(\.tensor)
                    shared = mine.count == theirs.count && zip(mine, theirs).allSatisfy { $0.storage === $1.storage }
                    gy = shared ? gy0 : sum(mine)
                    if !shared && identical(gy, gy0) { gy = gy0; shared = true }
                }
                if wanted.contains(id) { result[j][id] = gy }
                guard differentiate else { continue }
                if shared && !node.op.isNonsmooth {
                    // Same incoming gradient, no convention involved: the same contributions.
                    for (k, g) in grads0.enumerated() {
                        guard let g else { continue }
                        pending[j][node.inputs[k], default: []].append((id * 8 + k, g))
                    }
                    events[j][id] = events0
                    continue
                }
                var flushed = 0
                var grads = inputGradients(node, gy, conventions[j], needs, flushed: &flushed)
                var e = RangeEvents(flushed: flushed)
                for (k, g) in grads.enumerated() {
                    guard let g else { continue }
                    e = e + RangeEvents.scan(g, a)
                    if j > 0, let g0 = grads0[k], identical(g, g0) { grads[k] = g0 }
                    pending[j][node.inputs[k], default: []].append((id * 8 + k, grads[k]!))
                }
                events[j][id] = e
                if j == 0 { (grads0, events0) = (grads, e) }
            }
        }
        return (0..<count).map { j in
            var tensors = result[j]
            for id in wanted where tensors[id] == nil {
                tensors[id] = Tensor(zeros: graph.nodes[id].shape, a)  // the loss does not depend on it
            }
            return Gradients(tensors: tensors, events: events[j], convention: conventions[j])
        }
    }

    /// Whether two tensors hold the same encodings, slot by slot.
    private func identical(_ x: Tensor<A>, _ y: Tensor<A>) -> Bool {
        if x.storage === y.storage { return true }
        guard x.count == y.count else { return false }
        let a = arithmetic, p = x.slots, q = y.slots
        for i in 0..<x.count where !a.identical(p + i, q + i) { return false }
        return true
    }

    @_specialize(where A == FixedArithmetic<Float>)
    @_specialize(where A == FixedArithmetic<Double>)
    @_specialize(where A == FixedArithmetic<Half>)
    @_specialize(where A == FixedArithmetic<BFloat16>)
    @_specialize(where A == MPFRArithmetic)
    @_specialize(where A == MPFRIntervalArithmetic)
    private func sum(_ parts: [Tensor<A>]) -> Tensor<A> {
        guard parts.count > 1 else { return parts[0] }
        var total = parts[0]
        total.withMutableSlots { p in
            for part in parts.dropFirst() {
                for i in 0..<part.count { arithmetic.add(p + i, p + i, part.slots + i) }
            }
        }
        return total
    }

    /// The gradient contribution to each input of `node` (nil where not needed).
    @_specialize(where A == FixedArithmetic<Float>)
    @_specialize(where A == FixedArithmetic<Double>)
    @_specialize(where A == FixedArithmetic<Half>)
    @_specialize(where A == FixedArithmetic<BFloat16>)
    @_specialize(where A == MPFRArithmetic)
    @_specialize(where A == MPFRIntervalArithmetic)
    private func inputGradients(_ node: Node, _ gy: Tensor<A>, _ convention: DerivativeConvention, _ needs: [Bool],
                                flushed: inout Int) -> [Tensor<A>?] {
        let a = arithmetic
        let inputs = node.inputs.map { values[$0] }
        func fresh(_ k: Int) -> Tensor<A>? { needs[node.inputs[k]] ? Tensor(zeros: inputs[k].shape, a) : nil }
        var g = (0..<inputs.count).map(fresh)
        func slots(_ k: Int) -> Ref? { g[k]?.slots }  // fresh tensors are uniquely owned: safe to write

        switch node.op {
        case .input, .parameter:
            return []

        case .linear(let hasBias):
            let x = inputs[0], w = inputs[1]
            let n = x.shape[0], inF = x.shape[1], outF = w.shape[0]
            LinearKernels.backward(a, model.accumulation, x: x.slots, w: w.slots, gy: gy.slots, gx: slots(0), gw: slots(1),
                                   gb: hasBias ? slots(2) : nil, n: n, inputs: inF, outputs: outF)
            if g[0] != nil {
                flushed += FlushCounting.pairs(a, shared: outF, u: gy.slots, uk: 1, ur: outF, nu: n, v: w.slots, vk: inF, vc: 1, nv: inF)
            }
            if g[1] != nil {
                flushed += FlushCounting.pairs(a, shared: n, u: gy.slots, uk: outF, ur: 1, nu: outF, v: x.slots, vk: inF, vc: 1, nv: inF)
            }

        case .conv2d(let attributes):
            let shape = Execution.convShape(inputs[0].shape, inputs[1].shape, attributes)
            Conv2DKernels.backward(a, model.accumulation, shape, x: inputs[0].slots, w: inputs[1].slots, gy: gy.slots,
                                   gx: slots(0), gw: slots(1), gb: inputs.count == 3 ? slots(2) : nil)
            flushed += FlushCounting.conv2d(a, shape, x: inputs[0].slots, w: inputs[1].slots, gy: gy.slots,
                                                    weight: g[1] != nil, input: g[0] != nil)

        case .maxPool2d(let attributes):
            guard let gx = slots(0), case .argmax(let sets)? = decisions[node.id] else { break }
            PoolKernels.maxBackward(a, Execution.poolShape(inputs[0].shape, attributes), decisions: sets,
                                    tie: convention.maxPoolTie, gy: gy.slots, gx: gx)

        case .avgPool2d(let attributes):
            guard let gx = slots(0) else { break }
            PoolKernels.avgBackward(a, Execution.poolShape(inputs[0].shape, attributes), gy: gy.slots, gx: gx)

        case .relu, .leakyReLU, .relu6, .hardtanh, .abs:
            guard let gx = slots(0), case .pieces(let codes)? = decisions[node.id] else { break }
            PiecewiseKernels.backward(a, Execution.piecewiseKind(node.op)!, convention, codes: codes, gy: gy.slots, gx: gx)

        case .maximum, .minimum:
            guard case .pieces(let codes)? = decisions[node.id] else { break }
            let ga = g[0] ?? Tensor(zeros: inputs[0].shape, a), gb = g[1] ?? Tensor(zeros: inputs[1].shape, a)
            PiecewiseKernels.binaryBackward(a, isMaximum: node.op == .maximum, tie: convention.maximumTie, codes: codes,
                                            gy: gy.slots, ga: ga.slots, gb: gb.slots)

        case .tanh, .sigmoid, .softplus, .gelu:
            guard let gx = slots(0) else { break }
            SmoothKernels.backward(a, Execution.smoothKind(node.op)!, x: inputs[0].slots, y: values[node.id].slots,
                                   gy: gy.slots, gx: gx, count: gy.count)

        case .batchNorm(let eps, let training):
            let x = inputs[0]
            let (n, c, hw) = (x.shape[0], x.shape[1], x.shape.count == 4 ? x.shape[2] * x.shape[3] : 1)
            BatchNormKernels.backward(a, training: training, eps: eps, x: x.slots, weight: inputs[1].slots,
                                      mean: inputs[3].slots, variance: inputs[4].slots, gy: gy.slots,
                                      gx: slots(0), gweight: slots(1), gbias: slots(2), n: n, c: c, hw: hw)
            g[3] = nil  // running statistics are buffers: no gradient
            g[4] = nil

        case .flatten, .identity:
            if g[0] != nil { g[0] = gy.reshaped(inputs[0].shape) }

        case .add:
            if g[0] != nil { g[0] = gy }
            if g[1] != nil { g[1] = gy }

        case .crossEntropy(let name):
            guard let gz = slots(0) else { break }
            let z = inputs[0]
            LossKernels.crossEntropyBackward(a, z: z.slots, labels: labels[name]!, classes: z.shape[1], gloss: gy.slots, gz: gz)

        case .mse:
            let gp = g[0] ?? Tensor(zeros: inputs[0].shape, a), gt = g[1] ?? Tensor(zeros: inputs[1].shape, a)
            LossKernels.mseBackward(a, y: inputs[0].slots, target: inputs[1].slots, count: inputs[0].count,
                                    gloss: gy.slots, gy: gp.slots, gtarget: gt.slots)
        }
        return g
    }

    // MARK: Shapes

    static func convShape(_ x: [Int], _ w: [Int], _ a: Conv2DAttributes) -> Conv2DShape {
        Conv2DShape(n: x[0], c: x[1], h: x[2], w: x[3], o: w[0], kh: w[2], kw: w[3],
                    sh: a.stride[0], sw: a.stride[1], ph: a.padding[0], pw: a.padding[1],
                    dh: a.dilation[0], dw: a.dilation[1], groups: a.groups)
    }

    static func poolShape(_ x: [Int], _ a: PoolAttributes) -> Conv2DShape {
        Conv2DShape(n: x[0], c: x[1], h: x[2], w: x[3], o: x[1], kh: a.kernel[0], kw: a.kernel[1],
                    sh: a.stride[0], sw: a.stride[1], ph: a.padding[0], pw: a.padding[1], dh: 1, dw: 1, groups: x[1])
    }

    static func piecewiseKind(_ op: Op) -> PiecewiseKernels.Kind? {
        switch op {
        case .relu: .relu
        case .leakyReLU(let slope): .leakyReLU(slope: slope)
        case .relu6: .hardtanh(min: 0, max: 6)
        case .hardtanh(let lo, let hi): .hardtanh(min: lo, max: hi)
        case .abs: .abs
        default: nil
        }
    }

    static func smoothKind(_ op: Op) -> SmoothKernels.Kind? {
        switch op {
        case .tanh: .tanh
        case .sigmoid: .sigmoid
        case .softplus: .softplus
        case .gelu(let approximate): .gelu(approximate: approximate)
        default: nil
        }
    }
}

/// The result of one backward pass: gradients by node id, range events of each node's backward,
/// and the convention used.
public struct Gradients<A: ScalarArithmetic> {
    /// The requested gradients, by node id (zero for nodes the loss does not depend on).
    public let tensors: [NodeID: Tensor<A>]
    /// Range events of the gradients each node's backward produced, by node id.
    public let events: [NodeID: RangeEvents]
    /// The convention applied at kink hits.
    public let convention: DerivativeConvention

    /// The gradient of node `id`, if it was requested.
    public subscript(_ id: NodeID) -> Tensor<A>? { tensors[id] }
}
