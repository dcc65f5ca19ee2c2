import AD
import Foundation
import Precision

/// A network as a model file describes it (model-format.md): nodes, tensors, the loss and a
/// default batch. Loading checks everything — every key, every tensor, every shape — and any
/// failure is a `ModelError` naming the file, the node and the key.
public struct Model: Sendable {
    /// The loss of a model file.
    public enum Loss: String, Sendable, Equatable {
        case crossEntropy = "cross_entropy"
        case mse
    }

    /// The model file's path as the user gave it (for messages).
    public var file: String
    /// The model's name (report titles); the file's stem when the file gives none.
    public var name: String
    /// The shape of one sample, without the batch axis.
    public var inputShape: [Int]
    /// The nodes, each after its inputs.
    public var nodes: [ModelNode]
    /// The loss applied to the last node.
    public var loss: Loss
    /// Every parameter tensor, inline or from the weights file, by key.
    public var tensors: [String: HostTensor]
    /// The safetensors file the tensors came from, if any.
    public var weightsFile: String?
    /// The default batch, if the file has one.
    public var inputs: HostTensor?
    public var targets: HostTensor?
    /// What reading the file left out or changed, for the user (e.g. ignored step counters).
    public var notes: [String] = []

    /// A model from its parts, checked as a model file is: every node's op, inputs and tensors,
    /// every shape, the default batch.
    /// - Throws: `ModelError` naming the node and key at fault (a missing tensor, an unused one,
    ///   a reference to a later node, a shape that does not fit, …).
    public init(file: String, name: String, inputShape: [Int], nodes: [ModelNode], loss: Loss, tensors: [String: HostTensor],
                weightsFile: String? = nil, inputs: HostTensor? = nil, targets: HostTensor? = nil) throws {
        self.init(unchecked: file, name: name, inputShape: inputShape, nodes: nodes, loss: loss, tensors: tensors,
                  weightsFile: weightsFile, inputs: inputs, targets: targets)
        try validate()
    }

    /// The parts as given; `validate()` must follow.
    init(unchecked file: String, name: String, inputShape: [Int], nodes: [ModelNode], loss: Loss, tensors: [String: HostTensor],
         weightsFile: String?, inputs: HostTensor?, targets: HostTensor?) {
        self.file = file
        self.name = name
        self.inputShape = inputShape
        self.nodes = nodes
        self.loss = loss
        self.tensors = tensors
        self.weightsFile = weightsFile
        self.inputs = inputs
        self.targets = targets
    }

    /// Loads a model.json, its weights file and its default batch; or an ONNX file (`.onnx`,
    /// `ONNXReader`, cross-entropy loss: `ONNXReader.read(contentsOf:loss:)` chooses the loss and
    /// returns the import's notes).
    public init(contentsOf url: URL) throws {
        if url.pathExtension.lowercased() == "onnx" {
            self = try ONNXReader.read(contentsOf: url).model
            return
        }
        let file = url.relativePath
        guard let data = FileManager.default.contents(atPath: url.path) else {
            throw ModelError(file: file, message: "cannot read the file (does it exist?)")
        }
        self = try ModelReader(file: file, directory: url.deletingLastPathComponent()).read([UInt8](data))
    }

    /// Parses a model.json held in `bytes`; relative paths resolve against `directory`.
    public init(json bytes: [UInt8], file: String, directory: URL) throws {
        self = try ModelReader(file: file, directory: directory).read(bytes)
    }

    func fail(_ message: String, node: String? = nil, key: String? = nil) -> ModelError {
        ModelError(file: file, node: node, key: key, message: message)
    }

    /// Checks the structure (nodes, references, tensors), the shapes (by building the graph for
    /// one sample) and the default batch. A model read from a file has passed the same checks
    /// with the reader's messages; this is what makes a `Model` built in code safe to use.
    func validate() throws {
        guard !inputShape.isEmpty, inputShape.count <= 3, inputShape.allSatisfy({ $0 > 0 }) else {
            throw fail("expected [features] or [C, H, W] with positive extents, found \(inputShape)", key: "input_shape")
        }
        guard !nodes.isEmpty else { throw fail("the graph has no nodes", key: "graph") }
        var defined: Set<String> = ["input"]
        for node in nodes {
            guard !node.name.isEmpty, !["input", "targets", "loss"].contains(node.name) else {
                throw fail("the names input, targets and loss are reserved (and a name may not be empty)", node: node.name, key: "name")
            }
            guard !defined.contains(node.name) else { throw fail("a node called '\(node.name)' already exists", node: node.name, key: "name") }
            guard !node.op.isLeaf, !node.op.isLoss else {
                throw fail("\(node.op.name) is not a node op (leaves are the input and the tensors; the loss is 'loss')", node: node.name, key: "op")
            }
            for ref in node.inputs where !defined.contains(ref) {
                throw fail("refers to '\(ref)', which is not an earlier node (nodes must come after their inputs)", node: node.name, key: "inputs")
            }
            for (role, key) in node.parameters {
                guard let t = tensors[key] else { throw fail("tensor '\(key)' is not in the weights file or the inline tensors", node: node.name, key: role) }
                guard t.dtype.isFloatingPoint else { throw fail("tensor '\(key)' has integer dtype \(t.dtype)", node: node.name, key: role) }
            }
            defined.insert(node.name)
        }
        let used = Set(nodes.flatMap { $0.parameters.map(\.tensor) })
        let unused = tensors.keys.filter { !used.contains($0) }.sorted()
        if !unused.isEmpty {
            throw fail("\(unused.count) tensor(s) no node uses: \(unused.prefix(5).joined(separator: ", "))\(unused.count > 5 ? ", …" : "") (remove them, or reference them from a node)", key: weightsFile == nil ? "tensors" : "weights")
        }
        let built = try graph(batch: 1)
        if let inputs {
            try checkBatch(inputs: inputs, targets: targets, outputShape: Array(built.graph.nodes[built.output].shape.dropFirst()))
        }
    }

