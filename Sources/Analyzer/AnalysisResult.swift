import AD
import Foundation
import Precision

/// Relative (and absolute) L2 norms of one gradient error, against ‖g_R‖₂.
public struct ErrorNorms: Sendable, Equatable, Codable {
    /// `‖g_P − g_R‖ / ‖g_R‖`, nil when ‖g_R‖ = 0.
    public let total: Double?
    /// `‖g_P − g_P|R‖ / ‖g_R‖`: the error caused by decisions (kinks).
    public let kink: Double?
    /// `‖g_P|R − g_R‖ / ‖g_R‖`: the ordinary rounding error of the smooth pieces.
    public let rounding: Double?
    /// The same three as absolute norms, and ‖g_R‖ itself.
    public let absoluteTotal: Double
    public let absoluteKink: Double
    public let absoluteRounding: Double
    public let referenceNorm: Double

    init(total: [Double], kink: [Double], rounding: [Double], referenceNorm: Double) {
        self.init(absoluteTotal: GradientAlgebra.norm(total), absoluteKink: GradientAlgebra.norm(kink),
                  absoluteRounding: GradientAlgebra.norm(rounding), referenceNorm: referenceNorm)
    }

    /// From the three absolute norms and ‖g_R‖.
    init(absoluteTotal t: Double, absoluteKink k: Double, absoluteRounding r: Double, referenceNorm: Double) {
        absoluteTotal = t
        absoluteKink = k
        absoluteRounding = r
        self.referenceNorm = referenceNorm
        self.total = referenceNorm > 0 ? t / referenceNorm : nil
        self.kink = referenceNorm > 0 ? k / referenceNorm : nil
        self.rounding = referenceNorm > 0 ? r / referenceNorm : nil
    }

    /// The same bits in every field (NaN equal to NaN).
    public func bitwiseEqual(_ o: ErrorNorms) -> Bool {
        func b(_ x: Double?) -> UInt64? { x?.bitPattern }
        return b(total) == b(o.total) && b(kink) == b(o.kink) && b(rounding) == b(o.rounding)
            && absoluteTotal.bitPattern == o.absoluteTotal.bitPattern && absoluteKink.bitPattern == o.absoluteKink.bitPattern
            && absoluteRounding.bitPattern == o.absoluteRounding.bitPattern && referenceNorm.bitPattern == o.referenceNorm.bitPattern
    }
}

/// The bifurcation test (Bertoin et al.): does changing the convention change the gradient?
public struct BifurcationTest: Sendable, Equatable, Codable {
    /// Whether any component differs (−0 equals +0); for R, whether a difference is proven
    /// (some component's enclosures under C and C′ are disjoint).
    public let changed: Bool
    /// `‖g − g′‖ / ‖g_R‖`, nil when ‖g_R‖ = 0.
    public let relative: Double?
}

/// The five gradients of one parameter tensor, as `Double`s (P's exactly; R's midpoints).
public struct GradientSet: Sendable {
    /// `g_P`, `g_P′`, `g_P|R`.
    public let p, pAlternative, aligned: [Double]
    /// `g_R`, `g_R′` (midpoints of R's enclosures, rounded to `Double`).
    public let r, rAlternative: [Double]
    /// The tensor's shape.
    public let shape: [Int]
}

/// The buckets of the kink-distance histogram: the distance of a nonsmooth input from its
/// nearest kink (max-pool: the gap between the two largest values; maximum: |a − b|) divided by
/// P's epsilon.
public enum KinkDistance {
    public static let labels = ["0 (on the kink)", "(0, 1]", "(1, 10]", "(10, 100]", "(100, 10³]", "(10³, 10⁴]", "(10⁴, 10⁶]", "> 10⁶", "NaN"]
    /// The bucket of a distance in epsilons.
    public static func bucket(_ d: Double) -> Int {
        if d.isNaN { return 8 }
        if d == 0 { return 0 }
        for (i, bound) in [1.0, 10, 100, 1e3, 1e4, 1e6].enumerated() where d <= bound { return i + 1 }
        return 7
    }
}

/// How a precision is flagged.
public enum FlagRule: Sendable, Equatable, Codable, CustomStringConvertible {
    /// Flagged when the kink-caused error exceeds the precision's own rounding error.
    case kinkExceedsRounding
    /// Flagged when the kink-caused relative error exceeds this tolerance.
    case kinkTolerance(Double)

