import AD
import Foundation
import Precision
import Testing
import ModelIO

/// ONNX files exported by PyTorch (Fixtures/onnx/make_onnx_fixtures.py, legacy and dynamo
/// exporters) read through `Model(contentsOf:)`, then bpcheck's engine at f64 against torch's
/// float64 autograd on the same batch: the loss and every parameter's gradient (relative L2
/// error per tensor ≤ 1e-12), and the f32 forward against torch's f32 loss (≤ 1e-5). torch's
/// f64 weights are the file's f32 weights cast up: both sides compute at the same point.
@Suite struct ONNXParityTests {
    struct Expected: Decodable {
        let loss_f64: Double
        let loss_f32: Double
        let parameters: [String]
        let exports: [String]
        /// Per export, torch parameter name → the initializer holding its values, where the
        /// exporter renamed it (PReLU slopes).
        let renamed: [String: [String: String]]?
    }

    static let directory = TestFiles.fixtures.appendingPathComponent("onnx")
    static let networks = ["mlp", "lenet5", "vgg", "bn", "act", "depthwise", "gelu", "branch", "jax-mlp", "jax-cnn"]

    static func relativeL2(_ x: [Double], _ y: [Double]) -> Double {
        var diff = 0.0, norm = 0.0
        for (a, b) in zip(x, y) {
            diff += (a - b) * (a - b)
            norm += b * b
        }
        return norm == 0 ? diff.squareRoot() : (diff / norm).squareRoot()
    }

    /// The worst relative errors of one export: loss f64, gradients f64, loss f32.
    static func check(_ network: String, _ export: String) throws -> (loss: Double, gradient: Double, loss32: Double) {
        let expected = try JSONDecoder().decode(Expected.self, from: Data(contentsOf: directory.appendingPathComponent("\(network).json")))
        let arrays = try NumpyFile.readNPZ(url: directory.appendingPathComponent("\(network).npz"), file: "\(network).npz")
        let x = try #require(arrays["x"]), y = try #require(arrays["y"])
        let model = try Model(contentsOf: directory.appendingPathComponent(export))
        #expect(model.inputShape == Array(x.shape.dropFirst()), "\(export)")
        let built = try model.graph(batch: x.shape[0])
        let feed = model.feed(inputs: x, targets: y)

        let a = FixedArithmetic<Double>()
        let run = try Execution(graph: built.graph, arithmetic: a, feed: feed)
        let loss = try #require(run.value(built.loss).doubles(a).first)
        let renamed = expected.renamed?[export] ?? [:]
        let key = { (name: String) in renamed[name] ?? name }
        let leaves = expected.parameters.compactMap { built.parameters[key($0)] }
        #expect(leaves.count == expected.parameters.count, "\(export): parameters \(expected.parameters.filter { built.parameters[key($0)] == nil }) not in the model (has \(built.parameters.keys.sorted()))")
        let gradients = try run.backward(convention: .pytorch, wrt: leaves)
        var worst = 0.0
        for name in expected.parameters {
            guard let id = built.parameters[key(name)], let g = gradients[id] else { continue }
            let want = try #require(arrays["g:\(name)"], "\(network).npz has no g:\(name)")
            #expect(g.shape == want.shape, "\(export) \(name)")
            let e = relativeL2(g.doubles(a), want.doubles())
            #expect(e <= 1e-12, "\(export) \(name): relative error \(e)")
            worst = max(worst, e)
        }
        let lossError = Swift.abs(loss - expected.loss_f64) / Swift.abs(expected.loss_f64)
        #expect(lossError <= 1e-12, "\(export): loss \(loss) vs torch \(expected.loss_f64)")

        let f = FixedArithmetic<Float>()
        let run32 = try Execution(graph: built.graph, arithmetic: f, feed: feed)
        let loss32 = try #require(run32.value(built.loss).doubles(f).first)
        let loss32Error = Swift.abs(loss32 - expected.loss_f32) / Swift.abs(expected.loss_f32)
        #expect(loss32Error <= 1e-5, "\(export): f32 loss \(loss32) vs torch \(expected.loss_f32)")
        return (lossError, worst, loss32Error)
    }

    @Test(arguments: networks) func lossAndGradientsMatchTorch(_ network: String) throws {
        let expected = try JSONDecoder().decode(Expected.self, from: Data(contentsOf: Self.directory.appendingPathComponent("\(network).json")))
        #expect(!expected.exports.isEmpty)
        for export in expected.exports {
            let e = try Self.check(network, export)
            print("ONNX parity \(export): loss \(e.loss), worst gradient \(e.gradient), f32 loss \(e.loss32)")
        }
    }

    /// The reader's notes: the trailing Softmax removed before cross-entropy; a baked batch.
    @Test func importNotes() throws {
        let act = try ONNXReader.read(contentsOf: Self.directory.appendingPathComponent("act-legacy.onnx"))
        #expect(act.notes.contains { $0.contains("removed the trailing Softmax") }, "\(act.notes)")
        #expect(act.model.nodes.allSatisfy { $0.op.name != "softmax" })
        #expect(throws: ModelError.self) {
            _ = try ONNXReader.read(contentsOf: Self.directory.appendingPathComponent("act-legacy.onnx"), loss: .mse)
        }
    }
}
