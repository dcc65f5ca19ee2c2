/// Batch normalisation over axis 1 of a 2-D or 4-D input; operands `x`, then the roles
/// `weight`, `bias`, `running_mean`, `running_var`; attributes `eps` (default 1e-5) and `mode`
/// (`"eval"`, the default: the running statistics; `"train"`: the batch's, biased variance).
/// See `BatchNormKernels` for the formulas. Running statistics are buffers: no gradient.
public struct BatchNorm: Primitive {
    public var eps: Double
    public var training: Bool

    public init(eps: Double, training: Bool) {
        self.eps = eps
        self.training = training
    }
    public static let name = "batchnorm"
    public static let schema = PrimitiveSchema(roles: [("weight", true), ("bias", true), ("running_mean", true), ("running_var", true)],
                                               attributes: ["eps", "mode"])
    public static func read(_ r: any AttributeReader) throws -> BatchNorm {
        BatchNorm(eps: try r.number("eps") ?? 1e-5, training: try r.choice("mode", ["eval", "train"]) == "train")
    }
    public var attributes: [(key: String, value: AttributeValue)] { [("eps", .number(eps)), ("mode", .string(training ? "train" : "eval"))] }
    public var op: Op { .batchNorm(eps: eps, training: training) }

    public func outputShape(_ s: ShapeCheck) throws -> [Int] {
        try s.arity(5...5, "input, weight, bias, running_mean, running_var")
        try s.rank(0, "input", [2, 4])
        guard eps.isFinite, eps >= 0 else { throw s.fail("eps", "expected a finite eps ≥ 0, found \(eps)") }
        let c = s.shape(0)[1]
        for (i, key) in ["weight", "bias", "running_mean", "running_var"].enumerated() {
            try s.expectShape(i + 1, key, [c])
        }
        return s.shape(0)
    }

    @inlinable
    public func forward<A: ScalarArithmetic>(_ io: inout ForwardIO<A>) throws {
        let a = io.arithmetic, x = io.inputs[0], inputs = io.inputs, eps = eps, training = training
        let (n, c, hw) = (x.shape[0], x.shape[1], x.shape.count == 4 ? x.shape[2] * x.shape[3] : 1)
        io.write { p in
            BatchNormKernels.forward(a, training: training, eps: eps, x: x.slots, weight: inputs[1].slots, bias: inputs[2].slots,
                                     mean: inputs[3].slots, variance: inputs[4].slots, y: p, n: n, c: c, hw: hw)
        }
    }

    @inlinable
    public func backward<A: ScalarArithmetic>(_ io: inout BackwardIO<A>) {
        let x = io.inputs[0]
        let (n, c, hw) = (x.shape[0], x.shape[1], x.shape.count == 4 ? x.shape[2] * x.shape[3] : 1)
        BatchNormKernels.backward(io.arithmetic, training: training, eps: eps, x: x.slots, weight: io.inputs[1].slots,
                                  mean: io.inputs[3].slots, variance: io.inputs[4].slots, gy: io.gy.slots,
                                  gx: io.slots(0), gweight: io.slots(1), gbias: io.slots(2), n: n, c: c, hw: hw)
        io.gradients[3] = nil  // running statistics are buffers: no gradient
        io.gradients[4] = nil
    }
}

extension BatchNorm {
    /// Eval mode: one operand element and its channel's four parameters (training mode depends
    /// on the whole batch: nil).
    public func sameComputation(_ i: Int, _ j: Int, _ c: SameComputation) -> [(Int, Int, Int)]? {
        guard !training else { return nil }
        let x = c.shapes[0], inner = x.count == 4 ? x[2] * x[3] : 1
        let ci = (i / inner) % x[1], cj = (j / inner) % x[1]
        return [(0, i, j)] + (1...4).map { ($0, ci, cj) }
    }
}

extension BatchNorm {
    public func roundingAttributes(_ round: (Double) -> Double) -> BatchNorm { BatchNorm(eps: round(eps), training: training) }
}
