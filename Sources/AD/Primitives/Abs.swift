/// `|x|`. **Nonsmooth at 0.** Codes: 0 below, 1 at 0 (output +0), 2 above.
///
/// Convention `abs_prime_at_0`: PyTorch's is 0 (`grad·sgn(x)`, `sgn(0) = 0`); any value in
/// [−1, 1] is valid.
public struct Abs: PiecewiseUnaryPrimitive {
    public init() {}
    public static let name = "abs"
    public static let schema = PrimitiveSchema()
    public static func read(_ r: any AttributeReader) throws -> Abs { Abs() }
    public var op: Op { .abs }
    public var kind: PiecewiseKernels.Kind { .abs }

    /// `abs'(0)`.
    public static let atZero = ConventionChoice(
        key: "abs_prime_at_0", flag: "abs-prime", label: "abs'(0)=", domain: .range(-1...1), pytorch: .number(0),
        source: "PyTorch abs backward: grad·sgn(x), sgn(0) = 0", flip: .negateOrOne, doc: "abs'(0), in [-1, 1].")
    public static var choices: [ConventionChoice] { [atZero] }

    public func derivatives(_ c: DerivativeConvention) -> [Double] { [-1, c.derivative(Self.atZero), 1] }
}
