/// One operation of the engine with everything about it in one place: its spelling in model
/// files, its attributes, its shape rule, its forward and its backward. Each primitive is one
/// file of `Sources/AD/Primitives`; `Op` is the closed list of them.
///
/// Precision-independent: attribute values (slopes, bounds, eps) are rounded to the precision
/// of each execution, like parameters. Forward and backward are generic over the arithmetic and
/// are dispatched statically (through `Op.accept`), so every loop is specialised per precision.
public protocol Primitive: Sendable, Equatable {
    /// The op's name as model files spell it (`leaky_relu`).
    static var name: String { get }
    /// Parameter roles and attribute keys a model file may give.
    static var schema: PrimitiveSchema { get }
    /// The primitive from a node's attributes (defaults where absent). Errors name the key.
    static func read(_ attributes: any AttributeReader) throws -> Self
    /// The attributes a model file writes for this primitive (the inverse of `read`).
    var attributes: [(key: String, value: AttributeValue)] { get }
    /// The `Op` holding this primitive.
    var op: Op { get }
    /// The output shape, after checking the operands; errors name the node and the key.
    func outputShape(_ check: ShapeCheck) throws -> [Int]
    /// Computes `io.output` (fresh, +0) from `io.inputs`; a nonsmooth primitive records its
    /// decisions in `io.record` (or follows `io.forcing`).
    func forward<A: ScalarArithmetic>(_ io: inout ForwardIO<A>) throws
    /// Writes the gradient contribution to each needed input into `io.gradients` (fresh +0
    /// tensors where needed, nil where not) from `io.gy`.
    func backward<A: ScalarArithmetic>(_ io: inout BackwardIO<A>)
    /// For the reference's proofs of ties between identical computations (`TieProver`): the
    /// operand elements from which output element `i` of one node and output element `j` of
    /// another node of the same op (or of the same node) are computed by the same operations
    /// in the same order, as `(operand, element of the first's operand, element of the
    /// second's)` — the two outputs are equal over ℝ when every pair is — or nil when they are
    /// not computed alike. The default, nil, proves nothing.
    func sameComputation(_ i: Int, _ j: Int, _ c: SameComputation) -> [(Int, Int, Int)]?
    /// This primitive with each real-valued attribute (a slope, a bound, eps) replaced by
    /// `round(value)`: the attributes of the point analysed at a precision P, each rounded
    /// once to P, which the reference R then uses as they are (analysis.md, "Precise rules").
    /// The default (no real-valued attribute): `self`.
    func roundingAttributes(_ round: (Double) -> Double) -> Self
}

extension Primitive {
    public var attributes: [(key: String, value: AttributeValue)] { [] }
    public func sameComputation(_ i: Int, _ j: Int, _ c: SameComputation) -> [(Int, Int, Int)]? { nil }
    public func roundingAttributes(_ round: (Double) -> Double) -> Self { self }
    /// Whether the primitive is a loss (a scalar output meant to be differentiated).
    public var isLoss: Bool { self is any LossPrimitive }
}

/// A primitive with kinks, following the design rule: forward records what it decided at each
/// site (`Record`), backward turns the record into derivatives through the convention's values
/// of `choices`. Conforming is what makes a node's sites classified: nothing else lists them.
public protocol NonsmoothPrimitive: Primitive {
    /// The decision record kind.
    associatedtype Record: SiteRecord
    /// The convention choices this primitive makes at its kinks (shared by key with other
    /// primitives that make the same one, as relu6 with hardtanh).
    static var choices: [ConventionChoice] { get }
    /// The distance of each site's input from its nearest kink, in the inputs' units (NaN where
    /// no decision applies), from the node's inputs as `Double`s.
    func kinkDistances(_ inputs: [[Double]], shapes: [[Int]]) -> [Double]
    /// How a report names the decision at `site` (`below 0`, `tie at {1, 2}`).
    func label(_ record: Record, _ site: Int) -> String
    /// What the decision at `site` was made on, each value written by `render`
    /// (`0.25`, `a = 1.0, b = 1.0`, `max 3.0`).
    func siteOperands<A: ScalarArithmetic>(_ site: Int, inputs: [Tensor<A>], output: Tensor<A>, render: (A.Ref) -> String) -> String
}

extension NonsmoothPrimitive {
    /// `label` for a record of any kind ("?" for a record of another kind).
    public func label(of record: DecisionRecord, _ site: Int) -> String {
        guard let r = Record(record) else { return "?" }
        return label(r, site)
    }
}

