/// `x` above 0, `w·x` at and below, with a learned slope `w` (role `weight`): one per channel
/// (`[C]`, axis 1) or one for all (`[1]`) — PyTorch's `nn.PReLU`, ONNX `PRelu`.
/// **Nonsmooth at 0.** Codes as `leaky_relu`'s: 0 below, 1 at 0 (output +0), 2 above.
///
/// Convention: `leaky_relu_prime_at_0`, shared with `leaky_relu` (PReLU is a leaky ReLU whose
/// slope is learned): PyTorch's is the slope (`_prelu_kernel_backward`: `grad·w` where
/// `x ≤ 0`). The slope's gradient is `Σ x·gy` over the sites below 0 of its channel (a site at 0
/// adds nothing: `x = 0`), summed in increasing flat index order (samples outermost).
public struct PReLU: NonsmoothPrimitive {
    public typealias Record = PieceCodes

    public init() {}
    public static let name = "prelu"
    public static let schema = PrimitiveSchema(roles: [("weight", true)])
    public static func read(_ r: any AttributeReader) throws -> PReLU { PReLU() }
    public var op: Op { .prelu }
    public static var choices: [ConventionChoice] { [LeakyReLU.atZero] }

    public func outputShape(_ s: ShapeCheck) throws -> [Int] {
        try s.arity(2...2, "input, weight")
        try s.rank(0, "input", Array(2...8))
        let x = s.shape(0), w = s.shape(1)
        guard w == [1] || w == [x[1]] else {
            throw s.fail("weight", "expected a slope of shape [1] or [\(x[1])] (one per channel of '\(s.inputs[0].name)'), found \(w)")
        }
        return x
    }

    @inlinable
    public func forward<A: ScalarArithmetic>(_ io: inout ForwardIO<A>) throws {
        let a = io.arithmetic, x = io.inputs[0], w = io.inputs[1], count = io.count
        let forced = try io.forced(PieceCodes.self, sites: count)
        var codes = forced?.codes ?? [UInt8](repeating: 0, count: count)
        let inner = x.shape.dropFirst(2).reduce(1, *), channels = x.shape[1], perChannel = w.count > 1
        let zero = a.makeStorage([0])
        io.write { y in
            for i in 0..<count {
                let xi = x.slots + i, yi = y + i, wi = w.slots + (perChannel ? (i / inner) % channels : 0)
                if forced == nil {
                    switch a.sign(xi) {
                    case nil: codes[i] = a.classify(xi) == .nan ? Piece.undefined : Piece.undecided
                    case .some(-1): codes[i] = 0
                    case .some(0): codes[i] = 1
                    default: codes[i] = 2
                    }
                }
                switch codes[i] {
                case Piece.undefined: a.copy(yi, xi)
                case Piece.undecided: a.multiply(yi, wi, xi); a.hull(yi, yi, xi)  // either piece
                case 2: a.copy(yi, xi)
                case 1: a.copy(yi, zero.base)
                default: a.multiply(yi, wi, xi)
                }
            }
        }
        withExtendedLifetime(zero) {}
        io.record = .pieces(PieceCodes(codes))
    }

    @inlinable
    public func backward<A: ScalarArithmetic>(_ io: inout BackwardIO<A>) {
        guard let record = io.record, let codes = PieceCodes(record) else { return }
        let a = io.arithmetic, x = io.inputs[0], w = io.inputs[1], gy = io.gy.slots, count = io.gy.count
        let inner = x.shape.dropFirst(2).reduce(1, *), channels = x.shape[1], perChannel = w.count > 1
        // Slots: +0, NaN, the convention's number at 0 (unless it is the slope), 1, scratch.
        let slopeAtZero = io.convention[LeakyReLU.atZero] == .standard
        let k = a.makeStorage([0, .nan, io.convention.derivative(LeakyReLU.atZero, standard: 0), 1, 0])
        let zero = k.base, nan = k.base + 1, fixed = k.base + 2, one = k.base + 3, t = k.base + 4
        let gx = io.slots(0), gw = io.slots(1)
        for i in 0..<count {
            let c = codes[i], wi = w.slots + (perChannel ? (i / inner) % channels : 0)
            if let gx {
                switch c {
                case Piece.undefined: a.copy(gx + i, nan)
                case Piece.undecided:
                    // Every derivative the site may take: 1, w, and the one at 0.
                    a.hull(t, one, wi); a.hull(t, t, slopeAtZero ? wi : fixed)
                    a.multiply(gx + i, gy + i, t)
                case 2: a.copy(gx + i, gy + i)
                case 1: a.multiply(gx + i, gy + i, slopeAtZero ? wi : fixed)
                default: a.multiply(gx + i, gy + i, wi)
                }
            }
            if let gw {
                let g = gw + (perChannel ? (i / inner) % channels : 0)
                switch c {
                case Piece.undefined: a.add(g, g, nan)
                case Piece.undecided: a.multiply(t, x.slots + i, gy + i); a.hull(t, t, zero); a.add(g, g, t)
                case 0: a.multiply(t, x.slots + i, gy + i); a.add(g, g, t)
                default: break  // above 0 (nothing) or at 0 (x·gy = 0)
                }
            }
        }
        withExtendedLifetime(k) {}
    }

    /// `|x|`: the distance from the breakpoint at 0.
    public func kinkDistances(_ inputs: [[Double]], shapes: [[Int]]) -> [Double] { inputs[0].map { Swift.abs($0) } }

    public func label(_ codes: PieceCodes, _ site: Int) -> String { PieceCodes.label(codes[site], PieceCodes.singleBreakpointNames) }

    public func siteOperands<A: ScalarArithmetic>(_ site: Int, inputs: [Tensor<A>], output: Tensor<A>, render: (A.Ref) -> String) -> String {
        render(inputs[0].slots + site)
    }
}

extension PReLU {
    /// The same decided piece of one operand element, and the slope it is multiplied by.
    public func sameComputation(_ i: Int, _ j: Int, _ c: SameComputation) -> [(Int, Int, Int)]? {
        guard let (r, s) = c.records(PieceCodes.self), r[i] == s[j], Piece.isDecided(r[i]) else { return nil }
        let x = c.shapes[0], inner = x.dropFirst(2).reduce(1, *), perChannel = c.shapes[1] != [1]
        return [(0, i, j), (1, perChannel ? (i / inner) % x[1] : 0, perChannel ? (j / inner) % x[1] : 0)]
    }
}
