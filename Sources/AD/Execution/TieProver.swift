/// Proofs that two values of a forward pass are equal over ℝ although neither is exact: they
/// are computed by identical operations from operands that are themselves provably equal —
/// exact points of one value (the leaves always are), or, recursively, identical computations.
/// What makes a tie between two such values genuine (analysis.md, "Precise rules": a window of
/// a zero border after batch norm's division by a square root, a constant region after 3×3
/// average pooling, `maximum(x, x′)` of two identical branches), where interval enclosures can
/// only overlap.
///
/// Each primitive says which operand elements an output element is computed from, in order
/// (`Primitive.sameComputation`); the prover compares two elements' computations and recurses
/// into their operands, with every answer memoised. Nothing is hashed: each step is a
/// comparison, so a `true` is a proof. A step budget keeps the worst case bounded (a `false`
/// when exhausted, which only leaves a tie unproven).
public final class TieProver<A: ScalarArithmetic> {
    let graph: Graph
    let arithmetic: A
    let isPoint: (A.Ref) -> Bool
    @usableFromInline var values: [Tensor<A>] = []
    @usableFromInline var decisions: DecisionSet = [:]
    var memo: [Key: Bool] = [:]
    var budget: Int

    struct Key: Hashable {
        let a: NodeID, i: Int, b: NodeID, j: Int
    }

    /// A prover over `graph`'s forward pass in `arithmetic`; `isPoint` tells an exact value (a
    /// point enclosure) from an inexact one. `budget` bounds the comparisons over the whole pass.
    public init(graph: Graph, arithmetic: A, isPoint: @escaping (A.Ref) -> Bool, budget: Int = 50_000_000) {
        self.graph = graph
        self.arithmetic = arithmetic
        self.isPoint = isPoint
        self.budget = budget
    }

    /// Whether element `i` of node `a` and element `j` of node `b` (both computed already) are
    /// proven equal over ℝ.
    public func equal(_ a: NodeID, _ i: Int, _ b: NodeID, _ j: Int) -> Bool {
        if a == b && i == j { return true }
        let key = a < b || (a == b && i < j) ? Key(a: a, i: i, b: b, j: j) : Key(a: b, i: j, b: a, j: i)
        if let known = memo[key] { return known }
        guard budget > 0 else { return false }
        budget -= 1
        let result = prove(a, i, b, j)
        memo[key] = result
        return result
    }

    func prove(_ a: NodeID, _ i: Int, _ b: NodeID, _ j: Int) -> Bool {
        let u = values[a].slots + i, v = values[b].slots + j
        let pu = isPoint(u), pv = isPoint(v)
        if pu && pv { return arithmetic.compare(u, v) == 0 }
        // Identical computations give identical enclosures: a point and a non-point are not.
        guard !pu, !pv else { return false }
        let na = graph.nodes[a], nb = graph.nodes[b]
        guard na.op == nb.op, !na.op.isLeaf, let primitive = na.op.primitive,
              na.inputs.count == nb.inputs.count,
              zip(na.inputs, nb.inputs).allSatisfy({ graph.nodes[$0].shape == graph.nodes[$1].shape }) else { return false }
        let context = SameComputation(shapes: na.inputs.map { graph.nodes[$0].shape }, output: na.shape, records: (decisions[a], decisions[b]))
        guard let pairs = primitive.sameComputation(i, j, context) else { return false }
        for (k, e1, e2) in pairs where !equal(na.inputs[k], e1, nb.inputs[k], e2) { return false }
        return true
    }
}

/// What `Primitive.sameComputation` is given: the operands' shapes (equal for the two nodes
/// compared), the output's, and each node's decision record (nonsmooth primitives).
public struct SameComputation {
    public let shapes: [[Int]]
    public let output: [Int]
    public let records: (DecisionRecord?, DecisionRecord?)

    /// Both records as `R`, nil unless both are of that kind.
    public func records<R: SiteRecord>(_ type: R.Type) -> (R, R)? {
        guard let a = records.0.flatMap(R.init), let b = records.1.flatMap(R.init) else { return nil }
        return (a, b)
    }
}
