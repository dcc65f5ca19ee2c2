/// Zero padding of the two spatial axes of `[N, C, H, W]`: attributes `top`, `left`, `bottom`,
/// `right` (each ≥ 0, default 0; held as `pads` = `[top, left, bottom, right]`; PyTorch's `nn.ZeroPad2d((left, right, top, bottom))`, ONNX `Pad`
/// with mode `constant` and value 0). Values are copied (exact); the gradient is `gy`'s
/// interior.
public struct Pad: Primitive {
    /// `[top, left, bottom, right]`.
    public var pads: [Int]

    public init(pads: [Int]) { self.pads = pads }
    public static let name = "pad"
    static let sides = ["top", "left", "bottom", "right"]
    public static let schema = PrimitiveSchema(attributes: sides)
    public static func read(_ r: any AttributeReader) throws -> Pad {
        Pad(pads: try sides.map { side in
            let v = try r.integer(side) ?? 0
            guard (0...(1 << 20)).contains(v) else { throw r.error(side, "expected a padding in 0…\(1 << 20), found \(v)") }
            return v
        })
    }
    public var attributes: [(key: String, value: AttributeValue)] {
        [("top", .integer(pads[0])), ("left", .integer(pads[1])), ("bottom", .integer(pads[2])), ("right", .integer(pads[3]))]
    }
    public var op: Op { .pad(pads) }

    public func outputShape(_ s: ShapeCheck) throws -> [Int] {
        try s.arity(1...1, "input")
        try s.rank(0, "input", [4])
        guard pads.count == 4, pads.allSatisfy({ (0...(1 << 20)).contains($0) }) else {
            throw s.fail("pads", "expected [top, left, bottom, right], each in 0…\(1 << 20), found \(pads)")
        }
        let x = s.shape(0)
        return [x[0], x[1], x[2] + pads[0] + pads[2], x[3] + pads[1] + pads[3]]
    }

    @inlinable
    public func forward<A: ScalarArithmetic>(_ io: inout ForwardIO<A>) throws {
        let a = io.arithmetic, x = io.inputs[0], s = x.shape, o = io.node.shape, (top, left) = (pads[0], pads[1])
        io.write { p in
            for plane in 0..<(s[0] * s[1]) {
                for i in 0..<s[2] {
                    for j in 0..<s[3] {
                        a.copy(p + (plane * o[2] + i + top) * o[3] + j + left, x.slots + (plane * s[2] + i) * s[3] + j)
                    }
                }
            }
        }
    }

    @inlinable
    public func backward<A: ScalarArithmetic>(_ io: inout BackwardIO<A>) {
        guard let g = io.slots(0) else { return }
        let a = io.arithmetic, s = io.inputs[0].shape, o = io.gy.shape, gy = io.gy.slots, (top, left) = (pads[0], pads[1])
        for plane in 0..<(s[0] * s[1]) {
            for i in 0..<s[2] {
                for j in 0..<s[3] {
                    a.copy(g + (plane * s[2] + i) * s[3] + j, gy + (plane * o[2] + i + top) * o[3] + j + left)
                }
            }
        }
    }
}

extension Pad {
    /// Two interior elements: their source elements (padding is exact zero: a point).
    public func sameComputation(_ i: Int, _ j: Int, _ c: SameComputation) -> [(Int, Int, Int)]? {
        let x = c.shapes[0], o = c.output
        func source(_ e: Int) -> Int? {
            let col = e % o[3] - pads[1], row = (e / o[3]) % o[2] - pads[0], plane = e / (o[2] * o[3])
            guard row >= 0, row < x[2], col >= 0, col < x[3] else { return nil }
            return (plane * x[2] + row) * x[3] + col
        }
        guard let u = source(i), let v = source(j) else { return nil }
        return [(0, u, v)]
    }
}
