import AD
import Foundation
import ModelIO
import Precision

/// What a training report prints besides the result: how it was made.
public struct TrainingReportContext: Sendable {
    public var command: String
    public var bpcheckVersion: String
    /// How the starting weights were made (`the model's weights`, `--reinit 1: …`).
    public var initialization: String
    /// The (file, SHA-256) pairs of the inputs.
    public var hashes: [(file: String, sha256: String)]

    public init(command: String, bpcheckVersion: String, initialization: String, hashes: [(file: String, sha256: String)] = []) {
        self.command = command
        self.bpcheckVersion = bpcheckVersion
        self.initialization = initialization
        self.hashes = hashes
    }
}

/// The training report: Markdown, JSON (`bpcheck-training/1`, docs/training.md), two SVG
/// figures and the final weights of every trajectory as safetensors.
public enum TrainingReport {
    public static let schema = "bpcheck-training/1"

    /// The files `write` made, as paths relative to where the report's path was given.
    public struct Written: Sendable {
        public let report: String
        public let json: String
        public let figures: [String]
        public let weights: [String]
        /// The folder of the weights files, as a path relative to where the report's path was given.
        public let weightsDirectory: String
    }

    /// Writes `<stem>.md`, the JSON (default `<stem>.json` beside it), `<stem>-divergence.svg`,
    /// `<stem>-curves.svg` and `<stem>-weights/<precision>-C.safetensors` (and `-Cprime`) for
    /// every precision, creating the directories.
    /// - Throws: the file system's error when a file cannot be written.
    public static func write(_ result: TrainingResult, _ context: TrainingReportContext, reportPath: String, jsonPath: String? = nil) throws -> Written {
        let reportURL = URL(fileURLWithPath: reportPath)
        let stem = reportURL.deletingPathExtension().lastPathComponent
        let directory = reportURL.deletingLastPathComponent()
        try FileManager.default.createDirectory(at: directory, withIntermediateDirectories: true)
        let figures = ["\(stem)-divergence.svg", "\(stem)-curves.svg"]
        try Data(divergenceFigure(result).utf8).write(to: directory.appendingPathComponent(figures[0]))
        try Data(curvesFigure(result).utf8).write(to: directory.appendingPathComponent(figures[1]))
        let weightsFolder = "\(stem)-weights"
        try FileManager.default.createDirectory(at: directory.appendingPathComponent(weightsFolder), withIntermediateDirectories: true)
        var weightFiles: [String] = []
        for r in result.results {
            for (suffix, w) in [("C", r.finalWeights), ("Cprime", r.finalWeightsAlternative)] {
                let name = "\(weightsFolder)/\(r.precision)-\(suffix).safetensors"
                try Data(safetensors(w, version: context.bpcheckVersion, trajectory: suffix)).write(to: directory.appendingPathComponent(name))
                weightFiles.append(name)
            }
        }
        try Data(markdown(result, context, figures: figures, weights: weightFiles).utf8).write(to: reportURL)
        let jsonURL = jsonPath.map { URL(fileURLWithPath: $0) } ?? directory.appendingPathComponent(stem + ".json")
        try Data((JSONWriter.write(json(result, context, weights: weightFiles)) + "\n").utf8).write(to: jsonURL)
        return Written(report: reportPath, json: jsonURL.relativePath, figures: figures, weights: weightFiles,
                       weightsDirectory: URL(fileURLWithPath: reportPath).deletingLastPathComponent().appendingPathComponent(weightsFolder).relativePath)
    }

    /// A trajectory's weights as safetensors, in the dtype of the precision that held them.
    public static func safetensors(_ w: TrajectoryWeights, version: String, trajectory: String) throws -> [UInt8] {
        let dtype: DType = switch w.precision {
        case .f16: .f16
        case .bf16: .bf16
        case .f32: .f32
        default: .f64
        }
        var tensors: [String: HostTensor] = [:]
        for (k, v) in w.values { tensors[k] = try HostTensor(dtype: dtype, shape: w.shapes[k]!, values: v) }
        return Safetensors.write(tensors, metadata: ["bpcheck": version, "precision": w.precision.description, "trajectory": trajectory])
    }

