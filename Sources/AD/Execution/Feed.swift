/// The values an execution starts from: every leaf (input and parameter) by name, as `Double`s
/// (each rounded to the execution's precision when loaded: the point analysed at P is
/// `(θ_P, X_P)`), and the integer labels a cross-entropy loss names.
public struct Feed: Sendable {
    /// Leaf values by node name, row-major, as many as the leaf's shape holds.
    public var values: [String: [Double]]
    /// Integer labels by the name a `crossEntropy` op refers to.
    public var labels: [String: [Int]]

    public init(values: [String: [Double]] = [:], labels: [String: [Int]] = [:]) {
        self.values = values
        self.labels = labels
    }
}

/// An execution that cannot run on what it was given: which node, and what is wrong.
public struct ExecutionError: Error, Equatable, CustomStringConvertible {
    public let node: String
    public let message: String

    public init(node: String, message: String) {
        self.node = node
        self.message = message
    }

    public var description: String { "node '\(node)': \(message)" }
}
