import ArgumentParser
import BPCheck
import Foundation

/// A model file from the command line: model.json, or ONNX (`.onnx`) with the loss of `--loss`
/// (cross-entropy by default); the ONNX import's notes (a removed Softmax, …) go to stderr.
enum ModelLoading {
    static func load(_ path: String, loss: String?) throws -> Model {
        let url = URL(fileURLWithPath: path)
        guard url.pathExtension.lowercased() == "onnx" else {
            if loss != nil { throw ValidationError("--loss applies to ONNX files; a model.json names its own loss") }
            let model = try Model(contentsOf: url)
            for note in model.notes { FileHandle.standardError.write(Data("note: \(note)\n".utf8)) }
            return model
        }
        let chosen: Model.Loss
        switch loss ?? "cross_entropy" {
        case "cross_entropy": chosen = .crossEntropy
        case "mse": chosen = .mse
        case let other: throw ValidationError("--loss must be cross_entropy or mse, found '\(other)'")
        }
        let result = try ONNXReader.read(contentsOf: url, loss: chosen)
        for note in result.notes { FileHandle.standardError.write(Data("note: \(note)\n".utf8)) }
        return result.model
    }
}
