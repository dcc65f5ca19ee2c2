import AD
import Analyzer
import Foundation
import Precision

/// The Markdown report (interfaces.md §2), for a reader who has not read the papers.
public enum ReportMarkdown {
    static func f(_ x: Double?) -> String {
        guard let x else { return "n/a" }
        return x == 0 ? "0" : String(format: "%.3g", x)
    }
    static func percent(_ x: Double) -> String { "\(Int((x * 100).rounded()))%" }

    /// The one-sentence verdict of a precision.
    public static func verdict(_ s: PrecisionSummary) -> String {
        let w = s.worst
        if s.flagged {
            let why = w.flagRule == .kinkExceedsRounding
                ? "kinks cause more gradient error (\(f(w.error.kink))) than rounding does (\(f(w.error.rounding)))"
                : "the kink-caused error \(f(w.error.kink)) exceeds the tolerance (\(w.flagRule))"
            return "**\(s.precision): flagged** — \(why); \(s.count(.spurious)) spurious, \(s.count(.flipped)) flipped, \(s.count(.masked)) masked sites."
        }
        let genuine = s.count(.genuine)
        let extra = genuine > 0 ? " The network sits on \(genuine) genuine kink\(genuine == 1 ? "" : "s") (real over ℝ, not rounding artefacts)." : ""
        return "**\(s.precision): trustworthy** — kink-caused error \(f(w.error.kink)) does not exceed rounding error \(f(w.error.rounding)).\(extra)"
    }

