import AD
import Foundation
import Precision

/// Reads model.json v1 (model-format.md) into a `Model`, checking every key.
struct ModelReader {
    let file: String
    let directory: URL

    func fail(_ message: String, node: String? = nil, key: String? = nil) -> ModelError {
        ModelError(file: file, node: node, key: key, message: message)
    }

    func read(_ bytes: [UInt8]) throws -> Model {
        let document: JSONValue
        do {
            document = try StrictJSONReader.parse(bytes)
        } catch let e as JSONSyntaxError {
            throw fail("not valid JSON: \(e)")
        }
        guard case .object(let top) = document else { throw fail("the top level must be a JSON object, found \(document.kind)") }
        let known = ["format", "version", "name", "input_shape", "weights", "tensors", "graph", "loss", "data"]
        for (k, _) in top where !known.contains(k) {
            throw fail("unknown key (expected one of \(known.joined(separator: ", ")))", key: k)
        }
        guard case .string("bpcheck-model")? = document["format"] else {
            throw fail("expected \"bpcheck-model\", found \(document["format"].map(describe) ?? "nothing")", key: "format")
        }
        guard case .number("1")? = document["version"] else {
            throw fail("version \(document["version"].map(describe) ?? "missing") is not supported (supported versions: 1)", key: "version")
        }
        var name = URL(fileURLWithPath: file).deletingPathExtension().lastPathComponent
        if let n = document["name"] {
            guard case .string(let s) = n, !s.isEmpty else { throw fail("expected a non-empty string", key: "name") }
            name = s
        }
        guard let shapeValue = document["input_shape"] else { throw fail("missing (the shape of one sample, e.g. [64] or [1, 28, 28])", key: "input_shape") }
        let inputShape = try positiveInts(shapeValue, key: "input_shape", node: nil)
        guard !inputShape.isEmpty, inputShape.count <= 3 else { throw fail("expected [features] or [C, H, W], found \(inputShape)", key: "input_shape") }

        // Tensors: inline, then the weights file; a name may not be in both.
        var tensors: [String: HostTensor] = [:]
        if let inline = document["tensors"] {
            guard case .object(let entries) = inline else { throw fail("expected an object of tensors, found \(inline.kind)", key: "tensors") }
            for (k, v) in entries { tensors[k] = try inlineTensor(v, key: "tensors.\(k)") }
        }
        var weightsFile: String?
        if let w = document["weights"] {
            guard case .string(let path) = w, !path.isEmpty else { throw fail("expected a file name", key: "weights") }
            weightsFile = path
            let url = directory.appendingPathComponent(path)
            let bytes = try readFile(url, key: "weights")
            let loaded: [String: HostTensor]
            do {
                loaded = try Safetensors.read(bytes, file: path).tensors
            } catch let e as TensorFileError {
                throw fail("\(e)", key: "weights")
            }
            for (k, t) in loaded {
                guard tensors[k] == nil else { throw fail("tensor '\(k)' is defined both inline and in \(path)", key: "tensors.\(k)") }
                tensors[k] = t
            }
        }

        guard case .array(let graphItems)? = document["graph"] else { throw fail("missing or not an array of nodes", key: "graph") }
        guard !graphItems.isEmpty else { throw fail("the graph has no nodes", key: "graph") }
        var nodes: [ModelNode] = []
        var names = Set<String>(["input"])
        for (index, item) in graphItems.enumerated() {
            let node = try readNode(item, index: index, previous: nodes.last?.name ?? "input", defined: names, tensors: tensors)
            names.insert(node.name)
            nodes.append(node)
        }

        guard let lossValue = document["loss"] else { throw fail("missing: {\"op\": \"cross_entropy\"} or {\"op\": \"mse\"}", key: "loss") }
        guard case .object(let lossFields) = lossValue else { throw fail("expected an object, found \(lossValue.kind)", key: "loss") }
        for (k, _) in lossFields where k != "op" { throw fail("unknown key '\(k)' (only 'op')", key: "loss") }
        let loss: Model.Loss
        switch lossValue["op"] {
        case .string("cross_entropy")?: loss = .crossEntropy
        case .string("mse")?: loss = .mse
        case let other: throw fail("unknown loss \(other.map(describe) ?? "(missing op)") (expected cross_entropy or mse)", key: "loss.op")
        }

        // The tensors the nodes use (each checked to exist as its node was read).
        let used = Set(nodes.flatMap { $0.parameters.map(\.tensor) })
        // A PyTorch state_dict saved as it is carries BatchNorm's integer step counters: not
        // parameters of the function, so dropped with a note rather than refused as unused.
        var notes: [String] = []
        let counters = tensors.keys.filter { $0.hasSuffix(".num_batches_tracked") && !used.contains($0) && tensors[$0]?.dtype.isFloatingPoint == false }.sorted()
        if !counters.isEmpty {
            for k in counters { tensors[k] = nil }
            notes.append("ignored \(counters.count) integer tensor(s) \(counters.prefix(3).joined(separator: ", "))\(counters.count > 3 ? ", …" : "") (PyTorch's BatchNorm step counters, not parameters)")
        }
        // Tensors no node uses are refused by `Model.validate()`, below.

        var inputs: HostTensor?, targets: HostTensor?
        if let data = document["data"] {
            guard case .object(let fields) = data else { throw fail("expected an object with inputs and targets", key: "data") }
            for (k, _) in fields where k != "inputs" && k != "targets" { throw fail("unknown key '\(k)' (expected inputs, targets)", key: "data") }
            guard let i = data["inputs"], let t = data["targets"] else { throw fail("needs both 'inputs' and 'targets'", key: "data") }
            inputs = try dataTensor(i, key: "data.inputs")
            targets = try dataTensor(t, key: "data.targets")
        }
        var model = Model(unchecked: file, name: name, inputShape: inputShape, nodes: nodes, loss: loss, tensors: tensors,
                          weightsFile: weightsFile, inputs: inputs, targets: targets)
        model.notes = notes
        try model.validate()
        return model
    }

