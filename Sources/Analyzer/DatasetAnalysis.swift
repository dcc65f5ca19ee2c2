import AD
import Precision

/// Dataset mode: a sequence of minibatches, each analysed as a batch; the headline figure of
/// Bertoin et al. is the share of batches in each precision's bifurcation zone (`g_P ≠ g_P′`),
/// beside the share in R's (`g_R ≠ g_R′`, the zone over ℝ).
public struct DatasetAnalysis: Sendable {
    /// The analysis applied to each batch (its batch is replaced).
    public var template: Analysis
    /// The batches: each runs on the graph `batches` makes (a `NetworkBatchSource`), else on
    /// the template's.
    public var batches: any BatchSource

    public init(_ template: Analysis, batches: some BatchSource) {
        self.template = template
        self.batches = batches
    }

    /// Runs every batch; `progress(done, total)` after each. A source of no batches gives a
    /// result of no batches.
    public func run(progress: ((Int, Int) -> Void)? = nil) throws -> DatasetResult {
        let count = try batches.batchCount
        var results: [AnalysisResult] = []
        for b in 0..<count {
            var analysis = template
            analysis.source = try template.source.batch(b, of: batches)
            results.append(try analysis.run())
            progress?(b + 1, count)
        }
        return DatasetResult(batches: results)
    }
}

/// Per-batch results and the shares of batches in each bifurcation zone.
public struct DatasetResult: Sendable {
    public let batches: [AnalysisResult]

    /// The share of batches whose gradient at `precision` changes with the convention.
    public func bifurcationShare(_ precision: PrecisionName) -> Double {
        Double(batches.filter { $0[precision].bifurcation.changed }.count) / Double(max(batches.count, 1))
    }

    /// The share of batches in the bifurcation zone over ℝ, at `precision`'s rounded point.
    public func referenceBifurcationShare(_ precision: PrecisionName) -> Double {
        Double(batches.filter { $0[precision].referenceBifurcation.changed }.count) / Double(max(batches.count, 1))
    }

    /// One line per precision.
    public var summary: String {
        guard let first = batches.first else { return "no batches" }
        return first.precisions.map { p in
            "\(p): \(Int((bifurcationShare(p) * 100).rounded()))% of \(batches.count) batches in the bifurcation zone (R: \(Int((referenceBifurcationShare(p) * 100).rounded()))%)"
        }.joined(separator: "\n")
    }
}