    // MARK: Numbers

    static func number(_ d: Double?) -> JSONValue {
        guard let d, d.isFinite else { return .null }
        return .number("\(d)")
    }

    public static func short(_ d: Double?, _ digits: Int = 3) -> String {
        guard let d else { return "–" }
        if d.isNaN { return "NaN" }
        if d.isInfinite { return d > 0 ? "∞" : "−∞" }
        if d == 0 { return "0" }
        return abs(d) >= 1e-3 && abs(d) < 1e5 ? String(format: "%.\(digits)f", d) : String(format: "%.\(digits - 1)e", d)
    }

    public static func percent(_ d: Double?) -> String {
        guard let d else { return "–" }
        return String(format: "%.1f%%", 100 * d)
    }

    public static func location(_ e: RangeEventLocation?) -> String {
        guard let e else { return "none" }
        return "\(e.kind == "nan" ? "NaN" : "overflow") at step \(e.step), \(e.node) (\(e.pass), \(e.trajectory))"
    }

    // MARK: Markdown

    public static func markdown(_ result: TrainingResult, _ context: TrainingReportContext, figures: [String], weights: [String]) -> String {
        let run = result.run
        var out = "# Training replay: \(run.model.name)\n\n"
        out += "Two trajectories per precision from the same starting weights on the same batches: **C** trains with gradients "
        out += "under the convention C (\(conventionText(run.convention, run.model))), **C′** under C′ (\(conventionText(run.alternative, run.model))). "
        out += "A step is in the *bifurcation zone* when g_P ≠ g_P′ at the C trajectory's weights (any bit; in parentheses the layers where the conventions changed the gradient); the trajectories *part* "
        out += "at the first step after which their weights differ. docs/training.md explains every field.\n\n"

        out += "## Summary\n\n"
        out += "| precision | weights in | first bifurcation | steps in the bifurcation zone | weights part at | final ‖θ_C − θ_C′‖/‖θ_C‖ | final train loss C / C′ | held-out accuracy C / C′ | first NaN or overflow |\n"
        out += "|---|---|---|---|---|---|---|---|---|\n"
        for r in result.results {
            let last = r.steps.last
            let eval = r.evaluations.last
            let acc = eval.map { "\(percent($0.accuracy)) / \(percent($0.accuracyAlternative)) (step \($0.step))" } ?? "–"
            let layers = r.firstBifurcationLayers.isEmpty ? "" : " (" + r.firstBifurcationLayers.map { "`\($0)`" }.joined(separator: ", ") + ")"
            out += "| \(r.precision) | \(r.optimizerPrecision) | \(r.firstBifurcation.map { "step \($0)\(layers)" } ?? "never") | "
            out += "\(r.steps.filter(\.bifurcation).count) of \(r.steps.count) (\(percent(r.bifurcationShare))) | "
            out += "\(r.firstParting.map { "step \($0)" } ?? "never (bit-identical)") | \(short(last?.divergence)) | "
            out += "\(short(last?.loss)) / \(short(last?.lossAlternative)) | \(acc) | \(location(r.firstNonFinite)) |\n"
        }
        out += "\n![Divergence of the C and C′ trajectories per precision](\(figures[0]))\n\n"
        out += "![Training loss and held-out accuracy, C vs C′](\(figures[1]))\n\n"

        if result.results.contains(where: { !$0.evaluations.isEmpty }) {
            out += "## Held-out loss and accuracy\n\n"
            out += "| step | " + result.results.map { "\($0.precision) loss C / C′ | \($0.precision) accuracy C / C′" }.joined(separator: " | ") + " |\n"
            out += "|---|" + String(repeating: "---|---|", count: result.results.count) + "\n"
            let stepsEvaluated = result.results[0].evaluations.map(\.step)
            for (i, s) in stepsEvaluated.enumerated() {
                out += "| \(s) | " + result.results.map { r in
                    guard i < r.evaluations.count else { return "– | –" }
                    let e = r.evaluations[i]
                    return "\(short(e.loss)) / \(short(e.lossAlternative)) | \(percent(e.accuracy)) / \(percent(e.accuracyAlternative))"
                }.joined(separator: " | ") + " |\n"
            }
            out += "\n"
        }

        out += "## NaN and overflow\n\n"
        if result.results.allSatisfy({ $0.firstEvents.isEmpty }) {
            out += "No value became NaN or ±∞ on any trajectory (forward, backward or update).\n\n"
        } else {
            out += "| precision | trajectory | kind | step | node | pass | values |\n|---|---|---|---|---|---|---|\n"
            for r in result.results {
                for e in r.firstEvents { out += "| \(r.precision) | \(e.trajectory) | \(e.kind == "nan" ? "NaN" : "overflow") | \(e.step) | `\(e.node)` | \(e.pass) | \(e.count) |\n" }
            }
            out += "\n"
        }

        if result.results.contains(where: { !$0.certifications.isEmpty }) {
            out += "## Certified analysis along training\n\n"
            out += "The full analysis (docs/analyzer.md) of the step's batch at the C trajectory's weights, before its update.\n\n"
            out += "| precision | step | genuine | spurious | masked | flipped | undecided | g_R ≠ g_R′ | kink-caused error | rounding error | flagged |\n"
            out += "|---|---|---|---|---|---|---|---|---|---|---|\n"
            for r in result.results {
                for c in r.certifications {
                    out += "| \(r.precision) | \(c.step) | \(c.counts["genuine"] ?? 0) | \(c.counts["spurious"] ?? 0) | \(c.counts["masked"] ?? 0) | \(c.counts["flipped"] ?? 0) | \(c.counts["undecided"] ?? 0) | \(c.referenceBifurcation ? "yes" : "no") | \(short(c.kinkCausedError)) | \(short(c.roundingError)) | \(c.flagged ? "yes" : "no") |\n"
                }
            }
            out += "\n"
        }

        out += "## Steps\n\n"
        out += "The first ten steps, then one every \(max(run.steps / 10, 1)) steps (every step is in the JSON report). Kink hits: sites exactly on a kink in the forward pass (C / C′).\n\n"
        out += "| precision | step | loss C | loss C′ | g_P ≠ g_P′ (where) | ‖θ_C − θ_C′‖/‖θ_C‖ | kink hits C / C′ |\n|---|---|---|---|---|---|---|\n"
        for r in result.results {
            for s in r.steps where s.step <= 10 || s.step % max(run.steps / 10, 1) == 0 || s.step == run.steps {
                out += "| \(r.precision) | \(s.step) | \(short(s.loss, 4)) | \(short(s.lossAlternative, 4)) | \(s.bifurcation ? "yes (" + s.bifurcationLayers.joined(separator: ", ") + ")" : "no") | \(short(s.divergence)) | \(s.kinkHits) / \(s.kinkHitsAlternative) |\n"
            }
        }
        out += "\n"

        out += "## Setup\n\n"
        out += "- Model: \(run.model.name); trained tensors: \(run.trainable.joined(separator: ", ")).\n"
        out += "- Starting weights: \(context.initialization).\n"
        out += "- Optimizer: \(run.optimizer.name) (" + run.optimizer.hyperParameters.map { "\($0.0)=\($0.1)" }.joined(separator: ", ") + "), torch.optim's update formulas in the order of operations of docs/training.md, each operation rounded to the precision the weights are held in.\n"
        out += "- \(run.steps) steps of batches of \(run.batchSize) from \(run.inputs.shape[0]) training samples (\(run.inputs.shape[0] / run.batchSize) batches per epoch, last incomplete batch dropped); "
        out += run.shuffles ? "shuffle seed \(run.shuffleSeed) (SplitMix64, the same batches for every precision and trajectory).\n" : "no shuffle.\n"
        if let k = run.evaluateEvery, let x = run.evaluationInputs { out += "- Held-out data: \(x.shape[0]) samples, evaluated at step 0, every \(k) steps and at the last step.\n" }
        out += "- Master weights: \(run.masterWeights ? "f32 copy for f16 and bf16 (weights cast to P for each forward and backward; gradients widened exactly to f32)" : "none (weights, activations, gradients and optimizer state all in P)").\n"
        out += "- Arithmetic model: \(run.arithmeticModel.accumulation.rawValue) accumulation (docs/analyzer.md).\n"
        out += "- Final weights (safetensors): " + weights.map { "`\($0)`" }.joined(separator: ", ") + ".\n"
        out += "\n## Reproduce\n\n```sh\n\(context.command)\n```\n\n"
        out += "\(context.bpcheckVersion).\n"
        if !context.hashes.isEmpty {
            out += "\n| file | SHA-256 |\n|---|---|\n"
            for h in context.hashes { out += "| `\(h.file)` | `\(h.sha256)` |\n" }
        }
        return out
    }

