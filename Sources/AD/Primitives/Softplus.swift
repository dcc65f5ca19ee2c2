/// `log(1 + eˣ)`, computed as `max(x, 0) + log1p(e^(−|x|))` (never overflows); the branch on the sign of x is a choice of formula, not a kink, and an interval meeting 0 encloses both.
public struct Softplus: SmoothUnaryPrimitive {
    public init() {}
    public static let name = "softplus"
    public static let schema = PrimitiveSchema()
    public static func read(_ r: any AttributeReader) throws -> Softplus { Softplus() }
    public var op: Op { .softplus }
    public var kind: SmoothKernels.Kind { .softplus }
}
