/// `x` above 0, `slope·x` below (attribute `negative_slope`, default 0.01). **Nonsmooth at 0.**
/// Codes: 0 below, 1 at 0 (output +0), 2 above.
///
/// Convention `leaky_relu_prime_at_0`: PyTorch's is the slope (`leaky_relu_backward` passes
/// `grad·slope` where `x ≤ 0`).
public struct LeakyReLU: PiecewiseUnaryPrimitive {
    public var slope: Double

    public init(slope: Double) { self.slope = slope }
    public static let name = "leaky_relu"
    public static let schema = PrimitiveSchema(attributes: ["negative_slope"])
    public static func read(_ r: any AttributeReader) throws -> LeakyReLU { LeakyReLU(slope: try r.number("negative_slope") ?? 0.01) }
    public var attributes: [(key: String, value: AttributeValue)] { [("negative_slope", .number(slope))] }
    public var op: Op { .leakyReLU(slope: slope) }
    public var kind: PiecewiseKernels.Kind { .leakyReLU(slope: slope) }

    public func outputShape(_ s: ShapeCheck) throws -> [Int] {
        try s.arity(1...1, "input")
        guard slope.isFinite else { throw s.fail("negative_slope", "expected a finite slope, found \(slope)") }
        return s.shape(0)
    }

    /// `leaky_relu'(0)`.
    public static let atZero = ConventionChoice(
        key: "leaky_relu_prime_at_0", flag: "leaky-relu-prime", label: "leaky_relu'(0)=",
        domain: .rangeOrStandard(-1e300...1e300, standardName: "slope"), pytorch: .standard,
        source: "PyTorch leaky_relu_backward: grad·slope where x ≤ 0", flip: .standardOrOne,
        doc: "leaky_relu'(0) (default: the slope, as PyTorch).")
    public static var choices: [ConventionChoice] { [atZero] }

    public func derivatives(_ c: DerivativeConvention) -> [Double] { [slope, c.derivative(Self.atZero, standard: slope), 1] }
}

extension LeakyReLU {
    public func roundingAttributes(_ round: (Double) -> Double) -> LeakyReLU { LeakyReLU(slope: round(slope)) }
}
