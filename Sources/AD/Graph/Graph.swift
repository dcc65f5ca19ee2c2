/// The index of a node in its graph.
public typealias NodeID = Int

/// One node: a primitive applied to earlier nodes, with its inferred output shape.
public struct Node: Sendable, Equatable {
    /// Position in the graph (nodes come after their inputs).
    public let id: NodeID
    /// Unique name (a layer name, a parameter key, `input`).
    public let name: String
    /// The primitive.
    public let op: Op
    /// The operands, by id.
    public let inputs: [NodeID]
    /// The output's shape, batch axis first for activations.
    public let shape: [Int]
}

/// A computation as a list of nodes in dependency order, precision-independent: built once,
/// executed at every precision.
///
/// Building checks every shape and attribute and throws a `GraphError` naming the node and the
/// operand or attribute at fault; an `Execution` of a built graph cannot fail on shapes.
public struct Graph: Sendable {
    /// The nodes, each after its inputs.
    public private(set) var nodes: [Node] = []
    private var ids: [String: NodeID] = [:]

    public init() {}

    /// The node called `name`, if any.
    public func node(named name: String) -> Node? { ids[name].map { nodes[$0] } }

    /// Ids of the nonsmooth nodes, in graph order.
    public var nonsmoothNodes: [NodeID] { nodes.filter { $0.op.isNonsmooth }.map(\.id) }

    /// A real-valued leaf fed at run time (data, or a real-valued target), full shape.
    @discardableResult
    public mutating func input(_ name: String, shape: [Int]) throws -> NodeID {
        try leaf(name, .input, shape)
    }

    /// A real-valued leaf fed at run time (weights, biases, buffers), full shape.
    @discardableResult
    public mutating func parameter(_ name: String, shape: [Int]) throws -> NodeID {
        try leaf(name, .parameter, shape)
    }

    private mutating func leaf(_ name: String, _ op: Op, _ shape: [Int]) throws -> NodeID {
        guard shape.allSatisfy({ $0 > 0 }) else {
            throw GraphError(node: name, key: "shape", message: "every extent must be positive, found \(shape)")
        }
        guard Graph.fits(shape) else {
            throw GraphError(node: name, key: "shape", message: "\(shape) holds more than \(Graph.maxElements) values")
        }
        return try append(name, op, [], shape)
    }

    /// Applies `op` to `inputs` as a node called `name`, inferring and checking shapes.
    @discardableResult
    public mutating func apply(_ name: String, _ op: Op, _ inputs: [NodeID]) throws -> NodeID {
        for i in inputs where i < 0 || i >= nodes.count {
            throw GraphError(node: name, key: "inputs", message: "refers to node #\(i), which does not exist (yet)")
        }
        guard let primitive = op.primitive else {
            throw GraphError(node: name, key: nil, message: "leaves are added with input(_:shape:) or parameter(_:shape:)")
        }
        let shape = try primitive.outputShape(ShapeCheck(node: name, op: op.name, inputs: inputs.map { nodes[$0] }))
        guard Graph.fits(shape) else {
            throw GraphError(node: name, key: nil, message: "the output shape \(shape) holds more than \(Graph.maxElements) values")
        }
        return try append(name, op, inputs, shape)
    }

    /// The most values one tensor may hold (2⁴⁰): far beyond memory, far below `Int`'s overflow,
    /// so no shape arithmetic can overflow.
    public static let maxElements = 1 << 40

    /// Whether `shape`'s product is at most `maxElements`.
    public static func fits(_ shape: [Int]) -> Bool {
        var n = 1
        for d in shape {
            guard d >= 0, d <= maxElements else { return false }
            n *= max(d, 1)
            if n > maxElements { return false }
        }
        return true
    }

    private mutating func append(_ name: String, _ op: Op, _ inputs: [NodeID], _ shape: [Int]) throws -> NodeID {
        guard ids[name] == nil else {
            throw GraphError(node: name, key: "name", message: "a node called '\(name)' already exists")
        }
        let id = nodes.count
        nodes.append(Node(id: id, name: name, op: op, inputs: inputs, shape: shape))
        ids[name] = id
        return id
    }
}

/// A graph that cannot be built: which node, which operand or attribute, what was expected.
public struct GraphError: Error, Equatable, CustomStringConvertible {
    /// The node's name.
    public let node: String
    /// The operand or attribute at fault (`weight`, `inputs[1]`, `kernel`, …), if one is.
    public let key: String?
    /// What was expected and what was found.
    public let message: String

    public init(node: String, key: String?, message: String) {
        self.node = node
        self.key = key
        self.message = message
    }

    public var description: String {
        "node '\(node)'" + (key.map { ", \($0)" } ?? "") + ": " + message
    }
}

extension Graph {
    /// The same graph with every node's real-valued attributes rounded by `round` (the
    /// attributes of the point analysed at a precision: `Op.roundingAttributes`). Shapes and
    /// ids are unchanged.
    public func roundingAttributes(_ round: @escaping (Double) -> Double) -> Graph {
        var g = self
        g.nodes = nodes.map { Node(id: $0.id, name: $0.name, op: $0.op.roundingAttributes(round), inputs: $0.inputs, shape: $0.shape) }
        return g
    }
}
