import AD

/// The batches of dataset mode: how many there are, and the values of each (parameters,
/// inputs and targets, by leaf name), made when asked so that a batch can be checked (or read)
/// only when it is analysed.
public protocol BatchSource: Sendable {
    /// The number of batches.
    /// - Throws: when the data cannot make one batch.
    var batchCount: Int { get throws }
    /// The values of batch `k`, `0 ≤ k < batchCount`.
    /// - Throws: when the batch does not fit the network.
    func feed(batch k: Int) throws -> Feed
}

/// A batch source that also makes the graph its batches run on, and names it: a model file's
/// network over its data (BPCheck's `ModelBatches`), whose graph depends on the batch size.
public protocol NetworkBatchSource: BatchSource {
    /// The network's name (report titles).
    var name: String { get }
    /// The graph for these batches.
    /// - Throws: when there is no batch or the graph cannot be built for it.
    func graph() throws -> ModelGraph
}

/// Batches given in full, one feed each: dataset mode over a graph written in code.
public struct FeedBatches: BatchSource {
    /// The values of each batch.
    public var feeds: [Feed]

    public init(_ feeds: [Feed]) {
        self.feeds = feeds
    }

    public var batchCount: Int { feeds.count }

    public func feed(batch k: Int) -> Feed { feeds[k] }
}

extension Analysis.Source {
    /// Batch `k` of `batches`: on the graph `batches` makes when it makes one, else on this
    /// source's graph.
    func batch(_ k: Int, of batches: any BatchSource) throws -> Self {
        if let network = batches as? any NetworkBatchSource { return .network(network, batch: k) }
        switch self {
        case .graph(let graph, _, let name): return .graph(graph, try batches.feed(batch: k), name: name)
        case .network(let network, _): return .graph(try network.graph(), try batches.feed(batch: k), name: network.name)
        }
    }
}