    public var description: String {
        switch self {
        case .kinkExceedsRounding: "kink-caused error > rounding error"
        case .kinkTolerance(let t): "kink-caused relative error > \(t)"
        }
    }
}

/// Everything the analysis found at one precision, for one batch.
///
/// `Codable`, so that batches analysed apart (shards, resumed runs) can be stored and merged:
/// everything is encoded except `gradients`, which stay in memory (`Analysis.keepsGradients`)
/// and are written, on request, by the gradient export. Non-finite numbers need a
/// `JSONEncoder` with a `nonConformingFloatEncodingStrategy`.
public struct PrecisionResult: Sendable, Codable, Equatable {
    public let precision: PrecisionName
    /// Every site that is not `ok`, in graph order, then sample, then index.
    public internal(set) var classifiedSites: [Site]
    /// Sites per class.
    public let counts: [SiteClass: Int]
    /// Sites per class, per nonsmooth node.
    public let perLayer: [String: [SiteClass: Int]]
    /// Samples with at least one classified site.
    public let samplesAffected: Int
    /// Sites per class, per sample (samples without classified sites omitted).
    public var perSample: [Int: [SiteClass: Int]] {
        var out: [Int: [SiteClass: Int]] = [:]
        for s in classifiedSites { out[s.sample, default: [:]][s.siteClass, default: 0] += 1 }
        return out
    }
    /// Nonsmooth sites in the batch.
    public let siteCount: Int
    /// `g_P` vs `g_P′`.
    public let bifurcation: BifurcationTest
    /// `g_R` vs `g_R′`: the batch is in the bifurcation zone over ℝ when changed.
    public let referenceBifurcation: BifurcationTest
    /// `‖g_R − g_R′‖` per parameter tensor: where the conventions disagree over ℝ.
    public let referenceBifurcationPerTensor: [String: Double]
    /// The decomposition `g_P − g_R = (g_P − g_P|R) + (g_P|R − g_R)`, whole gradient.
    public let error: ErrorNorms
    /// The same per parameter tensor.
    public let perTensor: [String: ErrorNorms]
    /// Whether the flag rule fired, and the rule.
    public let flagged: Bool
    public let flagRule: FlagRule
    /// Range events per node (forward and backward together).
    public let rangeEvents: [String: RangeEvents]
    /// How far every nonsmooth site's input is from its nearest kink, in units of P's epsilon
    /// (ulps of 1): bucket counts for `KinkDistance.labels`.
    public let kinkDistances: [Int]
    /// Every gradient, by parameter name (for `--save-gradients` and for users who look); empty
    /// when decoded, or when the analysis did not keep them (`Analysis.keepsGradients`).
    public internal(set) var gradients: [String: GradientSet]
    /// The reference's precision at this point, and how many sites it left undecided.
    public let referenceBits: Int
    public let referenceEscalations: [Int]
    /// The precision of R's backward passes (`ReferenceOptions.gradientBits`, or higher where
    /// that was too wide).
    public let referenceGradientBits: Int
    /// The widest relative enclosure of R's gradients (`CertifiedReference.gradientWidth`):
    /// at most `referenceGradientBound` unless the reference's cap was reached first; nil where not measured (no
    /// gradient, or NaN in it).
    public let referenceGradientWidth: Double?
    /// The bound that width was checked against: 2⁻²⁷ of the unit roundoff of the finest
    /// precision analysed at this point (2⁻⁸⁰ where f64 is; `CertifiedReference.requiredGradientWidth(unitRoundoff:)`).
    /// Files written before per-point bounds decode as 2⁻⁸⁰, the bound they were checked against.
    public let referenceGradientBound: Double
    /// The arithmetic R ran in here, forward and backward: "double-double" (balls) or "mpfr"
    /// (intervals; `referenceEscalations` starts with 106 when double-double balls were tried
    /// first). Results written before double-double balls decode as "mpfr".
    public let referenceArithmetic: String
    /// Samples the double-double rung left a site of undecided, decided alone on the MPFR
    /// ladder (at the precisions `referenceEscalations` lists) and stitched back; 0 when none.
    public let referenceClimbedSamples: Int
    /// How many chunks of samples R ran in, one after another (`StreamingPlan`: a batch whose
    /// reference would not fit in memory whole); nil when it ran whole. Omitted from files then.
    public var referenceChunks: Int? = nil

