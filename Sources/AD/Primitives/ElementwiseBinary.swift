/// How operand 1 of an elementwise binary primitive (`add`, `sub`, `mul`, `div`) lines up with
/// operand 0 `[N, …]`: the same shape, or a constant broadcast over it — one value, one value per
/// channel (axis 1, shape `[C]`), or one value per position of a sample (the per-sample shape).
public enum Broadcast: Sendable, Equatable {
    case same
    case scalar
    /// `(i ÷ inner) mod channels` for flat index `i`.
    case channel(channels: Int, inner: Int)
    /// `i mod size`.
    case perSample(size: Int)

    /// The broadcast that makes `operand` fit `x`, nil when none does. A per-channel `[C]`
    /// operand of a rank-2 input `[N, C]` is also its per-sample shape (the same map).
    public init?(_ operand: [Int], over x: [Int]) {
        if operand == x { self = .same; return }
        let count = operand.reduce(1, *)
        if count == 1 && operand.count <= 1 { self = .scalar; return }
        if x.count >= 2, operand == Array(x.dropFirst()) { self = .perSample(size: count); return }
        if x.count >= 2, operand == [x[1]] { self = .channel(channels: x[1], inner: x.dropFirst(2).reduce(1, *)); return }
        return nil
    }

    /// The operand's index for flat index `i` of operand 0.
    @inlinable public func index(_ i: Int) -> Int {
        switch self {
        case .same: i
        case .scalar: 0
        case .channel(let c, let inner): (i / inner) % c
        case .perSample(let size): i % size
        }
    }
}

/// What `add`, `sub`, `mul` and `div` share: operands `x` and `y` of one shape (two `inputs`),
/// or `x` and a `constant` (the role, a tensor key) broadcast over it (`Broadcast`: a scalar
/// `[]`/`[1]`, per channel `[C]`, or the per-sample shape). Smooth. Each output is one rounded
/// operation; a broadcast operand's gradient sums its contributions in increasing flat index
/// order (row-major, samples outermost), each contribution rounded as the same-shape one.
public protocol ElementwiseBinaryPrimitive: Primitive {
    init()
    /// `r = x ∘ y`.
    static func combine<A: ScalarArithmetic>(_ a: A, _ r: A.Ref, _ x: A.Ref, _ y: A.Ref)
    /// Whether x's gradient is `gy` itself (`add`, `sub`): then it is shared, not computed.
    static var gradientXIsIncoming: Bool { get }
    /// The contribution to x's gradient from `gy` at one position (`out` the forward output).
    static func gradientX<A: ScalarArithmetic>(_ a: A, _ r: A.Ref, gy: A.Ref, x: A.Ref, y: A.Ref, out: A.Ref)
    /// The contribution to y's gradient.
    static func gradientY<A: ScalarArithmetic>(_ a: A, _ r: A.Ref, gy: A.Ref, x: A.Ref, y: A.Ref, out: A.Ref)
}

extension ElementwiseBinaryPrimitive {
    public static var schema: PrimitiveSchema { PrimitiveSchema(roles: [("constant", false)]) }
    public static func read(_ r: any AttributeReader) throws -> Self { Self() }
    public static var gradientXIsIncoming: Bool { false }
    public static func gradientX<A: ScalarArithmetic>(_ a: A, _ r: A.Ref, gy: A.Ref, x: A.Ref, y: A.Ref, out: A.Ref) { a.copy(r, gy) }

    public func outputShape(_ s: ShapeCheck) throws -> [Int] {
        try s.arity(2...2, "two inputs, or one input and a constant")
        let x = s.shape(0), y = s.shape(1)
        if x == y { return x }
        guard s.inputs[1].op == .parameter, Broadcast(y, over: x) != nil else {
            throw s.fail(s.inputs[1].op == .parameter ? "constant" : "inputs[1]",
                         "expected \(s.inputs[1].op == .parameter ? "a constant of shape [], [1], [\(x.count >= 2 ? x[1] : 1)] (per channel), \(Array(x.dropFirst())) (per sample) or" : "an input of") the shape \(x) of '\(s.inputs[0].name)', found \(y) ('\(s.inputs[1].name)')")
        }
        return x
    }

    @inlinable
    public func forward<A: ScalarArithmetic>(_ io: inout ForwardIO<A>) throws {
        let a = io.arithmetic, x = io.inputs[0], y = io.inputs[1], count = io.count
        guard let b = Broadcast(y.shape, over: x.shape) else { throw io.fail("operand shapes \(x.shape) and \(y.shape) do not fit") }
        io.write { p in  // every output alone: split across the pass's threads
            PassThreads.forEachElementChunk(count) { chunk in
                for i in chunk { Self.combine(a, p + i, x.slots + i, y.slots + b.index(i)) }
            }
        }
    }

    @inlinable
    public func backward<A: ScalarArithmetic>(_ io: inout BackwardIO<A>) {
        let a = io.arithmetic, x = io.inputs[0], y = io.inputs[1], out = io.output, gy = io.gy, count = gy.count
        guard let b = Broadcast(y.shape, over: x.shape) else { return }  // excluded by outputShape
        if Self.gradientXIsIncoming {
            if io.needs(0) { io.gradients[0] = gy }
        } else if let gx = io.slots(0) {
            PassThreads.forEachElementChunk(count) { chunk in
                for i in chunk { Self.gradientX(a, gx + i, gy: gy.slots + i, x: x.slots + i, y: y.slots + b.index(i), out: out.slots + i) }
            }
        }
        if let gyy = io.slots(1) {
            if b == .same {
                PassThreads.forEachElementChunk(count) { chunk in
                    for i in chunk { Self.gradientY(a, gyy + i, gy: gy.slots + i, x: x.slots + i, y: y.slots + i, out: out.slots + i) }
                }
            } else {  // a broadcast operand's sums in flat index order: on this thread
                let t = a.makeStorage(count: 1)
                for i in 0..<count {
                    Self.gradientY(a, t.base, gy: gy.slots + i, x: x.slots + i, y: y.slots + b.index(i), out: out.slots + i)
                    a.add(gyy + b.index(i), gyy + b.index(i), t.base)
                }
                withExtendedLifetime(t) {}
            }
        }
    }
}

extension ElementwiseBinaryPrimitive {
    /// One element of each operand (the constant's broadcast element).
    public func sameComputation(_ i: Int, _ j: Int, _ c: SameComputation) -> [(Int, Int, Int)]? {
        guard let b = Broadcast(c.shapes[1], over: c.shapes[0]) else { return nil }
        return [(0, i, j), (1, b.index(i), b.index(j))]
    }
}
