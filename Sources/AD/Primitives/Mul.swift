/// `x · y`: two inputs of one shape (gating, `x·σ(x)`), or an input and a broadcast `constant`
/// (a scale; `ElementwiseBinaryPrimitive`). `gx = gy·y`, `gy_y = gy·x` (PyTorch's
/// `mul_tensor_backward`).
public struct Mul: ElementwiseBinaryPrimitive {
    public init() {}
    public static let name = "mul"
    public var op: Op { .mul }
    @inlinable public static func combine<A: ScalarArithmetic>(_ a: A, _ r: A.Ref, _ x: A.Ref, _ y: A.Ref) { a.multiply(r, x, y) }
    @inlinable public static func gradientX<A: ScalarArithmetic>(_ a: A, _ r: A.Ref, gy: A.Ref, x: A.Ref, y: A.Ref, out: A.Ref) { a.multiply(r, gy, y) }
    @inlinable public static func gradientY<A: ScalarArithmetic>(_ a: A, _ r: A.Ref, gy: A.Ref, x: A.Ref, y: A.Ref, out: A.Ref) { a.multiply(r, gy, x) }
}