    /// The report. `figures` are the SVG file names written beside it.
    public static func render(_ context: ReportContext, _ summaries: [PrecisionSummary], figures: (errors: String, kinks: String, dataset: String)) -> String {
        let batches = summaries.first?.batches.count ?? 0
        var out = "# bpcheck report: \(context.modelName)\n\n"
        for note in context.notes { out += "> **\(note)**\n\n" }
        out += summaries.map { "- " + verdict($0) }.joined(separator: "\n") + "\n\n"
        out += "\(batches) batch\(batches == 1 ? "" : "es") analysed; convention C: \(context.convention); alternative C′: \(context.alternative). "
        out += "Errors are relative L2 norms against the certified reference's gradient ‖g_R‖₂\(batches > 1 ? " (worst batch)" : "").\n\n"

        out += "## Summary\n\n"
        out += "| precision | verdict | genuine | spurious | masked | flipped | undecided | samples affected | C vs C′ changes g_P | C vs C′ over ℝ | total error | kink-caused | rounding | range events |\n"
        out += "|---|---|---|---|---|---|---|---|---|---|---|---|---|---|\n"
        for s in summaries {
            let w = s.worst
            let events = s.rangeEvents.values.reduce(RangeEvents(), +)
            let eventText = events.isEmpty ? "none" : "overflow \(events.overflow), NaN \(events.nan), subnormal \(events.subnormal), flushed \(events.flushed)"
                + (events.saturated != 0 ? ", saturated \(events.saturated)" : "")
            let bif = batches > 1 ? "\(percent(s.bifurcationShare)) of batches" : (s.bifurcationShare > 0 ? "yes (\(f(s.maxBifurcation)))" : "no")
            let rbif = batches > 1 ? "\(percent(s.referenceBifurcationShare)) of batches" : (s.referenceBifurcationShare > 0 ? "yes (\(f(s.maxReferenceBifurcation)))" : "no")
            out += "| \(s.precision) | \(s.flagged ? "flagged" : "ok") | \(s.count(.genuine)) | \(s.count(.spurious)) | \(s.count(.masked)) | \(s.count(.flipped)) | \(s.count(.undecided)) | \(s.samplesAffected) | \(bif) | \(rbif) | \(f(w.error.total)) | \(f(w.error.kink)) | \(f(w.error.rounding)) | \(eventText) |\n"
        }
        out += "\nOut of \(summaries.first?.siteCount ?? 0) nonsmooth sites per precision. "
        out += "*Genuine*: the exact computation sits on the kink too (the bifurcation zone over ℝ). *Spurious*: only rounding put P on a kink (the compensation zone). *Masked*: rounding moved a real kink away. *Flipped*: rounding chose the other smooth piece. *Undecided*: the reference could not prove its decision within \(context.reference.capBits) bits. *C vs C′ over ℝ*: yes only when some component of g_R and g_R′ has disjoint enclosures (a proven difference).\n\n"
        out += StochasticSpread.markdown(summaries)

        for s in summaries where s.flagged {
            out += "## Per layer at \(s.precision)\n\n| layer | genuine | spurious | masked | flipped | undecided |\n|---|---|---|---|---|---|\n"
            for layer in s.layers.sorted() {
                out += "| \(layer) | " + SiteClass.allCases.map { "\(s.layerCount(layer, $0))" }.joined(separator: " | ") + " |\n"
            }
            out += "\nPer parameter tensor (worst batch):\n\n| tensor | total | kink-caused | rounding |\n|---|---|---|---|\n"
            for (name, e) in s.worst.perTensor.sorted(by: { $0.key < $1.key }) {
                out += "| \(name) | \(f(e.total)) | \(f(e.kink)) | \(f(e.rounding)) |\n"
            }
            out += "\n"
        }

        let worst = summaries.flatMap { s in s.worstSites.filter { $0.site.siteClass != .genuine }.prefix(10).map { (s.precision, $0.batch, $0.site) } }
        out += "## Worst sites\n\n"
        if worst.isEmpty {
            out += "No spurious, masked, flipped or undecided site at any precision.\n\n"
        } else {
            out += "| precision | batch | sample | layer | index | class | decision at P | value at P | decision in R | certified value in R | gradient error it carries |\n|---|---|---|---|---|---|---|---|---|---|---|\n"
            for (p, b, site) in worst {
                out += "| \(p) | \(b) | \(site.sample) | \(site.layer) | \(site.index) | \(site.siteClass.rawValue) | \(site.decisionAtP) | \(site.valueAtP) | \(site.decisionInR) | \(site.certifiedValue) | \(site.errorShare.map { f($0) } ?? "—") |\n"
            }
            out += "\n*Gradient error it carries*: ‖g_P − g_P with only this site forced to R's decision‖ / ‖g_R‖, measured for the most severe sites of each batch (— where not measured).\n\n"
        }

        if batches > 1 { out += dataset(summaries, figure: figures.dataset) }

        out += "## Figures\n\n![Gradient error: kink-caused vs rounding](\(figures.errors))\n\n![Distance of nonsmooth inputs from their kinks](\(figures.kinks))\n\n"

        out += "## Method\n\n"
        out += "Backpropagation through ReLU, max-pooling and other piecewise operations returns a conservative gradient: the true gradient except where the network sits exactly on a kink, where it depends on an arbitrary choice such as ReLU'(0). Bertoin, Bolte, Gerchinovitz & Pauwels (NeurIPS 2021, “Numerical influence of ReLU'(0) on backpropagation”) showed that in floating point this happens on many minibatches: the *bifurcation test* compares the gradients under two conventions C and C′. Boustany, Bolte & Pauwels (TMLR 2024, “On the numerical reliability of nonsmooth autodiff: a MaxPool case study”) separated a bifurcation zone (the point is on a kink over ℝ) from a compensation zone (only rounding put it there).\n\n"
        out += "bpcheck replays the network at each precision P on the point (θ_P, X_P) — parameters and inputs rounded to P — and compares every nonsmooth decision with a certified reference R computed in MPFR interval arithmetic at the same point, where a decision counts only when proven (by exactness, or by an enclosure excluding the kink). The gradient error splits as g_P − g_R = (g_P − g_P|R) + (g_P|R − g_R), where g_P|R is P's arithmetic forced onto R's decisions: the first term is caused by kinks, the second is ordinary rounding. Flag rule: \(context.flagRule).\n\n"
        out += "- Arithmetic model: \(context.arithmeticModel.description).\n"
        for note in context.policyNotes { out += "- \(note)\n" }
        out += "- Convention C: \(context.convention). Alternative C′: \(context.alternative).\n"
        out += "- Reference: " + Self.referenceStatement(summaries.flatMap(\.batches), context.reference) + "\n\n"

        out += "## Reproduce\n\n```sh\n\(context.command)\n```\n\n"
        out += "- \(context.bpcheckVersion); MPFR \(MPFRLibrary.mpfrVersion), GMP \(MPFRLibrary.gmpVersion).\n"
        for h in context.hashes { out += "- `\(h.file)` SHA-256 `\(h.sha256)`\n" }
        return out
    }
}