    /// The convention's choices for the kinked ops of `model` (all of them when it has none).
    static func conventionText(_ c: DerivativeConvention, _ model: Model) -> String {
        var keys = Set<String>()
        for node in model.nodes {
            guard let n = node.op.nonsmooth else { continue }
            for choice in type(of: n).choices { keys.insert(choice.key) }
        }
        let chosen = ConventionChoice.all.filter { keys.isEmpty || keys.contains($0.key) }
        return chosen.map { "\($0.label)\($0.render(c[$0]))" }.joined(separator: ", ")
    }

    // MARK: JSON

    public static func json(_ result: TrainingResult, _ context: TrainingReportContext, weights: [String]) -> JSONValue {
        let run = result.run
        func ints(_ v: [Int]) -> JSONValue { .array(v.map { .number("\($0)") }) }
        func numbers(_ v: [Double]) -> JSONValue { .array(v.map { number($0) }) }
        func bools(_ v: [Bool]) -> JSONValue { .array(v.map { .bool($0) }) }
        func location(_ e: RangeEventLocation?) -> JSONValue {
            guard let e else { return .null }
            return .object([("trajectory", .string(e.trajectory)), ("kind", .string(e.kind)), ("step", .number("\(e.step)")),
                            ("node", .string(e.node)), ("pass", .string(e.pass)), ("count", .number("\(e.count)"))])
        }
        var precisions: [JSONValue] = []
        for r in result.results {
            let s = r.steps
            let steps: JSONValue = .object([
                ("step", ints(s.map(\.step))), ("epoch", ints(s.map(\.epoch))),
                ("loss", numbers(s.map(\.loss))), ("loss_alt", numbers(s.map(\.lossAlternative))),
                ("bifurcation", bools(s.map(\.bifurcation))),
                ("bifurcation_layers", .array(s.map { .array($0.bifurcationLayers.map { .string($0) }) })), ("divergence", numbers(s.map(\.divergence))),
                ("identical", bools(s.map(\.identical))),
                ("kink_hits", ints(s.map(\.kinkHits))), ("kink_hits_alt", ints(s.map(\.kinkHitsAlternative))),
                ("overflow", ints(s.map(\.events.overflow))), ("nan", ints(s.map(\.events.nan))),
                ("overflow_alt", ints(s.map(\.eventsAlternative.overflow))), ("nan_alt", ints(s.map(\.eventsAlternative.nan))),
            ])
            let evaluations: JSONValue = .array(r.evaluations.map { e in
                .object([("step", .number("\(e.step)")), ("loss", number(e.loss)), ("loss_alt", number(e.lossAlternative)),
                         ("accuracy", number(e.accuracy)), ("accuracy_alt", number(e.accuracyAlternative))])
            })
            let certifications: JSONValue = .array(r.certifications.map { c in
                .object([("step", .number("\(c.step)")),
                         ("counts", .object(c.counts.sorted { $0.key < $1.key }.map { ($0.key, .number("\($0.value)")) })),
                         ("reference_bifurcation", .bool(c.referenceBifurcation)), ("kink_caused_error", number(c.kinkCausedError)),
                         ("rounding_error", number(c.roundingError)), ("flagged", .bool(c.flagged))])
            })
            precisions.append(.object([
                ("precision", .string(r.precision.description)), ("weights_precision", .string(r.optimizerPrecision.description)),
                ("first_bifurcation", r.firstBifurcation.map { .number("\($0)") } ?? .null),
                ("first_bifurcation_layers", .array(r.firstBifurcationLayers.map { .string($0) })),
                ("bifurcation_share", number(r.bifurcationShare)),
                ("first_parting", r.firstParting.map { .number("\($0)") } ?? .null),
                ("identical_throughout", .bool(r.identicalThroughout)),
                ("final_divergence", number(s.last?.divergence)),
                ("first_non_finite", location(r.firstNonFinite)),
                ("first_events", .array(r.firstEvents.map { location($0) })),
                ("steps", steps), ("evaluations", evaluations), ("certifications", certifications),
            ]))
        }
        return .object([
            ("schema", .string(schema)), ("model", .string(run.model.name)), ("command", .string(context.command)),
            ("bpcheck", .string(context.bpcheckVersion)), ("initialization", .string(context.initialization)),
            ("optimizer", .object([("name", .string(run.optimizer.name))] + run.optimizer.hyperParameters.map { ($0.0, .string($0.1)) })),
            ("steps", .number("\(run.steps)")), ("batch_size", .number("\(run.batchSize)")), ("training_samples", .number("\(run.inputs.shape[0])")),
            ("shuffle_seed", run.shuffles ? .number("\(run.shuffleSeed)") : .null), ("master_weights", .bool(run.masterWeights)),
            ("evaluate_every", run.evaluateEvery.map { .number("\($0)") } ?? .null),
            ("certify_every", run.certifyEvery.map { .number("\($0)") } ?? .null),
            ("convention", .string(run.convention.description)), ("alternative", .string(run.alternative.description)),
            ("accumulation", .string(run.arithmeticModel.accumulation.rawValue)),
            ("trainable", .array(run.trainable.map { .string($0) })),
            ("weights_files", .array(weights.map { .string($0) })),
            ("precisions", .array(precisions)),
        ])
    }

