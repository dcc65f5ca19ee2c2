import AD
import Foundation

/// Whole forward + backward passes of the W1 workload (performance.md): dense 784-256-256-10,
/// ReLU, cross-entropy, inputs in [0, 1] with ~60% exact zeros, nonzero biases.
enum PassBenchmark {
    static func w1(batch: Int) throws -> (Graph, Feed, [NodeID]) {
        var state: UInt64 = 0x5EED_0001
        func uniform(_ lo: Double, _ hi: Double) -> Double {
            state = state &* 6_364_136_223_846_793_005 &+ 1_442_695_040_888_963_407
            return lo + (hi - lo) * Double(state >> 11) * 0x1p-53
        }
        var graph = Graph(), feed = Feed()
        var h = try graph.input("x", shape: [batch, 784])
        feed.values["x"] = (0..<(batch * 784)).map { _ in uniform(0, 1) < 0.6 ? 0 : uniform(0, 1) }
        var parameters: [NodeID] = []
        for (k, (fanIn, fanOut)) in [(784, 256), (256, 256), (256, 10)].enumerated() {
            let bound = 1 / Double(fanIn).squareRoot()
            feed.values["w\(k)"] = (0..<(fanIn * fanOut)).map { _ in uniform(-bound, bound) }
            feed.values["b\(k)"] = (0..<fanOut).map { _ in uniform(-bound, bound) }
            let w = try graph.parameter("w\(k)", shape: [fanOut, fanIn]), b = try graph.parameter("b\(k)", shape: [fanOut])
            parameters += [w, b]
            h = try graph.apply("fc\(k)", .linear(hasBias: true), [h, w, b])
            if k < 2 { h = try graph.apply("relu\(k)", .relu, [h]) }
        }
        try graph.apply("loss", .crossEntropy(labels: "y"), [h])
        feed.labels["y"] = (0..<batch).map { $0 % 10 }
        return (graph, feed, parameters)
    }

    /// Median milliseconds of forward + backward at one precision.
    static func time<A: ScalarArithmetic>(_ a: A, batch: Int, runs: Int) throws -> Double {
        let (graph, feed, parameters) = try w1(batch: batch)
        var samples: [Double] = []
        let clock = ContinuousClock()
        for _ in 0..<(runs + 1) {
            let d = try clock.measure {
                let e = try Execution(graph: graph, arithmetic: a, feed: feed)
                _ = try e.backward(wrt: parameters)
            }
            samples.append(Double(d.components.seconds) * 1e3 + Double(d.components.attoseconds) * 1e-15)
        }
        samples.removeFirst()
        samples.sort()
        return samples[samples.count / 2]
    }
}
