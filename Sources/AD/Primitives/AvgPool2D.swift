/// Average pooling over `kernel` windows; padding counts in the divisor (PyTorch's default,
/// `count_include_pad=True`). Smooth.
public struct AvgPool2D: Primitive {
    public var window: PoolAttributes

    public init(_ attributes: PoolAttributes) { window = attributes }

    public static let name = "avgpool2d"
    public static let schema = PrimitiveSchema(attributes: PoolAttributes.keys)
    public static func read(_ r: any AttributeReader) throws -> AvgPool2D { AvgPool2D(try PoolAttributes.read(r, op: name)) }
    public var attributes: [(key: String, value: AttributeValue)] { window.attributes }
    public var op: Op { .avgPool2d(window) }
    public func outputShape(_ s: ShapeCheck) throws -> [Int] { try window.outputShape(s) }

    @inlinable
    public func forward<A: ScalarArithmetic>(_ io: inout ForwardIO<A>) throws {
        let a = io.arithmetic, x = io.inputs[0], g = window.geometry(x.shape)
        io.write { p in PoolKernels.avgForward(a, g, x: x.slots, y: p) }
    }

    @inlinable
    public func backward<A: ScalarArithmetic>(_ io: inout BackwardIO<A>) {
        guard let gx = io.slots(0) else { return }
        PoolKernels.avgBackward(io.arithmetic, window.geometry(io.inputs[0].shape), gy: io.gy.slots, gx: gx)
    }
}