    func describe(_ v: JSONValue) -> String {
        switch v {
        case .string(let s): "\"\(s)\""
        case .number(let n): n
        default: v.kind
        }
    }

    /// A tensor made from checked parts; a `HostTensorError` (which the checks exclude) becomes
    /// this file's error at `key`.
    func tensor(_ key: String, _ make: () throws -> HostTensor) throws -> HostTensor {
        do { return try make() } catch let e as HostTensorError { throw fail(e.message, key: key) }
    }

    func readFile(_ url: URL, key: String) throws -> [UInt8] {
        guard let data = FileManager.default.contents(atPath: url.path) else {
            throw fail("cannot read '\(url.lastPathComponent)' (looked for \(url.path))", key: key)
        }
        return [UInt8](data)
    }

    func positiveInts(_ v: JSONValue, key: String, node: String?) throws -> [Int] {
        guard case .array(let items) = v else { throw fail("expected an array of positive integers, found \(v.kind)", node: node, key: key) }
        return try items.map {
            guard case .number(let t) = $0, let i = Int(t), i > 0 else { throw fail("expected positive integers, found \(describe($0))", node: node, key: key) }
            return i
        }
    }

    func integer(_ v: JSONValue, node: String, key: String) throws -> Int {
        guard case .number(let t) = v, let i = Int(t) else { throw fail("expected an integer, found \(describe(v))", node: node, key: key) }
        return i
    }

    /// An int or an `[h, w]` pair, as `[h, w]`.
    func pair(_ v: JSONValue, node: String, key: String) throws -> [Int] {
        switch v {
        case .number(let t):
            guard let i = Int(t) else { throw fail("expected an integer or an [h, w] pair, found \(t)", node: node, key: key) }
            return [i, i]
        case .array(let items) where items.count == 2:
            return try items.map {
                guard case .number(let t) = $0, let i = Int(t) else { throw fail("expected integers in the [h, w] pair", node: node, key: key) }
                return i
            }
        default:
            throw fail("expected an integer or an [h, w] pair, found \(v.kind)", node: node, key: key)
        }
    }

