/// `y = x Wᵀ + b`: inputs `x [N, in]`, `W [out, in]`, optionally `b [out]` (model files: roles
/// `weight`, `bias`). Each output is one sequential sum in input order (`ArithmeticModel`).
public struct Linear: Primitive {
    /// Whether a bias is the third operand.
    public var hasBias: Bool

    public init(hasBias: Bool) { self.hasBias = hasBias }

    public static let name = "linear"
    public static let schema = PrimitiveSchema(roles: [("weight", true), ("bias", false)])
    public static func read(_ r: any AttributeReader) throws -> Linear { Linear(hasBias: r.has("bias")) }
    public var op: Op { .linear(hasBias: hasBias) }

    public func outputShape(_ s: ShapeCheck) throws -> [Int] {
        try s.arity(hasBias ? 3...3 : 2...2, hasBias ? "input, weight, bias" : "input, weight")
        try s.rank(0, "input", [2])
        try s.rank(1, "weight", [2])
        let x = s.shape(0), w = s.shape(1)
        guard w[1] == x[1] else {
            throw s.fail("weight", "expected shape [out, \(x[1])] for an input of \(x[1]) features, found \(w)")
        }
        if hasBias { try s.expectShape(2, "bias", [w[0]]) }
        return [x[0], w[0]]
    }

    @inlinable
    public func forward<A: ScalarArithmetic>(_ io: inout ForwardIO<A>) throws {
        let a = io.arithmetic, x = io.inputs[0], w = io.inputs[1], b = hasBias ? io.inputs[2].slots : nil
        let n = x.shape[0], inF = x.shape[1], outF = w.shape[0], accumulation = io.accumulation
        // Flushed products: counted by the kernel where it can (binary16's tile), else by a
        // second pass; not at all where the operands' smallest magnitudes rule them out.
        let count = FlushCounting.mayFlush(a, x.slots, n * inF, w.slots, outF * inF)
        let counted = io.write { p in
            LinearKernels.forward(a, accumulation, x: x.slots, w: w.slots, b: b, y: p, n: n, inputs: inF, outputs: outF, countingFlushes: count)
        }
        io.flushed = !count ? 0
            : counted ?? FlushCounting.pairs(a, shared: inF, u: x.slots, uk: 1, ur: inF, nu: n, v: w.slots, vk: 1, vc: inF, nv: outF)
    }

    @inlinable
    public func backward<A: ScalarArithmetic>(_ io: inout BackwardIO<A>) {
        let a = io.arithmetic, x = io.inputs[0], w = io.inputs[1], gy = io.gy
        let n = x.shape[0], inF = x.shape[1], outF = w.shape[0]
        let count = FlushCounting.Wanted(input: io.needs(0) && FlushCounting.mayFlush(a, gy.slots, n * outF, w.slots, outF * inF),
                                         weight: io.needs(1) && FlushCounting.mayFlush(a, gy.slots, n * outF, x.slots, n * inF))
        let counted = LinearKernels.backward(a, io.accumulation, x: x.slots, w: w.slots, gy: gy.slots, gx: io.slots(0), gw: io.slots(1),
                                             gb: hasBias ? io.slots(2) : nil, n: n, inputs: inF, outputs: outF, countingFlushes: count)
        if count.input {
            io.flushed += counted.input
                ?? FlushCounting.pairs(a, shared: outF, u: gy.slots, uk: 1, ur: outF, nu: n, v: w.slots, vk: inF, vc: 1, nv: inF)
        }
        if count.weight {
            io.flushed += counted.weight
                ?? FlushCounting.pairs(a, shared: n, u: gy.slots, uk: outF, ur: 1, nu: outF, v: x.slots, vk: inF, vc: 1, nv: inF)
        }
    }
}

extension Linear {
    /// The input rows and weight rows, in summation order, and the bias.
    public func sameComputation(_ i: Int, _ j: Int, _ c: SameComputation) -> [(Int, Int, Int)]? {
        let inputs = c.shapes[0][1], outputs = c.shapes[1][0]
        let (si, oi) = (i / outputs, i % outputs), (sj, oj) = (j / outputs, j % outputs)
        var pairs: [(Int, Int, Int)] = []
        pairs.reserveCapacity(2 * inputs + 1)
        for k in 0..<inputs {
            pairs.append((0, si * inputs + k, sj * inputs + k))
            pairs.append((1, oi * inputs + k, oj * inputs + k))
        }
        if hasBias { pairs.append((2, oi, oj)) }
        return pairs
    }
}
