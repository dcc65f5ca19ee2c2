/// A network's graph for one batch size, with the ids an analysis needs: a model file's network
/// (ModelIO's `Model.graph(batch:)`) or a graph written in code.
public struct ModelGraph: Sendable {
    public let graph: Graph
    public let input: NodeID
    /// Parameter leaves by tensor key.
    public let parameters: [String: NodeID]
    /// The last node (logits or prediction).
    public let output: NodeID
    public let loss: NodeID
    /// The MSE target leaf.
    public let targets: NodeID?

    /// A graph built in code: `parameters` are the leaves whose gradients are compared (by
    /// name), `loss` the scalar differentiated.
    public init(graph: Graph, input: NodeID, parameters: [String: NodeID], output: NodeID, loss: NodeID, targets: NodeID? = nil) {
        self.graph = graph
        self.input = input
        self.parameters = parameters
        self.output = output
        self.loss = loss
        self.targets = targets
    }
}