    func number(_ v: JSONValue, node: String, key: String) throws -> Double {
        guard case .number(let t) = v, let d = Double(t), d.isFinite else { throw fail("expected a finite number, found \(describe(v))", node: node, key: key) }
        return d
    }

    func readNode(_ item: JSONValue, index: Int, previous: String, defined: Set<String>, tensors: [String: HostTensor]) throws -> ModelNode {
        guard case .object(let fields) = item else { throw fail("graph[\(index)] must be an object, found \(item.kind)", key: "graph[\(index)]") }
        guard case .string(let name)? = item["name"], !name.isEmpty else { throw fail("graph[\(index)] needs a non-empty string 'name'", key: "graph[\(index)].name") }
        guard !["input", "targets", "loss"].contains(name) else { throw fail("the names input, targets and loss are reserved", node: name, key: "name") }
        guard !defined.contains(name) else { throw fail("a node called '\(name)' already exists", node: name, key: "name") }
        guard case .string(let opName)? = item["op"] else { throw fail("missing or non-string 'op'", node: name, key: "op") }
        guard let spelling = OpSpelling.named(opName) else {
            throw fail("unknown op '\(opName)' (known: \(OpSpelling.all.map(\.name).sorted().joined(separator: ", ")))", node: name, key: "op")
        }
        let roles = spelling.schema.roles.map { ($0.name, $0.required) }, attributes = spelling.schema.attributes
        for (k, _) in fields where !(["name", "op", "inputs"] + roles.map(\.0) + attributes).contains(k) {
            throw fail("unknown attribute for \(opName) (accepted: \((roles.map(\.0) + attributes).joined(separator: ", ")))", node: name, key: k)
        }
        var inputs = [previous]
        if let given = item["inputs"] {
            guard case .array(let refs) = given else { throw fail("expected an array of node names", node: name, key: "inputs") }
            inputs = try refs.map {
                guard case .string(let s) = $0 else { throw fail("expected node names, found \($0.kind)", node: name, key: "inputs") }
                return s
            }
        }
        for ref in inputs where !defined.contains(ref) {
            if ref == name { throw fail("the node reads itself (a cycle)", node: name, key: "inputs") }
            throw fail("refers to '\(ref)', which is not an earlier node (nodes must come after their inputs)", node: name, key: "inputs")
        }
        var parameters: [(role: String, tensor: String)] = []
        for (role, required) in roles {
            guard let v = item[role] else {
                if required { throw fail("\(opName) needs a '\(role)' tensor", node: name, key: role) }
                continue
            }
            guard case .string(let key) = v else { throw fail("expected a tensor name, found \(v.kind)", node: name, key: role) }
            guard tensors[key] != nil else { throw fail("tensor '\(key)' is not in the weights file or the inline tensors", node: name, key: role) }
            guard tensors[key]!.dtype.isFloatingPoint else { throw fail("tensor '\(key)' has integer dtype \(tensors[key]!.dtype)", node: name, key: role) }
            parameters.append((role, key))
        }
        let op = try spelling.read(JSONAttributes(reader: self, node: name, item: item))
        return ModelNode(name: name, op: op, inputs: inputs, parameters: parameters)
    }