extension ReportMarkdown {
    /// The method line on R: its ladder, which rungs the batch-precision pairs needed, and the
    /// backward passes' arithmetic and widths.
    public static func referenceStatement(_ batches: [PrecisionResult], _ options: ReferenceOptions) -> String {
        let dd = ReferenceFirstRung.doubleDouble.rawValue
        let mpfr = batches.filter { $0.referenceArithmetic != dd }
        let width = gradientWidthStatement(batches.map(\.referenceGradientWidth), bounds: batches.map(\.referenceGradientBound))
        let mpfrBits = Set(mpfr.map(\.referenceBits)).sorted().map(String.init).joined(separator: ", ")
        let mpfrGradientBits = Set(mpfr.map(\.referenceGradientBits)).sorted().map(String.init).joined(separator: ", ")
        guard options.firstRung == .doubleDouble else {
            let escalated = batches.filter { !$0.referenceEscalations.isEmpty }.count
            return "MPFR intervals only, from \(options.initialBits) bits, cap \(options.capBits); precisions used: \(mpfrBits) bits; \(escalated) batch-precision pair(s) needed more than the initial precision. Backward passes (g_R, g_R′) in \(mpfrGradientBits)-bit intervals, \(width)."
        }
        var line = "double-double balls (106-bit midpoints, error-free transformations) first, MPFR intervals from \(options.initialBits) bits (cap \(options.capBits)) where a site is undecided there or a gradient enclosure too wide. "
        // The rungs above double-double balls that took a backward, by their midpoints' bits.
        let rungs = [(TripleDoubleBallArithmetic().bits, "triple-double"), (QuadDoubleBallArithmetic().bits, "quad-double")]
            .map { bits, name in (bits, name, batches.filter { $0.referenceArithmetic == dd && $0.referenceGradientBits == bits }.count) }
            .filter { $0.2 > 0 }
        if rungs.isEmpty {
            line += "\(batches.count - mpfr.count) of \(batches.count) batch-precision pair(s) were decided and differentiated in double-double balls"
        } else {
            let taken = rungs.map { bits, name, count in "\(count) of them were differentiated in \(name) balls (\(bits)-bit midpoints)" }
            line += "\(batches.count - mpfr.count) of \(batches.count) batch-precision pair(s) were decided in double-double balls; \(taken.joined(separator: ", ")) (the forward re-run there on the proven decisions, the double-double enclosures of g_R being too wide), the others in double-double balls"
        }
        let climbed = batches.filter { $0.referenceArithmetic == dd && $0.referenceClimbedSamples > 0 }
        if !climbed.isEmpty {
            let samples = climbed.reduce(0) { $0 + $1.referenceClimbedSamples }
            let bits = Set(climbed.flatMap(\.referenceEscalations)).sorted().map(String.init).joined(separator: ", ")
            line += " (in \(climbed.count) of them, \(samples) sample(s) in all with a site undecided in balls were decided alone in MPFR intervals at \(bits) bits and stitched back)"
        }
        let streamed = batches.filter { $0.referenceChunks != nil }
        if !streamed.isEmpty {
            let chunks = Set(streamed.compactMap(\.referenceChunks)).sorted().map(String.init).joined(separator: ", ")
            line += "; in \(streamed.count) of them R streamed, its batch's values too many to hold at once: chunk by chunk of samples (\(chunks) chunks), the parameter gradients summed over the chunks"
        }
        if !mpfr.isEmpty {
            line += "; \(mpfr.count) needed MPFR intervals (precisions used: \(mpfrBits) bits; backward passes in \(mpfrGradientBits)-bit intervals)"
        }
        return line + ". Backward passes (g_R, g_R′): \(width)."
    }

