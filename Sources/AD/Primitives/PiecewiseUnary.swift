/// What the single-input piecewise-linear primitives (`relu`, `leaky_relu`, `abs`, `hardtanh`,
/// `relu6`) share: the forward and backward loops of `PiecewiseKernels`, a `PieceCodes`
/// record, and how a site is shown. Each primitive gives its kernel kind and the derivative of
/// each piece under a convention.
public protocol PiecewiseUnaryPrimitive: NonsmoothPrimitive where Record == PieceCodes {
    /// The kernel's kind.
    var kind: PiecewiseKernels.Kind { get }
    /// The derivative of each piece code (0…2, or 0…4 with two breakpoints) under `c`.
    func derivatives(_ c: DerivativeConvention) -> [Double]
    /// The names of the piece codes.
    var pieceNames: [String] { get }
}

extension PiecewiseUnaryPrimitive {
    public var pieceNames: [String] { PieceCodes.singleBreakpointNames }

    public func outputShape(_ s: ShapeCheck) throws -> [Int] { try s.unary() }

    @inlinable
    public func forward<A: ScalarArithmetic>(_ io: inout ForwardIO<A>) throws {
        let a = io.arithmetic, x = io.inputs[0], count = io.count, kind = kind
        let forced = try io.forced(PieceCodes.self, sites: count)
        let codes = io.write { p in PiecewiseKernels.forward(a, kind, x: x.slots, y: p, count: count, forced: forced) }
        io.record = .pieces(codes)
    }

    @inlinable
    public func backward<A: ScalarArithmetic>(_ io: inout BackwardIO<A>) {
        guard let gx = io.slots(0), let record = io.record, let codes = PieceCodes(record) else { return }
        PiecewiseKernels.backward(io.arithmetic, derivatives: derivatives(io.convention), codes: codes, gy: io.gy.slots, gx: gx)
    }

    /// `|x|`: the distance from the breakpoint at 0.
    public func kinkDistances(_ inputs: [[Double]], shapes: [[Int]]) -> [Double] { inputs[0].map { Swift.abs($0) } }

    public func label(_ codes: PieceCodes, _ site: Int) -> String { PieceCodes.label(codes[site], pieceNames) }

    public func siteOperands<A: ScalarArithmetic>(_ site: Int, inputs: [Tensor<A>], output: Tensor<A>, render: (A.Ref) -> String) -> String {
        render(inputs[0].slots + site)
    }
}

extension PiecewiseUnaryPrimitive {
    /// The same decided piece of one operand element.
    public func sameComputation(_ i: Int, _ j: Int, _ c: SameComputation) -> [(Int, Int, Int)]? {
        guard let (r, s) = c.records(PieceCodes.self), r[i] == s[j], Piece.isDecided(r[i]) else { return nil }
        return [(0, i, j)]
    }
}

/// The primitives that clamp to `[lower, upper]` (`hardtanh`, `relu6`, `clip`): codes 0…4
/// (`PieceCodes.boundsNames`), the derivative at either bound one convention choice
/// (`atBound`), the kink distance the distance from the nearer bound.
public protocol ClampPrimitive: PiecewiseUnaryPrimitive {
    /// The bounds (an absent one of `clip` infinite).
    var lower: Double { get }
    var upper: Double { get }
    /// The choice of the derivative at either bound.
    static var atBound: ConventionChoice { get }
}

extension ClampPrimitive {
    public var kind: PiecewiseKernels.Kind { .hardtanh(min: lower, max: upper) }
    public var pieceNames: [String] { PieceCodes.boundsNames }
    public static var choices: [ConventionChoice] { [atBound] }

    public func derivatives(_ c: DerivativeConvention) -> [Double] {
        let d = c.derivative(Self.atBound)
        return [0, d, 1, d, 0]
    }

    /// The distance from the nearer bound.
    public func kinkDistances(_ inputs: [[Double]], shapes: [[Int]]) -> [Double] {
        inputs[0].map { Swift.min(Swift.abs($0 - lower), Swift.abs($0 - upper)) }
    }
}
