/// Elementwise maximum of two inputs of the same shape. **Nonsmooth where equal.** At a tie the
/// output is a (= b); backward follows `maximum_ties`.
public struct Maximum: ElementwiseExtremumPrimitive {
    public init() {}
    public static let name = "maximum"
    public static let schema = PrimitiveSchema()
    public static func read(_ r: any AttributeReader) throws -> Maximum { Maximum() }
    public var op: Op { .maximum }
    public var isMaximum: Bool { true }
}
