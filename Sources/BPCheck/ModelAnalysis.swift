import AD
import Analyzer
import ModelIO
import Precision

/// A model file's network over a batch or a sequence of batches of its data: the graph for the
/// batch size, and each batch checked against the model and fed as the model's leaves (`input`,
/// `targets`, every tensor) when analysed.
public struct ModelBatches: NetworkBatchSource {
    public var model: Model
    /// The data (in memory, or read on demand: `DataFile.open`); nil makes `graph()` throw (no batch).
    public var inputs: (any SampleSource)?
    public var targets: (any SampleSource)?
    /// Samples per batch; nil: the whole data as one batch.
    public var batchSize: Int?
    /// How many batches of `batchSize` (default: every whole batch the data holds).
    public var batches: Int?

    public init(model: Model, inputs: (any SampleSource)?, targets: (any SampleSource)?, batchSize: Int? = nil, batches: Int? = nil) {
        self.model = model
        self.inputs = inputs
        self.targets = targets
        self.batchSize = batchSize
        self.batches = batches
    }

    public var name: String { model.name }

    /// 1 for the whole data; else at most the whole batches of `batchSize` the data holds.
    /// - Throws: `ModelError` when the data does not make one batch of `batchSize`.
    public var batchCount: Int {
        get throws {
            guard let batchSize else { return 1 }
            let available = inputs?.shape.first.map { $0 / max(batchSize, 1) } ?? 0
            let count = min(batches ?? available, available)
            guard batchSize >= 1, count >= 1 else {
                throw ModelError(file: "data", key: "batch-size", message: "\(inputs?.shape.first ?? 0) samples do not make one batch of \(batchSize)")
            }
            return count
        }
    }

    /// The data, or the error of an analysis without a batch.
    func data() throws -> (inputs: any SampleSource, targets: any SampleSource) {
        guard let inputs, let targets else {
            throw ModelError(file: model.file, key: "data", message: "no batch: the model file has no 'data' and none was given")
        }
        return (inputs, targets)
    }

    /// Batch `k`'s inputs and targets.
    func samples(_ k: Int) throws -> (inputs: HostTensor, targets: HostTensor) {
        let (inputs, targets) = try data()
        let range = batchSize.map { (k * $0)..<((k + 1) * $0) } ?? 0..<(inputs.shape.first ?? 0)
        do {
            return (try inputs.samples(range), try targets.samples(range))
        } catch let e as HostTensorError {
            throw ModelError(file: model.file, key: "data", message: "batch \(k) of \(batchSize.map(String.init) ?? "all samples"): \(e.message)")
        }
    }

    public func graph() throws -> ModelGraph {
        try model.graph(batch: samples(0).inputs.shape.first ?? 0)
    }

    /// Batch `k`, checked against the model (`Model.checkBatch`).
    public func feed(batch k: Int) throws -> Feed {
        let (inputs, targets) = try samples(k)
        let built = try model.graph(batch: inputs.shape.first ?? 0)
        try model.checkBatch(inputs: inputs, targets: targets, outputShape: Array(built.graph.nodes[built.output].shape.dropFirst()))
        return model.feed(inputs: inputs, targets: targets)
    }
}

extension Analysis {
    /// The analysis of a model file's network on a batch, default the model's own; running it
    /// throws `ModelError` when there is no batch or it does not fit the model.
    ///
    /// ```swift
    /// let result = try Analysis(model: model, precisions: [.f32, .f16]).run()
    /// #expect(result[.f32].kinkCausedError < 1e-6)
    /// ```
    public init(model: Model, precisions: [PrecisionName] = PrecisionName.standard, reference: ReferenceOptions = ReferenceOptions(),
                convention: DerivativeConvention = .pytorch, alternative: DerivativeConvention? = nil,
                arithmeticModel: ArithmeticModel = .default, flagRule: FlagRule = .kinkExceedsRounding,
                inputs: HostTensor? = nil, targets: HostTensor? = nil) {
        let batch = ModelBatches(model: model, inputs: inputs ?? model.inputs, targets: targets ?? model.targets)
        self.init(source: .network(batch, batch: 0), precisions: precisions, reference: reference, convention: convention,
                  alternative: alternative, arithmeticModel: arithmeticModel, flagRule: flagRule)
    }
}

extension DatasetAnalysis {
    /// Dataset mode over a model file's network (`template` is an `Analysis(model:…)`): `batches`
    /// batches (default: every whole one) of `batchSize` consecutive samples of `inputs` and
    /// `targets`, each checked against the model when analysed.
    /// - Throws: `AnalysisOptionError` when `template` analyses a graph written in code (give it
    ///   its batches with `DatasetAnalysis(_:batches:)`).
    public init(_ template: Analysis, inputs: any SampleSource, targets: any SampleSource, batchSize: Int, batches: Int? = nil) throws {
        guard case .network(let network as ModelBatches, _) = template.source else {
            throw AnalysisOptionError(message: "DatasetAnalysis(_:inputs:targets:batchSize:batches:) needs an Analysis(model:); give a graph written in code its batches with DatasetAnalysis(_:batches:)")
        }
        self.init(template, batches: ModelBatches(model: network.model, inputs: inputs, targets: targets, batchSize: batchSize, batches: batches))
    }
}
