import AD
import TestSupport

/// Central finite differences in MPFR, the independent oracle for every backward pass.
///
/// With 512 bits and a step h = 2⁻¹⁰⁰, the truncation error is O(h²) ≈ 10⁻⁶⁰ relative and the
/// rounding error 2⁻⁵¹²/h ≈ 10⁻¹²⁴ of the loss, so even a gradient 10⁻⁴⁰ times smaller than
/// the loss (softplus far from 0) is measured to far better than the 10⁻⁴⁰ the tests demand.
enum FiniteDifferences {
    static let arithmetic = MPFRArithmetic(bits: 512)
    static let stepExponent = -100

    /// The relative error ‖g − g_fd‖₂ / ‖g_fd‖₂ of backward's gradient of `graph`'s loss with
    /// respect to each leaf in `wrt`, at the point `feed`; computed in MPFR so that errors far
    /// below `Double`'s resolution are measured.
    static func relativeErrors(_ graph: Graph, _ feed: Feed, wrt names: [String]) throws -> [String: Double] {
        let a = arithmetic
        let base = try Execution(graph: graph, arithmetic: a, feed: feed)
        let ids = names.map { graph.node(named: $0)!.id }
        let grads = try base.backward(wrt: ids)
        let loss = base.lossNode!
        let scratch = a.makeStorage([0, 0, 0, Double(sign: .plus, exponent: stepExponent + 1, significand: 1)])
        let plus = scratch.base, minus = scratch.base + 1, diff = scratch.base + 2, twoH = scratch.base + 3
        var errors: [String: Double] = [:]
        for (name, id) in zip(names, ids) {
            let point = base.value(id)
            var errorSquared = 0.0, normSquared = 0.0
            for k in 0..<point.count {
                for (sign, out) in [(1.0, plus), (-1.0, minus)] {
                    var moved = Tensor<MPFRArithmetic>(shape: point.shape, storage: point.storage.clone())
                    moved.withMutableSlots { p in
                        let h = a.makeStorage([sign * Double(sign: .plus, exponent: stepExponent, significand: 1)])
                        a.add(p + k, p + k, h.base)
                    }
                    let run = try Execution(graph: graph, arithmetic: a, feed: feed, tensors: [name: moved])
                    a.copy(out, run.value(loss).slots)
                }
                a.subtract(diff, plus, minus)
                a.divide(diff, diff, twoH)                       // g_fd
                normSquared += a.double(diff) * a.double(diff)
                a.subtract(diff, grads[id]!.slots + k, diff)     // g − g_fd, exactly enough
                errorSquared += a.double(diff) * a.double(diff)
            }
            errors[name] = normSquared == 0 ? (errorSquared == 0 ? 0 : .infinity) : (errorSquared / normSquared).squareRoot()
        }
        return errors
    }
}

/// Small builders for test graphs.
extension Graph {
    /// Adds a leaf of `shape` to `feed` with seeded values in [lo, hi), returning its id.
    @discardableResult
    mutating func randomParameter(_ name: String, _ shape: [Int], _ feed: inout Feed, _ g: inout SeededGenerator,
                                  _ lo: Double = -1, _ hi: Double = 1) throws -> NodeID {
        feed.values[name] = (0..<shape.reduce(1, *)).map { _ in g.uniform(lo, hi) }
        return try parameter(name, shape: shape)
    }

    /// Appends `mse(node, target)` with a random target (a smooth scalar loss over any node).
    mutating func mseLoss(of node: NodeID, _ feed: inout Feed, _ g: inout SeededGenerator) throws {
        let shape = nodes[node].shape
        let target = try randomParameter("target", shape, &feed, &g)
        try apply("loss", .mse, [node, target])
    }
}
