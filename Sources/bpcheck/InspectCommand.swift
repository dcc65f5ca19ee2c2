import ArgumentParser
import BPCheck
import Foundation

/// `bpcheck inspect model.json`: layers, shapes, parameter counts, nonsmooth ops, the data.
struct InspectCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "inspect",
        abstract: "Show a model's nodes with output shapes, parameter counts and dtypes, its nonsmooth ops with their sites per sample, and its default batch."
    )

    @Argument(help: "The model file (model.json).")
    var model: String

    func run() throws {
        let loaded = try Model(contentsOf: URL(fileURLWithPath: model))
        let summary = try ModelSummary(loaded)
        print(summary.text, terminator: "")
        for t in loaded.nonFiniteTensors {
            FileHandle.standardError.write(Data("warning: \(t.name) holds \(t.nan) NaN and \(t.infinite) infinite values\n".utf8))
        }
    }
}
