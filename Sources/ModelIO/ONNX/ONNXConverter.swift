import AD
import Foundation

/// The conversion of one ONNX graph: the graph input, the nodes in order (ONNX graphs are
/// topologically sorted), the output. A graph of batch 1 is built alongside so that every
/// node's shape is known as it is mapped (GlobalAveragePool needs the spatial size, Reshape the
/// per-sample size) and shape errors name the node as it is read.
struct ONNXConverter {
    let reader: ONNXReader
    let graph: Onnx_GraphProto
    let opset: Int

    /// What an ONNX value name stands for.
    enum Value {
        /// A node's output (or the input), by bpcheck name.
        case node(String)
        /// An initializer or a Constant's output, with the key it gets as a tensor.
        case constant(HostTensor, key: String)
        /// An output bpcheck does not compute (MaxPool's indices, BatchNormalization's
        /// statistics, Dropout's mask): an error if read.
        case unsupported(String)
        /// An int64 vector computed from a tensor's shape (`Shape`, `Gather`, `Unsqueeze`,
        /// `Concat`): what exporters write for `x.view(x.size(0), -1)` with a dynamic batch.
        /// Folded at import; only a `Reshape` may read it.
        case shapeVector([ShapeDim])
        /// A computed tensor with `axes` leading unit axes added (`Unsqueeze` of axis 0):
        /// jax2onnx's max-pooling lifts `[N, C, H, W]` to `[1, 1, N, C, H, W]`, pools with
        /// kernel `[1, 1, kh, kw]` and squeezes back. Only a pool or a `Squeeze` of the same
        /// axes may read it.
        case lifted(String, axes: Int)
    }

    /// One entry of a `shapeVector`: the batch size (dynamic), or a known integer.
    enum ShapeDim: Equatable {
        case batch
        case value(Int)
    }

    private(set) var inputShape: [Int] = []
    private(set) var nodes: [ModelNode] = []
    private(set) var tensors: [String: HostTensor] = [:]
    private(set) var notes: [String] = []
    /// Nodes evaluated at import (`foldConstantNode`), named in one note.
    var foldedNodes: [String] = []

    private var values: [String: Value] = [:]
    var decoder: ONNXTensorDecoder
    private var shapes = Graph()
    private var ids: [String: NodeID] = [:]
    private var taken: Set<String> = ["input", "targets", "loss"]

    init(reader: ONNXReader, graph: Onnx_GraphProto, opset: Int) {
        self.reader = reader
        self.graph = graph
        self.opset = opset
        self.decoder = ONNXTensorDecoder(file: reader.file, directory: reader.directory)
    }

    var file: String { reader.file }

    func fail(_ message: String, node: String? = nil, key: String? = nil) -> ModelError {
        reader.fail(message, node: node, key: key)
    }

    // MARK: - The graph

    mutating func convert() throws {
        // Initializers (IR < 4 also lists them as graph inputs).
        for (i, t) in graph.initializer.enumerated() {
            guard !t.name.isEmpty else { throw fail("initializer #\(i) has no name", key: "graph.initializer") }
            values[t.name] = .constant(try decoder.decode(t, node: nil, key: "graph.initializer"), key: t.name)
            taken.insert(t.name)
        }
        // Constant outputs become tensor keys: no node may take their names.
        for n in graph.node where n.opType == "Constant" { for o in n.output where !o.isEmpty { taken.insert(o) } }
        try readInput()
        guard !graph.node.isEmpty else { throw fail("the graph has no nodes", key: "graph.node") }
        guard graph.output.count == 1, let outputName = graph.output.first?.name else {
            throw fail("expected one graph output, found \(graph.output.count) (\(graph.output.map(\.name).joined(separator: ", ")))", key: "graph.output")
        }
        let gelu = ONNXGELUPattern(graph) { scalarConstant($0) }
        for (index, proto) in graph.node.enumerated() where !gelu.absorbed.contains(index) {
            if let match = gelu.matches[index] {
                try convertGELU(proto, index: index, match)
            } else {
                try convert(proto, index: index, graphOutput: outputName)
            }
        }
        if !foldedNodes.isEmpty {
            note("\(foldedNodes.count) node\(foldedNodes.count == 1 ? "" : "s") of constants folded at import: \(foldedNodes.joined(separator: ", "))")
        }
        switch values[outputName] {
        case .node(let name)?:
            guard name != "input" else { throw fail("the graph output '\(outputName)' is the input: no node computes anything", key: "graph.output") }
            guard nodes.last?.name == name else {
                throw fail("the graph output '\(outputName)' is node '\(name)', but nodes follow it (bpcheck's output is the last node)", key: "graph.output")
            }
        case .constant?: throw fail("the graph output '\(outputName)' is a constant", key: "graph.output")
        case .unsupported(let what)?: throw fail("the graph output '\(outputName)' is \(what), which bpcheck does not compute", key: "graph.output")
        case .shapeVector?: throw fail("the graph output '\(outputName)' is a shape computation", key: "graph.output")
        case .lifted?: throw fail("the graph output '\(outputName)' has unit axes added in front (Unsqueeze), which bpcheck does not compute", key: "graph.output")
        case nil: throw fail("no node computes the graph output '\(outputName)'", key: "graph.output")
        }
    }

