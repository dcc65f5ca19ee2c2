/// `x ÷ (1 + |x|)`; `gx = gy ÷ (1 + |x|)²`. Smooth (its derivative is continuous at 0).
public struct Softsign: SmoothUnaryPrimitive {
    public init() {}
    public static let name = "softsign"
    public static let schema = PrimitiveSchema()
    public static func read(_ r: any AttributeReader) throws -> Softsign { Softsign() }
    public var op: Op { .softsign }
    public var kind: SmoothKernels.Kind { .softsign }
}
