/// `max(x, 0)`. **Nonsmooth at 0.** Codes: 0 below 0, 1 at 0 (output +0), 2 above.
///
/// Convention `relu_prime_at_0`: PyTorch's is 0 (`threshold_backward` passes the gradient only
/// where `x > 0`); any value in [0, 1] is a valid choice (the Clarke subdifferential at 0).
public struct ReLU: PiecewiseUnaryPrimitive {
    public init() {}
    public static let name = "relu"
    public static let schema = PrimitiveSchema()
    public static func read(_ r: any AttributeReader) throws -> ReLU { ReLU() }
    public var op: Op { .relu }
    public var kind: PiecewiseKernels.Kind { .relu }

    /// `relu'(0)`.
    public static let atZero = ConventionChoice(
        key: "relu_prime_at_0", flag: "relu-prime", label: "relu'(0)=", domain: .range(0...1), pytorch: .number(0),
        source: "PyTorch threshold_backward: grad where x > 0, else 0", flip: .complement, doc: "relu'(0), in [0, 1].")
    public static var choices: [ConventionChoice] { [atZero] }

    public func derivatives(_ c: DerivativeConvention) -> [Double] { [0, c.derivative(Self.atZero), 1] }
}
