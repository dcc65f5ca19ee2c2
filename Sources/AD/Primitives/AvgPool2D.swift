/// Average pooling over `kernel` windows. By default padding counts in the divisor (PyTorch's
/// default, `count_include_pad=True`); with `count_include_pad` 0 (ONNX's default) each window
/// divides by the number of its positions on the input. Smooth.
public struct AvgPool2D: Primitive {
    public var window: PoolAttributes

    public init(_ attributes: PoolAttributes) { window = attributes }

    public static let name = "avgpool2d"
    public static let schema = PrimitiveSchema(attributes: PoolAttributes.keys + ["count_include_pad"])
    public static func read(_ r: any AttributeReader) throws -> AvgPool2D {
        var w = try PoolAttributes.read(r, op: name)
        if let include = try r.integer("count_include_pad") {
            guard include == 0 || include == 1 else { throw r.error("count_include_pad", "expected 0 or 1, found \(include)") }
            w.countIncludePad = include == 1
        }
        return AvgPool2D(w)
    }
    /// `count_include_pad` is written only when 0 (files without it mean 1).
    public var attributes: [(key: String, value: AttributeValue)] {
        window.attributes + (window.countIncludePad ? [] : [("count_include_pad", .integer(0))])
    }
    public var op: Op { .avgPool2d(window) }
    public func outputShape(_ s: ShapeCheck) throws -> [Int] {
        guard window.dilation == [1, 1] else { throw s.fail("dilation", "avgpool2d has no dilation (found \(window.dilation))") }
        guard !window.ceilMode else { throw s.fail("ceil_mode", "avgpool2d rounds its output size down (ceil_mode 0 only)") }
        return try window.outputShape(s)
    }

    @inlinable
    public func forward<A: ScalarArithmetic>(_ io: inout ForwardIO<A>) throws {
        let a = io.arithmetic, x = io.inputs[0], g = window.geometry(x.shape)
        let include = window.countIncludePad
        io.write { p in PoolKernels.avgForward(a, g, x: x.slots, y: p, countIncludePad: include) }
    }

    @inlinable
    public func backward<A: ScalarArithmetic>(_ io: inout BackwardIO<A>) {
        guard let gx = io.slots(0) else { return }
        PoolKernels.avgBackward(io.arithmetic, window.geometry(io.inputs[0].shape), gy: io.gy.slots, gx: gx, countIncludePad: window.countIncludePad)
    }
}

extension AvgPool2D {
    /// Windows with padding at the same positions (so the same divisor): their entries, in order.
    public func sameComputation(_ i: Int, _ j: Int, _ c: SameComputation) -> [(Int, Int, Int)]? {
        let g = window.geometry(c.shapes[0])
        var pairs: [(Int, Int, Int)] = []
        for p in 0..<(g.kh * g.kw) {
            switch (g.poolInput(i, p), g.poolInput(j, p)) {
            case (nil, nil): continue
            case let (a?, b?): pairs.append((0, a, b))
            default: return nil
            }
        }
        return pairs
    }
}
