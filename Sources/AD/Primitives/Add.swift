/// `x + y`: two inputs of one shape (residual connections), or an input and a broadcast
/// `constant` (`ElementwiseBinaryPrimitive`). Both gradients are `gy` (a broadcast constant's
/// summed).
public struct Add: ElementwiseBinaryPrimitive {
    public init() {}
    public static let name = "add"
    public var op: Op { .add }
    public static var gradientXIsIncoming: Bool { true }
    @inlinable public static func combine<A: ScalarArithmetic>(_ a: A, _ r: A.Ref, _ x: A.Ref, _ y: A.Ref) { a.add(r, x, y) }
    @inlinable public static func gradientY<A: ScalarArithmetic>(_ a: A, _ r: A.Ref, gy: A.Ref, x: A.Ref, y: A.Ref, out: A.Ref) { a.copy(r, gy) }
}
