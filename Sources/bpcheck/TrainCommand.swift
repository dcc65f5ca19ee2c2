import ArgumentParser
import BPCheck
import Foundation

/// `bpcheck train model.json --data set.npz …`: training replay (docs/training.md) — for each
/// precision, trajectories under C and C′ from the same weights on the same batches, with the
/// Markdown, JSON and SVG report and the final weights of every trajectory.
struct TrainCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "train",
        abstract: "Train a model at several precisions under the convention C and its alternative C′, and report where the trajectories part.",
        discussion: """
            Exit codes: 0 trained and reported; 2 the input or the command line is wrong. \
            docs/training.md has the update formulas, their order of operations and the report's fields.

            """ + ConventionFlags.help
    )

    @Argument(help: "The model file (model.json, or an ONNX file).")
    var model: String
    @Option(help: "The loss of an ONNX model: cross_entropy (default) or mse.")
    var loss: String?
    @Option(help: "Training data: an .npz with members x and y (or inputs and targets); default the model's own data.")
    var data: String?
    @Option(help: "Held-out data (.npz like --data) for --eval-every.")
    var evalData: String?
    @Option(help: "Samples per step.")
    var batchSize: Int = 32
    @Option(help: "Optimizer steps.")
    var steps: Int = 100
    @Option(help: "sgd or adam (torch.optim.SGD, torch.optim.Adam).")
    var optimizer: String = "sgd"
    @Option(help: "Learning rate (default 1e-3, torch.optim's).")
    var lr: Double = 1e-3
    @Option(help: "SGD momentum.")
    var momentum: Double = 0
    @Option(help: "SGD dampening.")
    var dampening: Double = 0
    @Flag(help: "SGD with Nesterov momentum.")
    var nesterov = false
    @Option(help: "L2 weight decay (SGD and Adam, as torch.optim's weight_decay).")
    var weightDecay: Double = 0
    @Option(help: "Adam's β₁.")
    var beta1: Double = 0.9
    @Option(help: "Adam's β₂.")
    var beta2: Double = 0.999
    @Option(help: "Adam's ε.")
    var eps: Double = 1e-8
    @Option(help: "Precisions, comma-separated: f16, bf16, f32, f64.")
    var precisions = PrecisionList(argument: "f16,bf16,f32,f64")
    @Option(help: "Derivative convention C: pytorch or alternative (C′ is C flipped).")
    var convention = ConventionPreset(argument: "pytorch")
    @Option(name: .customLong("derivative"), parsing: .singleValue,
            help: "A convention choice as CHOICE=VALUE (repeatable); each also has its own option, listed below.")
    var derivatives: [ConventionEntry] = []
    @Option(name: .customLong("alternative-derivative"), parsing: .singleValue,
            help: "A choice of C′ as CHOICE=VALUE (repeatable), set after C′ = C flipped: e.g. maxpool-tie=first to make C and C′ differ only in relu'(0).")
    var alternativeDerivatives: [ConventionEntry] = []
    @Option(help: "How linear and conv2d accumulate: separate (default), fma, or wider.")
    var accumulation = AccumulationOption(argument: "separate")
    @Option(help: "Seed of the shuffle shared by every run (SplitMix64; docs/training.md).")
    var shuffleSeed: UInt64 = 0
    @Flag(help: "Take the training samples in order (no shuffle).")
    var noShuffle = false
    @Option(help: "Start from PyTorch's default initialisation of every linear and conv2d layer, drawn with this seed (bpcheck's generator, not torch's), instead of the model's weights.")
    var reinit: UInt64?
    @Option(help: "f32: keep an f32 master copy of the weights and optimizer state for f16 and bf16 (mixed-precision training).")
    var masterWeights: String?
    @Option(help: "Evaluate held-out loss and accuracy (--eval-data) at step 0, every K steps and at the last step.")
    var evalEvery: Int?
    @Option(help: "Run the certified analysis of the step's batch at the C trajectory's weights every K steps (slow).")
    var certifyEvery: Int?
    @Option(help: "Markdown report path (default reports/<model name>-train.md); JSON, figures and weights are written beside it.")
    var report: String?
    @Option(help: "JSON report path (default: the report's path with .json).")
    var json: String?
    @Option(help: "Threads: the precisions run in parallel (the numbers do not depend on it).")
    var threads: Int = ProcessInfo.processInfo.activeProcessorCount

    func validate() throws {
        _ = try precisions.parsed.get()
        _ = try accumulation.parsed.get()
        _ = try conventions()
        _ = try chosenOptimizer()
        guard steps >= 1 else { throw ValidationError("--steps must be at least 1, found \(steps)") }
        guard batchSize >= 1 else { throw ValidationError("--batch-size must be at least 1, found \(batchSize)") }
        guard threads >= 1 else { throw ValidationError("--threads must be at least 1") }
        if let masterWeights, masterWeights != "f32" { throw ValidationError("--master-weights must be f32, found '\(masterWeights)'") }
        if let evalEvery, evalEvery < 1 { throw ValidationError("--eval-every must be at least 1, found \(evalEvery)") }
        if evalEvery != nil && evalData == nil { throw ValidationError("--eval-every needs held-out data: give --eval-data FILE.npz") }
        if let certifyEvery, certifyEvery < 1 { throw ValidationError("--certify-every must be at least 1, found \(certifyEvery)") }
    }

    func chosenOptimizer() throws -> Optimizer {
        let o: Optimizer
        switch optimizer {
        case "sgd": o = .sgd(SGDOptions(lr: lr, momentum: momentum, dampening: dampening, nesterov: nesterov, weightDecay: weightDecay))
        case "adam": o = .adam(AdamOptions(lr: lr, beta1: beta1, beta2: beta2, eps: eps, weightDecay: weightDecay))
        default: throw ValidationError("--optimizer must be sgd or adam, found '\(optimizer)'")
        }
        do { try o.validate() } catch let e as TrainingOptionError { throw ValidationError(e.message) }
        return o
    }

    func conventions() throws -> (DerivativeConvention, DerivativeConvention) {
        var c = try convention.parsed.get()
        for entry in derivatives {
            let (choice, value) = try entry.parsed.get()
            c[choice] = value
        }
        var alternative = c.flipped
        for entry in alternativeDerivatives {
            let (choice, value) = try entry.parsed.get()
            alternative[choice] = value
        }
        do {
            try c.validate()
            try alternative.validate()
        } catch let e as ConventionError { throw ValidationError(e.message) }
        return (c, alternative)
    }

    func run() throws {
        let loaded = try ModelLoading.load(model, loss: loss)
        let given = try data.map { try DataFile.read($0) }
        guard let inputs = given?.inputs ?? loaded.inputs, let targets = given?.targets ?? loaded.targets else {
            throw ModelError(file: model, key: "data", message: "no training data: the model has no 'data'; give one with --data")
        }
        let held = try evalData.map { try DataFile.read($0) }
        let (c, alternative) = try conventions()
        var start = loaded.tensors
        var initialization = "the model's weights"
        if let reinit {
            start = try Initialization.pytorchDefault(loaded, seed: reinit)
            initialization = "`--reinit \(reinit)`: PyTorch's default initialisation of every linear and conv2d layer (U(−1/√fan_in, 1/√fan_in) for weights and biases), drawn with bpcheck's SplitMix64 generator under seed \(reinit), rounded to f32 (not torch's random numbers)"
        }
        var run = TrainingRun(model: loaded, initialTensors: start, inputs: inputs, targets: targets, batchSize: batchSize, steps: steps,
                              optimizer: try chosenOptimizer(), convention: c, alternative: alternative)
        run.precisions = try precisions.parsed.get()
        run.arithmeticModel = ArithmeticModel(accumulation: try accumulation.parsed.get())
        run.shuffleSeed = shuffleSeed
        run.shuffles = !noShuffle
        run.masterWeights = masterWeights != nil
        run.evaluationInputs = held?.inputs
        run.evaluationTargets = held?.targets
        run.evaluateEvery = evalEvery ?? (held != nil ? max(steps / 10, 1) : nil)
        run.certifyEvery = certifyEvery
        run.threads = threads
        PassThreads.count = threads  // inside each pass too (the bits do not depend on it)
        // Data that does not fit the model: the error names the file it came from.
        let one = try loaded.graph(batch: 1)
        let outputShape = Array(one.graph.nodes[one.output].shape.dropFirst())
        for (file, x, y) in [(data ?? model, inputs, targets)] + (held.map { [(evalData!, $0.inputs, $0.targets)] } ?? []) {
            do {
                try loaded.checkBatch(inputs: x, targets: y, outputShape: outputShape)
            } catch let e as ModelError {
                throw ModelError(file: file, key: e.key, message: e.message)
            }
        }
        try run.validate()

        let progress = TrainingProgress(precisions: run.precisions, steps: steps, terminal: isatty(2) != 0)
        let result = try run.run { p, t, total in progress.step(p, t, total) }
        progress.finish()

        var hashes = try ReportBundle.hashes(model: model, weightsFile: loaded.weightsFile, dataFile: data)
        if let evalData { hashes.append((evalData, try SHA256.hex(contentsOf: URL(fileURLWithPath: evalData)))) }
        let context = TrainingReportContext(command: AnalyzeCommand.commandLine(), bpcheckVersion: BPCheckVersion.full,
                                            initialization: initialization, hashes: hashes)
        let path = report ?? "reports/\(loaded.name)-train.md"
        let written: TrainingReport.Written
        do {
            written = try TrainingReport.write(result, context, reportPath: path, jsonPath: json)
        } catch let e as CocoaError {
            throw ValidationError("cannot write the report: \(e.userInfo[NSFilePathErrorKey] ?? "") — \(e.localizedDescription)")
        }
        for r in result.results {
            let acc = r.evaluations.last.map { e in
                ", held-out accuracy C \(TrainingReport.percent(e.accuracy)) / C′ \(TrainingReport.percent(e.accuracyAlternative))"
            } ?? ""
            let bifurcation = r.firstBifurcation.map { "at step \($0)" } ?? "never"
            let parting = r.firstParting.map { "at step \($0)" } ?? "never (bit-identical)"
            let divergence = TrainingReport.short(r.steps.last?.divergence)
            let events = TrainingReport.location(r.firstNonFinite)
            print("\(r.precision): first bifurcation \(bifurcation), weights part \(parting), final divergence \(divergence)\(acc); first NaN/overflow: \(events)")
        }
        print("report: \(written.report), \(written.json), \(written.figures.joined(separator: ", ")), weights in \(written.weightsDirectory)")
    }
}

