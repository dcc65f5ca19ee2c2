/// A graph and feed restricted to some of their batch's samples, and executions stitched back
/// from one run on those samples: how the certified reference recomputes only the samples its
/// first rung could not decide (samples are independent in forward except through batch norm
/// in training mode, which `SampleSubset` refuses).
public struct SampleSubset: Sendable {
    /// The full graph's batch size.
    public let batch: Int
    /// The samples kept, in increasing order (indices into the full batch).
    public let samples: [Int]
    /// The graph on `samples.count` samples: every `input` leaf's batch axis resized.
    public let graph: Graph
    /// The nodes whose outputs carry the batch axis (their shapes differ between the graphs).
    public let batchNodes: [NodeID]

    /// The subset of `graph` (batch `batch`) on `samples`, or nil when the samples are not
    /// independent (batch norm in training mode), a leaf fed per run has no batch axis of
    /// `batch`, or the subset is the whole batch.
    public init?(graph full: Graph, batch: Int, samples: [Int]) {
        guard batch > 1, !samples.isEmpty, samples.count < batch, samples.allSatisfy({ (0..<batch).contains($0) }),
              samples == samples.sorted(), Set(samples).count == samples.count else { return nil }
        var g = Graph()
        for node in full.nodes {
            do {
                switch node.op {
                case .input:
                    guard node.shape.first == batch else { return nil }
                    try g.input(node.name, shape: [samples.count] + node.shape.dropFirst())
                case .parameter:
                    try g.parameter(node.name, shape: node.shape)
                case .batchNorm(_, let training) where training:
                    return nil
                default:
                    try g.apply(node.name, node.op, node.inputs)
                }
            } catch {
                return nil
            }
        }
        self.batch = batch
        self.samples = samples
        self.graph = g
        batchNodes = full.nodes.indices.filter { full.nodes[$0].shape != g.nodes[$0].shape }
    }

    /// `feed` restricted to the samples: every input leaf's rows and every label list's
    /// per-sample blocks, in order.
    public func feed(_ feed: Feed) -> Feed {
        var out = feed
        for node in graph.nodes where node.op == .input {
            guard let v = feed.values[node.name] else { continue }
            out.values[node.name] = rows(v)
        }
        for (k, v) in feed.labels { out.labels[k] = rows(v) }
        return out
    }

    /// The blocks of `samples` of a batch-major array of `batch` equal blocks.
    func rows<T>(_ v: [T]) -> [T] {
        guard v.count % batch == 0 else { return v }
        let per = v.count / batch
        return samples.flatMap { v[($0 * per)..<(($0 + 1) * per)] }
    }
}

extension Execution {
    /// This execution with the decisions of the subset's samples replaced by `other`'s (an
    /// execution of `subset.graph`): the decision set a forced replay of the whole batch follows.
    public func decisions<B: ScalarArithmetic>(stitching other: Execution<B>, _ subset: SampleSubset) -> DecisionSet {
        var out = decisions
        for (id, record) in decisions {
            guard let sub = other.decisions[id] else { continue }
            var position = 0
            let parts = (0..<subset.batch).map { s -> DecisionRecord in
                if position < subset.samples.count && subset.samples[position] == s {
                    position += 1
                    return sub.samples((position - 1)..<position, of: subset.samples.count)
                }
                return record.samples(s..<(s + 1), of: subset.batch)
            }
            out[id] = DecisionRecord.stitch(parts)
        }
        return out
    }

    /// Overwrites the subset's samples of every batch-carrying node's value with `other`'s
    /// (an execution of `subset.graph`), each slot converted by `convert` — for enclosures, into
    /// an enclosure of the same set, so the values stay sound and show the precision that
    /// decided them.
    public func overwriteSamples<B: ScalarArithmetic>(from other: Execution<B>, _ subset: SampleSubset,
                                                      convert: (UnsafeMutablePointer<A.Slot>, UnsafeMutablePointer<B.Slot>) -> Void) {
        for id in subset.batchNodes {
            let source = other.value(id)
            let per = source.count / subset.samples.count
            guard per * subset.batch == _values[id].count else { continue }
            _values[id].withMutableSlots { p in
                for (j, s) in subset.samples.enumerated() {
                    for i in 0..<per { convert(p + s * per + i, source.slots + j * per + i) }
                }
            }
        }
    }
}