/// A primitive whose output is a scalar loss.
public protocol LossPrimitive: Primitive {
    /// Whether each row (sample) of the loss's gradient with respect to its operands is a
    /// function of that row alone and of the batch's size — true of a mean or sum of per-sample
    /// terms. Then any subset of the samples gets its rows of the whole batch's loss gradients
    /// from a loss evaluated on its own rows (the certified reference streams on it,
    /// `StreamingPlan`). False unless a loss says so.
    var gradientRowsAreIndependent: Bool { get }
}

extension LossPrimitive {
    public var gradientRowsAreIndependent: Bool { false }
}

/// What a model file may give a primitive besides `name`, `op` and `inputs`.
public struct PrimitiveSchema: Sendable {
    /// Parameter tensors by role, in operand order after the node's inputs (`weight`, `bias`).
    public var roles: [(name: String, required: Bool)]
    /// Attribute keys.
    public var attributes: [String]

    public init(roles: [(name: String, required: Bool)] = [], attributes: [String] = []) {
        self.roles = roles
        self.attributes = attributes
    }
}

/// An attribute value as model files write it.
public enum AttributeValue: Sendable, Equatable {
    case integer(Int)
    /// An `[h, w]` pair (written as one integer when both are equal).
    case pair([Int])
    case number(Double)
    case string(String)
}

/// A node's attributes as a model reader hands them to `Primitive.read`; the reader owns the
/// file syntax and its messages, the primitive the keys, defaults and ranges.
public protocol AttributeReader {
    /// The node's name (for messages).
    var node: String { get }
    /// Whether the node gives `key` (an attribute or a parameter role).
    func has(_ key: String) -> Bool
    /// An integer attribute, nil when absent.
    func integer(_ key: String) throws -> Int?
    /// An integer or an `[h, w]` pair, as `[h, w]`; nil when absent.
    func pair(_ key: String) throws -> [Int]?
    /// A finite number, nil when absent.
    func number(_ key: String) throws -> Double?
    /// One of `allowed` strings, nil when absent.
    func choice(_ key: String, _ allowed: [String]) throws -> String?
    /// An error about `key` of this node.
    func error(_ key: String, _ message: String) -> any Error
}

/// The operands of a node being built, and the checks a shape rule uses; every error names the
/// node and the operand or attribute at fault.
public struct ShapeCheck {
    /// The node's name.
    public let node: String
    /// The op's name.
    public let op: String
    /// The operands.
    public let inputs: [Node]

    public init(node: String, op: String, inputs: [Node]) {
        self.node = node
        self.op = op
        self.inputs = inputs
    }

    /// The shape of operand `i`.
    public func shape(_ i: Int) -> [Int] { inputs[i].shape }

    public func fail(_ key: String?, _ message: String) -> GraphError { GraphError(node: node, key: key, message: message) }

    /// The operand count is in `n`; `keys` names them for the message.
    public func arity(_ n: ClosedRange<Int>, _ keys: String) throws {
        guard n.contains(inputs.count) else {
            throw fail("inputs", "\(op) takes \(n.lowerBound == n.upperBound ? "\(n.lowerBound)" : "\(n.lowerBound) or \(n.upperBound)") operands (\(keys)), found \(inputs.count)")
        }
    }

    /// Operand `i` has one of the ranks `r`.
    public func rank(_ i: Int, _ key: String, _ r: [Int]) throws {
        guard r.contains(inputs[i].shape.count) else {
            throw fail(key, "expected a tensor of rank \(r.map(String.init).joined(separator: " or ")), found shape \(inputs[i].shape) ('\(inputs[i].name)')")
        }
    }

    /// Operand `i` has shape `expected`.
    public func expectShape(_ i: Int, _ key: String, _ expected: [Int]) throws {
        guard inputs[i].shape == expected else {
            throw fail(key, "expected shape \(expected), found \(inputs[i].shape) ('\(inputs[i].name)')")
        }
    }

    /// An `[h, w]` attribute with each entry in `min…2²⁰` (the upper bound keeps every size
    /// computation far from overflow).
    public func pair(_ v: [Int], _ key: String, min: Int) throws -> (Int, Int) {
        guard v.count == 2, v[0] >= min, v[1] >= min, v[0] <= 1 << 20, v[1] <= 1 << 20 else {
            throw fail(key, "expected an int or an [h, w] pair, each in \(min)…\(1 << 20), found \(v)")
        }
        return (v[0], v[1])
    }

    /// One operand, returned unchanged: the rule of elementwise unary primitives.
    public func unary() throws -> [Int] {
        try arity(1...1, "input")
        return inputs[0].shape
    }

    /// Two operands of one shape, returned: the rule of elementwise binary primitives.
    public func sameShapeBinary() throws -> [Int] {
        try arity(2...2, "inputs[0], inputs[1]")
        try expectShape(1, "inputs[1]", inputs[0].shape)
        return inputs[0].shape
    }
}

