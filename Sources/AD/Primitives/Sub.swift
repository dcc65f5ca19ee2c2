/// `x − y`: two inputs of one shape, or an input and a broadcast `constant`
/// (`ElementwiseBinaryPrimitive`). `gx = gy`, `gy_y = −gy` (negation is exact).
public struct Sub: ElementwiseBinaryPrimitive {
    public init() {}
    public static let name = "sub"
    public var op: Op { .sub }
    public static var gradientXIsIncoming: Bool { true }
    @inlinable public static func combine<A: ScalarArithmetic>(_ a: A, _ r: A.Ref, _ x: A.Ref, _ y: A.Ref) { a.subtract(r, x, y) }
    @inlinable public static func gradientY<A: ScalarArithmetic>(_ a: A, _ r: A.Ref, gy: A.Ref, x: A.Ref, y: A.Ref, out: A.Ref) { a.negate(r, gy) }
}
