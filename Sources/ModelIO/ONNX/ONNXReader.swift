import AD
import Foundation
import SwiftProtobuf

/// Reads an ONNX `ModelProto` (docs/onnx.md) into the `Model` a model.json gives: the nodes
/// mapped onto bpcheck's primitives, the initializers (and `Constant` nodes) that they use as
/// tensors under their ONNX names, the one graph input that is not an initializer as `input`
/// (its per-sample shape static; the batch axis may be symbolic), and the loss, which ONNX does
/// not have (cross-entropy unless the caller says otherwise). Everything else is a `ModelError`
/// naming the file, the node (name and op type) and the attribute.
public struct ONNXReader {
    /// The model file's path as the user gave it (for messages).
    public let file: String
    /// Where external data files are looked for.
    public let directory: URL
    /// The loss to apply to the graph's output.
    public let loss: Model.Loss

    /// A model and what the import decided that the user should know (a removed Softmax, …).
    public struct Result: Sendable {
        public let model: Model
        public let notes: [String]
    }

    public init(file: String, directory: URL, loss: Model.Loss = .crossEntropy) {
        self.file = file
        self.directory = directory
        self.loss = loss
    }

    /// Reads the ONNX file at `url`; external data resolves against its directory.
    public static func read(contentsOf url: URL, loss: Model.Loss = .crossEntropy) throws -> Result {
        let file = url.relativePath
        guard let data = FileManager.default.contents(atPath: url.path) else {
            throw ModelError(file: file, message: "cannot read the file (does it exist?)")
        }
        return try ONNXReader(file: file, directory: url.deletingLastPathComponent(), loss: loss).read([UInt8](data))
    }

    /// The ONNX op types the reader maps (docs/onnx.md).
    public static let supportedOps: [String] = [
        "Abs", "Add", "AveragePool", "BatchNormalization", "Clip", "Concat", "Constant", "Conv", "Div", "Dropout", "Elu",
        "Flatten", "Gather", "Gelu", "Gemm", "GlobalAveragePool", "Identity", "LeakyRelu", "LogSoftmax", "MatMul", "Max",
        "MaxPool", "Min", "Mul", "PRelu", "Pad", "ReduceMean", "Relu", "Reshape", "Shape", "Sigmoid", "Softmax", "Softplus",
        "Softsign", "Sub", "Tanh", "Unsqueeze",
        // Only on constants (folded at import), or inside a pattern read as one op.
        "Cast", "ConstantOfShape", "Erf", "Neg", "Reciprocal", "Slice", "Sqrt", "Squeeze", "Transpose",
    ]

    func fail(_ message: String, node: String? = nil, key: String? = nil) -> ModelError {
        ModelError(file: file, node: node, key: key, message: message)
    }

    /// Parses the protobuf in `bytes` and converts it.
    public func read(_ bytes: [UInt8]) throws -> Result {
        let proto: Onnx_ModelProto
        do {
            proto = try Onnx_ModelProto(serializedBytes: bytes)
        } catch {
            throw fail("not a valid ONNX file (protobuf decoding failed: \(error))")
        }
        guard proto.hasGraph else { throw fail("the ONNX model has no graph (is this an ONNX file?)", key: "graph") }
        var converter = ONNXConverter(reader: self, graph: proto.graph, opset: Self.opset(proto))
        try converter.convert()
        let name = URL(fileURLWithPath: file).deletingPathExtension().lastPathComponent
        let model = try Model(file: file, name: name, inputShape: converter.inputShape, nodes: converter.nodes, loss: loss,
                              tensors: converter.tensors)
        return Result(model: model, notes: converter.notes)
    }

    /// The default-domain opset the model imports (defaults of some ops depend on it).
    static func opset(_ proto: Onnx_ModelProto) -> Int {
        let v = proto.opsetImport.first { $0.domain.isEmpty || $0.domain == "ai.onnx" }?.version
        return v.map { Int($0) } ?? 1
    }
}
