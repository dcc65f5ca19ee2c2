/// Hyperbolic tangent; `gx = gy·(1 − y·y)`.
public struct Tanh: SmoothUnaryPrimitive {
    public init() {}
    public static let name = "tanh"
    public static let schema = PrimitiveSchema()
    public static func read(_ r: any AttributeReader) throws -> Tanh { Tanh() }
    public var op: Op { .tanh }
    public var kind: SmoothKernels.Kind { .tanh }
}
