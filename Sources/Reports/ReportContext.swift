import AD
import Analyzer
import Foundation
import Precision

/// Everything a report needs besides the numbers: how the analysis was run, and on what.
public struct ReportContext: Sendable {
    public var modelName: String
    /// The exact command line, for the Reproduce section.
    public var command: String
    public var bpcheckVersion: String
    /// (file name, SHA-256) of the model file, weights and data.
    public var hashes: [(file: String, sha256: String)]
    public var reference: ReferenceOptions
    public var convention: DerivativeConvention
    public var alternative: DerivativeConvention
    public var arithmeticModel: ArithmeticModel
    public var flagRule: FlagRule
    /// What the reader must know first (a merge of only some batches), shown at the top.
    public var notes: [String] = []
    /// What each policy precision (amp, fp8 recipe, stochastic rounding, policy file) does, its
    /// options (seed, saturation) named: one line each under the arithmetic model.
    public var policyNotes: [String] = []

    public init(modelName: String, command: String, bpcheckVersion: String, hashes: [(file: String, sha256: String)],
                reference: ReferenceOptions, convention: DerivativeConvention, alternative: DerivativeConvention,
                arithmeticModel: ArithmeticModel, flagRule: FlagRule) {
        self.modelName = modelName
        self.command = command
        self.bpcheckVersion = bpcheckVersion
        self.hashes = hashes
        self.reference = reference
        self.convention = convention
        self.alternative = alternative
        self.arithmeticModel = arithmeticModel
        self.flagRule = flagRule
    }
}

/// One precision's numbers over every batch: sums of sites, shares of batches, the worst batch.
public struct PrecisionSummary: Sendable {
    public let precision: PrecisionName
    public let batches: [PrecisionResult]

    public init(_ precision: PrecisionName, _ batches: [PrecisionResult]) {
        self.precision = precision
        self.batches = batches
    }

    /// The batch with the largest total error (the one the report details).
    public var worst: PrecisionResult {
        batches.max { ($0.error.absoluteTotal, $0.error.absoluteKink) < ($1.error.absoluteTotal, $1.error.absoluteKink) }!
    }
    public var flagged: Bool { batches.contains { $0.flagged } }
    public var flaggedBatches: Int { batches.filter(\.flagged).count }
    public func count(_ c: SiteClass) -> Int { batches.reduce(0) { $0 + ($1.counts[c] ?? 0) } }
    public var siteCount: Int { batches.reduce(0) { $0 + $1.siteCount } }
    public var samplesAffected: Int { batches.reduce(0) { $0 + $1.samplesAffected } }
    public func layerCount(_ layer: String, _ c: SiteClass) -> Int { batches.reduce(0) { $0 + ($1.perLayer[layer]?[c] ?? 0) } }
    public var layers: [String] { batches.first.map { Array($0.perLayer.keys) } ?? [] }
    public var bifurcationShare: Double { Double(batches.filter { $0.bifurcation.changed }.count) / Double(batches.count) }
    public var referenceBifurcationShare: Double { Double(batches.filter { $0.referenceBifurcation.changed }.count) / Double(batches.count) }
    public var maxBifurcation: Double? { batches.compactMap(\.bifurcation.relative).max() }
    /// The first batch (index) whose gradient at P changes with the convention, and over ℝ.
    public var firstBifurcatingBatch: Int? { batches.firstIndex { $0.bifurcation.changed } }
    public var firstReferenceBifurcatingBatch: Int? { batches.firstIndex { $0.referenceBifurcation.changed } }
    /// The indices of the flagged batches.
    public var flaggedBatchIndices: [Int] { batches.indices.filter { batches[$0].flagged } }
    /// The median and the largest over batches of the kink-caused and of the rounding relative
    /// errors (nil where no batch has one).
    public var kinkErrorSpread: (median: Double, max: Double)? { Self.spread(batches.compactMap(\.error.kink)) }
    public var roundingErrorSpread: (median: Double, max: Double)? { Self.spread(batches.compactMap(\.error.rounding)) }
    static func spread(_ v: [Double]) -> (median: Double, max: Double)? {
        let s = v.sorted()
        guard let last = s.last else { return nil }
        return (s.count % 2 == 1 ? s[s.count / 2] : (s[s.count / 2 - 1] + s[s.count / 2]) / 2, last)
    }
    public var maxReferenceBifurcation: Double? { batches.compactMap(\.referenceBifurcation.relative).max() }
    public var rangeEvents: [String: RangeEvents] {
        var out: [String: RangeEvents] = [:]
        for b in batches { for (k, v) in b.rangeEvents { out[k] = (out[k] ?? RangeEvents()) + v } }
        return out
    }
    public var kinkDistances: [Int] {
        batches.reduce(into: [Int](repeating: 0, count: KinkDistance.labels.count)) { acc, b in
            for (i, n) in b.kinkDistances.enumerated() { acc[i] += n }
        }
    }
    /// Classified sites of every batch with their batch index, most severe classes first.
    public var worstSites: [(batch: Int, site: Site)] {
        let order: [SiteClass] = [.spurious, .flipped, .masked, .undecided, .genuine]
        var all: [(Int, Site)] = []
        for (b, r) in batches.enumerated() { all += r.classifiedSites.map { (b, $0) } }
        return all.enumerated().sorted { l, r in
            let a = order.firstIndex(of: l.element.1.siteClass)!, b = order.firstIndex(of: r.element.1.siteClass)!
            return a != b ? a < b : l.offset < r.offset
        }.map(\.element)
    }
}
