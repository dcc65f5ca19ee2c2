/// Elementwise sum of two inputs of the same shape; each operand's gradient is `gy`.
public struct Add: Primitive {
    public init() {}
    public static let name = "add"
    public static let schema = PrimitiveSchema()
    public static func read(_ r: any AttributeReader) throws -> Add { Add() }
    public var op: Op { .add }
    public func outputShape(_ s: ShapeCheck) throws -> [Int] { try s.sameShapeBinary() }

    @inlinable
    public func forward<A: ScalarArithmetic>(_ io: inout ForwardIO<A>) throws {
        let a = io.arithmetic, x = io.inputs[0], y = io.inputs[1], count = io.count
        io.write { p in for i in 0..<count { a.add(p + i, x.slots + i, y.slots + i) } }
    }

    @inlinable
    public func backward<A: ScalarArithmetic>(_ io: inout BackwardIO<A>) {
        if io.needs(0) { io.gradients[0] = io.gy }
        if io.needs(1) { io.gradients[1] = io.gy }
    }
}
