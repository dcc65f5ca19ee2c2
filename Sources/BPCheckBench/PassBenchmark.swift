import AD
import Analyzer
import Foundation

/// The workloads of performance.md, seeded and generated here (nonzero biases):
/// W1 `mlp` 784-256-256-10 and W2 `lenet5`, ReLU, cross-entropy.
enum Workload: String, CaseIterable {
    case w1 = "W1 mlp", w2 = "W2 lenet5"

    /// The graph, its feed, its parameter ids, and the multiply-adds of one forward + backward
    /// (forward products, weight-gradient products, and input-gradient products except the
    /// first layer's, which backward does not form).
    func build(batch: Int) throws -> (graph: ModelGraph, feed: Feed, parameters: [NodeID], multiplyAdds: Int) {
        var state: UInt64 = 0x5EED_0001
        func uniform(_ lo: Double, _ hi: Double) -> Double {
            state = state &* 6_364_136_223_846_793_005 &+ 1_442_695_040_888_963_407
            return lo + (hi - lo) * Double(state >> 11) * 0x1p-53
        }
        var g = Graph(), feed = Feed()
        var parameters: [String: NodeID] = [:]
        func parameter(_ name: String, _ shape: [Int], fanIn: Int) throws -> NodeID {
            let bound = 1 / Double(fanIn).squareRoot()
            feed.values[name] = (0..<shape.reduce(1, *)).map { _ in uniform(-bound, bound) }
            let id = try g.parameter(name, shape: shape)
            parameters[name] = id
            return id
        }
        var madds = 0
        let input: NodeID
        var h: NodeID
        switch self {
        case .w1:
            input = try g.input("x", shape: [batch, 784])
            feed.values["x"] = (0..<(batch * 784)).map { _ in uniform(0, 1) < 0.6 ? 0 : uniform(0, 1) }
            h = input
            for (k, (i, o)) in [(784, 256), (256, 256), (256, 10)].enumerated() {
                h = try g.apply("fc\(k)", .linear(hasBias: true), [h, try parameter("w\(k)", [o, i], fanIn: i), try parameter("b\(k)", [o], fanIn: i)])
                if k < 2 { h = try g.apply("relu\(k)", .relu, [h]) }
                madds += batch * i * o * (k == 0 ? 2 : 3)
            }
        case .w2:
            input = try g.input("x", shape: [batch, 1, 28, 28])
            feed.values["x"] = (0..<(batch * 784)).map { _ in uniform(0, 1) < 0.6 ? 0 : uniform(0, 1) }
            h = try g.apply("conv1", .conv2d(Conv2DAttributes(padding: [2, 2])), [input, try parameter("c1.w", [6, 1, 5, 5], fanIn: 25), try parameter("c1.b", [6], fanIn: 25)])
            h = try g.apply("pool1", .maxPool2d(PoolAttributes(kernel: [2, 2])), [try g.apply("relu1", .relu, [h])])
            h = try g.apply("conv2", .conv2d(Conv2DAttributes()), [h, try parameter("c2.w", [16, 6, 5, 5], fanIn: 150), try parameter("c2.b", [16], fanIn: 150)])
            h = try g.apply("pool2", .maxPool2d(PoolAttributes(kernel: [2, 2])), [try g.apply("relu2", .relu, [h])])
            h = try g.apply("flatten", .flatten, [h])
            madds += batch * (6 * 25 * 28 * 28 * 2 + 16 * 150 * 10 * 10 * 3)
            for (k, (i, o)) in [(400, 120), (120, 84), (84, 10)].enumerated() {
                h = try g.apply("fc\(k)", .linear(hasBias: true), [h, try parameter("f\(k).w", [o, i], fanIn: i), try parameter("f\(k).b", [o], fanIn: i)])
                if k < 2 { h = try g.apply("relu\(k + 3)", .relu, [h]) }
                madds += batch * i * o * 3
            }
        }
        let loss = try g.apply("loss", .crossEntropy(labels: "y"), [h])
        feed.labels["y"] = (0..<batch).map { $0 % 10 }
        let built = ModelGraph(graph: g, input: input, parameters: parameters, output: h, loss: loss)
        return (built, feed, parameters.keys.sorted().map { parameters[$0]! }, madds)
    }
}

enum PassBenchmark {
    /// Median seconds of `body` over `runs` runs after one warm-up.
    static func median(runs: Int, _ body: () throws -> Void) rethrows -> Double {
        try body()
        var samples: [Double] = []
        let clock = ContinuousClock()
        for _ in 0..<runs {
            let d = try clock.measure(body)
            samples.append(Double(d.components.seconds) + Double(d.components.attoseconds) * 1e-18)
        }
        return samples.sorted()[samples.count / 2]
    }

    /// Median seconds of one forward + backward (gradient of the mean loss w.r.t. every parameter).
    static func pass<A: ScalarArithmetic>(_ workload: Workload, _ a: A, batch: Int, runs: Int) throws -> (seconds: Double, multiplyAdds: Int) {
        let (built, feed, parameters, madds) = try workload.build(batch: batch)
        let seconds = try median(runs: runs) {
            let e = try Execution(graph: built.graph, arithmetic: a, feed: feed)
            _ = try e.backward(wrt: parameters)
        }
        return (seconds, madds)
    }

    /// Wall seconds of the whole default analysis (four precisions, reference, alternative
    /// convention, aligned replays) on `threads` threads.
    static func analysis(_ workload: Workload, batch: Int, threads: Int) throws -> Double {
        let (built, feed, _, _) = try workload.build(batch: batch)
        var a = Analysis(graph: built, feed: feed, name: workload.rawValue)
        a.threads = threads
        let clock = ContinuousClock()
        let d = try clock.measure { _ = try a.run() }
        return Double(d.components.seconds) + Double(d.components.attoseconds) * 1e-18
    }

    static func peakResidentMB() -> Double {
        var usage = rusage()
        getrusage(RUSAGE_SELF.rawValue, &usage)
        return Double(usage.ru_maxrss) / 1024
    }
}