    /// The one graph input that is not an initializer: its per-sample shape, static.
    private mutating func readInput() throws {
        let real = graph.input.filter { input in
            if case .constant? = values[input.name] { return false }
            return true
        }
        guard real.count == 1, let input = real.first else {
            throw fail("expected one graph input besides the initializers, found \(real.count) (\(real.map(\.name).joined(separator: ", ")))", key: "graph.input")
        }
        let key = "graph.input", who = "input '\(input.name)': "
        guard input.hasType, case .tensorType(let tensorType)? = input.type.value else {
            throw fail(who + "the input has no tensor type", key: key)
        }
        if let dtype = ONNXTensorDecoder.dtype(tensorType.elemType), !dtype.isFloatingPoint {
            throw fail(who + "the input has integer type \(dtype); bpcheck's input is a float tensor", key: key)
        } else if ONNXTensorDecoder.dtype(tensorType.elemType) == nil {
            throw fail(who + "the input has type \(ONNXTensorDecoder.typeName(tensorType.elemType)); bpcheck's input is a float tensor", key: key)
        }
        guard tensorType.hasShape else { throw fail(who + "the input has no shape; bpcheck needs the per-sample shape", key: key) }
        let dims = tensorType.shape.dim
        guard dims.count >= 2, dims.count <= 4 else {
            throw fail(who + "expected an input [N, features] or [N, C, H, W] (rank 2 to 4), found rank \(dims.count)", key: key)
        }
        var shape: [Int] = []
        for (axis, d) in dims.enumerated().dropFirst() {
            guard case .dimValue(let v)? = d.value, v > 0, v <= Int64(Graph.maxElements) else {
                let found: String
                switch d.value {
                case .dimParam(let p)?: found = "the symbol '\(p)'"
                case .dimValue(let v)?: found = "\(v)"
                case nil: found = "unknown"
                }
                throw fail(who + "dimension \(axis) is \(found): bpcheck needs a static per-sample shape (only the batch axis 0 may be dynamic)", key: key)
            }
            shape.append(Int(v))
        }
        inputShape = shape
        values[input.name] = .node("input")
        do {
            ids["input"] = try shapes.input("input", shape: [1] + shape)
        } catch let e as GraphError {
            throw fail("input '\(input.name)': " + e.message, key: key)
        }
    }

    // MARK: - Helpers for one node

    /// The node being converted: its bpcheck name, its ONNX proto, its attributes.
    struct Context {
        let name: String
        let proto: Onnx_NodeProto
        let attributes: ONNXAttributes
        var opType: String { proto.opType }
        /// The name in messages: `name (OpType)`.
        var label: String { "\(name) (\(proto.opType))" }
    }

    func fail(_ c: Context, _ key: String?, _ message: String) -> ModelError {
        fail(message, node: c.label, key: key)
    }

    /// A unique bpcheck node name: the ONNX node's name, else its first output, else op#index.
    mutating func uniqueName(_ proto: Onnx_NodeProto, index: Int) -> String {
        var base = proto.name.isEmpty ? (proto.output.first { !$0.isEmpty } ?? "") : proto.name
        if base.isEmpty { base = "\(proto.opType)_\(index)" }
        var name = base, k = 2
        while taken.contains(name) {
            name = "\(base)_\(k)"
            k += 1
        }
        taken.insert(name)
        return name
    }

