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

/// The per-op vocabulary of model.json: parameter roles and attributes.
enum OpSchema {
    /// Parameter roles, required ones first flagged.
    static func roles(_ op: String) -> [(String, required: Bool)] {
        switch op {
        case "linear", "conv2d": [("weight", true), ("bias", false)]
        case "batchnorm": [("weight", true), ("bias", true), ("running_mean", true), ("running_var", true)]
        default: []
        }
    }

    /// Attribute keys an op accepts.
    static func attributes(_ op: String) -> [String] {
        switch op {
        case "conv2d": ["stride", "padding", "dilation", "groups"]
        case "maxpool2d", "avgpool2d": ["kernel", "stride", "padding"]
        case "leaky_relu": ["negative_slope"]
        case "hardtanh": ["min", "max"]
        case "gelu": ["approximate"]
        case "batchnorm": ["eps", "mode"]
        case "dropout": ["p"]
        default: []
        }
    }

    static let ops: Set<String> = ["linear", "conv2d", "maxpool2d", "avgpool2d", "relu", "leaky_relu", "relu6", "hardtanh", "abs",
                                   "maximum", "minimum", "tanh", "sigmoid", "softplus", "gelu", "batchnorm", "flatten", "add",
                                   "identity", "dropout"]
}
