import Testing
import AD
import TestSupport

/// Whole-network checks: f64 against the MPFR-256 reference, and determinism.
@Suite struct ReferenceAgreementTests {
    /// MLP 784-256-256-10 with ReLU and cross-entropy, batch 32, MNIST-like inputs (60% exact
    /// zeros), nonzero biases; its leaves and feed.
    static func mlp(seed: UInt64, batch: Int = 32) throws -> (Graph, Feed, [NodeID]) {
        var g = SeededGenerator(seed: seed)
        var graph = Graph(), feed = Feed()
        let x = try graph.input("x", shape: [batch, 784])
        feed.values["x"] = (0..<(batch * 784)).map { _ in g.uniform(0, 1) < 0.6 ? 0 : g.uniform(0, 1) }
        var h = x
        var parameters: [NodeID] = []
        for (k, (fanIn, fanOut)) in [(784, 256), (256, 256), (256, 10)].enumerated() {
            let bound = 1 / Double(fanIn).squareRoot()
            let w = try graph.randomParameter("fc\(k + 1).weight", [fanOut, fanIn], &feed, &g, -bound, bound)
            let b = try graph.randomParameter("fc\(k + 1).bias", [fanOut], &feed, &g, -bound, bound)
            parameters += [w, b]
            h = try graph.apply("fc\(k + 1)", .linear(hasBias: true), [h, w, b])
            if k < 2 { h = try graph.apply("relu\(k + 1)", .relu, [h]) }
        }
        try graph.apply("loss", .crossEntropy(labels: "y"), [h])
        feed.labels["y"] = (0..<batch).map { _ in Int(g.next() % 10) }
        return (graph, feed, parameters)
    }

    @Test func mlpGradientInDoubleAgreesWithMPFR256() throws {
        let (graph, feed, parameters) = try Self.mlp(seed: 784)
        let p = FixedArithmetic<Double>(), m = MPFRArithmetic(bits: 256)
        let g64 = try Execution(graph: graph, arithmetic: p, feed: feed).backward(wrt: parameters)
        let reference = try Execution(graph: graph, arithmetic: m, feed: feed)
        let gR = try reference.backward(wrt: parameters)
        var error = 0.0, norm = 0.0
        for id in parameters {
            let ours = g64[id]!.doubles(p), theirs = gR[id]!.doubles(m)
            for k in ours.indices {
                error += (ours[k] - theirs[k]) * (ours[k] - theirs[k])
                norm += theirs[k] * theirs[k]
            }
        }
        let relative = (error / norm).squareRoot()
        print("MLP 784-256-256-10, batch 32: ‖g_f64 − g_mpfr256‖ / ‖g_mpfr256‖ = \(relative)")
        #expect(norm > 0)
        #expect(relative <= 1e-12, "relative error \(relative)")
        #expect(relative > 0)  // f64 does round: an exact match would mean the oracle is not independent
    }

    /// Repeated executions give the same bits: values, decisions and gradients.
    @Test func repeatedRunsAreBitIdentical() throws {
        let (graph, feed, parameters) = try Self.mlp(seed: 5, batch: 4)
        func run<A: ScalarArithmetic>(_ a: A) throws -> ([UInt64], DecisionSet) {
            let e = try Execution(graph: graph, arithmetic: a, feed: feed)
            let g = try e.backward(wrt: parameters)
            let bits = parameters.flatMap { g[$0]!.doubles(a).map(\.bitPattern) } + e.values.flatMap { $0.doubles(a).map(\.bitPattern) }
            return (bits, e.decisions)
        }
        for _ in 0..<2 {
            let (first, d1) = try run(FixedArithmetic<Half>())
            let (second, d2) = try run(FixedArithmetic<Half>())
            #expect(first == second && d1 == d2)
        }
        let (m1, _) = try run(MPFRArithmetic(bits: 128))
        let (m2, _) = try run(MPFRArithmetic(bits: 128))
        #expect(m1 == m2)
    }
}
