/// `x` above 0, `α·(eˣ − 1)` at and below 0 (attribute `alpha`, default 1). **Nonsmooth at 0
/// unless α = 1** (the one-sided derivatives are α and 1). Codes: 0 below, 1 at 0 (output +0),
/// 2 above; with α = 1 a zero input is recorded as above (no kink: both derivatives are 1).
///
/// Backward: `gx = gy` above, `gx = gy·(α·eˣ)` below (PyTorch's `elu_backward` formula on the
/// input), and at 0 the convention's `elu_prime_at_0`: PyTorch's is α (`elu_backward` uses the
/// left formula where `x ≤ 0`, and α·e⁰ = α); the alternative is 1, the right derivative.
public struct ELU: NonsmoothPrimitive {
    public typealias Record = PieceCodes
    public var alpha: Double

    public init(alpha: Double = 1) { self.alpha = alpha }
    public static let name = "elu"
    public static let schema = PrimitiveSchema(attributes: ["alpha"])
    public static func read(_ r: any AttributeReader) throws -> ELU { ELU(alpha: try r.number("alpha") ?? 1) }
    public var attributes: [(key: String, value: AttributeValue)] { [("alpha", .number(alpha))] }
    public var op: Op { .elu(alpha: alpha) }

    public func outputShape(_ s: ShapeCheck) throws -> [Int] {
        try s.arity(1...1, "input")
        guard alpha.isFinite else { throw s.fail("alpha", "expected a finite alpha, found \(alpha)") }
        return s.shape(0)
    }

    /// `elu'(0)`.
    public static let atZero = ConventionChoice(
        key: "elu_prime_at_0", flag: "elu-prime", label: "elu'(0)=",
        domain: .rangeOrStandard(-1e300...1e300, standardName: "alpha"), pytorch: .standard,
        source: "PyTorch elu_backward: grad·α·eˣ where x ≤ 0, so α at 0", flip: .standardOrOne,
        doc: "elu'(0) (default: alpha, as PyTorch; the alternative is 1).")
    public static var choices: [ConventionChoice] { [atZero] }

    @inlinable
    public func forward<A: ScalarArithmetic>(_ io: inout ForwardIO<A>) throws {
        let a = io.arithmetic, x = io.inputs[0].slots, count = io.count
        let forced = try io.forced(PieceCodes.self, sites: count)
        var codes = forced?.codes ?? [UInt8](repeating: 0, count: count)
        let k = a.makeStorage([0, alpha, 0]), zero = k.base, al = k.base + 1, t = k.base + 2
        let smoothAtZero = alpha == 1
        io.write { y in
            for i in 0..<count {
                let xi = x + i, yi = y + i
                if forced == nil {
                    switch a.sign(xi) {
                    case nil: codes[i] = a.classify(xi) == .nan ? Piece.undefined : Piece.undecided
                    case .some(-1): codes[i] = Piece.below
                    case .some(0): codes[i] = smoothAtZero ? Piece.aboveSingle : Piece.onLower
                    default: codes[i] = Piece.aboveSingle
                    }
                }
                switch codes[i] {
                case Piece.undefined: a.copy(yi, xi)
                case Piece.undecided:
                    a.expMinusOne(t, xi); a.multiply(t, al, t); a.hull(yi, t, xi)  // both pieces
                case Piece.onLower: a.copy(yi, zero)
                case Piece.below: a.expMinusOne(t, xi); a.multiply(yi, al, t)
                default: a.copy(yi, xi)
                }
            }
        }
        withExtendedLifetime(k) {}
        io.record = .pieces(PieceCodes(codes))
    }

    @inlinable
    public func backward<A: ScalarArithmetic>(_ io: inout BackwardIO<A>) {
        guard let gx = io.slots(0), let record = io.record, let codes = PieceCodes(record) else { return }
        let a = io.arithmetic, x = io.inputs[0].slots, gy = io.gy.slots
        let atZero = io.convention.derivative(Self.atZero, standard: alpha)
        let k = a.makeStorage([0, alpha, atZero, .nan, 1, 0]), zero = k.base, al = k.base + 1, d0 = k.base + 2
        let nan = k.base + 3, unit = k.base + 4, t = k.base + 5
        for i in 0..<codes.count {
            switch codes[i] {
            case Piece.undefined: a.copy(gx + i, nan)
            case Piece.undecided:
                // Every derivative the site may take: 1, α·eˣ over the enclosure, the kink's.
                a.exp(t, x + i); a.multiply(t, al, t); a.hull(t, t, unit); a.hull(t, t, d0); a.multiply(gx + i, gy + i, t)
            case Piece.below: a.exp(t, x + i); a.multiply(t, al, t); a.multiply(gx + i, gy + i, t)
            case Piece.onLower:
                if atZero == 0 { a.copy(gx + i, zero) } else if atZero == 1 { a.copy(gx + i, gy + i) } else { a.multiply(gx + i, gy + i, d0) }
            default: a.copy(gx + i, gy + i)
            }
        }
        withExtendedLifetime(k) {}
    }

    /// `|x|`.
    public func kinkDistances(_ inputs: [[Double]], shapes: [[Int]]) -> [Double] {
        alpha == 1 ? inputs[0].map { $0.isNaN ? .nan : .infinity } : inputs[0].map { Swift.abs($0) }
    }

    public func label(_ codes: PieceCodes, _ site: Int) -> String { PieceCodes.label(codes[site], PieceCodes.singleBreakpointNames) }

    public func siteOperands<A: ScalarArithmetic>(_ site: Int, inputs: [Tensor<A>], output: Tensor<A>, render: (A.Ref) -> String) -> String {
        render(inputs[0].slots + site)
    }
}

extension ELU {
    /// The same decided piece of one operand element.
    public func sameComputation(_ i: Int, _ j: Int, _ c: SameComputation) -> [(Int, Int, Int)]? {
        guard let (r, s) = c.records(PieceCodes.self), r[i] == s[j], Piece.isDecided(r[i]) else { return nil }
        return [(0, i, j)]
    }
}

extension ELU {
    public func roundingAttributes(_ round: (Double) -> Double) -> ELU { ELU(alpha: round(alpha)) }
}