    /// Input `k` (or nil when absent or empty).
    func inputName(_ c: Context, _ k: Int) -> String? {
        k < c.proto.input.count && !c.proto.input[k].isEmpty ? c.proto.input[k] : nil
    }

    /// What the value `name` stands for, if it is defined yet.
    func valueIfKnown(_ name: String) -> Value? { values[name] }

    func value(_ c: Context, _ k: Int, role: String) throws -> Value {
        guard let name = inputName(c, k) else { throw fail(c, role, "\(c.opType) needs input \(k) (\(role))") }
        switch values[name] {
        case let v?:
            if case .unsupported(let what) = v { throw fail(c, role, "reads '\(name)', \(what), which bpcheck does not compute") }
            return v
        case nil: throw fail(c, role, "input \(k) ('\(name)') is not the graph input, an initializer or an earlier node's output")
        }
    }

    /// Input `k` as a computed tensor (bpcheck node name).
    func computed(_ c: Context, _ k: Int, role: String = "input") throws -> String {
        switch try value(c, k, role: role) {
        case .node(let n): return n
        case .constant(_, let key): throw fail(c, role, "input \(k) ('\(key)') is a constant; bpcheck's \(c.opType) reads a computed tensor there")
        case .shapeVector: throw fail(c, role, "input \(k) ('\(inputName(c, k) ?? "")') is a shape computation; only Reshape reads one")
        case .lifted: throw fail(c, role, "input \(k) ('\(inputName(c, k) ?? "")') has unit axes added in front (Unsqueeze); only a pool over the original axes or a Squeeze of them may read it")
        case .unsupported: throw fail(c, role, "unreachable")
        }
    }

    /// Input `k` as a constant (initializer or Constant output).
    func constant(_ c: Context, _ k: Int, role: String) throws -> (tensor: HostTensor, key: String) {
        switch try value(c, k, role: role) {
        case .constant(let t, let key): return (t, key)
        case .node(let n): throw fail(c, role, "input \(k) ('\(inputName(c, k) ?? n)') is computed; bpcheck needs an initializer or a Constant there")
        case .shapeVector, .lifted: throw fail(c, role, "input \(k) ('\(inputName(c, k) ?? "")') is computed; bpcheck needs an initializer or a Constant there")
        case .unsupported: throw fail(c, role, "unreachable")
        }
    }

    /// The optional constant input `k`.
    func optionalConstant(_ c: Context, _ k: Int, role: String) throws -> (tensor: HostTensor, key: String)? {
        inputName(c, k) == nil ? nil : try constant(c, k, role: role)
    }

    /// The batch-1 shape of a computed value.
    func shape(_ node: String) -> [Int] {
        ids[node].map { shapes.nodes[$0].shape } ?? []
    }

    /// Registers `tensor` under `key` (a new key when the name already holds other contents).
    mutating func register(_ key: String, _ tensor: HostTensor) -> String {
        var k = key, n = 2
        while let existing = tensors[k], existing != tensor {
            k = "\(key)#\(n)"
            n += 1
        }
        tensors[k] = tensor
        return k
    }

    /// Appends a bpcheck node for `c` reading `inputs` and the parameters `(role, key, tensor)`;
    /// its output defines the ONNX node's first output.
    mutating func emit(_ c: Context, _ op: Op, inputs: [String], parameters: [(role: String, key: String, tensor: HostTensor)] = [],
                       name: String? = nil) throws {
        let nodeName = name ?? c.name
        var params: [(role: String, tensor: String)] = []
        var operands: [NodeID] = []
        for i in inputs {
            guard let id = ids[i] else { throw fail(c, "inputs", "internal: '\(i)' has no shape") }
            operands.append(id)
        }
        for p in parameters {
            guard p.tensor.dtype.isFloatingPoint else {
                throw fail(c, p.role, "tensor '\(p.key)' has integer type \(p.tensor.dtype); \(c.opType)'s \(p.role) must be a float tensor")
            }
            let key = register(p.key, p.tensor)
            params.append((p.role, key))
            do {
                let id = try ids[key] ?? shapes.parameter(key, shape: p.tensor.shape)
                ids[key] = id
                operands.append(id)
            } catch let e as GraphError {
                throw fail(c, p.role, "tensor '\(key)': \(e.message)")
            }
        }
        do {
            ids[nodeName] = try shapes.apply(nodeName, op, operands)
        } catch let e as GraphError {
            throw fail(c, e.key, "\(c.opType): \(e.message)")
        }
        nodes.append(ModelNode(name: nodeName, op: op, inputs: inputs, parameters: params))
        if let out = c.proto.output.first, !out.isEmpty { values[out] = .node(nodeName) }
    }

