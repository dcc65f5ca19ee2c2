/// `1 ÷ (1 + e^(−x))`; `gx = gy·(y·(1 − y))`.
public struct Sigmoid: SmoothUnaryPrimitive {
    public init() {}
    public static let name = "sigmoid"
    public static let schema = PrimitiveSchema()
    public static func read(_ r: any AttributeReader) throws -> Sigmoid { Sigmoid() }
    public var op: Op { .sigmoid }
    public var kind: SmoothKernels.Kind { .sigmoid }
}
