/// `x·Φ(x)`, with Φ by `erf` (attribute `approximate` = `"none"`, the default) or by PyTorch's
/// tanh formula (`"tanh"`); see `SmoothKernels` for both formulas.
public struct GELU: SmoothUnaryPrimitive {
    /// Whether Φ is PyTorch's tanh approximation.
    public var approximate: Bool

    public init(approximate: Bool) { self.approximate = approximate }
    public static let name = "gelu"
    public static let schema = PrimitiveSchema(attributes: ["approximate"])
    public static func read(_ r: any AttributeReader) throws -> GELU {
        GELU(approximate: try r.choice("approximate", ["none", "tanh"]) == "tanh")
    }
    public var attributes: [(key: String, value: AttributeValue)] { [("approximate", .string(approximate ? "tanh" : "none"))] }
    public var op: Op { .gelu(approximate: approximate) }
    public var kind: SmoothKernels.Kind { .gelu(approximate: approximate) }
}