    /// Outputs past the first, marked as not computed.
    mutating func markExtraOutputs(_ c: Context, _ what: String) {
        for o in c.proto.output.dropFirst() where !o.isEmpty { values[o] = .unsupported("the \(what) of \(c.label)") }
    }

    /// The first output stands for `value` (Identity, Dropout, a removed Softmax).
    mutating func alias(_ c: Context, _ value: Value) {
        if let out = c.proto.output.first, !out.isEmpty { values[out] = value }
    }

    mutating func note(_ text: String) { notes.append(text) }

    // MARK: - One node

    mutating func convert(_ proto: Onnx_NodeProto, index: Int, graphOutput: String) throws {
        let name = uniqueName(proto, index: index)
        let c = Context(name: name, proto: proto, attributes: ONNXAttributes(proto, node: "\(name) (\(proto.opType))", file: file))
        guard proto.domain.isEmpty || proto.domain == "ai.onnx" else {
            throw fail(c, "domain", "ops of domain '\(proto.domain)' are not supported (only the default ONNX domain)")
        }
        guard !proto.output.isEmpty, !proto.output[0].isEmpty else { throw fail(c, "output", "the node has no output") }
        try mapNode(c, isGraphOutput: proto.output[0] == graphOutput)
    }

    /// The last node of a GELU written out (`ONNXGELUPattern`): one `gelu` of its input.
    mutating func convertGELU(_ proto: Onnx_NodeProto, index: Int, _ match: ONNXGELUPattern.Match) throws {
        let name = uniqueName(proto, index: index)
        let c = Context(name: name, proto: proto, attributes: ONNXAttributes(proto, node: "\(name) (\(proto.opType))", file: file))
        var input = Onnx_NodeProto()
        input.input = [match.x]
        let xc = Context(name: name, proto: input, attributes: c.attributes)
        try emit(c, .gelu(approximate: match.approximate), inputs: [try computed(xc, 0, role: "x")])
        let names = match.nodes.map { graph.node[$0] }.map { $0.name.isEmpty ? $0.opType : "\($0.name) (\($0.opType))" }
        let formula = match.approximate ? "x·½·(1 + tanh(√(2/π)·(x + 0.044715·x³)))" : "x·½·(1 + erf(x ÷ √2))"
        note("\(name): the \(match.approximate ? "tanh-approximate" : "exact") GELU written as \(formula) (\(names.joined(separator: ", "))) read as one gelu node")
    }

    /// The value `name` as a scalar float constant (an initializer or a Constant node's
    /// output), nil otherwise or when it does not decode.
    func scalarConstant(_ name: String) -> Double? {
        var decoder = self.decoder
        if let t = graph.initializer.first(where: { $0.name == name }) {
            guard let v = try? decoder.decode(t, node: nil, key: "graph.initializer"), v.count == 1, v.dtype.isFloatingPoint else { return nil }
            return v.doubles()[0]
        }
        guard let n = graph.node.first(where: { $0.opType == "Constant" && $0.output.first == name }) else { return nil }
        if let a = n.attribute.first(where: { $0.name == "value_float" }), a.type == .float { return Double(a.f) }
        guard let a = n.attribute.first(where: { $0.name == "value" }), a.hasT,
              let v = try? decoder.decode(a.t, node: nil, key: "value"), v.count == 1, v.dtype.isFloatingPoint else { return nil }
        return v.doubles()[0]
    }
}
