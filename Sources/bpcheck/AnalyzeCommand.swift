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

            """ + ConventionFlags.help
    )

    @Argument(help: "The model file (model.json, or an ONNX file: docs/onnx.md).")
    var model: String
    @Option(help: "The loss of an ONNX model (ONNX has none): cross_entropy (default) or mse.")
    var loss: String?

    @Option(help: "Data file: an .npz with members x and y (or inputs and targets), replacing the model's default batch.")
    var data: String?
    @Option(help: "Samples per batch (default: the whole data as one batch).")
    var batchSize: Int?
    @Option(help: "Number of batches (dataset mode; default: every whole batch the data holds).")
    var batches: Int?
    @Option(help: "Precisions to analyse, comma-separated: f16, bf16, f32, f64, e4m3, e5m2 (OCP fp8, non-saturating), mpfr:N; policies amp-f16, amp-bf16 (PyTorch autocast), e4m3-policy (fp8 recipe, saturating; e4m3-policy:nonsaturating), sr:f16, sr:bf16 (stochastic rounding, sr:bf16@SEED), policy:NAME (--policy).")
    var precisions = PrecisionList(argument: "f16,bf16,f32,f64")
    @Option(help: "Where the reference starts: double-double (balls, then MPFR intervals from 256 bits where needed) or mpfr:N (MPFR intervals only, from N bits).")
    var reference = ReferenceStart(argument: "double-double")
    @Option(help: "The reference's highest precision in bits; sites still unproven there are reported undecided.")
    var referenceCap: Int = 4096
    @Option(help: "The most memory the reference's forward values may take (bytes, or K, M, G); above it the reference runs chunk by chunk of samples, same decisions, gradients to far below any bound (docs/analyzer.md).")
    var referenceMemory = ByteSize(argument: "1G")
    @Option(help: "Derivative convention C: pytorch or alternative (C′ is C flipped).")
    var convention = ConventionPreset(argument: "pytorch")
    @Option(name: .customLong("derivative"), parsing: .singleValue,
            help: "A convention choice as CHOICE=VALUE (repeatable); each also has its own option, listed below.")
    var derivatives: [ConventionEntry] = []
    @Option(help: "How linear and conv2d accumulate: separate (default: two roundings), fma, or wider (f32 accumulator for 16-bit storage, f64 for f32).")
    var accumulation = AccumulationOption(argument: "separate")
    @Option(help: "Markdown report path (default reports/<model name>.md); figures are written beside it.")
    var report: String?
    @Option(help: "JSON report path (default: the report's path with .json).")
    var json: String?
    @Option(help: "Write g_P, g_P_alt, g_P_aligned, g_R, g_R_alt of the first batch as DIR/<precision>/<name>.safetensors.")
    var saveGradients: String?
    @Option(help: "Exit 1 when a precision is flagged: 'flagged' (kink-caused error > rounding error) or 'kink-error=TOL' (kink-caused relative error > TOL).")
    var failOn: FailOn?
    @Option(help: "A share of the batches: K/N (shard K of N, 0-based: the batches b with b mod N = K), or auto (a Slurm job array's task, or auto/N with Kubernetes' JOB_COMPLETION_INDEX). Needs --results.")
    var shard: ShardOption?
    @Option(help: "Write each batch's result to DIR/batch-NNNNNN.json (skipping those already there for the same run); bpcheck merge DIR… makes the report. docs/cluster.md.")
    var results: String?
    @Option(help: "The seed of the stochastic-rounding precisions given without @SEED (sr:bf16 = sr:bf16@0 otherwise).")
    var srSeed: UInt64 = 0
    @Option(help: "Analyse each stochastic-rounding precision under K seeds (its seed, seed+1, …): one row each, and their spread in the report.")
    var srSeeds: Int = 1
    @Option(name: .customLong("policy"), parsing: .singleValue,
            help: "A precision policy file (docs/precisions.md, \"Policy files\"): per-op-type or per-layer formats; analysed as policy:NAME (repeatable).")
    var policyFiles: [String] = []
    @Option(help: "Threads for the precisions and references, and inside each pass (default: every core); the numbers do not depend on it.")
    var threads: Int = ProcessInfo.processInfo.activeProcessorCount

    /// The typed options' errors, before anything is read.
    func validate() throws {
        _ = try precisions.parsed.get()
        _ = try accumulation.parsed.get()
        _ = try failOn?.parsed.get()
        _ = try referenceMemory.parsed.get()
        let bits = try reference.parsed.get().bits
        guard referenceCap >= bits else { throw ValidationError("--reference-cap \(referenceCap) is below the reference's \(bits) bits") }
        guard threads >= 1 else { throw ValidationError("--threads must be at least 1") }
        guard srSeeds >= 1 && srSeeds <= 1000 else { throw ValidationError("--sr-seeds must be between 1 and 1000, found \(srSeeds)") }
        _ = try conventions()
        if let batchSize, batchSize < 1 { throw ValidationError("--batch-size must be at least 1, found \(batchSize)") }
        if let batches, batches < 1 { throw ValidationError("--batches must be at least 1, found \(batches)") }
        if let shard, results == nil {
            throw ValidationError("--shard \(shard.argument) needs --results DIR (each shard writes its batches there; bpcheck merge joins them)")
        }
    }

    func run() throws {
        let loaded = try ModelLoading.load(model, loss: loss)
        let (names, policies) = try policyPrecisions(try precisions.parsed.get())
        let start = try reference.parsed.get()
        let options = ReferenceOptions(initialBits: start.bits, capBits: referenceCap, firstRung: start.rung,
                                       streamingBytes: try referenceMemory.parsed.get())
        let (c, alternative) = try conventions()
        let accumulationKind = try accumulation.parsed.get()
        let flagRule = try failOn?.parsed.get() ?? .kinkExceedsRounding
        if accumulationKind == .widerAccumulator, let p = names.first(where: { Accumulate.wideFormat(for: $0) == nil }) {
            throw ValidationError("--accumulation wider applies to f16, bf16 and f32 storage; \(p) has no wider format: leave it out of --precisions")
        }

        // The data file's inputs are read on demand where it stores them (np.savez): a shard
        // holds its own batches only.
        let given = try data.map { try DataFile.open($0) }
        guard let inputs = given?.inputs ?? loaded.inputs, let targets = given?.targets ?? loaded.targets else {
            throw ModelError(file: model, key: "data", message: "no batch: the model has no 'data'; give one with --data")
        }
        guard let samples = inputs.shape.first else {
            throw ModelError(file: data ?? model, key: "data.inputs", message: "expected a batch [N, …], found a scalar")
        }
        let size = batchSize ?? samples
        guard size >= 1, size <= samples else { throw ValidationError("--batch-size \(size) does not fit the \(samples) samples of the data") }
        // Both numbers are the user's: their product may not fit an Int.
        let needed = (batches ?? 0).multipliedReportingOverflow(by: size)
        guard (batches ?? 1) >= 1, !needed.overflow, needed.partialValue <= samples else {
            throw ValidationError("--batches \(batches ?? 0) of \(size) need \(needed.overflow ? "more" : "\(needed.partialValue)") samples; the data holds \(samples)")
        }
        var analysis = Analysis(model: loaded, precisions: names, reference: options, convention: c, alternative: alternative,
                                arithmeticModel: ArithmeticModel(accumulation: accumulationKind), flagRule: flagRule)
        analysis.threads = threads
        // The five gradients per tensor are kept only to be saved (W3: 74 MB each, per precision).
        analysis.keepsGradients = saveGradients != nil
        analysis.policies = policies
        // Unknown layers of a policy file, before anything runs (the graph is built once here).
        for case .policy(let name) in names { _ = try NodeRounding.forPrecision(.policy(name), graph: try loaded.graph(batch: size).graph, policies: policies) }
        PassThreads.count = threads  // inside each pass too (the bits do not depend on it)
        let progress = Progress(enabled: isatty(2) != 0)
        if let results {
            // A share of the batches, one result file each; the report comes from bpcheck merge
            // (or here, when this run covers every batch).
            let shard = try (self.shard ?? ShardOption(argument: "0/1")!).resolve()
            let total = batches ?? (samples / size)
            let manifest = RunManifest(model: loaded.name, hashes: try ReportBundle.hashes(model: model, weightsFile: loaded.weightsFile, dataFile: data),
                                       loss: loss, precisions: names, reference: options, convention: c, alternative: alternative,
                                       arithmeticModel: ArithmeticModel(accumulation: accumulationKind), flagRule: flagRule,
                                       batchSize: size, batches: total, bpcheckVersion: BPCheckVersion.full)
            let dataset = try DatasetAnalysis(analysis, inputs: inputs, targets: targets, batchSize: size, batches: total)
            let directory = URL(fileURLWithPath: results)
            let done = try ShardRun(directory: directory, manifest: manifest, command: Self.commandLine(dropping: ["--shard", "--results"]))
                .run(dataset, shard: shard, progress: progress)
            print("shard \(shard): \(done.analysed) batch\(done.analysed == 1 ? "" : "es") analysed, \(done.skipped) already done, in \(results)")
            if shard.count == 1 {
                try ResultSet(directories: [directory]).writeReport(report: report, json: json, allowPartial: false, failOn: failOn != nil)
            }
            return
        }
        let result = try DatasetAnalysis(analysis, inputs: inputs, targets: targets, batchSize: size, batches: batches ?? (samples / size)).run {
            progress.batch($0, $1)
        }
        progress.finish()

        let summaries = names.map { p in PrecisionSummary(p, result.batches.map { $0[p] }) }
        let hashes = try ReportBundle.hashes(model: model, weightsFile: loaded.weightsFile, dataFile: data)
        var context = ReportContext(modelName: loaded.name, command: Self.commandLine(), bpcheckVersion: BPCheckVersion.full, hashes: hashes,
                                    reference: options, convention: c, alternative: alternative,
                                    arithmeticModel: ArithmeticModel(accumulation: accumulationKind), flagRule: flagRule)
        context.policyNotes = PolicyNotes.lines(names, policies: policies)
        do {
            try write(summaries, context, name: loaded.name, result: result, names: names)
        } catch let e as CocoaError {
            throw ValidationError("cannot write the report: \(e.userInfo[NSFilePathErrorKey] ?? "") — \(e.localizedDescription)")
        }
        if failOn != nil && summaries.contains(where: \.flagged) { throw ExitCode(1) }
    }

    /// Writes the Markdown, JSON, figures and saved gradients, and prints the verdicts.
    func write(_ summaries: [PrecisionSummary], _ context: ReportContext, name: String, result: DatasetResult, names: [PrecisionName]) throws {
        let written = try ReportBundle.write(context, summaries, reportPath: report ?? "reports/\(name).md", jsonPath: json)
        if let saveGradients {
            try GradientExport.save(result.batches[0], names, to: URL(fileURLWithPath: saveGradients), version: BPCheckVersion.full)
        }

        for s in summaries { print(ReportMarkdown.verdict(s).replacingOccurrences(of: "**", with: "")) }
        print("report: \(written.report), \(written.json), \(written.figures.errors), \(written.figures.kinks)")
    }

    /// The precisions with `--sr-seed`/`--sr-seeds` applied to the stochastic ones and each
    /// `--policy` file's `policy:NAME` appended (when not already listed), with the files' rules.
    func policyPrecisions(_ given: [PrecisionName]) throws -> ([PrecisionName], [String: PolicySpec]) {
        var names: [PrecisionName] = []
        for p in given {
            guard case .stochastic(let low, let seed) = p else { names.append(p); continue }
            let first = seed == 0 ? srSeed : seed
            for k in 0..<UInt64(srSeeds) { names.append(.stochastic(low, seed: first &+ k)) }
        }
        var policies: [String: PolicySpec] = [:]
        for file in policyFiles {
            let spec = try PolicyFile.read(file)
            if let other = policies[spec.name] {
                throw ModelError(file: file, key: "name", message: "policy '\(spec.name)' is also defined by \(other.source ?? "another file")")
            }
            policies[spec.name] = spec
            if !names.contains(.policy(spec.name)) { names.append(.policy(spec.name)) }
        }
        for case .policy(let name) in names where policies[name] == nil {
            throw ValidationError("--precisions: policy:\(name) needs its file (--policy FILE with \"name\": \"\(name)\")")
        }
        return (names.reduce(into: []) { if !$0.contains($1) { $0.append($1) } }, policies)
    }

    /// C from the preset and the table entries given, checked; C′ is C flipped.
    func conventions() throws -> (DerivativeConvention, DerivativeConvention) {
        var c = try convention.parsed.get()
        for entry in derivatives {
            let (choice, value) = try entry.parsed.get()
            c[choice] = value
        }
        do { try c.validate() } catch let e as ConventionError { throw ValidationError(e.message) }
        return (c, c.flipped)
    }

    static func commandLine(dropping options: Set<String> = []) -> String {
        var args: [String] = [], skip = false
        for a in CommandLine.arguments.dropFirst() {
            if skip { skip = false; continue }
            if options.contains(a) { skip = true; continue }
            if let eq = a.firstIndex(of: "="), options.contains(String(a[..<eq])) { continue }
            args.append(a)
        }
        return (["bpcheck"] + args).map { $0.contains(" ") ? "'\($0)'" : $0 }.joined(separator: " ")
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
