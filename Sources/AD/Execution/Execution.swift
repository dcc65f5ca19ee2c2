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
    /// Proves ties between identical computations (the reference's forward: `proveTies`).
    @usableFromInline let prover: TieProver<A>?
    /// The precision's arithmetic.
    public let arithmetic: A
    /// The arithmetic model (accumulation options).
    public let model: ArithmeticModel
    /// A mixed-precision policy's per-node roundings (nil: none).
    public let rounding: NodeRounding?
    /// The integer labels fed.
    public let labels: [String: [Int]]
    /// Whether the decisions were forced from outside rather than computed.
    public let isForced: Bool
    /// Every node's output, by id.
    public var values: [Tensor<A>] { _values }
    @usableFromInline var _values: [Tensor<A>] = []
    /// The decisions of every nonsmooth node, by id (the forcing ones for a forced run).
    public var decisions: DecisionSet { _decisions }
    @usableFromInline var _decisions: DecisionSet = [:]
    /// Range events of each node's forward output (leaves included: rounding weights to a
    /// narrow format can overflow), by id.
    public var forwardEvents: [RangeEvents] { _forwardEvents }
    @usableFromInline var _forwardEvents: [RangeEvents] = []
    /// Whether each node's forward computation was exact (`nil` when the arithmetic cannot tell).
    public var forwardExact: [Bool?] { _forwardExact }
    @usableFromInline var _forwardExact: [Bool?] = []
    /// How many node evaluations the forward pass made: the node count, and it never grows
    /// (backward does not recompute forward).
    public var nodeEvaluations: Int { _nodeEvaluations }
    @usableFromInline var _nodeEvaluations: Int = 0

    /// Runs the forward pass.
    /// - Throws: `ExecutionError` for a missing or mis-sized leaf value, missing or out-of-range
    ///   labels, a forcing record that does not fit, or an accumulator option the precision has
    ///   no meaning for.
    ///
    /// `tensors` gives leaves directly in this precision (they take precedence over `feed`):
    /// for points that `Double` cannot hold, such as a finite-difference step in MPFR.
    @inlinable
    public init(graph: Graph, arithmetic: A, feed: Feed, tensors: [String: Tensor<A>] = [:],
                model: ArithmeticModel = .default, forcing: DecisionSet? = nil,
                proveTies isPoint: ((UnsafeMutablePointer<A.Slot>) -> Bool)? = nil,
                rounding: NodeRounding? = nil) throws {
        self.prover = isPoint.map { TieProver(graph: graph, arithmetic: arithmetic, isPoint: $0) }
        self.graph = graph
        self.arithmetic = arithmetic
        self.model = model
        self.rounding = rounding
        if let rounding, !rounding.fits(graph) {
            throw ExecutionError(node: graph.nodes.first?.name ?? "-", message: "the per-node roundings do not fit this graph")
        }
        self.labels = feed.labels
        self.isForced = forcing != nil
        if model.accumulation == .widerAccumulator && arithmetic.traits.widerAccumulator == nil {
            throw ExecutionError(node: graph.nodes.first?.name ?? "-", message: "a wider accumulator is defined for f16, bf16 and f32 storage, not \(arithmetic.precision)")
        }
        try runForward(feed: feed, tensors: tensors, forcing: forcing)
    }

    @inlinable
    func runForward(feed: Feed, tensors: [String: Tensor<A>], forcing: DecisionSet?) throws {
        _values.reserveCapacity(graph.nodes.count)
        for node in graph.nodes {
            var computed: Tensor<A>?
            var flushed = 0
            var counts = TensorCast.Counts()
            let exact = try arithmetic.checkingExactness {
                (computed, flushed, counts) = try forward(node, feed: feed, tensors: tensors, forcing: forcing)
            }
            guard var output = computed else { continue }  // always set: forward returned
            if let c = rounding?.output[node.id] { counts = counts + cast(&output, c, node: node.id, stream: StochasticStream.forwardOutput) }
            _nodeEvaluations += 1
            var events = RangeEvents.scan(output, arithmetic)  // after the roundings: a 16-bit overflow counts
            events.flushed = flushed + counts.flushed
            events.saturated = counts.saturated
            events.subnormal += counts.subnormal
            _values.append(output)
            _forwardEvents.append(events)
            _forwardExact.append(exact)
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
        prover = nil
        arithmetic = other
        model = source.model
        rounding = source.rounding
        labels = source.labels
        isForced = source.isForced
        _values = source.values.map { v in
            var t = Tensor<A>(zeros: v.shape, other)
            t.withMutableSlots { p in for i in 0..<v.count { other.copy(p + i, v.slots + i) } }
            return t
        }
        _decisions = source.decisions
        _forwardEvents = source.forwardEvents
        _forwardExact = source.forwardExact
        _nodeEvaluations = source.nodeEvaluations
    }

    /// The output of node `id`.
    @inlinable public func value(_ id: NodeID) -> Tensor<A> { _values[id] }

    /// The loss: the last node whose op is a loss.
    @inlinable public var lossNode: NodeID? { graph.nodes.last { $0.op.isLoss }?.id }

    // MARK: Forward

    /// Computes `node`'s output; returns it with the number of flushed products and what its
    /// operand casts counted.
    @inlinable
    func forward(_ node: Node, feed: Feed, tensors: [String: Tensor<A>], forcing: DecisionSet?) throws -> (Tensor<A>, Int, TensorCast.Counts) {
        if node.op.isLeaf {
            var y = Tensor<A>(zeros: node.shape, arithmetic)
            try load(node, into: &y, feed: feed, tensors: tensors)
            return (y, 0, TensorCast.Counts())
        }
        var record: DecisionRecord?
        if let forcing, node.op.isNonsmooth {
            guard let r = forcing[node.id] else {
                throw ExecutionError(node: node.name, message: "the forcing decisions have no record for this nonsmooth node")
            }
            record = r
        }
        let (operands, counts) = operandValues(node)
        var visitor = ForwardVisitor(io: ForwardIO(arithmetic: arithmetic, accumulation: model.accumulation, node: node,
                                                   inputs: operands,
                                                   output: Tensor(zeros: node.shape, arithmetic), labels: labels, forcing: record))
        if let prover, record == nil, node.op.isNonsmooth {
            prover.values = values
            prover.decisions = decisions
            let operands = node.inputs
            visitor.io.sameValue = { a, i, b, j in prover.equal(operands[a], i, operands[b], j) }
        }
        _ = try node.op.accept(&visitor)
        if let r = visitor.io.record { _decisions[node.id] = r }
        return (visitor.io.output, visitor.io.flushed, counts)
    }

    /// A leaf's value, from `tensors` or `feed`.
    @inlinable
    func load(_ node: Node, into y: inout Tensor<A>, feed: Feed, tensors: [String: Tensor<A>]) throws {
        if let given = tensors[node.name] {
            guard given.shape == node.shape else {
                throw ExecutionError(node: node.name, message: "expected a tensor of shape \(node.shape), found \(given.shape)")
            }
            y = given
            return
        }
        guard let data = feed.values[node.name] else {
            throw ExecutionError(node: node.name, message: "no value was given for this \(node.op == .input ? "input" : "parameter")")
        }
        guard data.count == y.count else {
            throw ExecutionError(node: node.name, message: "expected \(y.count) values for shape \(node.shape), found \(data.count)")
        }
        let a = arithmetic
        y.withMutableSlots { p in for i in 0..<data.count { a.set(p + i, data[i]) } }
    }

    // MARK: Backward

    /// Backpropagates from the scalar `loss` (default: the graph's last loss node) under
    /// `convention`, returning the gradients of the nodes in `wrt`.
    ///
    /// A node used by several consumers sums their contributions in increasing consumer order
    /// (and operand order within one consumer). Only the nodes between `wrt` and the loss are
    /// visited.
    @inlinable
    public func backward(convention: DerivativeConvention = .pytorch, from loss: NodeID? = nil,
                         lossOperandGradients given: [Tensor<A>?]? = nil, wrt: [NodeID]) throws -> Gradients<A> {
        try backward(conventions: [convention], from: loss, lossOperandGradients: given, wrt: wrt)[0]
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
    ///
    /// `lossOperandGradients`, when given, replaces the loss node's own backward: element `k` is
    /// the contribution the loss sends to its operand `k` (nil: none), and backpropagation starts
    /// below the loss from those. The analyzer's per-sample attributions give a one-sample graph
    /// the loss gradients the whole batch's loss computed for that sample (a mean loss divides by
    /// the whole batch), so that sample's gradients are the batch's rows, bit for bit.
    @inlinable
    public func backward(conventions: [DerivativeConvention], from loss: NodeID? = nil,
                         lossOperandGradients given: [Tensor<A>?]? = nil, wrt: [NodeID]) throws -> [Gradients<A>] {
        for c in conventions { try c.validate() }
        guard let root = loss ?? lossNode else {
            throw ExecutionError(node: graph.nodes.last?.name ?? "-", message: "the graph has no loss to differentiate")
        }
        guard values[root].count == 1 else {
            throw ExecutionError(node: graph.nodes[root].name, message: "backward starts from a scalar; this node has shape \(graph.nodes[root].shape)")
        }
        if let given {
            let operands = graph.nodes[root].inputs
            guard given.count == operands.count else {
                throw ExecutionError(node: graph.nodes[root].name, message: "\(given.count) operand gradients given for \(operands.count) operands")
            }
            for (k, g) in given.enumerated() where g != nil && g!.shape != graph.nodes[operands[k]].shape {
                throw ExecutionError(node: graph.nodes[root].name,
                                     message: "operand \(k)'s gradient has shape \(g!.shape), the operand \(graph.nodes[operands[k]].shape)")
            }
        }
        let a = arithmetic
        let wanted = Set(wrt)
        var needs = [Bool](repeating: false, count: graph.nodes.count)
        for node in graph.nodes {
            needs[node.id] = wanted.contains(node.id) || node.inputs.contains { needs[$0] }
        }
        let count = conventions.count
        // Contributions to each node, keyed by (consumer, operand): the documented summation order.
        var pending = [[NodeID: [(order: Order, tensor: Tensor<A>)]]](repeating: [:], count: count)
        if let given {
            // The loss's contributions, ordered as its own backward would have sent them.
            for j in 0..<count {
                for (k, g) in given.enumerated() {
                    guard let g else { continue }
                    pending[j][graph.nodes[root].inputs[k], default: []].append((Order(consumer: root, operand: k), g))
                }
            }
        } else {
            var seed = Tensor<A>(zeros: values[root].shape, a)
            seed.withMutableSlots { a.set($0, 1) }
            for j in 0..<count { pending[j][root] = [(Order(consumer: root, operand: 0), seed)] }
        }
        var result = [[NodeID: Tensor<A>]](repeating: [:], count: count)
        var events = [[NodeID: RangeEvents]](repeating: [:], count: count)

        for id in stride(from: root, through: 0, by: -1) where needs[id] {
            let parts = (0..<count).map { pending[$0].removeValue(forKey: id) }
            guard let first = parts[0] else { continue }
            let node = graph.nodes[id]
            let differentiate = !node.inputs.isEmpty && node.inputs.contains(where: { needs[$0] })
            let theirs = first.sorted { $0.order < $1.order }.map(\.tensor)
            let gy0 = sum(theirs, rounding: rounding?.accumulation[id], node: id)
            var grads0: [Tensor<A>?] = [], events0 = RangeEvents()
            for j in 0..<count {
                var gy: Tensor<A>
                var shared = false
                if j == 0 {
                    gy = gy0
                } else {
                    let mine = parts[j]!.sorted { $0.order < $1.order }.map(\.tensor)
                    shared = mine.count == theirs.count && zip(mine, theirs).allSatisfy { $0.storage === $1.storage }
                    gy = shared ? gy0 : sum(mine, rounding: rounding?.accumulation[id], node: id)
                    if !shared && identical(gy, gy0) { gy = gy0; shared = true }
                }
                if wanted.contains(id) { result[j][id] = gy }
                guard differentiate else { continue }
                if shared && !node.op.isNonsmooth {
                    // Same incoming gradient, no convention involved: the same contributions.
                    for (k, g) in grads0.enumerated() {
                        guard let g else { continue }
                        pending[j][node.inputs[k], default: []].append((Order(consumer: id, operand: k), g))
                    }
                    events[j][id] = events0
                    continue
                }
                var flushed = 0
                var counts = TensorCast.Counts()
                var grads = policyGradients(node, gy, conventions[j], needs, flushed: &flushed, counts: &counts)
                var e = RangeEvents(flushed: flushed + counts.flushed)
                e.saturated = counts.saturated
                e.subnormal += counts.subnormal
                for (k, g) in grads.enumerated() {
                    guard let g else { continue }
                    e = e + RangeEvents.scan(g, a)
                    if j > 0, let g0 = grads0[k], identical(g, g0) { grads[k] = g0 }
                    pending[j][node.inputs[k], default: []].append((Order(consumer: id, operand: k), grads[k]!))
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
    @inlinable
    func identical(_ x: Tensor<A>, _ y: Tensor<A>) -> Bool {
        if x.storage === y.storage { return true }
        guard x.count == y.count else { return false }
        let a = arithmetic, p = x.slots, q = y.slots
        for i in 0..<x.count where !a.identical(p + i, q + i) { return false }
        return true
    }

    /// The contributions summed in order; with `rounding`, each addition is rounded by that
    /// cast (autograd accumulates a 16-bit tensor's gradient in 16 bits).
    @inlinable
    func sum(_ parts: [Tensor<A>], rounding c: TensorCast? = nil, node: NodeID = 0) -> Tensor<A> {
        guard parts.count > 1 else { return parts[0] }
        var total = parts[0]
        let a = arithmetic
        for (t, part) in parts.dropFirst().enumerated() {
            total.withMutableSlots { p in for i in 0..<part.count { a.add(p + i, p + i, part.slots + i) } }
            if let c { _ = cast(&total, c, node: node, stream: StochasticStream.accumulation(t)) }
        }
        return total
    }

    /// Node `node`'s operands as it uses them: with a policy, cast as it says (the same copy in
    /// forward and backward: the casts are deterministic, stochastic ones included).
    @inlinable
    func operandValues(_ node: Node) -> ([Tensor<A>], TensorCast.Counts) {
        var counts = TensorCast.Counts()
        let values = node.inputs.enumerated().map { k, id in
            var v = self.values[id]
            if let c = rounding?.operands[node.id][k] { counts = counts + cast(&v, c, node: node.id, stream: StochasticStream.operand(k)) }
            return v
        }
        return (values, counts)
    }

    /// Applies `c` to every slot of `t` (exact for binary32 slots: the results are values of
    /// narrower formats).
    @inlinable
    func cast(_ t: inout Tensor<A>, _ c: TensorCast, node: NodeID, stream: UInt64) -> TensorCast.Counts {
        let a = arithmetic
        let n = t.count
        var v = t.doubles(a)
        let counts = c.apply(&v, seed: rounding?.seed ?? 0, node: node, stream: stream)
        t.withMutableSlots { p in for i in 0..<n { a.set(p + i, v[i]) } }
        return counts
    }

    /// `inputGradients` under the policy: the incoming gradient cast per operand group
    /// (`NodeRounding.incoming`), each contribution rounded as `NodeRounding.operandGradients` says.
    @inlinable
    func policyGradients(_ node: Node, _ gy: Tensor<A>, _ convention: DerivativeConvention, _ needs: [Bool],
                         flushed: inout Int, counts: inout TensorCast.Counts) -> [Tensor<A>?] {
        guard let rounding else { return inputGradients(node, gy, convention, needs, flushed: &flushed) }
        let id = node.id
        let wanted = node.inputs.indices.filter { needs[node.inputs[$0]] }
        var grads = [Tensor<A>?](repeating: nil, count: node.inputs.count)
        var groups: [(cast: TensorCast?, operands: [Int])] = []
        for k in wanted {
            if let g = groups.firstIndex(where: { $0.cast == rounding.incoming[id][k] }) { groups[g].operands.append(k) }
            else { groups.append((rounding.incoming[id][k], [k])) }
        }
        for group in groups {
            var g = gy
            if let c = group.cast { counts = counts + cast(&g, c, node: id, stream: StochasticStream.incoming(group.operands[0])) }
            let only = groups.count == 1 ? nil : Set(group.operands)
            let part = inputGradients(node, g, convention, needs, flushed: &flushed, only: only)
            for k in group.operands where k < part.count { grads[k] = part[k] }
        }
        for k in grads.indices where grads[k] != nil {
            for (step, c) in rounding.operandGradients[id][k].enumerated() {
                counts = counts + cast(&grads[k]!, c, node: id, stream: StochasticStream.gradient(k, step: step))
            }
        }
        return grads
    }

    /// The gradient contribution to each input of `node` (nil where not needed, or outside `only`).
    @inlinable
    func inputGradients(_ node: Node, _ gy: Tensor<A>, _ convention: DerivativeConvention, _ needs: [Bool],
                                flushed: inout Int, only: Set<Int>? = nil) -> [Tensor<A>?] {
        let a = arithmetic
        let inputs = operandValues(node).0
        let fresh = (0..<inputs.count).map { k in needs[node.inputs[k]] && only?.contains(k) != false ? Tensor(zeros: inputs[k].shape, a) : nil }
        var visitor = BackwardVisitor(io: BackwardIO(arithmetic: a, accumulation: model.accumulation, node: node, inputs: inputs,
                                                     output: values[node.id], gy: gy, gradients: fresh, convention: convention,
                                                     record: decisions[node.id], labels: labels))
        guard (try? node.op.accept(&visitor)) != nil else { return [] }  // leaves; backward visitors never throw
        flushed += visitor.io.flushed
        return visitor.io.gradients
    }
}

/// The key that orders the contributions a node receives: by consumer, then by operand.
@usableFromInline
struct Order: Comparable {
    @usableFromInline let consumer: NodeID
    @usableFromInline let operand: Int
    @inlinable init(consumer: NodeID, operand: Int) {
        self.consumer = consumer
        self.operand = operand
    }
    @inlinable static func < (l: Order, r: Order) -> Bool { (l.consumer, l.operand) < (r.consumer, r.operand) }
}

/// Runs a primitive's forward on `io`, statically typed.
@usableFromInline
struct ForwardVisitor<A: ScalarArithmetic>: PrimitiveVisitor {
    @usableFromInline var io: ForwardIO<A>
    @inlinable init(io: ForwardIO<A>) { self.io = io }
    @inlinable mutating func visit<P: Primitive>(_ primitive: P) throws { try primitive.forward(&io) }
}

/// Runs a primitive's backward on `io`, statically typed.
@usableFromInline
struct BackwardVisitor<A: ScalarArithmetic>: PrimitiveVisitor {
    @usableFromInline var io: BackwardIO<A>
    @inlinable init(io: BackwardIO<A>) { self.io = io }
    @inlinable mutating func visit<P: Primitive>(_ primitive: P) { primitive.backward(&io) }
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

    @inlinable
    public init(tensors: [NodeID: Tensor<A>], events: [NodeID: RangeEvents], convention: DerivativeConvention) {
        self.tensors = tensors
        self.events = events
        self.convention = convention
    }

    /// The gradient of node `id`, if it was requested.
    public subscript(_ id: NodeID) -> Tensor<A>? { tensors[id] }
}
