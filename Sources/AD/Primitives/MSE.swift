/// Mean squared error of two inputs of the same shape (prediction, target); see `LossKernels`.
/// A loss: the model file's `"loss": {"op": "mse"}`.
public struct MSE: LossPrimitive {
    public init() {}
    public static let name = "mse"
    public static let schema = PrimitiveSchema()
    public static func read(_ r: any AttributeReader) throws -> MSE { MSE() }
    public var op: Op { .mse }
    /// Element i of the gradient is `2 (y_i − t_i) / count`.
    public var gradientRowsAreIndependent: Bool { true }

    public func outputShape(_ s: ShapeCheck) throws -> [Int] {
        try s.arity(2...2, "prediction, target")
        try s.expectShape(1, "target", s.shape(0))
        return []
    }

    @inlinable
    public func forward<A: ScalarArithmetic>(_ io: inout ForwardIO<A>) throws {
        let a = io.arithmetic, y = io.inputs[0], t = io.inputs[1]
        io.write { p in LossKernels.mseForward(a, y: y.slots, target: t.slots, count: y.count, loss: p) }
    }

    @inlinable
    public func backward<A: ScalarArithmetic>(_ io: inout BackwardIO<A>) {
        let a = io.arithmetic
        let gp = io.gradients[0] ?? Tensor(zeros: io.inputs[0].shape, a), gt = io.gradients[1] ?? Tensor(zeros: io.inputs[1].shape, a)
        LossKernels.mseBackward(a, y: io.inputs[0].slots, target: io.inputs[1].slots, count: io.inputs[0].count,
                                gloss: io.gy.slots, gy: gp.slots, gtarget: gt.slots)
    }
}