    /// What the reference's backward widths were, as measured after every backward pass: the
    /// bound met (with the widest relative enclosure), or how many batch-precision pairs missed
    /// it at the top of the ladder. `bounds` are the pairs' own (default 2⁻⁸⁰ each): when every
    /// width is below 2⁻⁸⁰ that is what is said, as before per-point bounds; otherwise each point's
    /// bound, 2⁻²⁷ of the unit roundoff of the finest precision analysed there, is named.
    public static func gradientWidthStatement(_ widths: [Double?], bounds: [Double]? = nil) -> String {
        let f64Bound = CertifiedReference<MPFRIntervalArithmetic>.requiredGradientWidth
        let pairs = zip(widths, bounds ?? widths.map { _ in f64Bound }).compactMap { w, b in w.map { ($0, b) } }
        guard let widest = pairs.map(\.0).max() else { return "enclosure widths not measured (no finite gradient)" }
        let missed = pairs.filter { $0.0 > $0.1 }.count
        let w = String(format: "%.2g", widest)
        let perPoint = widest > f64Bound && pairs.contains { $0.1 != f64Bound }
        let superscripts: [Character: Character] = ["-": "⁻", "0": "⁰", "1": "¹", "2": "²", "3": "³", "4": "⁴", "5": "⁵", "6": "⁶", "7": "⁷", "8": "⁸", "9": "⁹"]
        let named = Set(pairs.map(\.1)).sorted(by: >).map { "2" + String(String(Int(Foundation.log2($0))).map { superscripts[$0] ?? $0 }) }
            .joined(separator: ", ")
        let bound = perPoint ? "its point's bound (2⁻²⁷ of the unit roundoff of the finest precision analysed there: \(named))"
                             : "2⁻⁸⁰"
        if missed == 0 { return "each enclosure narrower than \(bound) of its tensor's largest component (checked after every pass; widest \(w))" }
        return "**enclosures wider than \(bound) of their tensor's largest component in \(missed) batch-precision pair(s), at the top of the reference's ladder** (widest \(w)): g_R is less precise there than elsewhere; raise `--reference-cap`"
    }
}

extension ReportMarkdown {
    /// The data set at a glance (the papers' question): per precision, the share of batches in
    /// the bifurcation zone at P and over ℝ, the first batch in it, the flagged batches, and how
    /// the kink-caused and rounding errors spread over the batches.
    static func dataset(_ summaries: [PrecisionSummary], figure: String) -> String {
        func pct(_ x: Double) -> String { "\(Int((x * 100).rounded()))%" }
        func g(_ x: Double) -> String { String(format: "%.3g", x) }
        func spread(_ s: (median: Double, max: Double)?) -> String { s.map { "\(g($0.median)) / \(g($0.max))" } ?? "n/a" }
        func list(_ v: [Int]) -> String { v.isEmpty ? "none" : v.prefix(20).map(String.init).joined(separator: ", ") + (v.count > 20 ? ", … (\(v.count))" : "") }
        let n = summaries.first?.batches.count ?? 0
        var out = "## Data set\n\n"
        out += "| precision | batches in the bifurcation zone (g_P ≠ g_P′) | over ℝ (g_R ≠ g_R′) | first such batch (P / ℝ) | flagged batches | kink-caused error, median / max | rounding error, median / max |\n"
        out += "|---|---|---|---|---|---|---|\n"
        for s in summaries {
            let inZone = s.batches.filter { $0.bifurcation.changed }.count, overR = s.batches.filter { $0.referenceBifurcation.changed }.count
            out += "| \(s.precision) | \(inZone) of \(n) (\(pct(s.bifurcationShare))) | \(overR) of \(n) (\(pct(s.referenceBifurcationShare))) | "
            out += "\(s.firstBifurcatingBatch.map(String.init) ?? "—") / \(s.firstReferenceBifurcatingBatch.map(String.init) ?? "—") | \(list(s.flaggedBatchIndices)) | "
            out += "\(spread(s.kinkErrorSpread)) | \(spread(s.roundingErrorSpread)) |\n"
        }
        out += "\nBatches are numbered from 0 in data order. The bifurcation zone is where the gradient depends on the convention (Bertoin et al.); over ℝ, where the exact computation at P's point sits on a kink.\n\n"
        out += "![Share of batches in the bifurcation zone, and every batch's kink-caused and rounding error](\(figure))\n\n"
        return out
    }
}
