import Analyzer
import Foundation
import ModelIO
import Precision
import ModelIO

/// The report on disk: the Markdown report, its JSON and its two SVG figures beside it.
public enum ReportBundle {
    /// Where `write` put the files: the paths as a message names them.
    public struct Written: Sendable {
        /// The Markdown report's path, as given.
        public let report: String
        /// The JSON report's path, relative as given.
        public let json: String
        /// The figures' file names, in the report's directory.
        public let figures: (errors: String, kinks: String)
    }

    /// Writes `<stem>-errors.svg`, `<stem>-kinks.svg`, the Markdown report at `reportPath` and the
    /// JSON report at `jsonPath` (default: beside the report, `<stem>.json`), creating the
    /// report's directory.
    /// - Throws: the file system's error (`CocoaError`) when a file cannot be written.
    public static func write(_ context: ReportContext, _ summaries: [PrecisionSummary], reportPath: String, jsonPath: String? = nil) throws -> Written {
        let reportURL = URL(fileURLWithPath: reportPath)
        let stem = reportURL.deletingPathExtension().lastPathComponent
        let directory = reportURL.deletingLastPathComponent()
        try FileManager.default.createDirectory(at: directory, withIntermediateDirectories: true)
        let figures = (errors: "\(stem)-errors.svg", kinks: "\(stem)-kinks.svg", dataset: "\(stem)-dataset.svg")
        try Data(ReportFigures.errorDecomposition(summaries).utf8).write(to: directory.appendingPathComponent(figures.errors))
        try Data(ReportFigures.kinkDistances(summaries).utf8).write(to: directory.appendingPathComponent(figures.kinks))
        if (summaries.first?.batches.count ?? 0) > 1 {
            try Data(ReportFigures.datasetShares(summaries).utf8).write(to: directory.appendingPathComponent(figures.dataset))
        }
        try Data(ReportMarkdown.render(context, summaries, figures: figures).utf8).write(to: reportURL)
        let jsonURL = jsonPath.map { URL(fileURLWithPath: $0) } ?? directory.appendingPathComponent(stem + ".json")
        try Data((JSONWriter.write(ReportJSON.document(context, summaries)) + "\n").utf8).write(to: jsonURL)
        return Written(report: reportPath, json: jsonURL.relativePath, figures: (figures.errors, figures.kinks))
    }

    /// The (file, SHA-256) pairs a report prints: the model file, its weights file (a path
    /// relative to the model's directory) and the data file, as the user named them.
    public static func hashes(model: String, weightsFile: String?, dataFile: String?) throws -> [(file: String, sha256: String)] {
        let modelURL = URL(fileURLWithPath: model)
        var hashes: [(file: String, sha256: String)] = [(model, try SHA256.hex(contentsOf: modelURL))]
        if let w = weightsFile { hashes.append((w, try SHA256.hex(contentsOf: modelURL.deletingLastPathComponent().appendingPathComponent(w)))) }
        if let dataFile { hashes.append((dataFile, try SHA256.hex(contentsOf: URL(fileURLWithPath: dataFile)))) }
        return hashes
    }
}

/// Saved gradients (`bpcheck --save-gradients DIR`): `DIR/<precision>/<name>.safetensors` for
/// g_P, g_P_alt, g_P_aligned (in the precision's storage dtype) and g_R, g_R_alt (f64).
public enum GradientExport {
    /// Writes the gradients of `result` at each of `precisions`; `version` goes in each file's
    /// metadata (`bpcheck`), beside the precision.
    /// - Throws: the file system's error (`CocoaError`) when a file cannot be written.
    public static func save(_ result: AnalysisResult, _ precisions: [PrecisionName], to directory: URL, version: String) throws {
        for p in precisions {
            let r = result[p]
            let dtype: DType = switch p {
            case .f16: .f16
            case .bf16: .bf16
            case .f32: .f32
            default: .f64
            }
            let folder = directory.appendingPathComponent(p.description)
            try FileManager.default.createDirectory(at: folder, withIntermediateDirectories: true)
            let sets: [(String, DType, (GradientSet) -> [Double])] = [
                ("g_P", dtype, \.p), ("g_P_alt", dtype, \.pAlternative), ("g_P_aligned", dtype, \.aligned), ("g_R", .f64, \.r), ("g_R_alt", .f64, \.rAlternative),
            ]
            for (file, type, pick) in sets {
                var tensors: [String: HostTensor] = [:]
                for (name, g) in r.gradients { tensors[name] = try HostTensor(dtype: type, shape: g.shape, values: pick(g)) }
                try Data(Safetensors.write(tensors, metadata: ["bpcheck": version, "precision": p.description])).write(to: folder.appendingPathComponent(file + ".safetensors"))
            }
        }
    }
}