    /// The kink-caused relative error (0 when ‖g_R‖ = 0 and nothing differs).
    public var kinkCausedError: Double { error.kink ?? (error.absoluteKink == 0 ? 0 : .infinity) }
    /// The rounding relative error.
    public var roundingError: Double { error.rounding ?? (error.absoluteRounding == 0 ? 0 : .infinity) }

    /// The sites of one class.
    public func sites(_ c: SiteClass) -> [Site] { classifiedSites.filter { $0.siteClass == c } }

    /// A few readable lines: verdict, counts, errors, bifurcation.
    public var summary: String {
        func f(_ x: Double?) -> String { x.map { String(format: "%.3g", $0) } ?? "n/a" }
        let verdict = flagged ? "FLAGGED (\(flagRule))" : "trustworthy (\(flagRule) does not hold)"
        var lines = ["\(precision): \(verdict)"]
        lines.append("  sites: " + SiteClass.allCases.map { "\($0.rawValue) \(counts[$0] ?? 0)" }.joined(separator: ", ")
                     + " of \(siteCount); samples affected \(samplesAffected)")
        lines.append("  gradient error vs reference: total \(f(error.total)), kink-caused \(f(error.kink)), rounding \(f(error.rounding))")
        lines.append("  bifurcation (C vs C′): \(bifurcation.changed ? "changed" : "unchanged") (\(f(bifurcation.relative))); over ℝ: \(referenceBifurcation.changed ? "changed" : "unchanged")")
        let events = rangeEvents.filter { !$0.value.isEmpty }.sorted { $0.key < $1.key }
        if !events.isEmpty { lines.append("  range events: " + events.map { "\($0.key): \($0.value)" }.joined(separator: "; ")) }
        for site in classifiedSites.prefix(5) {
            lines.append("  \(site.siteClass.rawValue) at \(site.layer)[sample \(site.sample), index \(site.index)]: P \(site.decisionAtP) on \(site.valueAtP); R \(site.decisionInR) on \(site.certifiedValue)")
        }
        return lines.joined(separator: "\n")
    }
}

extension PrecisionResult {
    enum CodingKeys: String, CodingKey {
        case precision, classifiedSites, counts, perLayer, samplesAffected, siteCount, bifurcation, referenceBifurcation
        case referenceBifurcationPerTensor, error, perTensor, flagged, flagRule, rangeEvents, kinkDistances
        case referenceBits, referenceEscalations, referenceGradientBits, referenceGradientWidth, referenceGradientBound, referenceArithmetic
        case referenceClimbedSamples, referenceChunks
    }

    public init(from decoder: any Decoder) throws {
        let c = try decoder.container(keyedBy: CodingKeys.self)
        precision = try c.decode(PrecisionName.self, forKey: .precision)
        classifiedSites = try c.decode([Site].self, forKey: .classifiedSites)
        counts = try c.decode([SiteClass: Int].self, forKey: .counts)
        perLayer = try c.decode([String: [SiteClass: Int]].self, forKey: .perLayer)
        samplesAffected = try c.decode(Int.self, forKey: .samplesAffected)
        siteCount = try c.decode(Int.self, forKey: .siteCount)
        bifurcation = try c.decode(BifurcationTest.self, forKey: .bifurcation)
        referenceBifurcation = try c.decode(BifurcationTest.self, forKey: .referenceBifurcation)
        referenceBifurcationPerTensor = try c.decode([String: Double].self, forKey: .referenceBifurcationPerTensor)
        error = try c.decode(ErrorNorms.self, forKey: .error)
        perTensor = try c.decode([String: ErrorNorms].self, forKey: .perTensor)
        flagged = try c.decode(Bool.self, forKey: .flagged)
        flagRule = try c.decode(FlagRule.self, forKey: .flagRule)
        rangeEvents = try c.decode([String: RangeEvents].self, forKey: .rangeEvents)
        kinkDistances = try c.decode([Int].self, forKey: .kinkDistances)
        gradients = [:]
        referenceBits = try c.decode(Int.self, forKey: .referenceBits)
        referenceEscalations = try c.decode([Int].self, forKey: .referenceEscalations)
        referenceGradientBits = try c.decode(Int.self, forKey: .referenceGradientBits)
        referenceGradientWidth = try c.decodeIfPresent(Double.self, forKey: .referenceGradientWidth)
        referenceGradientBound = try c.decodeIfPresent(Double.self, forKey: .referenceGradientBound) ?? ReferenceRun.requiredGradientWidth
        referenceArithmetic = try c.decodeIfPresent(String.self, forKey: .referenceArithmetic) ?? ReferenceFirstRung.mpfr.rawValue
        referenceClimbedSamples = try c.decodeIfPresent(Int.self, forKey: .referenceClimbedSamples) ?? 0
        referenceChunks = try c.decodeIfPresent(Int.self, forKey: .referenceChunks)
    }

