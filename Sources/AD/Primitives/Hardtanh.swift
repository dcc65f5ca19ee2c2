/// `min(max(x, min), max)` (attributes `min`, `max`, default −1 and 1). **Nonsmooth at both
/// bounds.** Codes: 0 below min, 1 at min (output min), 2 between, 3 at max (output max), 4 above.
///
/// Convention `hardtanh_prime_at_bounds` (shared with relu6): PyTorch's is 0
/// (`hardtanh_backward` passes nothing where `x ≤ min` or `x ≥ max`). Note that ONNX `Clip`
/// is PyTorch's `clamp`, which passes the gradient *at* its bounds: another primitive.
public struct Hardtanh: ClampPrimitive {
    public var min: Double
    public var max: Double

    public init(min: Double, max: Double) {
        self.min = min
        self.max = max
    }
    public static let name = "hardtanh"
    public static let schema = PrimitiveSchema(attributes: ["min", "max"])
    public static func read(_ r: any AttributeReader) throws -> Hardtanh {
        Hardtanh(min: try r.number("min") ?? -1, max: try r.number("max") ?? 1)
    }
    public var attributes: [(key: String, value: AttributeValue)] { [("min", .number(min)), ("max", .number(max))] }
    public var op: Op { .hardtanh(min: min, max: max) }
    public var lower: Double { min }
    public var upper: Double { max }

    public func outputShape(_ s: ShapeCheck) throws -> [Int] {
        try s.arity(1...1, "input")
        guard min.isFinite, max.isFinite, min < max else {
            throw s.fail("min", "expected finite bounds with min < max, found min = \(min), max = \(max)")
        }
        return s.shape(0)
    }

    /// `hardtanh'` and `relu6'` at either bound.
    public static let atBound = ConventionChoice(
        key: "hardtanh_prime_at_bounds", flag: "hardtanh-prime", label: "hardtanh'(bound)=", domain: .range(0...1), pytorch: .number(0),
        source: "PyTorch hardtanh_backward: 0 where x ≤ min or x ≥ max", flip: .complement,
        doc: "hardtanh'/relu6' at the bounds, in [0, 1].")
}

extension Hardtanh {
    public func roundingAttributes(_ round: (Double) -> Double) -> Hardtanh { Hardtanh(min: round(min), max: round(max)) }
}
