import AD

/// How model.json spells the ops a graph node may use: every non-loss primitive of
/// `Op.primitiveTypes` under its own name, plus the aliases a primitive declares (`dropout`).
struct OpSpelling: Sendable {
    let name: String
    let schema: PrimitiveSchema
    let read: @Sendable (any AttributeReader) throws -> Op

    /// Every spelling, in `Op.primitiveTypes` order (losses are the model's `loss`, not nodes).
    static let all: [OpSpelling] = Op.primitiveTypes.compactMap { type -> OpSpelling? in
        guard !(type is any LossPrimitive.Type) else { return nil }
        return OpSpelling(name: type.name, schema: type.schema) { try type.read($0).op }
    } + Identity.aliases.map { alias, schema in OpSpelling(name: alias, schema: schema) { try Identity.readDropout($0).op } }

    static func named(_ name: String) -> OpSpelling? { all.first { $0.name == name } }
}

/// A node's attributes in model.json, read with the model reader's messages.
struct JSONAttributes: AttributeReader {
    let reader: ModelReader
    let node: String
    let item: JSONValue

    func has(_ key: String) -> Bool { item[key] != nil }
    func integer(_ key: String) throws -> Int? { try item[key].map { try reader.integer($0, node: node, key: key) } }
    func pair(_ key: String) throws -> [Int]? { try item[key].map { try reader.pair($0, node: node, key: key) } }
    func number(_ key: String) throws -> Double? { try item[key].map { try reader.number($0, node: node, key: key) } }
    func choice(_ key: String, _ allowed: [String]) throws -> String? {
        guard let v = item[key] else { return nil }
        guard case .string(let s) = v, allowed.contains(s) else {
            throw reader.fail("expected \(allowed.map { "\"\($0)\"" }.joined(separator: " or ")), found \(reader.describe(v))", node: node, key: key)
        }
        return s
    }
    func error(_ key: String, _ message: String) -> any Error { reader.fail(message, node: node, key: key) }
}
