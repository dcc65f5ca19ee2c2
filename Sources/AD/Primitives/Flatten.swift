/// `[N, …] → [N, product]`, the values unchanged (no copy).
public struct Flatten: Primitive {
    public init() {}
    public static let name = "flatten"
    public static let schema = PrimitiveSchema()
    public static func read(_ r: any AttributeReader) throws -> Flatten { Flatten() }
    public var op: Op { .flatten }

    public func outputShape(_ s: ShapeCheck) throws -> [Int] {
        try s.arity(1...1, "input")
        try s.rank(0, "input", Array(1...8))
        let x = s.shape(0)
        return [x[0], x.dropFirst().reduce(1, *)]
    }

    @inlinable
    public func forward<A: ScalarArithmetic>(_ io: inout ForwardIO<A>) throws { io.passInput() }

    @inlinable
    public func backward<A: ScalarArithmetic>(_ io: inout BackwardIO<A>) { io.passGradient() }
}

extension Flatten {
    /// The operand element itself.
    public func sameComputation(_ i: Int, _ j: Int, _ c: SameComputation) -> [(Int, Int, Int)]? { [(0, i, j)] }
}
