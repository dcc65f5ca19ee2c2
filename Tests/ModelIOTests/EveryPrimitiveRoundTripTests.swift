import AD
import Foundation
import Testing
import TestSupport
import ModelIO

/// model.json round trip of a model that uses every node primitive (each with non-default
/// attributes): written, read back, the same nodes, and the same forward pass bit for bit. A
/// primitive that no node of this model uses fails the test, so a new one must be added here.
@Suite struct EveryPrimitiveRoundTripTests {
    static func nodes() -> [ModelNode] {
        func n(_ name: String, _ op: Op, _ inputs: [String], _ parameters: [(role: String, tensor: String)] = []) -> ModelNode {
            ModelNode(name: name, op: op, inputs: inputs, parameters: parameters)
        }
        return [
            n("conv", .conv2d(Conv2DAttributes(stride: [1, 1], padding: [1, 0], dilation: [1, 1], groups: 2)), ["input"], [("weight", "conv.w"), ("bias", "conv.b")]),
            n("bn", .batchNorm(eps: 1e-3, training: true), ["conv"], [("weight", "bn.w"), ("bias", "bn.b"), ("running_mean", "bn.m"), ("running_var", "bn.v")]),
            n("relu", .relu, ["bn"]), n("leaky", .leakyReLU(slope: 0.125), ["relu"]), n("relu6", .relu6, ["leaky"]),
            n("hardtanh", .hardtanh(min: -0.25, max: 2.5), ["relu6"]), n("abs", .abs, ["hardtanh"]), n("elu", .elu(alpha: 0.5), ["abs"]),
            n("tanh", .tanh, ["elu"]), n("sigmoid", .sigmoid, ["tanh"]), n("softplus", .softplus, ["sigmoid"]),
            n("softsign", .softsign, ["softplus"]), n("gelu", .gelu(approximate: true), ["softsign"]), n("gelu2", .gelu(approximate: false), ["gelu"]),
            n("max", .maximum, ["gelu2", "bn"]), n("min", .minimum, ["max", "conv"]), n("add", .add, ["min", "relu"]),
            n("id", .identity, ["add"]),
            n("sub", .sub, ["id"], [("constant", "k.c")]), n("mul", .mul, ["sub", "id"]), n("div", .div, ["mul"], [("constant", "k.s")]),
            n("clip", .clip(min: -1, max: 2), ["div"]), n("prelu", .prelu, ["clip"], [("weight", "pr.w")]), n("pad", .pad([1, 0, 0, 0]), ["prelu"]),
            n("maxpool", .maxPool2d(PoolAttributes(kernel: [2, 2], stride: [1, 2], padding: [1, 0], ceilMode: true)), ["pad"]),
            n("avgpool", .avgPool2d(PoolAttributes(kernel: [2, 1], stride: [1, 1])), ["maxpool"]),
            n("cat", .concat, ["avgpool", "avgpool"]),
            n("flat", .flatten, ["cat"]),
            n("fc", .linear(hasBias: true), ["flat"], [("weight", "fc.w"), ("bias", "fc.b")]),
            n("fc2", .linear(hasBias: false), ["fc"], [("weight", "fc2.w")]),
        ]
    }

