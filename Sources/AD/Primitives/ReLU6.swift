/// `min(max(x, 0), 6)`: hardtanh with bounds 0 and 6, and its convention choice
/// (`hardtanh_prime_at_bounds`; PyTorch's relu6 is hardtanh(0, 6)). **Nonsmooth at 0 and 6.**
public struct ReLU6: ClampPrimitive {
    public init() {}
    public static let name = "relu6"
    public static let schema = PrimitiveSchema()
    public static func read(_ r: any AttributeReader) throws -> ReLU6 { ReLU6() }
    public var op: Op { .relu6 }
    public var lower: Double { 0 }
    public var upper: Double { 6 }
    public static var atBound: ConventionChoice { Hardtanh.atBound }
}
