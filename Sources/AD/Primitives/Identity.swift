/// The identity. Model files also spell it `dropout` (attribute `p`, 0 ≤ p < 1): in a
/// deterministic analysis dropout is the identity, as in PyTorch's eval mode.
public struct Identity: Primitive {
    public init() {}
    public static let name = "identity"
    public static let schema = PrimitiveSchema()
    public static func read(_ r: any AttributeReader) throws -> Identity { Identity() }
    public var op: Op { .identity }
    public func outputShape(_ s: ShapeCheck) throws -> [Int] { try s.unary() }

    /// Other spellings in model files, with their schema and check: `dropout`.
    public static let aliases: [String: PrimitiveSchema] = ["dropout": PrimitiveSchema(attributes: ["p"])]

    /// Reads the `dropout` spelling: checks `p`.
    public static func readDropout(_ r: any AttributeReader) throws -> Identity {
        if let p = try r.number("p") {
            guard p >= 0 && p < 1 else { throw r.error("p", "expected 0 ≤ p < 1, found \(p)") }
        }
        return Identity()
    }

    @inlinable
    public func forward<A: ScalarArithmetic>(_ io: inout ForwardIO<A>) throws { io.passInput() }

    @inlinable
    public func backward<A: ScalarArithmetic>(_ io: inout BackwardIO<A>) { io.passGradient() }
}

extension Identity {
    /// The operand element itself.
    public func sameComputation(_ i: Int, _ j: Int, _ c: SameComputation) -> [(Int, Int, Int)]? { [(0, i, j)] }
}