    @Test func everyPrimitiveSurvivesModelJSON() throws {
        var g = SeededGenerator(seed: 21)
        func tensor(_ shape: [Int], _ lo: Double = -1, _ hi: Double = 1) -> HostTensor {
            try! HostTensor(dtype: .f32, shape: shape, values: (0..<shape.reduce(1, *)).map { _ in g.uniform(lo, hi) })
        }
        var tensors = ["conv.w": tensor([4, 1, 3, 2]), "conv.b": tensor([4]), "bn.w": tensor([4]), "bn.b": tensor([4]),
                       "bn.m": tensor([4]), "bn.v": tensor([4], 0.5, 2), "fc2.w": tensor([3, 5]), "fc.b": tensor([5]),
                       "k.c": tensor([4]), "k.s": tensor([1], 0.5, 2), "pr.w": tensor([4], 0.05, 0.5)]
        // conv [N, 4, 4, 3] → pad [N, 4, 5, 3] → maxpool (ceil) [N, 4, 6, 2] → avgpool [N, 4, 5, 2]
        // → concat [N, 8, 5, 2]: 80 features.
        tensors["fc.w"] = tensor([5, 80])
        let model = try Model(file: "all.json", name: "every-primitive", inputShape: [2, 4, 4], nodes: Self.nodes(), loss: .crossEntropy,
                              tensors: tensors, inputs: tensor([3, 2, 4, 4]), targets: HostTensor(dtype: .i64, shape: [3], ints: [0, 2, 1]))
        let nodePrimitives = Op.primitiveTypes.filter { !($0 is any LossPrimitive.Type) }.map { $0.name }
        for name in nodePrimitives { #expect(model.nodes.contains { $0.op.name == name }, "no node uses \(name)") }

        let directory = FileManager.default.temporaryDirectory.appendingPathComponent("bpcheck-every-\(getpid())")
        try FileManager.default.createDirectory(at: directory, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(at: directory) }
        for weights in [nil, "w.safetensors"] as [String?] {
            try model.write(to: directory, weights: weights)
            let back = try Model(contentsOf: directory.appendingPathComponent("model.json"))
            #expect(back.nodes == model.nodes && back.tensors == model.tensors)
            let a = FixedArithmetic<Float>()
            let built = try model.graph(batch: 3), builtBack = try back.graph(batch: 3)
            let run = try Execution(graph: built.graph, arithmetic: a, feed: model.feed(inputs: model.inputs!, targets: model.targets!))
            let runBack = try Execution(graph: builtBack.graph, arithmetic: a, feed: back.feed(inputs: back.inputs!, targets: back.targets!))
            #expect(run.value(built.loss).doubles(a) == runBack.value(builtBack.loss).doubles(a))
            #expect(run.decisions == runBack.decisions)
        }
    }

    /// A PyTorch state_dict saved with safetensors as it is: the BatchNorm step counters are
    /// ignored with a note; another unused tensor is still an error.
    @Test func stateDictStepCountersAreIgnoredWithANote() throws {
        let nodes = [ModelNode(name: "fc", op: .linear(hasBias: false), inputs: ["input"], parameters: [("weight", "fc.weight")])]
        let weight = try HostTensor(dtype: .f32, shape: [2, 3], values: [1, 2, 3, 4, 5, 6])
        let model = try Model(file: "m.json", name: "m", inputShape: [3], nodes: nodes, loss: .crossEntropy, tensors: ["fc.weight": weight])
        let directory = FileManager.default.temporaryDirectory.appendingPathComponent("bpcheck-counters-\(getpid())")
        try FileManager.default.createDirectory(at: directory, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(at: directory) }
        try model.write(to: directory, weights: "w.safetensors")
        let counter = try HostTensor(dtype: .i64, shape: [], ints: [7])
        try Data(Safetensors.write(["fc.weight": weight, "bn1.num_batches_tracked": counter])).write(to: directory.appendingPathComponent("w.safetensors"))
        let back = try Model(contentsOf: directory.appendingPathComponent("model.json"))
        #expect(back.tensors.keys.sorted() == ["fc.weight"] && back.notes.count == 1 && back.notes[0].contains("bn1.num_batches_tracked"))
        try Data(Safetensors.write(["fc.weight": weight, "bn1.running_mean": weight])).write(to: directory.appendingPathComponent("w.safetensors"))
        #expect(throws: ModelError.self) { try Model(contentsOf: directory.appendingPathComponent("model.json")) }
    }

    /// A model built in code is checked as a file is: a missing tensor throws, naming node and key.
    @Test func constructingAModelWithAMissingTensorThrows() throws {
        let nodes = [ModelNode(name: "fc", op: .linear(hasBias: false), inputs: ["input"], parameters: [("weight", "fc.w")])]
        #expect(throws: ModelError.self) { try Model(file: "m.json", name: "m", inputShape: [4], nodes: nodes, loss: .crossEntropy, tensors: [:]) }
        do {
            _ = try Model(file: "m.json", name: "m", inputShape: [4], nodes: nodes, loss: .crossEntropy, tensors: [:])
        } catch let e as ModelError {
            #expect(e.node == "fc" && e.key == "weight", "\(e)")
        }
        let later = [ModelNode(name: "a", op: .relu, inputs: ["b"], parameters: []), ModelNode(name: "b", op: .relu, inputs: ["input"], parameters: [])]
        #expect(throws: ModelError.self) { try Model(file: "m.json", name: "m", inputShape: [4], nodes: later, loss: .mse, tensors: [:]) }
        #expect(throws: ModelError.self) { try Model(file: "m.json", name: "m", inputShape: [4], nodes: [], loss: .mse, tensors: [:]) }
        let loss = [ModelNode(name: "l", op: .mse, inputs: ["input", "input"], parameters: [])]
        #expect(throws: ModelError.self) { try Model(file: "m.json", name: "m", inputShape: [4], nodes: loss, loss: .mse, tensors: [:]) }
    }
}

/// Tensors built in code are checked, never trapped on.
@Suite struct HostTensorCheckTests {
    @Test func wrongCountsAndValuesThrow() throws {
        #expect(throws: HostTensorError.self) { try HostTensor(dtype: .f32, shape: [2, 2], bytes: [0, 0, 0]) }
        #expect(throws: HostTensorError.self) { try HostTensor(dtype: .f32, shape: [-1], bytes: []) }
        #expect(throws: HostTensorError.self) { try HostTensor(dtype: .f64, shape: [3], values: [1, 2]) }
        #expect(throws: HostTensorError.self) { try HostTensor(dtype: .i64, shape: [1], values: [.nan]) }
        #expect(throws: HostTensorError.self) { try HostTensor(dtype: .i32, shape: [1], ints: [1 << 40]) }
        #expect(throws: HostTensorError.self) { try HostTensor(dtype: .f32, shape: [1], ints: [1]) }
        let t = try HostTensor(dtype: .f32, shape: [4, 2], values: [1, 2, 3, 4, 5, 6, 7, 8])
        #expect(try t.samples(1..<3).doubles() == [3, 4, 5, 6])
        #expect(throws: HostTensorError.self) { try t.samples(3..<5) }
        #expect(throws: HostTensorError.self) { try HostTensor(dtype: .f32, shape: [], values: [1]).samples(0..<1) }
    }
}

/// Sizes from a file or a caller that do not fit an `Int` are errors, not overflows.
@Suite struct HugeSizeTests {
    @Test func aShapeBeyondIntIsAnError() {
        #expect(throws: HostTensorError.self) { try HostTensor(dtype: .f64, shape: [1 << 61], bytes: []) }
        #expect(throws: HostTensorError.self) { try HostTensor(dtype: .f64, shape: [1 << 40, 1 << 40], bytes: []) }
    }
}
