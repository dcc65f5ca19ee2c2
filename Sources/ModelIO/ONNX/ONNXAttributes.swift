import Foundation

/// One ONNX node's attributes, read with messages that name the file, the node and the
/// attribute; attributes a mapping does not accept are errors, never ignored.
struct ONNXAttributes {
    let file: String
    let node: String
    let opType: String
    let byName: [String: Onnx_AttributeProto]

    init(_ proto: Onnx_NodeProto, node: String, file: String) {
        self.file = file
        self.node = node
        self.opType = proto.opType
        var byName: [String: Onnx_AttributeProto] = [:]
        for a in proto.attribute { byName[a.name] = a }
        self.byName = byName
    }

    func fail(_ key: String, _ message: String) -> ModelError {
        ModelError(file: file, node: node, key: key, message: message)
    }

    /// Every attribute is one of `accepted`.
    func only(_ accepted: [String]) throws {
        for name in byName.keys.sorted() where !accepted.contains(name) {
            throw fail(name, "\(opType) attribute '\(name)' is not supported (accepted: \(accepted.isEmpty ? "none" : accepted.joined(separator: ", ")))")
        }
    }

    private func typed(_ key: String, _ type: Onnx_AttributeProto.AttributeType, _ set: (Onnx_AttributeProto) -> Bool) throws -> Onnx_AttributeProto? {
        guard let a = byName[key] else { return nil }
        guard a.type == type || (a.type == .undefined && set(a)) else {
            throw fail(key, "expected an attribute of type \("\(type)".uppercased()), found \("\(a.type)".uppercased())")
        }
        return a
    }

    func int(_ key: String) throws -> Int? {
        try typed(key, .int, { $0.hasI }).map { Int($0.i) }
    }

    func ints(_ key: String) throws -> [Int]? {
        try typed(key, .ints, { !$0.ints.isEmpty }).map { $0.ints.map { Int($0) } }
    }

    /// A FLOAT attribute. ONNX stores it as a float32: it is read as the shortest decimal that
    /// round-trips in float32 (so `alpha = 0.01` is the 0.01 of PyTorch's double arithmetic,
    /// not 0.0099999998).
    func float(_ key: String) throws -> Double? {
        guard let a = try typed(key, .float, { $0.hasF }) else { return nil }
        guard a.f.isFinite else { throw fail(key, "expected a finite number, found \(a.f)") }
        return ONNXAttributes.decimal(a.f)
    }

    func string(_ key: String) throws -> String? {
        try typed(key, .string, { $0.hasS }).map { String(decoding: $0.s, as: UTF8.self) }
    }

    func tensor(_ key: String) throws -> Onnx_TensorProto? {
        try typed(key, .tensor, { $0.hasT }).map(\.t)
    }

    func floats(_ key: String) throws -> [Float]? {
        try typed(key, .floats, { !$0.floats.isEmpty }).map(\.floats)
    }

    /// An `[h, w]` attribute (kernel_shape, strides, dilations), `default` when absent.
    func pair(_ key: String, default value: [Int]?) throws -> [Int]? {
        guard let v = try ints(key) else { return value }
        guard v.count == 2 else { throw fail(key, "expected 2 values (a 2-D \(opType)), found \(v)") }
        return v
    }

    /// `pads` `[top, left, bottom, right]` (each ≥ 0; zeros when absent).
    func pads() throws -> [Int] {
        guard let p = try ints("pads") else { return [0, 0, 0, 0] }
        guard p.count == 4 else { throw fail("pads", "expected 4 values [top, left, bottom, right], found \(p)") }
        guard p.allSatisfy({ $0 >= 0 }) else { throw fail("pads", "expected non-negative pads, found \(p)") }
        return p
    }

    /// `pads` `[top, left, bottom, right]` as bpcheck's symmetric `[h, w]` padding.
    func symmetricPads() throws -> [Int] {
        guard let p = try ints("pads") else { return [0, 0] }
        guard p.count == 4 else { throw fail("pads", "expected 4 values [top, left, bottom, right], found \(p)") }
        guard p[0] == p[2], p[1] == p[3] else {
            throw fail("pads", "asymmetric padding \(p) ([top, left, bottom, right]) is not supported for \(opType) (top = bottom and left = right; a Conv's is read as a Pad node)")
        }
        guard p.allSatisfy({ $0 >= 0 }) else { throw fail("pads", "expected non-negative pads, found \(p)") }
        return [p[0], p[1]]
    }

    /// `auto_pad` must be NOTSET (or VALID, which is no padding, with no `pads`).
    func noAutoPad() throws {
        guard let v = try string("auto_pad") else { return }
        if v == "NOTSET" { return }
        if v == "VALID", byName["pads"] == nil { return }
        throw fail("auto_pad", "auto_pad \(v) is not supported (give explicit 'pads'; NOTSET only)")
    }

    /// An integer attribute that must have one value (its default when absent).
    func require(_ key: String, equals expected: Int, default value: Int, _ why: String) throws {
        let v = try int(key) ?? value
        guard v == expected else { throw fail(key, "\(key) = \(v) is not supported: \(why)") }
    }

    /// The shortest decimal that round-trips `f` in float32, as a double.
    static func decimal(_ f: Float) -> Double {
        guard f.isFinite else { return Double(f) }
        return Double("\(f)") ?? Double(f)
    }
}