/// What a primitive's forward reads and writes.
public struct ForwardIO<A: ScalarArithmetic> {
    public typealias Ref = UnsafeMutablePointer<A.Slot>
    /// The precision's arithmetic.
    public let arithmetic: A
    /// How linear and conv2d accumulate.
    public let accumulation: ArithmeticModel.Accumulation
    /// The node computed.
    public let node: Node
    /// The operands' values.
    public let inputs: [Tensor<A>]
    /// The output: fresh (+0) on entry.
    public var output: Tensor<A>
    /// The integer labels fed.
    public let labels: [String: [Int]]
    /// The decisions to follow (a forced replay), nil to decide.
    public let forcing: DecisionRecord?
    /// The decisions made (or followed): set by a nonsmooth primitive.
    public var record: DecisionRecord?
    /// Products flushed to zero (linear, conv2d).
    public var flushed = 0
    /// In the reference (`Execution(…, proveTies:)`): whether element `i` of operand `a` and
    /// element `j` of operand `b` are proven equal over ℝ (`TieProver`), for the ties the
    /// arithmetic cannot prove; nil elsewhere.
    public var sameValue: ((_ a: Int, _ i: Int, _ b: Int, _ j: Int) -> Bool)?

    @inlinable
    public init(arithmetic: A, accumulation: ArithmeticModel.Accumulation, node: Node, inputs: [Tensor<A>], output: Tensor<A>,
                labels: [String: [Int]], forcing: DecisionRecord?) {
        self.arithmetic = arithmetic
        self.accumulation = accumulation
        self.node = node
        self.inputs = inputs
        self.output = output
        self.labels = labels
        self.forcing = forcing
    }

    /// The number of output values.
    @inlinable public var count: Int { output.count }

    /// An error about this node.
    @inlinable public func fail(_ message: String) -> ExecutionError { ExecutionError(node: node.name, message: message) }

    /// The forcing record as `R`, nil when not forced; throws when it does not fit (another
    /// kind, or `sites` sites).
    @inlinable public func forced<R: SiteRecord>(_ type: R.Type, sites: Int) throws -> R? {
        guard let forcing else { return nil }
        guard let r = R(forcing), r.siteCount == sites else {
            throw fail("the forcing record does not fit this \(node.op.name) node (\(sites) sites)")
        }
        return r
    }

    /// The output is operand 0's values under the node's shape, shared, not copied (flatten,
    /// identity).
    @inlinable public mutating func passInput() { output = inputs[0].reshaped(node.shape) }

    /// Runs `body` on the output's slots.
    @inlinable public mutating func write<R>(_ body: (Ref) throws -> R) rethrows -> R {
        try output.withMutableSlots(body)
    }
}

/// What a primitive's backward reads and writes.
public struct BackwardIO<A: ScalarArithmetic> {
    public typealias Ref = UnsafeMutablePointer<A.Slot>
    public let arithmetic: A
    public let accumulation: ArithmeticModel.Accumulation
    public let node: Node
    /// The operands' forward values.
    public let inputs: [Tensor<A>]
    /// The node's forward output.
    public let output: Tensor<A>
    /// The incoming gradient (of the output).
    public let gy: Tensor<A>
    /// The contributions to each operand: fresh +0 tensors where needed (write through
    /// `slots(_:)`), nil where not; a primitive may also replace one (flatten passes `gy`).
    public var gradients: [Tensor<A>?]
    /// The convention at kink hits.
    public let convention: DerivativeConvention
    /// The forward pass's decisions at this node (nonsmooth primitives).
    public let record: DecisionRecord?
    public let labels: [String: [Int]]
    /// Products flushed to zero (linear, conv2d).
    public var flushed = 0

    @inlinable
    public init(arithmetic: A, accumulation: ArithmeticModel.Accumulation, node: Node, inputs: [Tensor<A>], output: Tensor<A>,
                gy: Tensor<A>, gradients: [Tensor<A>?], convention: DerivativeConvention, record: DecisionRecord?, labels: [String: [Int]]) {
        self.arithmetic = arithmetic
        self.accumulation = accumulation
        self.node = node
        self.inputs = inputs
        self.output = output
        self.gy = gy
        self.gradients = gradients
        self.convention = convention
        self.record = record
        self.labels = labels
    }

    /// Operand 0's gradient is `gy` under its shape, shared (flatten, identity).
    @inlinable public mutating func passGradient() {
        if needs(0) { gradients[0] = gy.reshaped(inputs[0].shape) }
    }

    /// Whether operand `k`'s gradient is needed.
    @inlinable public func needs(_ k: Int) -> Bool { gradients[k] != nil }
    /// The slots of operand `k`'s fresh gradient (uniquely owned: safe to write), nil when not needed.
    @inlinable public func slots(_ k: Int) -> Ref? { gradients[k]?.slots }
}
