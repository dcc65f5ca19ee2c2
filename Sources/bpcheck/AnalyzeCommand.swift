import ArgumentParser
import BPCheck
import Foundation

/// `bpcheck model.json`: the analysis, its Markdown and JSON report, exit codes 0/1/2.
struct AnalyzeCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "analyze",
        abstract: "Analyse backpropagation through a model at several precisions against a certified reference, and write a report.",
        discussion: """
            Exit codes: 0 analysed, nothing flagged by --fail-on (or no --fail-on); 1 analysed and a \
            precision flagged by --fail-on; 2 the input or the command line is wrong.
            """
    )

    @Argument(help: "The model file (model.json).")
    var model: String

    @Option(help: "Data file: an .npz with members x and y (or inputs and targets), replacing the model's default batch.")
    var data: String?
    @Option(help: "Samples per batch (default: the whole data as one batch).")
    var batchSize: Int?
    @Option(help: "Number of batches (dataset mode; default: every whole batch the data holds).")
    var batches: Int?
    @Option(help: "Precisions to analyse, comma-separated: f16, bf16, f32, f64, mpfr:N.")
    var precisions: String = "f16,bf16,f32,f64"
    @Option(help: "The reference's starting precision, mpfr:N.")
    var reference: String = "mpfr:256"
    @Option(help: "The reference's highest precision in bits; sites still unproven there are reported undecided.")
    var referenceCap: Int = 4096
    @Option(help: "Derivative convention C: pytorch or alternative (C′ is C flipped).")
    var convention: String = "pytorch"
    @Option(help: "relu'(0), in [0, 1].")
    var reluPrime: Double?
    @Option(help: "leaky_relu'(0) (default: the slope, as PyTorch).")
    var leakyReluPrime: Double?
    @Option(help: "abs'(0), in [-1, 1].")
    var absPrime: Double?
    @Option(help: "hardtanh'/relu6' at the bounds, in [0, 1].")
    var hardtanhPrime: Double?
    @Option(help: "Max-pool ties: first, last or split.")
    var maxpoolTie: String?
    @Option(help: "maximum/minimum ties: first, last or split.")
    var maximumTie: String?
    @Option(help: "How linear and conv2d accumulate: separate (default: two roundings), fma, or wider (f32 accumulator for 16-bit storage, f64 for f32).")
    var accumulation: String = "separate"
    @Option(help: "Markdown report path (default reports/<model name>.md); figures are written beside it.")
    var report: String?
    @Option(help: "JSON report path (default: the report's path with .json).")
    var json: String?
    @Option(help: "Write g_P, g_P_alt, g_P_aligned, g_R, g_R_alt of the first batch as DIR/<precision>/<name>.safetensors.")
    var saveGradients: String?
    @Option(help: "Exit 1 when a precision is flagged: 'flagged' (kink-caused error > rounding error) or 'kink-error=TOL' (kink-caused relative error > TOL).")
    var failOn: String?
    @Option(help: "Threads for the precisions and references (default: every core); the numbers do not depend on it.")
    var threads: Int = ProcessInfo.processInfo.activeProcessorCount

    func run() throws {
        let modelURL = URL(fileURLWithPath: model)
        var loaded = try Model(contentsOf: modelURL)
        let names = try precisions.split(separator: ",").map { try PrecisionName(parsing: String($0)) }
        guard !names.isEmpty else { throw ValidationError("--precisions: give at least one precision") }
        guard case .mpfr(let bits) = try PrecisionName(parsing: reference) else { throw ValidationError("--reference must be mpfr:N, found '\(reference)'") }
        guard referenceCap >= bits else { throw ValidationError("--reference-cap \(referenceCap) is below the reference's \(bits) bits") }
        guard threads >= 1 else { throw ValidationError("--threads must be at least 1") }
        let options = ReferenceOptions(initialBits: bits, capBits: referenceCap)
        let (c, alternative) = try conventions()
        guard let accumulationKind = ArithmeticModel.Accumulation(rawValue: accumulation) else {
            throw ValidationError("--accumulation must be separate, fma or wider, found '\(accumulation)'")
        }
        let flagRule = try parsedFlagRule()
        if accumulationKind == .widerAccumulator, let p = names.first(where: { Accumulate.wideFormat(for: $0) == nil }) {
            throw ValidationError("--accumulation wider applies to f16, bf16 and f32 storage; \(p) has no wider format: leave it out of --precisions")
        }

        var dataFile: String?
        if let data {
            let url = URL(fileURLWithPath: data)
            let members: [String: HostTensor]
            do {
                members = try NumpyFile.readNPZ(url: url, file: data)
            } catch let e as TensorFileError {
                throw ModelError(file: data, message: (e.tensor.map { "member '\($0)': " } ?? "") + e.message)
            }
            guard let x = members["x"] ?? members["inputs"], let y = members["y"] ?? members["targets"] else {
                throw ModelError(file: data, message: "needs members x and y (or inputs and targets); found \(members.keys.sorted().joined(separator: ", "))")
            }
            loaded.inputs = x
            loaded.targets = y
            dataFile = data
        }
        guard let inputs = loaded.inputs, let targets = loaded.targets else {
            throw ModelError(file: model, key: "data", message: "no batch: the model has no 'data'; give one with --data")
        }
        let samples = inputs.shape[0]
        let size = batchSize ?? samples
        guard size >= 1, size <= samples else { throw ValidationError("--batch-size \(size) does not fit the \(samples) samples of the data") }
        guard (batches ?? 1) >= 1, (batches ?? 0) * size <= samples else {
            throw ValidationError("--batches \(batches ?? 0) of \(size) need \((batches ?? 0) * size) samples; the data holds \(samples)")
        }
        var analysis = Analysis(model: loaded, precisions: names, reference: options, convention: c, alternative: alternative,
                                arithmeticModel: ArithmeticModel(accumulation: accumulationKind), flagRule: flagRule)
        analysis.threads = threads
        let progress = Progress(enabled: isatty(2) != 0)
        let result = try DatasetAnalysis(analysis, inputs: inputs, targets: targets, batchSize: size, batches: batches ?? (samples / size)).run {
            progress.batch($0, $1)
        }
        progress.finish()

        let summaries = names.map { p in PrecisionSummary(p, result.batches.map { $0[p] }) }
        var hashes: [(String, String)] = [(model, SHA256.hex(try Self.bytes(modelURL)))]
        if let w = loaded.weightsFile { hashes.append((w, SHA256.hex(try Self.bytes(modelURL.deletingLastPathComponent().appendingPathComponent(w))))) }
        if let dataFile { hashes.append((dataFile, SHA256.hex(try Self.bytes(URL(fileURLWithPath: dataFile))))) }
        let context = ReportContext(modelName: loaded.name, command: Self.commandLine(), bpcheckVersion: BPCheckVersion.full, hashes: hashes,
                                    reference: options, convention: c, alternative: alternative,
                                    arithmeticModel: ArithmeticModel(accumulation: accumulationKind), flagRule: flagRule)
        do {
            try write(summaries, context, name: loaded.name, result: result, names: names)
        } catch let e as CocoaError {
            throw ValidationError("cannot write the report: \(e.userInfo[NSFilePathErrorKey] ?? "") — \(e.localizedDescription)")
        }
        if failOn != nil && summaries.contains(where: \.flagged) { throw ExitCode(1) }
    }

    /// Writes the Markdown, JSON, figures and saved gradients, and prints the verdicts.
    func write(_ summaries: [PrecisionSummary], _ context: ReportContext, name: String, result: DatasetResult, names: [PrecisionName]) throws {
        let reportPath = report ?? "reports/\(name).md"
        let reportURL = URL(fileURLWithPath: reportPath)
        let stem = reportURL.deletingPathExtension().lastPathComponent
        let directory = reportURL.deletingLastPathComponent()
        try FileManager.default.createDirectory(at: directory, withIntermediateDirectories: true)
        let figures = (errors: "\(stem)-errors.svg", kinks: "\(stem)-kinks.svg")
        try Data(ReportFigures.errorDecomposition(summaries).utf8).write(to: directory.appendingPathComponent(figures.errors))
        try Data(ReportFigures.kinkDistances(summaries).utf8).write(to: directory.appendingPathComponent(figures.kinks))
        try Data(ReportMarkdown.render(context, summaries, figures: figures).utf8).write(to: reportURL)
        let jsonURL = json.map { URL(fileURLWithPath: $0) } ?? directory.appendingPathComponent(stem + ".json")
        try Data((JSONWriter.write(ReportJSON.document(context, summaries)) + "\n").utf8).write(to: jsonURL)
        if let saveGradients { try Self.save(result.batches[0], names, to: URL(fileURLWithPath: saveGradients)) }

        for s in summaries { print(ReportMarkdown.verdict(s).replacingOccurrences(of: "**", with: "")) }
        print("report: \(reportPath), \(jsonURL.relativePath), \(figures.errors), \(figures.kinks)")
    }

    func conventions() throws -> (DerivativeConvention, DerivativeConvention) {
        var c: DerivativeConvention
        switch convention {
        case "pytorch": c = .pytorch
        case "alternative": c = .alternative
        default: throw ValidationError("--convention must be pytorch or alternative, found '\(convention)'")
        }
        func tie(_ s: String?, _ option: String) throws -> DerivativeConvention.TieRule? {
            guard let s else { return nil }
            guard let t = DerivativeConvention.TieRule(rawValue: s) else { throw ValidationError("--\(option) must be first, last or split, found '\(s)'") }
            return t
        }
        if let v = reluPrime { c.reluAtZero = v }
        if let v = leakyReluPrime { c.leakyReLUAtZero = v }
        if let v = absPrime { c.absAtZero = v }
        if let v = hardtanhPrime { c.hardtanhAtBound = v }
        if let t = try tie(maxpoolTie, "maxpool-tie") { c.maxPoolTie = t }
        if let t = try tie(maximumTie, "maximum-tie") { c.maximumTie = t }
        do { try c.validate() } catch let e as ConventionError { throw ValidationError(e.message) }
        return (c, c.flipped)
    }

    func parsedFlagRule() throws -> FlagRule {
        guard let failOn else { return .kinkExceedsRounding }
        if failOn == "flagged" { return .kinkExceedsRounding }
        if failOn.hasPrefix("kink-error="), let t = Double(failOn.dropFirst("kink-error=".count)), t >= 0 { return .kinkTolerance(t) }
        throw ValidationError("--fail-on must be 'flagged' or 'kink-error=TOL' with TOL ≥ 0, found '\(failOn)'")
    }

    static func bytes(_ url: URL) throws -> [UInt8] { [UInt8](try Data(contentsOf: url)) }

    static func commandLine() -> String {
        (["bpcheck"] + CommandLine.arguments.dropFirst()).map { $0.contains(" ") ? "'\($0)'" : $0 }.joined(separator: " ")
    }

    /// The first batch's gradients: g_P* in the precision's storage dtype, g_R* as f64.
    static func save(_ result: AnalysisResult, _ names: [PrecisionName], to directory: URL) throws {
        for p in names {
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
                for (name, g) in r.gradients { tensors[name] = HostTensor(dtype: type, shape: g.shape, values: pick(g)) }
                try Data(Safetensors.write(tensors, metadata: ["bpcheck": BPCheckVersion.full, "precision": p.description])).write(to: folder.appendingPathComponent(file + ".safetensors"))
            }
        }
    }
}

/// Progress on stderr when it is a terminal (stage, batch, elapsed, estimate); silent otherwise.
final class Progress: @unchecked Sendable {
    let enabled: Bool
    let start = Date()

    init(enabled: Bool) {
        self.enabled = enabled
        if enabled { FileHandle.standardError.write(Data("analysing batch 1…\r".utf8)) }
    }

    func batch(_ done: Int, _ total: Int) {
        guard enabled else { return }
        let elapsed = Date().timeIntervalSince(start)
        let estimate = elapsed / Double(done) * Double(total - done)
        FileHandle.standardError.write(Data(String(format: "analysed batch %d/%d, %.0f s elapsed, about %.0f s left   \r", done, total, elapsed, estimate).utf8))
    }

    func finish() {
        if enabled { FileHandle.standardError.write(Data("\n".utf8)) }
    }
}