/// Progress on stderr: on a terminal, one updating line; otherwise a line per precision every
/// tenth of the run.
final class TrainingProgress: @unchecked Sendable {
    let start = Date()
    let terminal: Bool
    let steps: Int
    private var done: [String: Int] = [:]
    private let lock = NSLock()
    let names: [PrecisionName]

    init(precisions: [PrecisionName], steps: Int, terminal: Bool) {
        names = precisions
        self.steps = steps
        self.terminal = terminal
        FileHandle.standardError.write(Data("training \(precisions.map(\.description).joined(separator: ", ")): \(steps) steps each, two trajectories…\n".utf8))
    }

    func step(_ p: PrecisionName, _ t: Int, _ total: Int) {
        lock.lock()
        defer { lock.unlock() }
        done[p.description] = t
        let elapsed = Date().timeIntervalSince(start)
        if terminal {
            let line = names.map { "\($0) \(done[$0.description] ?? 0)/\(total)" }.joined(separator: "  ")
            FileHandle.standardError.write(Data(String(format: "%@  %.0f s   \r", line, elapsed).utf8))
        } else if t % max(total / 10, 1) == 0 || t == total {
            FileHandle.standardError.write(Data(String(format: "%@: step %d/%d, %.1f s\n", p.description, t, total, elapsed).utf8))
        }
    }

    func finish() {
        if terminal { FileHandle.standardError.write(Data("\n".utf8)) }
    }
}