    /// Equal in everything encoded (gradients are not compared).
    public static func == (l: PrecisionResult, r: PrecisionResult) -> Bool {
        l.precision == r.precision && l.classifiedSites == r.classifiedSites && l.counts == r.counts && l.perLayer == r.perLayer
            && l.samplesAffected == r.samplesAffected && l.siteCount == r.siteCount && l.bifurcation == r.bifurcation
            && l.referenceBifurcation == r.referenceBifurcation && same(l.referenceBifurcationPerTensor, r.referenceBifurcationPerTensor)
            && l.error.bitwiseEqual(r.error) && l.perTensor.keys == r.perTensor.keys
            && l.perTensor.allSatisfy { k, v in r.perTensor[k].map(v.bitwiseEqual) ?? false }
            && l.flagged == r.flagged && l.flagRule == r.flagRule && l.rangeEvents == r.rangeEvents && l.kinkDistances == r.kinkDistances
            && l.referenceBits == r.referenceBits && l.referenceEscalations == r.referenceEscalations
            && l.referenceGradientBits == r.referenceGradientBits
            && l.referenceGradientWidth?.bitPattern == r.referenceGradientWidth?.bitPattern
            && l.referenceGradientBound.bitPattern == r.referenceGradientBound.bitPattern
            && l.referenceArithmetic == r.referenceArithmetic && l.referenceClimbedSamples == r.referenceClimbedSamples
            && l.referenceChunks == r.referenceChunks
    }

    /// This result with only the first `n` classified sites of each class (in site order) — what
    /// a report lists (its worst sites) — and every count kept: the form batch result files
    /// store (`BatchResultFile`), so that a data set's files do not grow with its sites.
    public func keepingSites(perClass n: Int) -> PrecisionResult {
        var seen: [SiteClass: Int] = [:]
        var copy = self
        copy.classifiedSites = classifiedSites.filter { site in
            seen[site.siteClass, default: 0] += 1
            return seen[site.siteClass]! <= n
        }
        return copy
    }

    static func same(_ a: [String: Double], _ b: [String: Double]) -> Bool {
        a.count == b.count && a.allSatisfy { k, v in b[k].map { $0.bitPattern == v.bitPattern } ?? false }
    }
}

/// The analysis of one batch at every requested precision (`Codable`, without gradients: see
/// `PrecisionResult`).
public struct AnalysisResult: Sendable, Codable, Equatable {
    public let model: String
    public let precisions: [PrecisionName]
    public internal(set) var results: [PrecisionName: PrecisionResult]
    public let convention: DerivativeConvention
    public let alternative: DerivativeConvention
    public let arithmeticModel: ArithmeticModel
    public let batchSize: Int

    /// Every precision's result with at most `n` classified sites of each class
    /// (`PrecisionResult.keepingSites(perClass:)`).
    public func keepingSites(perClass n: Int) -> AnalysisResult {
        var copy = self
        copy.results = results.mapValues { $0.keepingSites(perClass: n) }
        return copy
    }

    /// The result at `precision` (which must have been analysed).
    public subscript(_ precision: PrecisionName) -> PrecisionResult {
        guard let r = results[precision] else { preconditionFailure("\(precision) was not analysed (analysed: \(precisions))") }
        return r
    }

    /// Every precision's summary.
    public var summary: String {
        "\(model), batch of \(batchSize), convention \(convention)\n" + precisions.map { self[$0].summary }.joined(separator: "\n")
    }
}
