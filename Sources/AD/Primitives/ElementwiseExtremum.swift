/// What `maximum` and `minimum` share: two operands of one shape, `PiecewiseKernels`'
/// binary loops, codes 0 when a < b, 1 when a = b (a tie), 2 when a > b.
public protocol ElementwiseExtremumPrimitive: NonsmoothPrimitive where Record == PieceCodes {
    /// True for maximum, false for minimum.
    var isMaximum: Bool { get }
}

/// Ties of `maximum`/`minimum` (equal operands): PyTorch splits them ½/½ (the derivative
/// formula of `max(self, other)`: `grad / 2` where equal).
public enum ExtremumTie {
    public static let choice = ConventionChoice(
        key: "maximum_ties", flag: "maximum-tie", label: "maximum/minimum ties: ", domain: .tie, pytorch: .tie(.split),
        source: "PyTorch derivatives.yaml, maximum/minimum: grad / 2 to each operand where self == other", flip: .tie,
        doc: "maximum/minimum ties: first, last or split.")
}

extension ElementwiseExtremumPrimitive {
    public static var choices: [ConventionChoice] { [ExtremumTie.choice] }
    public func outputShape(_ s: ShapeCheck) throws -> [Int] { try s.sameShapeBinary() }

    @inlinable
    public func forward<A: ScalarArithmetic>(_ io: inout ForwardIO<A>) throws {
        let arith = io.arithmetic, a = io.inputs[0], b = io.inputs[1], count = io.count, isMaximum = isMaximum
        let forced = try io.forced(PieceCodes.self, sites: count)
        let same = io.sameValue.map { prove in { (i: Int) in prove(0, i, 1, i) } }
        let codes = io.write { p in
            PiecewiseKernels.binaryForward(arith, isMaximum: isMaximum, a: a.slots, b: b.slots, y: p, count: count, forced: forced, same: same)
        }
        io.record = .pieces(codes)
    }

    @inlinable
    public func backward<A: ScalarArithmetic>(_ io: inout BackwardIO<A>) {
        guard let record = io.record, let codes = PieceCodes(record) else { return }
        let arith = io.arithmetic
        let ga = io.gradients[0] ?? Tensor(zeros: io.inputs[0].shape, arith), gb = io.gradients[1] ?? Tensor(zeros: io.inputs[1].shape, arith)
        PiecewiseKernels.binaryBackward(arith, isMaximum: isMaximum, tie: io.convention.tieRule(ExtremumTie.choice), codes: codes,
                                        gy: io.gy.slots, ga: ga.slots, gb: gb.slots)
    }

    /// `|a − b|`.
    public func kinkDistances(_ inputs: [[Double]], shapes: [[Int]]) -> [Double] {
        zip(inputs[0], inputs[1]).map { Swift.abs($0 - $1) }
    }

    public func label(_ codes: PieceCodes, _ site: Int) -> String { PieceCodes.label(codes[site], ["a < b", "a = b", "a > b"]) }

    public func siteOperands<A: ScalarArithmetic>(_ site: Int, inputs: [Tensor<A>], output: Tensor<A>, render: (A.Ref) -> String) -> String {
        "a = \(render(inputs[0].slots + site)), b = \(render(inputs[1].slots + site))"
    }
}

extension ElementwiseExtremumPrimitive {
    /// The same decided order: the operand element selected (at a tie, `a`, equal to `b`).
    public func sameComputation(_ i: Int, _ j: Int, _ c: SameComputation) -> [(Int, Int, Int)]? {
        guard let (r, s) = c.records(PieceCodes.self), r[i] == s[j], Piece.isDecided(r[i]) else { return nil }
        let takesB = r[i] == 1 ? false : (r[i] == 0) == isMaximum
        return [(takesB ? 1 : 0, i, j)]
    }
}
