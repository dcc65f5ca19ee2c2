/// `x ÷ y`: two inputs of one shape, or an input and a broadcast `constant` (input
/// normalisation `(x − mean) ÷ std`; `ElementwiseBinaryPrimitive`). Smooth where `y ≠ 0` (a
/// zero divisor gives ±∞ or NaN, counted as range events). `gx = gy ÷ y`,
/// `gy_y = −(gy·((x ÷ y) ÷ y))` with `x ÷ y` the forward output (PyTorch's
/// `div_tensor_self_backward` and `div_tensor_other_backward`).
public struct Div: ElementwiseBinaryPrimitive {
    public init() {}
    public static let name = "div"
    public var op: Op { .div }
    @inlinable public static func combine<A: ScalarArithmetic>(_ a: A, _ r: A.Ref, _ x: A.Ref, _ y: A.Ref) { a.divide(r, x, y) }
    @inlinable public static func gradientX<A: ScalarArithmetic>(_ a: A, _ r: A.Ref, gy: A.Ref, x: A.Ref, y: A.Ref, out: A.Ref) { a.divide(r, gy, y) }
    @inlinable public static func gradientY<A: ScalarArithmetic>(_ a: A, _ r: A.Ref, gy: A.Ref, x: A.Ref, y: A.Ref, out: A.Ref) {
        a.divide(r, out, y)
        a.multiply(r, gy, r)
        a.negate(r, r)
    }
}
