import AD

/// One node of a model file: a primitive, the nodes it reads, and the tensors it names.
public struct ModelNode: Sendable, Equatable {
    /// The node's unique name.
    public var name: String
    /// The primitive with its attributes.
    public var op: Op
    /// The nodes (or `input`) it reads, by name.
    public var inputs: [String]
    /// Tensor keys by role (`weight`, `bias`, `running_mean`, …), in the op's role order.
    public var parameters: [(role: String, tensor: String)]

    public init(name: String, op: Op, inputs: [String], parameters: [(role: String, tensor: String)]) {
        self.name = name
        self.op = op
        self.inputs = inputs
        self.parameters = parameters
    }

    public static func == (l: ModelNode, r: ModelNode) -> Bool {
        l.name == r.name && l.op == r.op && l.inputs == r.inputs
            && l.parameters.map(\.role) == r.parameters.map(\.role) && l.parameters.map(\.tensor) == r.parameters.map(\.tensor)
    }
}