    // MARK: Figures

    static func escape(_ t: String) -> String {
        t.replacingOccurrences(of: "&", with: "&amp;").replacingOccurrences(of: "<", with: "&lt;").replacingOccurrences(of: ">", with: "&gt;")
    }

    static let colors: [PrecisionName: String] = [.f16: "#d62728", .bf16: "#ff7f0e", .f32: "#1f77b4", .f64: "#2ca02c"]
    static func color(_ p: PrecisionName) -> String { colors[p] ?? "#555" }
    static func f(_ x: Double) -> String { String(format: "%.1f", x) }

    /// ‖θ_C − θ_C′‖/‖θ_C‖ over the steps, log scale 10⁻¹⁸ … 10¹, one line per precision; 0
    /// (bit-identical) on the bottom edge, NaN not drawn.
    public static func divergenceFigure(_ result: TrainingResult) -> String {
        let width = 880.0, height = 360.0, left = 70.0, right = width - 270, top = 30.0, bottom = height - 40
        let lo = -18.0, hi = 1.0
        let steps = max(result.run.steps, 1)
        func x(_ s: Int) -> Double { left + Double(s) / Double(steps) * (right - left) }
        func y(_ v: Double) -> Double {
            guard v > 0 else { return bottom }
            return bottom - (min(max(log10(v), lo), hi) - lo) / (hi - lo) * (bottom - top)
        }
        var out = "<svg xmlns=\"http://www.w3.org/2000/svg\" width=\"\(Int(width))\" height=\"\(Int(height))\" font-family=\"sans-serif\" font-size=\"11\">\n"
        out += "<rect width=\"100%\" height=\"100%\" fill=\"white\"/>\n"
        out += "<text x=\"10\" y=\"18\" font-size=\"13\">‖θ_C − θ_C′‖ / ‖θ_C‖ after each step (log scale; 0 = bit-identical, drawn on the bottom edge); zone: share of steps with g_P ≠ g_P′</text>\n"
        for e in stride(from: Int(lo), through: Int(hi), by: 3) {
            let yy = y(pow(10, Double(e)))
            out += "<line x1=\"\(f(left))\" x2=\"\(f(right))\" y1=\"\(f(yy))\" y2=\"\(f(yy))\" stroke=\"#ddd\"/><text x=\"10\" y=\"\(f(yy + 4))\">1e\(e)</text>\n"
        }
        out += axisX(left: left, right: right, bottom: bottom, steps: steps)
        for (i, r) in result.results.enumerated() {
            var points: [String] = ["\(f(x(0))),\(f(y(0)))"]
            for s in r.steps where !s.divergence.isNaN { points.append("\(f(x(s.step))),\(f(y(s.divergence)))") }
            out += "<polyline fill=\"none\" stroke=\"\(color(r.precision))\" stroke-width=\"1.5\" points=\"\(points.joined(separator: " "))\"/>\n"
            let ly = top + 16 * Double(i)
            out += "<line x1=\"\(f(right + 10))\" x2=\"\(f(right + 30))\" y1=\"\(f(ly))\" y2=\"\(f(ly))\" stroke=\"\(color(r.precision))\" stroke-width=\"2\"/>"
            out += "<text x=\"\(f(right + 35))\" y=\"\(f(ly + 4))\">\(r.precision): \(r.firstParting.map { "parts at step \($0)" } ?? "never parts"), zone \(percent(r.bifurcationShare))</text>\n"
            if let e = r.firstNonFinite {
                // The first NaN or overflow: a dashed vertical line at its step, named in the legend.
                out += "<line x1=\"\(f(x(e.step)))\" x2=\"\(f(x(e.step)))\" y1=\"\(f(top))\" y2=\"\(f(bottom))\" stroke=\"\(color(r.precision))\" stroke-dasharray=\"2 3\"/>"
                out += "<text x=\"\(f(right + 35))\" y=\"\(f(top + 16 * Double(result.results.count) + 16 * Double(i) + 8))\">\(r.precision) first \(e.kind == "nan" ? "NaN" : "overflow"): step \(e.step), \(escape(e.node)) (\(e.pass))</text>\n"
            }
        }
        return out + "</svg>\n"
    }

