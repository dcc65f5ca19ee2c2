/// What the smooth elementwise primitives (`tanh`, `sigmoid`, `softplus`, `softsign`, `gelu`)
/// share: one operand, the loops of `SmoothKernels` (whose documentation gives each formula and
/// so each rounding), no decisions.
public protocol SmoothUnaryPrimitive: Primitive {
    /// The kernel's kind.
    var kind: SmoothKernels.Kind { get }
}

extension SmoothUnaryPrimitive {
    public func outputShape(_ s: ShapeCheck) throws -> [Int] { try s.unary() }

    @inlinable
    public func forward<A: ScalarArithmetic>(_ io: inout ForwardIO<A>) throws {
        let a = io.arithmetic, x = io.inputs[0], count = io.count, kind = kind
        io.write { p in SmoothKernels.forward(a, kind, x: x.slots, y: p, count: count) }
    }

    @inlinable
    public func backward<A: ScalarArithmetic>(_ io: inout BackwardIO<A>) {
        guard let gx = io.slots(0) else { return }
        SmoothKernels.backward(io.arithmetic, kind, x: io.inputs[0].slots, y: io.output.slots, gy: io.gy.slots, gx: gx, count: io.gy.count)
    }
}

extension SmoothUnaryPrimitive {
    /// One operand element, the same formula.
    public func sameComputation(_ i: Int, _ j: Int, _ c: SameComputation) -> [(Int, Int, Int)]? { [(0, i, j)] }
}
