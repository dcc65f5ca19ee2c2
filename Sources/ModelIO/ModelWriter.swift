import AD
import Foundation

/// Writes model.json v1: the inverse of the reader, exact (inline tensors as base64 bytes,
/// or every tensor in a safetensors file beside it).
extension Model {
    /// The model.json document. With `weights`, tensors are left to that safetensors file;
    /// otherwise they are written inline as base64. Data, when present, is written inline too.
    public func jsonDocument(weights: String? = nil) -> JSONValue {
        func num(_ i: Int) -> JSONValue { .number(String(i)) }
        func real(_ d: Double) -> JSONValue { .number("\(d)") }
        func pair(_ p: [Int]) -> JSONValue { p[0] == p[1] ? num(p[0]) : .array(p.map(num)) }
        func tensor(_ t: HostTensor) -> JSONValue {
            .object([("shape", .array(t.shape.map(num))), ("dtype", .string(t.dtype.rawValue)),
                     ("base64", .string(Data(t.bytes).base64EncodedString()))])
        }
        var top: [(String, JSONValue)] = [
            ("format", .string("bpcheck-model")), ("version", num(1)), ("name", .string(name)),
            ("input_shape", .array(inputShape.map(num))),
        ]
        if let weights {
            top.append(("weights", .string(weights)))
        } else if !tensors.isEmpty {
            top.append(("tensors", .object(tensors.keys.sorted().map { ($0, tensor(tensors[$0]!)) })))
        }
        var graph: [JSONValue] = []
        var previous = "input"
        for node in nodes {
            var f: [(String, JSONValue)] = [("name", .string(node.name)), ("op", .string(node.op.name))]
            if node.inputs != [previous] { f.append(("inputs", .array(node.inputs.map { .string($0) }))) }
            for (role, key) in node.parameters { f.append((role, .string(key))) }
            for (key, value) in node.op.primitive?.attributes ?? [] {
                switch value {
                case .integer(let i): f.append((key, num(i)))
                case .pair(let p): f.append((key, pair(p)))
                case .number(let d): f.append((key, real(d)))
                case .string(let s): f.append((key, .string(s)))
                }
            }
            graph.append(.object(f))
            previous = node.name
        }
        top.append(("graph", .array(graph)))
        top.append(("loss", .object([("op", .string(loss.rawValue))])))
        if let inputs, let targets {
            top.append(("data", .object([("inputs", tensor(inputs)), ("targets", tensor(targets))])))
        }
        return .object(top)
    }

    /// Writes `model.json` text (and, with `weights`, the safetensors file beside it) into
    /// `directory`.
    public func write(to directory: URL, fileName: String = "model.json", weights: String? = nil) throws {
        if let weights {
            try Data(Safetensors.write(tensors)).write(to: directory.appendingPathComponent(weights))
        }
        try Data(JSONWriter.write(jsonDocument(weights: weights)).utf8).write(to: directory.appendingPathComponent(fileName))
    }
}
