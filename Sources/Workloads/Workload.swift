import AD
import Analyzer

/// The workloads of performance.md, seeded and generated here (nonzero biases):
/// W1 `mlp` 784-256-256-10 and W2 `lenet5`, ReLU, cross-entropy; shared by the benchmark
/// (`BPCheckBench`) and the tests that must run on them.
///
/// Every parameter and input is an f32 value, as a model file stores it (safetensors `F32`):
/// the point analysed at f32 and at f64 is then the same, as in any analysis of an f32 model.
public enum Workload: String, CaseIterable, Sendable {
    case w1 = "W1 mlp", w2 = "W2 lenet5"

    /// The graph, its feed, its parameter ids, and the multiply-adds of one forward + backward
    /// (forward products, weight-gradient products, and input-gradient products except the
    /// first layer's, which backward does not form).
    public func build(batch: Int) throws -> (graph: ModelGraph, feed: Feed, parameters: [NodeID], multiplyAdds: Int) {
        var state: UInt64 = 0x5EED_0001
        func uniform(_ lo: Double, _ hi: Double) -> Double {
            state = state &* 6_364_136_223_846_793_005 &+ 1_442_695_040_888_963_407
            // Rounded to f32 (the JAX peer draws the same numbers and casts them the same way).
            return Double(Float(lo + (hi - lo) * Double(state >> 11) * 0x1p-53))
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
