import Foundation
import Testing
import ModelIO

/// The malformed-ONNX corpus (Fixtures/onnx/corpus/make_onnx_corpus.py): every file gives a
/// `ModelError` with exactly its expected message (file, node with its op type, key); the
/// `accepted-*` files load (raw_data; typed float_data with IR 3's initializers-as-inputs and
/// Constant-held weights) to the same tensors.
@Suite struct ONNXCorpusTests {
    static let directory = TestFiles.fixtures.appendingPathComponent("onnx").appendingPathComponent("corpus")

    static func expectations() throws -> [String: String] {
        try JSONDecoder().decode([String: String].self, from: Data(contentsOf: directory.appendingPathComponent("expected.json")))
    }

    @Test func everyCaseGivesItsMessage() throws {
        let cases = try Self.expectations()
        #expect(cases.values.filter { $0 != "accepted" }.count >= 15)
        let prefix = Self.directory.path + "/"
        for (name, message) in cases.sorted(by: { $0.key < $1.key }) where message != "accepted" {
            do {
                _ = try Model(contentsOf: Self.directory.appendingPathComponent(name + ".onnx"))
                Issue.record("\(name) loaded but should fail with: \(message)")
            } catch let error as ModelError {
                #expect(error.description.replacingOccurrences(of: prefix, with: "") == message, "\(name)")
            }
        }
    }

    @Test func typedFieldsConstantsAndIR3ReadAsRawData() throws {
        let raw = try Model(contentsOf: Self.directory.appendingPathComponent("accepted-raw-data.onnx"))
        let typed = try Model(contentsOf: Self.directory.appendingPathComponent("accepted-typed-fields-ir3-constants.onnx"))
        #expect(raw.tensors == typed.tensors && raw.tensors.count == 4)
        #expect(raw.inputShape == [1, 6, 6] && typed.inputShape == [1, 6, 6])
        #expect(raw.nodes.map(\.op) == typed.nodes.map(\.op))
    }

    /// The legacy exporter's `x.view(x.size(0), -1)` with a dynamic batch (Shape → Gather →
    /// Unsqueeze → Concat → Reshape) folds into the flatten the plain file has.
    @Test func dynamicBatchFlattenPatternReadsAsAFlatten() throws {
        let raw = try Model(contentsOf: Self.directory.appendingPathComponent("accepted-raw-data.onnx"))
        let pattern = try Model(contentsOf: Self.directory.appendingPathComponent("accepted-dynamic-flatten.onnx"))
        #expect(raw.tensors == pattern.tensors)
        #expect(raw.nodes.map(\.op) == pattern.nodes.map(\.op) && pattern.nodes.map(\.op).contains(.flatten))
        _ = try pattern.graph(batch: 5)  // any batch size
    }

    /// The bundled pretrained example (digit-recognizer-py's MNIST CNN, exported by the legacy
    /// exporter with a dynamic batch) reads as the network its class defines: 390,410
    /// parameters (closed form: 1·32·9 + 32 + 32·64·9 + 64 + 64·128·9 + 128 + 1152·256 + 256 +
    /// 256·10 + 10), seven nonsmooth ops, and its batch fits.
    @Test func pretrainedExampleIsTheNetworkOfItsClass() throws {
        let folder = Self.directory.deletingLastPathComponent().deletingLastPathComponent().deletingLastPathComponent()
            .deletingLastPathComponent().deletingLastPathComponent().appendingPathComponent("examples/mnist-cnn-pretrained")
        let model = try Model(contentsOf: folder.appendingPathComponent("mnist-cnn-pretrained.onnx"))
        #expect(model.tensors.values.reduce(0) { $0 + $1.count } == 390_410)
        #expect(model.nodes.filter { $0.op.isNonsmooth }.count == 7 && model.inputShape == [1, 28, 28])
        let data = try NumpyFile.readNPZ(url: folder.appendingPathComponent("data.npz"), file: "data.npz")
        let built = try model.graph(batch: 32)
        try model.checkBatch(inputs: data["x"]!, targets: data["y"]!, outputShape: Array(built.graph.nodes[built.output].shape.dropFirst()))
    }

    /// Every file of the corpus is listed, so a new case cannot go unchecked.
    @Test func everyFileHasAnExpectation() throws {
        let files = try FileManager.default.contentsOfDirectory(atPath: Self.directory.path).filter { $0.hasSuffix(".onnx") }
        #expect(Set(files.map { String($0.dropLast(5)) }) == Set(try Self.expectations().keys))
    }
}