    /// The AD graph for a batch of `batch` samples: a leaf `input`, a leaf per tensor (named by
    /// its key), the nodes, and `loss` (with the leaf `targets` for MSE, labels `targets` for
    /// cross-entropy).
    public func graph(batch: Int) throws -> ModelGraph {
        var g = Graph()
        func mapped(_ e: GraphError) -> ModelError { fail(e.message, node: e.node, key: e.key) }
        do {
            let input = try g.input("input", shape: [batch] + inputShape)
            var ids: [String: NodeID] = ["input": input]
            var parameters: [String: NodeID] = [:]
            for node in nodes {
                for (role, key) in node.parameters where parameters[key] == nil {
                    guard ids[key] == nil else { throw fail("tensor '\(key)' has the same name as a node", node: node.name, key: role) }
                    guard let tensor = tensors[key] else { throw fail("tensor '\(key)' is not in the weights file or the inline tensors", node: node.name, key: role) }
                    let id = try g.parameter(key, shape: tensor.shape)
                    parameters[key] = id
                    ids[key] = id
                }
                let operands = try node.inputs.map { ref in
                    guard let id = ids[ref] else { throw fail("refers to '\(ref)', which is not an earlier node", node: node.name, key: "inputs") }
                    return id
                } + node.parameters.compactMap { parameters[$0.tensor] }
                ids[node.name] = try g.apply(node.name, node.op, operands)
            }
            guard let last = nodes.last, let output = ids[last.name] else { throw fail("the graph has no nodes", key: "graph") }
            let lossID: NodeID
            var targetID: NodeID?
            switch loss {
            case .crossEntropy:
                guard g.nodes[output].shape.count == 2 else {
                    throw fail("cross_entropy needs logits of shape [N, classes]; the last node gives \(g.nodes[output].shape)", node: last.name, key: "loss")
                }
                lossID = try g.apply("loss", .crossEntropy(labels: "targets"), [output])
            case .mse:
                let t = try g.input("targets", shape: g.nodes[output].shape)
                targetID = t
                lossID = try g.apply("loss", .mse, [output, t])
            }
            return ModelGraph(graph: g, input: input, parameters: parameters, output: output, loss: lossID, targets: targetID)
        } catch let e as GraphError {
            throw mapped(e)
        }
    }

    /// Checks a batch against the model: inputs `[N] + input_shape`; targets class indices `[N]`
    /// in range (cross-entropy) or the output's shape (MSE).
    public func checkBatch(inputs: HostTensor, targets: HostTensor?, outputShape: [Int]) throws {
        guard inputs.dtype.isFloatingPoint else { throw fail("inputs must be a float tensor, found \(inputs.dtype)", key: "data.inputs") }
        guard inputs.shape.count == inputShape.count + 1, Array(inputs.shape.dropFirst()) == inputShape, inputs.shape[0] > 0 else {
            throw fail("expected shape [N] + \(inputShape), found \(inputs.shape)", key: "data.inputs")
        }
        guard let targets else { throw fail("inputs without targets", key: "data.targets") }
        let n = inputs.shape[0]
        switch loss {
        case .crossEntropy:
            guard let labels = targets.ints() else { throw fail("cross_entropy targets must be integer class indices (i64 or i32), found \(targets.dtype)", key: "data.targets") }
            guard targets.shape == [n] else { throw fail("expected \(n) labels (shape [\(n)]), found shape \(targets.shape)", key: "data.targets") }
            let classes = outputShape.last ?? 0
            if let bad = labels.firstIndex(where: { $0 < 0 || $0 >= classes }) {
                throw fail("label \(labels[bad]) of sample \(bad) is outside 0..<\(classes)", key: "data.targets")
            }
        case .mse:
            guard targets.dtype.isFloatingPoint else { throw fail("mse targets must be a float tensor, found \(targets.dtype)", key: "data.targets") }
            guard targets.shape == [n] + outputShape else { throw fail("expected shape \([n] + outputShape), found \(targets.shape)", key: "data.targets") }
        }
    }

    /// The values to execute the graph on a batch: every tensor, the inputs, and the targets
    /// (as labels or as a leaf).
    public func feed(inputs: HostTensor, targets: HostTensor) -> Feed {
        var feed = Feed()
        for (k, t) in tensors { feed.values[k] = t.doubles() }
        feed.values["input"] = inputs.doubles()
        switch loss {
        case .crossEntropy: feed.labels["targets"] = targets.ints()
        case .mse: feed.values["targets"] = targets.doubles()
        }
        return feed
    }

    /// Tensors holding NaN or ±∞, with counts: accepted, but to be named loudly.
    public var nonFiniteTensors: [(name: String, nan: Int, infinite: Int)] {
        var out: [(String, Int, Int)] = []
        for k in tensors.keys.sorted() {
            let (nan, inf) = tensors[k]!.nonFinite
            if nan + inf > 0 { out.append((k, nan, inf)) }
        }
        for (k, t) in [("data.inputs", inputs), ("data.targets", targets)] {
            if let t { let (nan, inf) = t.nonFinite; if nan + inf > 0 { out.append((k, nan, inf)) } }
        }
        return out
    }
}

