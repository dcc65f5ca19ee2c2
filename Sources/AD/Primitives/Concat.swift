/// The inputs `[N, Cₖ, …]` side by side along the channel axis 1 (`torch.cat(…, 1)`, ONNX
/// `Concat` with axis 1): `[N, ΣCₖ, …]`, every other axis equal. Values are copied, so exact
/// at every precision; each input's gradient is its slice of `gy`.
public struct Concat: Primitive {
    public init() {}
    public static let name = "concat"
    public static let schema = PrimitiveSchema()
    public static func read(_ r: any AttributeReader) throws -> Concat { Concat() }
    public var op: Op { .concat }

    public func outputShape(_ s: ShapeCheck) throws -> [Int] {
        guard !s.inputs.isEmpty else { throw s.fail("inputs", "concat needs at least one input") }
        try s.rank(0, "inputs[0]", Array(2...8))
        let first = s.shape(0)
        var channels = 0
        for k in s.inputs.indices {
            let x = s.shape(k)
            guard x.count == first.count, x[0] == first[0], x.dropFirst(2).elementsEqual(first.dropFirst(2)) else {
                throw s.fail("inputs[\(k)]", "expected a shape [\(first[0]), C, \(first.dropFirst(2).map(String.init).joined(separator: ", "))] (all axes but 1 as '\(s.inputs[0].name)'), found \(x) ('\(s.inputs[k].name)')")
            }
            channels += x[1]
        }
        return [first[0], channels] + first.dropFirst(2)
    }

    @inlinable
    public func forward<A: ScalarArithmetic>(_ io: inout ForwardIO<A>) throws {
        let a = io.arithmetic, inputs = io.inputs, n = io.node.shape[0], block = io.count / n
        io.write { p in
            for s in 0..<n {
                var offset = s * block
                for x in inputs {
                    let size = x.count / n
                    for i in 0..<size { a.copy(p + offset + i, x.slots + s * size + i) }
                    offset += size
                }
            }
        }
    }

    @inlinable
    public func backward<A: ScalarArithmetic>(_ io: inout BackwardIO<A>) {
        let a = io.arithmetic, n = io.gy.shape[0], block = io.gy.count / n, gy = io.gy.slots
        var start = 0
        for k in io.inputs.indices {
            let size = io.inputs[k].count / n
            if let g = io.slots(k) {
                for s in 0..<n {
                    for i in 0..<size { a.copy(g + s * size + i, gy + s * block + start + i) }
                }
            }
            start += size
        }
    }
}

extension Concat {
    /// Two elements from the same operand: their elements there.
    public func sameComputation(_ i: Int, _ j: Int, _ c: SameComputation) -> [(Int, Int, Int)]? {
        let n = c.output[0], block = c.output.reduce(1, *) / n
        func locate(_ e: Int) -> (k: Int, index: Int) {
            var offset = e % block
            for (k, s) in c.shapes.enumerated() {
                let size = s.reduce(1, *) / n
                if offset < size { return (k, (e / block) * size + offset) }
                offset -= size
            }
            return (-1, -1)
        }
        let u = locate(i), v = locate(j)
        guard u.k >= 0, u.k == v.k else { return nil }
        return [(u.k, u.index, v.index)]
    }
}
