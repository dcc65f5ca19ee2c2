import ArgumentParser
import BPCheck
import Foundation

/// `bpcheck inspect model.json`: layers, shapes, parameter counts, nonsmooth ops, the data.
struct InspectCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "inspect",
        abstract: "Show a model's nodes with output shapes, parameter counts and dtypes, its nonsmooth ops with their sites per sample, and its default batch."
    )

    @Argument(help: "The model file (model.json, or an ONNX file: docs/onnx.md).")
    var model: String
    @Option(help: "The loss of an ONNX model (ONNX has none): cross_entropy (default) or mse.")
    var loss: String?

    func run() throws {
        let loaded = try ModelLoading.load(model, loss: loss)
        let summary = try ModelSummary(loaded)
        print(summary.text, terminator: "")
        for t in loaded.nonFiniteTensors {
            FileHandle.standardError.write(Data("warning: \(t.name) holds \(t.nan) NaN and \(t.infinite) infinite values\n".utf8))
        }
    }
}