    func inlineTensor(_ v: JSONValue, key: String) throws -> HostTensor {
        guard case .object(let fields) = v else { throw fail("expected a tensor object {shape, dtype, data|base64}, found \(v.kind)", key: key) }
        for (k, _) in fields where !["shape", "dtype", "data", "base64"].contains(k) { throw fail("unknown key '\(k)' (expected shape, dtype, data or base64)", key: key) }
        guard case .string(let dtypeName)? = v["dtype"], let dtype = DType(rawValue: dtypeName) else {
            throw fail("missing or unknown dtype (expected f16, bf16, f32, f64, i64 or i32)", key: key)
        }
        guard case .array(let dims)? = v["shape"] else { throw fail("missing 'shape'", key: key) }
        let shape = try dims.map { d -> Int in
            guard case .number(let t) = d, let i = Int(t), i >= 0 else { throw fail("shape entries must be non-negative integers", key: key) }
            return i
        }
        guard let count = HostTensor.elementCount(shape), case (let bytes, false) = count.multipliedReportingOverflow(by: dtype.byteSize) else {
            throw fail("the shape \(shape) has more elements than can be addressed", key: key)
        }
        switch (v["data"], v["base64"]) {
        case (.array(let items)?, nil):
            guard items.count == count else { throw fail("shape \(shape) needs \(count) values, 'data' has \(items.count)", key: key) }
            if let format = dtype.format {
                let values = try items.enumerated().map { (i, item) -> Double in
                    let text: String
                    switch item {
                    case .number(let t): text = t
                    case .string(let s) where ["nan", "inf", "-inf"].contains(s.lowercased()): text = s
                    default: throw fail("data[\(i)] is \(item.kind), expected a number (or \"nan\", \"inf\", \"-inf\")", key: key)
                    }
                    guard let d = DecimalParsing.nearest(text, in: format) else { throw fail("data[\(i)] '\(text)' is not a number", key: key) }
                    return d
                }
                return try tensor(key) { try HostTensor(dtype: dtype, shape: shape, values: values) }
            }
            let ints = try items.enumerated().map { (i, item) -> Int in
                guard case .number(let t) = item, let n = Int(t), dtype == .i64 || Int32(exactly: n) != nil else {
                    throw fail("data[\(i)] is not an integer of \(dtype)", key: key)
                }
                return n
            }
            return try tensor(key) { try HostTensor(dtype: dtype, shape: shape, ints: ints) }
        case (nil, .string(let text)?):
            guard text.utf8.count <= (bytes + 2) / 3 * 4 + 4, let data = Data(base64Encoded: text) else {
                throw fail("'base64' is not valid base64 of \(bytes) bytes", key: key)
            }
            guard data.count == bytes else { throw fail("shape \(shape) of \(dtype) needs \(bytes) bytes, 'base64' holds \(data.count)", key: key) }
            return try tensor(key) { try HostTensor(dtype: dtype, shape: shape, bytes: [UInt8](data)) }
        default:
            throw fail("give exactly one of 'data' (an array of numbers) or 'base64' (little-endian bytes)", key: key)
        }
    }

    /// A data reference: `file.npy`, `file.npz:member`, or an inline tensor.
    func dataTensor(_ v: JSONValue, key: String) throws -> HostTensor {
        guard case .string(let reference) = v else { return try inlineTensor(v, key: key) }
        let parts = reference.split(separator: ":", maxSplits: 1).map(String.init)
        let path = parts[0]
        let url = directory.appendingPathComponent(path)
        do {
            if path.hasSuffix(".npz") {
                guard parts.count == 2 else { throw fail("an .npz reference names its member: '\(path):name'", key: key) }
                guard FileManager.default.isReadableFile(atPath: url.path) else {
                    throw fail("cannot read '\(path)' (looked for \(url.path))", key: key)
                }
                let members = try NumpyFile.readNPZ(url: url, file: path)
                guard let t = members[parts[1]] else {
                    throw fail("'\(path)' has no member '\(parts[1])' (members: \(members.keys.sorted().joined(separator: ", ")))", key: key)
                }
                return t
            }
            guard path.hasSuffix(".npy"), parts.count == 1 else { throw fail("expected 'file.npy', 'file.npz:member' or an inline tensor, found '\(reference)'", key: key) }
            return try NumpyFile.readNPY(try readFile(url, key: key), file: path)
        } catch let e as TensorFileError {
            throw fail("\(e)", key: key)
        }
    }
}