    static func axisX(left: Double, right: Double, bottom: Double, steps: Int) -> String {
        var out = "<line x1=\"\(f(left))\" x2=\"\(f(right))\" y1=\"\(f(bottom))\" y2=\"\(f(bottom))\" stroke=\"#888\"/>\n"
        let tick = max(1, Int(pow(10, floor(log10(Double(steps))))) / (steps >= 5 * Int(pow(10, floor(log10(Double(steps))))) ? 1 : 2))
        for s in stride(from: 0, through: steps, by: tick) {
            let xx = left + Double(s) / Double(steps) * (right - left)
            out += "<text x=\"\(f(xx - 8))\" y=\"\(f(bottom + 14))\">\(s)</text>\n"
        }
        out += "<text x=\"\(f((left + right) / 2 - 12))\" y=\"\(f(bottom + 30))\">step</text>\n"
        return out
    }

    /// One panel per precision: the training loss of each step (C solid, C′ dashed), and the
    /// held-out accuracy (dots, right axis 0–100%) when evaluated.
    public static func curvesFigure(_ result: TrainingResult) -> String {
        let panelWidth = 300.0, panelHeight = 220.0
        let columns = min(result.results.count, 2), rows = (result.results.count + 1) / 2
        let width = panelWidth * Double(max(columns, 1)) + 20, height = panelHeight * Double(max(rows, 1)) + 50
        var out = "<svg xmlns=\"http://www.w3.org/2000/svg\" width=\"\(Int(width))\" height=\"\(Int(height))\" font-family=\"sans-serif\" font-size=\"10\">\n"
        out += "<rect width=\"100%\" height=\"100%\" fill=\"white\"/>\n"
        out += "<text x=\"10\" y=\"16\" font-size=\"13\">Training loss per step (C solid, C′ dashed) and held-out accuracy (C ●, C′ ○, right axis)</text>\n"
        let maxLoss = result.results.flatMap { $0.steps.flatMap { [$0.loss, $0.lossAlternative] } }.filter(\.isFinite).max() ?? 1
        let steps = max(result.run.steps, 1)
        for (i, r) in result.results.enumerated() {
            let ox = 10 + Double(i % 2) * panelWidth, oy = 30 + Double(i / 2) * panelHeight
            let left = ox + 40, right = ox + panelWidth - 40, top = oy + 20, bottom = oy + panelHeight - 40
            func x(_ s: Int) -> Double { left + Double(s) / Double(steps) * (right - left) }
            func y(_ l: Double) -> Double { bottom - min(max(l / maxLoss, 0), 1) * (bottom - top) }
            func ya(_ a: Double) -> Double { bottom - a * (bottom - top) }
            out += "<text x=\"\(f(left))\" y=\"\(f(top - 6))\" font-size=\"12\" fill=\"\(color(r.precision))\">\(r.precision)</text>\n"
            out += "<rect x=\"\(f(left))\" y=\"\(f(top))\" width=\"\(f(right - left))\" height=\"\(f(bottom - top))\" fill=\"none\" stroke=\"#ccc\"/>\n"
            out += "<text x=\"\(f(ox + 2))\" y=\"\(f(top + 4))\">\(short(maxLoss, 2))</text><text x=\"\(f(ox + 2))\" y=\"\(f(bottom))\">0</text>\n"
            out += "<text x=\"\(f(right + 3))\" y=\"\(f(top + 4))\">100%</text><text x=\"\(f(right + 3))\" y=\"\(f(bottom))\">0%</text>\n"
            out += axisX(left: left, right: right, bottom: bottom, steps: steps)
            for (values, dash) in [(r.steps.map(\.loss), ""), (r.steps.map(\.lossAlternative), " stroke-dasharray=\"4 3\" stroke-opacity=\"0.6\"")] {
                let points = zip(r.steps, values).filter { $0.1.isFinite }.map { "\(f(x($0.0.step))),\(f(y($0.1)))" }
                out += "<polyline fill=\"none\" stroke=\"\(color(r.precision))\" stroke-width=\"1\"\(dash) points=\"\(points.joined(separator: " "))\"/>\n"
            }
            for e in r.evaluations {
                if let a = e.accuracy { out += "<circle cx=\"\(f(x(e.step)))\" cy=\"\(f(ya(a)))\" r=\"2.5\" fill=\"#333\"/>" }
                if let a = e.accuracyAlternative { out += "<circle cx=\"\(f(x(e.step)))\" cy=\"\(f(ya(a)))\" r=\"4\" fill=\"none\" stroke=\"#333\"/>" }
            }
            out += "\n"
        }
        return out + "</svg>\n"
    }
}
