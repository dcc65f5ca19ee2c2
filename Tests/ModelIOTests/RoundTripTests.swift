import AD
import Foundation
import Testing
import TestSupport
import ModelIO

/// Written and read back, tensors and models are identical bit for bit — NaN payloads and
/// signed zeros included.
@Suite struct RoundTripTests {
    /// A tensor of random bit patterns (so NaNs with payloads, −0, subnormals, ∞ all occur).
    static func randomTensor(_ dtype: DType, _ g: inout SeededGenerator) -> HostTensor {
        let shape = (0..<Int(g.next() % 4)).map { _ in Int(g.next() % 5) + 1 }
        let count = shape.reduce(1, *)
        var bytes = (0..<(count * dtype.byteSize)).map { _ in UInt8(truncatingIfNeeded: g.next()) }
        // Plant a negative zero and a NaN with a payload in float tensors.
        if dtype.isFloatingPoint && count >= 2 {
            let size = dtype.byteSize
            for k in 0..<size { bytes[k] = k == size - 1 ? 0x80 : 0 }  // −0
            for k in 0..<size { bytes[size + k] = 0xFF }                // NaN, payload all ones, sign set
        }
        return try! HostTensor(dtype: dtype, shape: shape, bytes: bytes)
    }

    @Test func safetensorsRoundTripsEveryDType() throws {
        var g = SeededGenerator(seed: 11)
        for _ in 0..<50 {
            var tensors: [String: HostTensor] = [:]
            for (i, dtype) in DType.allCases.enumerated() where g.next() % 4 != 0 { tensors["t\(i).\(dtype.rawValue)"] = Self.randomTensor(dtype, &g) }
            let bytes = Safetensors.write(tensors, metadata: ["format": "pt"])
            let (back, metadata) = try Safetensors.read(bytes, file: "x.safetensors")
            #expect(back == tensors && metadata == ["format": "pt"])
        }
    }

    @Test func npyAndNpzRoundTrip() throws {
        var g = SeededGenerator(seed: 12)
        for _ in 0..<30 {
            var members: [String: HostTensor] = [:]
            for dtype in DType.allCases where dtype != .bf16 { members[dtype.rawValue] = Self.randomTensor(dtype, &g) }
            for t in members.values { #expect(try NumpyFile.readNPY(NumpyFile.writeNPY(t), file: "x.npy") == t) }
            for compressed in [false, true] {
                #expect(try NumpyFile.readNPZ(try NumpyFile.writeNPZ(members, compressed: compressed), file: "x.npz") == members)
            }
        }
    }

    /// Random models (random nodes and attributes, inline tensors of every float dtype): the
    /// document written and read back gives the same model; through a weights file as well.
    @Test func modelsRoundTrip() throws {
        var g = SeededGenerator(seed: 13)
        let directory = FileManager.default.temporaryDirectory.appendingPathComponent("bpcheck-roundtrip-\(getpid())")
        try FileManager.default.createDirectory(at: directory, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(at: directory) }
        for trial in 0..<20 {
            let floatTypes: [DType] = [.f16, .bf16, .f32, .f64]
            func tensor(_ shape: [Int]) -> HostTensor {
                let dtype = floatTypes[Int(g.next() % 4)]
                var t = Self.randomTensor(dtype, &g)
                t = try! HostTensor(dtype: dtype, shape: shape, bytes: (0..<(shape.reduce(1, *) * dtype.byteSize)).map { _ in UInt8(truncatingIfNeeded: g.next()) })
                return t
            }
            let c = Int(g.next() % 3) + 1, o = Int(g.next() % 3) + 1
            let convAttributes = Conv2DAttributes(stride: [Int(g.next() % 2) + 1, 1], padding: [Int(g.next() % 2), 1], dilation: [1, Int(g.next() % 2) + 1], groups: 1)
            let slope = Double(g.next() % 100) / 128
            let nodes = [
                ModelNode(name: "conv", op: .conv2d(convAttributes), inputs: ["input"], parameters: [("weight", "conv.w"), ("bias", "conv.b")]),
                ModelNode(name: "bn", op: .batchNorm(eps: 1e-3, training: trial % 2 == 0), inputs: ["conv"],
                          parameters: [("weight", "bn.w"), ("bias", "bn.b"), ("running_mean", "bn.m"), ("running_var", "bn.v")]),
                ModelNode(name: "act", op: [Op.leakyReLU(slope: slope), .gelu(approximate: true), .hardtanh(min: -0.5, max: 2), .relu6][trial % 4], inputs: ["bn"], parameters: []),
                ModelNode(name: "pool", op: .maxPool2d(PoolAttributes(kernel: [2, 1], stride: [1, 1])), inputs: ["act"], parameters: []),
                ModelNode(name: "flat", op: .flatten, inputs: ["pool"], parameters: []),
            ]
            var model = try Model(file: "m.json", name: "random-\(trial)", inputShape: [c, 6, 6], nodes: nodes, loss: .crossEntropy,
                              tensors: ["conv.w": tensor([o, c, 2, 2]), "conv.b": tensor([o]), "bn.w": tensor([o]), "bn.b": tensor([o]),
                                        "bn.m": tensor([o]), "bn.v": tensor([o])])
            let flatCount = try model.graph(batch: 1).graph.nodes.last { $0.name == "flat" }!.shape[1]
            model.nodes.append(ModelNode(name: "fc", op: .linear(hasBias: false), inputs: ["flat"], parameters: [("weight", "fc.w")]))
            model.tensors["fc.w"] = tensor([3, flatCount])
            model.inputs = Self.randomTensor(.f32, &g).reshapedForTest([2, c, 6, 6], &g)
            model.targets = try HostTensor(dtype: .i64, shape: [2], ints: [0, 2])
            for weights in [nil, "w.safetensors"] as [String?] {
                try model.write(to: directory, weights: weights)
                let back = try Model(contentsOf: directory.appendingPathComponent("model.json"))
                #expect(back.nodes == model.nodes && back.tensors == model.tensors && back.name == model.name)
                #expect(back.inputs == model.inputs && back.targets == model.targets && back.inputShape == model.inputShape)
            }
        }
    }
}

extension HostTensor {
    /// A random f32 tensor of `shape` (test helper).
    func reshapedForTest(_ shape: [Int], _ g: inout SeededGenerator) -> HostTensor {
        try! HostTensor(dtype: .f32, shape: shape, values: (0..<shape.reduce(1, *)).map { _ in g.uniform(-1, 1) })
    }
}
