/// `min(max(x, min), max)` with either bound optional (absent: unbounded): ONNX `Clip`, which
/// PyTorch's `nn.ReLU6`, `nn.Hardtanh` and `torch.clamp` all export to. **Nonsmooth at each
/// bound.** Codes as `hardtanh`'s: 0 below min, 1 at min (output min), 2 between, 3 at max
/// (output max), 4 above.
///
/// Convention `clip_prime_at_bounds`: its own choice, because the modules a `Clip` comes from
/// disagree on it — `nn.ReLU6` and `nn.Hardtanh` pass nothing at their bounds
/// (`hardtanh_backward`), `torch.clamp` passes the whole gradient (`clamp_backward`: where
/// `min ≤ x ≤ max`). The default is 0, the modules most exported `Clip`s come from
/// (MobileNets' ReLU6); `--clip-prime 1` is `torch.clamp`'s.
public struct Clip: ClampPrimitive {
    /// The lower bound, −∞ when absent.
    public var min: Double
    /// The upper bound, +∞ when absent.
    public var max: Double

    public init(min: Double = -.infinity, max: Double = .infinity) {
        self.min = min
        self.max = max
    }
    public static let name = "clip"
    public static let schema = PrimitiveSchema(attributes: ["min", "max"])
    public static func read(_ r: any AttributeReader) throws -> Clip {
        guard r.has("min") || r.has("max") else { throw r.error("min", "clip needs 'min', 'max' or both") }
        return Clip(min: try r.number("min") ?? -.infinity, max: try r.number("max") ?? .infinity)
    }
    /// Only the finite bounds are written.
    public var attributes: [(key: String, value: AttributeValue)] {
        (min.isFinite ? [("min", .number(min))] : []) + (max.isFinite ? [("max", .number(max))] : [])
    }
    public var op: Op { .clip(min: min, max: max) }
    public var lower: Double { min }
    public var upper: Double { max }

    public func outputShape(_ s: ShapeCheck) throws -> [Int] {
        try s.arity(1...1, "input")
        guard !min.isNaN, !max.isNaN, min != .infinity, max != -.infinity, min < max, min.isFinite || max.isFinite else {
            throw s.fail("min", "expected bounds min < max, at least one finite, found min = \(min), max = \(max)")
        }
        return s.shape(0)
    }

    /// `clip'` at either bound.
    public static let atBound = ConventionChoice(
        key: "clip_prime_at_bounds", flag: "clip-prime", label: "clip'(bound)=", domain: .range(0...1), pytorch: .number(0),
        source: "PyTorch hardtanh_backward (nn.ReLU6, nn.Hardtanh export as Clip): 0 where x ≤ min or x ≥ max; torch.clamp's clamp_backward passes 1",
        flip: .complement, doc: "clip' (ONNX Clip) at its bounds, in [0, 1] (default 0 as nn.ReLU6/nn.Hardtanh; torch.clamp's is 1).")
}

extension Clip {
    /// Absent bounds stay infinite.
    public func roundingAttributes(_ round: (Double) -> Double) -> Clip {
        Clip(min: min.isFinite ? round(min) : min, max: max.isFinite ? round(max) : max)
    }
}
