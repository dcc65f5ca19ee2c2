/// `min(max(x, 0), 6)`: hardtanh with bounds 0 and 6, and its convention choice
/// (`hardtanh_prime_at_bounds`; PyTorch's relu6 is hardtanh(0, 6)). **Nonsmooth at 0 and 6.**
public struct ReLU6: PiecewiseUnaryPrimitive {
    public init() {}
    public static let name = "relu6"
    public static let schema = PrimitiveSchema()
    public static func read(_ r: any AttributeReader) throws -> ReLU6 { ReLU6() }
    public var op: Op { .relu6 }
    public var kind: PiecewiseKernels.Kind { .hardtanh(min: 0, max: 6) }
    public var pieceNames: [String] { PieceCodes.boundsNames }
    public static var choices: [ConventionChoice] { Hardtanh.choices }
    public func derivatives(_ c: DerivativeConvention) -> [Double] { Hardtanh(min: 0, max: 6).derivatives(c) }

    /// The distance from the nearer of 0 and 6.
    public func kinkDistances(_ inputs: [[Double]], shapes: [[Int]]) -> [Double] {
        inputs[0].map { Swift.min(Swift.abs($0), Swift.abs($0 - 6)) }
    }
}
