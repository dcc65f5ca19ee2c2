/// Max pooling over `kernel` windows; padding counts as −∞. **Nonsmooth: ties.**
///
/// Forward records, per site (pooled output), the set of arg-max positions of its window
/// (`ArgmaxSets`, positions row-major in the window); a window holding NaN outputs NaN and
/// records no decision. Backward gives the gradient to the arg-max set through the tie rule
/// `maxpool_ties`: PyTorch gives it all to the first maximum in row-major order (its CPU
/// kernel keeps the first `>`: `max_pool2d_with_indices`), the alternative to the last.
public struct MaxPool2D: NonsmoothPrimitive {
    public typealias Record = ArgmaxSets
    public var window: PoolAttributes

    public init(_ attributes: PoolAttributes) { window = attributes }

    public static let name = "maxpool2d"
    public static let schema = PrimitiveSchema(attributes: PoolAttributes.maxPoolKeys)
    public static func read(_ r: any AttributeReader) throws -> MaxPool2D { MaxPool2D(try PoolAttributes.read(r, op: name)) }
    public var attributes: [(key: String, value: AttributeValue)] { window.attributes }
    public var op: Op { .maxPool2d(window) }
    public func outputShape(_ s: ShapeCheck) throws -> [Int] { try window.outputShape(s) }

    /// Ties in a max-pool window.
    public static let tie = ConventionChoice(
        key: "maxpool_ties", flag: "maxpool-tie", label: "maxpool ties: ", domain: .tie, pytorch: .tie(.first),
        source: "PyTorch's max_pool2d_with_indices CPU kernel keeps the first maximum (strict >) in row-major window order",
        flip: .tie, doc: "Max-pool ties: first, last or split (÷ k to each of k).")
    public static var choices: [ConventionChoice] { [tie] }

    @inlinable
    public func forward<A: ScalarArithmetic>(_ io: inout ForwardIO<A>) throws {
        let a = io.arithmetic, x = io.inputs[0], g = window.geometry(x.shape)
        let forced = try io.forced(ArgmaxSets.self, sites: io.count)
        let same = io.sameValue.map { prove in { (p: Int, q: Int) in prove(0, p, 0, q) } }
        let sets = io.write { p in PoolKernels.maxForward(a, g, x: x.slots, y: p, forced: forced, same: same) }
        io.record = .argmax(sets)
    }

    @inlinable
    public func backward<A: ScalarArithmetic>(_ io: inout BackwardIO<A>) {
        guard let gx = io.slots(0), let record = io.record, let sets = ArgmaxSets(record) else { return }
        PoolKernels.maxBackward(io.arithmetic, window.geometry(io.inputs[0].shape), decisions: sets,
                                tie: io.convention.tieRule(Self.tie), gy: io.gy.slots, gx: gx)
    }

    /// The gap between the two largest values of each window (∞ for a window of one value).
    public func kinkDistances(_ inputs: [[Double]], shapes: [[Int]]) -> [Double] {
        let values = inputs[0], g = window.geometry(shapes[0])
        var out: [Double] = []
        out.reserveCapacity(g.n * g.c * g.oh * g.ow)
        for n in 0..<g.n { for c in 0..<g.c { for oy in 0..<g.oh { for ox in 0..<g.ow {
            let plane = (n * g.c + c) * g.h * g.w
            var top = -Double.infinity, second = -Double.infinity, nan = false
            for p in 0..<(g.kh * g.kw) {
                guard let o = g.windowOffset(oy, ox, p) else { continue }
                let v = values[plane + o]
                if v.isNaN { nan = true } else if v > top { second = top; top = v } else if v > second { second = v }
            }
            out.append(nan ? .nan : second == -.infinity ? .infinity : top - second)
        } } } }
        return out
    }

    public func label(_ sets: ArgmaxSets, _ i: Int) -> String {
        if sets.isUndecided(i) { return "undecided" }
        let set = sets.set(i)
        if set.isEmpty { return "NaN" }
        return set.count > 1 ? "tie at {\(set.map(String.init).joined(separator: ", "))}" : "argmax \(set[0])"
    }

    public func siteOperands<A: ScalarArithmetic>(_ site: Int, inputs: [Tensor<A>], output: Tensor<A>, render: (A.Ref) -> String) -> String {
        "max " + render(output.slots + site)
    }
}

extension MaxPool2D {
    /// Decided windows: the input element at each one's (first) arg-max.
    public func sameComputation(_ i: Int, _ j: Int, _ c: SameComputation) -> [(Int, Int, Int)]? {
        guard let (r, s) = c.records(ArgmaxSets.self), r.isDecided(i), s.isDecided(j) else { return nil }
        let g = window.geometry(c.shapes[0])
        guard let u = g.poolInput(i, Int(r.first[i])), let v = g.poolInput(j, Int(s.first[j])) else { return nil }
        return [(0, u, v)]
    }
}
