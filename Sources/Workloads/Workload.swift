import AD
import Analyzer

/// The workloads of the benchmark, seeded and generated here (nonzero biases): W1 `mlp`
/// 784-256-256-10 and W2 `lenet5`, ReLU, cross-entropy; and the papers' networks at the papers'
/// scale, W3 `vgg11` and W4 `resnet18` for 32×32×3 inputs (Bertoin et al. 2021; Boustany et al.
/// 2024); shared by the benchmark (`BPCheckBench`), its JAX peer and the tests that run on them.
///
/// Every parameter and input is an f32 value, as a model file stores it (safetensors `F32`):
/// the point analysed at f32 and at f64 is then the same, as in any analysis of an f32 model.
public enum Workload: String, CaseIterable, Sendable {
    case w1 = "W1 mlp", w2 = "W2 lenet5", w3 = "W3 vgg11", w4 = "W4 resnet18"

    /// The small workloads, benchmarked at batch 128 at every precision.
    public static let small: [Workload] = [.w1, .w2]
    /// The papers' networks, benchmarked at f32 and f64 at a small batch (a pass at batch 128
    /// takes tens of seconds today).
    public static let papers: [Workload] = [.w3, .w4]

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
        case .w3:
            // VGG11 for CIFAR-10: conv 3×3 pad 1 + ReLU with 64, M, 128, M, 256, 256, M, 512, 512,
            // M, 512, 512, M (M: max-pool 2×2), then linear 512 → 10.
            input = try g.input("x", shape: [batch, 3, 32, 32])
            feed.values["x"] = (0..<(batch * 3 * 32 * 32)).map { _ in uniform(0, 1) }
            h = input
            var (c, side, k) = (3, 32, 0)
            for layer in [64, 0, 128, 0, 256, 256, 0, 512, 512, 0, 512, 512, 0] {
                if layer == 0 {
                    h = try g.apply("pool\(k)", .maxPool2d(PoolAttributes(kernel: [2, 2])), [h])
                    side /= 2
                    continue
                }
                let w = try parameter("conv\(k).w", [layer, c, 3, 3], fanIn: c * 9), b = try parameter("conv\(k).b", [layer], fanIn: c * 9)
                h = try g.apply("relu\(k)", .relu, [try g.apply("conv\(k)", .conv2d(Conv2DAttributes(padding: [1, 1])), [h, w, b])])
                madds += batch * layer * c * 9 * side * side * (k == 0 ? 2 : 3)
                (c, k) = (layer, k + 1)
            }
            h = try g.apply("flatten", .flatten, [h])
            h = try g.apply("fc", .linear(hasBias: true), [h, try parameter("fc.w", [10, 512], fanIn: 512), try parameter("fc.b", [10], fanIn: 512)])
            madds += batch * 512 * 10 * 3
        case .w4:
            // ResNet18 for CIFAR-10: 3×3 stem, 4 stages of 2 basic blocks (conv-BN-ReLU-conv-BN
            // plus the shortcut, 1×1 conv-BN where the shape changes, then ReLU), batch norm in
            // eval mode, global average pooling, linear 512 → 10.
            input = try g.input("x", shape: [batch, 3, 32, 32])
            feed.values["x"] = (0..<(batch * 3 * 32 * 32)).map { _ in uniform(0, 1) }
            func conv(_ name: String, _ x: NodeID, _ cin: Int, _ cout: Int, _ k: Int, _ stride: Int, _ side: Int) throws -> NodeID {
                let w = try parameter("\(name).w", [cout, cin, k, k], fanIn: cin * k * k)
                let out = side / stride
                madds += batch * cout * cin * k * k * out * out * (name == "stem" ? 2 : 3)
                return try g.apply(name, .conv2d(Conv2DAttributes(stride: [stride, stride], padding: [k / 2, k / 2])), [x, w])
            }
            func bn(_ name: String, _ x: NodeID, _ c: Int) throws -> NodeID {
                let weight = try g.parameter("\(name).weight", shape: [c]), bias = try g.parameter("\(name).bias", shape: [c])
                let mean = try g.parameter("\(name).running_mean", shape: [c]), variance = try g.parameter("\(name).running_var", shape: [c])
                feed.values["\(name).weight"] = (0..<c).map { _ in uniform(0.5, 1.5) }
                feed.values["\(name).bias"] = (0..<c).map { _ in uniform(-0.1, 0.1) }
                feed.values["\(name).running_mean"] = (0..<c).map { _ in uniform(-0.1, 0.1) }
                feed.values["\(name).running_var"] = (0..<c).map { _ in uniform(0.5, 1.5) }
                parameters["\(name).weight"] = weight
                parameters["\(name).bias"] = bias
                return try g.apply(name, .batchNorm(eps: 1e-5, training: false), [x, weight, bias, mean, variance])
            }
            h = try g.apply("stem.relu", .relu, [try bn("stem.bn", try conv("stem", input, 3, 64, 3, 1, 32), 64)])
            var (c, side) = (64, 32)
            for (stage, width) in [64, 128, 256, 512].enumerated() {
                for block in 0..<2 {
                    let stride = stage > 0 && block == 0 ? 2 : 1, name = "layer\(stage + 1).\(block)"
                    var y = try g.apply("\(name).relu1", .relu, [try bn("\(name).bn1", try conv("\(name).conv1", h, c, width, 3, stride, side), width)])
                    side /= stride
                    y = try bn("\(name).bn2", try conv("\(name).conv2", y, width, width, 3, 1, side), width)
                    let shortcut = stride == 1 && c == width ? h : try bn("\(name).down.bn", try conv("\(name).down", h, c, width, 1, stride, side * stride), width)
                    h = try g.apply("\(name).relu2", .relu, [try g.apply("\(name).add", .add, [y, shortcut])])
                    c = width
                }
            }
            h = try g.apply("pool", .avgPool2d(PoolAttributes(kernel: [side, side])), [h])
            h = try g.apply("flatten", .flatten, [h])
            h = try g.apply("fc", .linear(hasBias: true), [h, try parameter("fc.w", [10, 512], fanIn: 512), try parameter("fc.b", [10], fanIn: 512)])
            madds += batch * 512 * 10 * 3
        }
        let loss = try g.apply("loss", .crossEntropy(labels: "y"), [h])
        feed.labels["y"] = (0..<batch).map { $0 % 10 }
        let built = ModelGraph(graph: g, input: input, parameters: parameters, output: h, loss: loss)
        return (built, feed, parameters.keys.sorted().map { parameters[$0]! }, madds)
    }
}
