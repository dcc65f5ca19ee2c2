/// Elementwise minimum of two inputs of the same shape. **Nonsmooth where equal.** At a tie the
/// output is a (= b); backward follows `maximum_ties`.
public struct Minimum: ElementwiseExtremumPrimitive {
    public init() {}
    public static let name = "minimum"
    public static let schema = PrimitiveSchema()
    public static func read(_ r: any AttributeReader) throws -> Minimum { Minimum() }
    public var op: Op { .minimum }
    public var isMaximum: Bool { false }
}
