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

    /// Runs the batches `indices` only (a shard, or what a resumed run has left), in that order,
    /// handing each result to `each` as it is done. Each batch's numbers are those of `run()`.
    public func run(batches indices: [Int], each: (Int, AnalysisResult) throws -> Void) throws {
        let count = try batches.batchCount
        for b in indices {
            guard (0..<count).contains(b) else { throw AnalysisOptionError(message: "batch \(b) is not one of the \(count) batches") }
            var analysis = template
            analysis.source = try template.source.batch(b, of: batches)
            try each(b, try analysis.run())
        }
    }
}

/// Per-batch results and the shares of batches in each bifurcation zone.
public struct DatasetResult: Sendable, Codable, Equatable {
    /// The results of consecutive batches, from batch `firstBatch` of the data.
    public let batches: [AnalysisResult]
    /// The index of `batches[0]` in the whole run (0 unless this is a shard).
    public let firstBatch: Int

    public init(batches: [AnalysisResult], firstBatch: Int = 0) {
        self.batches = batches
        self.firstBatch = firstBatch
    }

    /// Shards of one run joined in batch order: the same result, bit for bit, as one run over
    /// all their batches.
    /// - Throws: `AnalysisOptionError` when the shards do not fit together: a gap or an overlap
    ///   in batch indices, or another model, precisions, conventions or arithmetic model.
    public static func merging(_ shards: [DatasetResult]) throws -> DatasetResult {
        let sorted = shards.sorted { $0.firstBatch < $1.firstBatch }
        guard let first = sorted.first else { return DatasetResult(batches: []) }
        var next = first.firstBatch
        var all: [AnalysisResult] = []
        for (k, shard) in sorted.enumerated() {
            guard shard.firstBatch == next else {
                throw AnalysisOptionError(message: "shard \(k) starts at batch \(shard.firstBatch), expected \(next) (a gap or an overlap)")
            }
            if let a = shard.batches.first, let b = first.batches.first {
                guard a.model == b.model, a.precisions == b.precisions, a.convention == b.convention, a.alternative == b.alternative,
                      a.arithmeticModel == b.arithmeticModel, a.batchSize == b.batchSize else {
                    throw AnalysisOptionError(message: "shard \(k) (batches from \(shard.firstBatch)) was analysed with another model, batch size, precisions, conventions or arithmetic model")
                }
            }
            all += shard.batches
            next += shard.batches.count
        }
        return DatasetResult(batches: all, firstBatch: first.firstBatch)
    }

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
