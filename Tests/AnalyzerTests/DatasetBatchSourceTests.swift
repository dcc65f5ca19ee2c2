import AD
import Testing
import Analyzer

/// Dataset mode over a graph written in code: each batch of the `BatchSource` is the one analysed.
@Suite struct DatasetBatchSourceTests {
    /// A 3-input, 2-class ReLU layer and cross-entropy, on batches of 2 samples.
    static func network() throws -> ModelGraph {
        var g = Graph()
        let x = try g.input("x", shape: [2, 3])
        let w = try g.parameter("w", shape: [2, 3])
        let b = try g.parameter("b", shape: [2])
        let fc = try g.apply("fc", .linear(hasBias: true), [x, w, b])
        let relu = try g.apply("relu", .relu, [fc])
        let loss = try g.apply("loss", .crossEntropy(labels: "y"), [relu])
        return ModelGraph(graph: g, input: x, parameters: ["w": w, "b": b], output: relu, loss: loss)
    }

    static let parameters: [String: [Double]] = ["w": [0.5, -0.25, 0.125, -0.75, 0.3, 0.1], "b": [0.05, -0.02]]

    static func batch(_ x: [Double], _ y: [Int]) -> Feed {
        Feed(values: parameters.merging(["x": x]) { a, _ in a }, labels: ["y": y])
    }

    static let batches = [
        batch([0.1, 0.2, 0.3, -0.4, 0.5, 0.6], [0, 1]),
        batch([1.5, -0.7, 0.9, 0.2, 0.2, -0.1], [1, 1]),
        batch([-0.3, 0.8, 0.4, 0.6, -0.9, 0.7], [0, 0]),
    ]

    static func bits(_ v: [Double]) -> [UInt64] { v.map(\.bitPattern) }

    @Test func eachBatchIsAnalysedAndEqualsItsSingleAnalysis() throws {
        let graph = try Self.network()
        let precisions: [PrecisionName] = [.f16, .f32]
        let template = Analysis(graph: graph, feed: Self.batches[0], name: "code", precisions: precisions)
        var seen: [Int] = []
        let dataset = try DatasetAnalysis(template, batches: FeedBatches(Self.batches)).run { done, _ in seen.append(done) }
        #expect(seen == [1, 2, 3] && dataset.batches.count == 3)
        for p in precisions {
            var gradients: [[UInt64]] = []
            for (k, feed) in Self.batches.enumerated() {
                let single = try Analysis(graph: graph, feed: feed, name: "code", precisions: precisions).run()
                let fromDataset = dataset.batches[k][p], alone = single[p]
                for name in ["w", "b"] {
                    let d = try #require(fromDataset.gradients[name]), s = try #require(alone.gradients[name])
                    #expect(Self.bits(d.p) == Self.bits(s.p) && Self.bits(d.r) == Self.bits(s.r), "\(p) batch \(k) \(name)")
                }
                #expect(fromDataset.error == alone.error, "\(p) batch \(k)")
                #expect(fromDataset.siteCount == alone.siteCount && fromDataset.counts == alone.counts, "\(p) batch \(k)")
                gradients.append(Self.bits(fromDataset.gradients["w"]!.p + fromDataset.gradients["b"]!.p))
            }
            // Different batches, different gradients and errors: not the first batch three times.
            #expect(Set(gradients).count == 3, "\(p)")
            #expect(dataset.batches[0][p].error.referenceNorm != dataset.batches[1][p].error.referenceNorm, "\(p)")
            #expect(dataset.batches[1][p].error.referenceNorm != dataset.batches[2][p].error.referenceNorm, "\(p)")
        }
    }

    @Test func noBatchesGiveNoResults() throws {
        let graph = try Self.network()
        let result = try DatasetAnalysis(Analysis(graph: graph, feed: Self.batches[0], precisions: [.f32]), batches: FeedBatches([])).run()
        #expect(result.batches.isEmpty && result.summary == "no batches")
    }
}
