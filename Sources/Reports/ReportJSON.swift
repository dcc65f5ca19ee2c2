import AD
import Analyzer
import Foundation
import ModelIO
import Precision

/// The machine-readable report, schema `bpcheck-report/1` (docs/report-schema.md): every
/// number of the Markdown report, so two runs can be diffed and CI can read one.
public enum ReportJSON {
    public static let schema = "bpcheck-report/1"

    static func num(_ x: Double?) -> JSONValue {
        guard let x, x.isFinite else { return x == nil ? .null : .string(x!.isNaN ? "nan" : (x! > 0 ? "inf" : "-inf")) }
        return .number("\(x)")
    }
    static func int(_ x: Int) -> JSONValue { .number(String(x)) }
    static func sites(_ f: (SiteClass) -> Int) -> JSONValue { .object(SiteClass.allCases.map { ($0.rawValue, int(f($0))) }) }
    static func events(_ e: RangeEvents) -> JSONValue {
        // `saturated` only where a saturating cast counted some (reports without it unchanged).
        .object([("overflow", int(e.overflow)), ("nan", int(e.nan)), ("subnormal", int(e.subnormal)), ("flushed", int(e.flushed))]
                + (e.saturated != 0 ? [("saturated", int(e.saturated))] : []))
    }
    static func errors(_ e: ErrorNorms) -> [(String, JSONValue)] {
        [("total", num(e.total)), ("kink", num(e.kink)), ("rounding", num(e.rounding)),
         ("absolute", .object([("total", num(e.absoluteTotal)), ("kink", num(e.absoluteKink)), ("rounding", num(e.absoluteRounding)),
                               ("reference_norm", num(e.referenceNorm))]))]
    }
    /// Every choice of the convention table, by key: numbers as numbers, the rest as strings.
    static func convention(_ c: DerivativeConvention) -> JSONValue {
        .object(ConventionChoice.all.map { choice in
            let v = c[choice]
            if case .number(let d) = v { return (choice.key, num(d)) }
            return (choice.key, .string(choice.render(v)))
        })
    }

    /// The report document.
    public static func document(_ context: ReportContext, _ summaries: [PrecisionSummary]) -> JSONValue {
        var precisions: [(String, JSONValue)] = []
        for s in summaries {
            let w = s.worst
            let perTensor: JSONValue = .object(w.perTensor.keys.sorted().map { name in
                let e = w.perTensor[name]!
                return (name, .object([("total", num(e.total)), ("kink", num(e.kink)), ("rounding", num(e.rounding))]))
            })
            let layers: JSONValue = .object(s.layers.sorted().map { layer in (layer, .object([("sites", sites { s.layerCount(layer, $0) })])) })
            let worstSites: JSONValue = .array(s.worstSites.prefix(50).map { b, site in
                .object([("batch", int(b)), ("layer", .string(site.layer)), ("sample", int(site.sample)), ("index", int(site.index)),
                         ("class", .string(site.siteClass.rawValue)), ("decision_p", .string(site.decisionAtP)), ("value_p", .string(site.valueAtP)),
                         ("decision_r", .string(site.decisionInR)), ("certified_value", .string(site.certifiedValue)),
                         ("error_share", num(site.errorShare))])
            })
            let perBatch: JSONValue = .array(s.batches.map { b in
                // "reference_chunks" only where R streamed (files from whole runs keep their bytes).
                .object([("flagged", .bool(b.flagged)), ("sites", sites { b.counts[$0] ?? 0 }),
                         ("bifurcation", .object([("changed", .bool(b.bifurcation.changed)), ("relative", num(b.bifurcation.relative))])),
                         ("reference_bifurcation", .object([("changed", .bool(b.referenceBifurcation.changed)), ("relative", num(b.referenceBifurcation.relative))])),
                         ("error", .object(errors(b.error))), ("reference_arithmetic", .string(b.referenceArithmetic)),
                         ("reference_bits", int(b.referenceBits)), ("reference_escalations", .array(b.referenceEscalations.map(int))),
                         ("reference_climbed_samples", int(b.referenceClimbedSamples)),
                         ("reference_gradient_bits", int(b.referenceGradientBits)),
                         ("reference_gradient_width", num(b.referenceGradientWidth)),
                         ("reference_gradient_bound", num(b.referenceGradientBound))] + (b.referenceChunks.map { [("reference_chunks", int($0))] } ?? []))
            })
            let events = s.rangeEvents
            precisions.append((s.precision.description, .object([
                ("flagged", .bool(s.flagged)),
                ("flagged_batches", int(s.flaggedBatches)),
                ("sites", sites { s.count($0) }),
                ("site_count", int(s.siteCount)),
                ("samples_affected", int(s.samplesAffected)),
                ("layers", layers),
                ("bifurcation", .object([("changed", .bool(s.bifurcationShare > 0)), ("relative", num(s.maxBifurcation)),
                                         ("share_of_batches", num(s.bifurcationShare))])),
                ("reference_bifurcation", .object([("changed", .bool(s.referenceBifurcationShare > 0)), ("relative", num(s.maxReferenceBifurcation)),
                                                   ("share_of_batches", num(s.referenceBifurcationShare))])),
            ] + (s.batches.count > 1 ? [
                ("dataset", .object([("first_bifurcating_batch", s.firstBifurcatingBatch.map(int) ?? .null),
                                     ("first_reference_bifurcating_batch", s.firstReferenceBifurcatingBatch.map(int) ?? .null),
                                     ("flagged_batches", .array(s.flaggedBatchIndices.map(int)))])),
            ] : []) + [
                ("error", .object(errors(w.error) + [("per_tensor", perTensor)])),
                ("range_events", .object(events.keys.sorted().map { ($0, Self.events(events[$0]!)) })),
                ("kink_distance_histogram", .object([("unit", .string("epsilon of \(s.precision)")),
                                                     ("labels", .array(KinkDistance.labels.map { .string($0) })),
                                                     ("counts", .array(s.kinkDistances.map(int)))])),
                ("reference_bits", .array(Array(Set(s.batches.map(\.referenceBits))).sorted().map(int))),
                ("worst_sites", worstSites),
                ("per_batch", perBatch),
            ])))
        }
        return .object([
            ("schema", .string(schema)),
            ("model", .string(context.modelName)),
        ] + (context.notes.isEmpty ? [] : [("notes", .array(context.notes.map { .string($0) }))]) + [
            ("batches", int(summaries.first?.batches.count ?? 0)),
            ("bpcheck_version", .string(context.bpcheckVersion)),
            ("mpfr_version", .string(MPFRLibrary.mpfrVersion)),
            ("gmp_version", .string(MPFRLibrary.gmpVersion)),
            ("command", .string(context.command)),
            ("files", .object(context.hashes.map { ($0.file, .object([("sha256", .string($0.sha256))])) })),
            ("arithmetic_model", .string(context.arithmeticModel.description)),
        ] + (context.policyNotes.isEmpty ? [] : [("policies", .array(context.policyNotes.map { .string($0) }))]) + [
            ("convention", convention(context.convention)),
            ("alternative_convention", convention(context.alternative)),
            ("reference", .object([("initial_bits", int(context.reference.initialBits)), ("cap_bits", int(context.reference.capBits))])),
            ("flag_rule", .string(context.flagRule.description)),
            ("precisions", .object(precisions)),
        ])
    }
}
