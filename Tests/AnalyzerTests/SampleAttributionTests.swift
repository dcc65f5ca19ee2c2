import AD
import Foundation
import Testing
import Analyzer
import BPCheck
import Precision
import Workloads

/// The per-sample attributions (`AttributionMethod.sample`): one sample replayed alone, from the
/// loss gradients the whole batch gives it, is the batch's rows bit for bit; the shares it gives
/// are the closed form's and the whole-batch replay's.
@Suite struct SampleAttributionTests {
    /// W2 (LeNet-5, batch 4) at f32 and f16: each sample's one-sample backward, started from the
    /// rows of the batch's logits gradient (`backward(lossOperandGradients:)`), gives every
    /// activation gradient of that sample bit for bit; and in f64 the samples' parameter
    /// contributions add up to the batch's gradient.
    @Test func oneSampleBackwardIsTheBatchsRows() throws {
        let batch = 4
        let (built, feed, parameters, _) = try Workload.w2.build(batch: batch)
        let graph = built.graph, loss = built.loss
        let logits = graph.nodes[loss].inputs[0]
        // Every node with a batch axis below the loss (activations and their gradients).
        let activations = graph.nodes.filter { $0.id < loss && $0.op != .input && $0.op != .parameter && $0.shape.first == batch }.map(\.id)
        #expect(activations.count > 10)
        struct Rows: ArithmeticVisitor {
            let built: ModelGraph, feed: Feed, parameters: [NodeID], activations: [NodeID], logits: NodeID, batch: Int
            func visit<A: ScalarArithmetic>(_ a: A) throws -> [[Double]] {
                let whole = try Execution(graph: built.graph, arithmetic: a, feed: feed)
                let g = try whole.backward(wrt: parameters + activations + [logits])
                var contributions: [[Double]] = []
                for s in 0..<batch {
                    let subset = try #require(SampleSubset(graph: built.graph, batch: batch, samples: [s]))
                    let one = try Execution(graph: subset.graph, arithmetic: a, feed: subset.feed(feed))
                    let gz = g[logits]!, per = gz.count / batch
                    let row = Tensor<A>(shape: [1, per], Array(gz.doubles(a)[(s * per)..<((s + 1) * per)]), a)
                    let h = try one.backward(from: built.loss, lossOperandGradients: [row], wrt: parameters + activations)
                    for id in activations {
                        let all = g[id]!.doubles(a), n = all.count / batch
                        let mine = h[id]!.doubles(a)
                        #expect(mine.map(\.bitPattern) == all[(s * n)..<((s + 1) * n)].map(\.bitPattern),
                                "\(a.precision) sample \(s), \(built.graph.nodes[id].name)")
                    }
                    contributions.append(parameters.flatMap { h[$0]!.doubles(a) })
                }
                return [parameters.flatMap { g[$0]!.doubles(a) }] + contributions
            }
        }
        let visitor = Rows(built: built, feed: feed, parameters: parameters, activations: activations, logits: logits, batch: batch)
        _ = try PrecisionName.f32.withArithmetic(visitor)
        _ = try PrecisionName.f16.withArithmetic(visitor)
        let f64 = try PrecisionName.f64.withArithmetic(visitor)
        let whole = f64[0], scale = whole.map(abs).max()!
        for k in whole.indices {
            let sum = f64.dropFirst().reduce(0) { $0 + $1[k] }
            #expect(abs(sum - whole[k]) <= 1e-12 * scale, "component \(k): \(sum) vs \(whole[k])")
        }
    }

    /// Operand gradients that do not fit the loss are an error naming the loss, not a trap.
    @Test func misfitLossGradientsAreAnError() throws {
        let (built, feed, parameters, _) = try Workload.w2.build(batch: 2)
        let a = FixedArithmetic<Double>()
        let e = try Execution(graph: built.graph, arithmetic: a, feed: feed)
        let name = built.graph.nodes[built.loss].name
        #expect(throws: ExecutionError.self) { try e.backward(from: built.loss, lossOperandGradients: [], wrt: parameters) }
        do {
            _ = try e.backward(from: built.loss, lossOperandGradients: [Tensor(zeros: [1, 10], a)], wrt: parameters)
            Issue.record("a [1, 10] gradient for [2, 10] logits was accepted")
        } catch let error as ExecutionError {
            #expect(error.node == name && error.message.contains("[1, 10]"), "\(error)")
        }
    }

    /// The worked example of analysis.md on two identical samples: at f32 each has the same
    /// spurious site, and forcing one of them moves the mean loss's gradient by half the
    /// kink-caused error. Both methods give that share; with one sample (no subset) `.sample`
    /// falls back to the batch replay and gives the whole kink-caused error.
    @Test func twinSamplesShareTheKinkErrorEqually() throws {
        let a = 1 + 0x1p-20, b = 1 + 0x1p-20, c = 1 + 0x1p-19, d = -1.0
        func model(samples: Int) throws -> Model {
            let json = """
            {"format": "bpcheck-model", "version": 1, "name": "twins", "input_shape": [2],
             "tensors": {"w": {"shape": [2, 2], "dtype": "f64", "data": [\(b), \(d), 0.5, 0.25]}},
             "graph": [{"name": "fc", "op": "linear", "weight": "w"}, {"name": "relu", "op": "relu"}],
             "loss": {"op": "cross_entropy"},
             "data": {"inputs": {"shape": [\(samples), 2], "dtype": "f64", "data": \((0..<samples).flatMap { _ in [a, c] })},
                      "targets": {"shape": [\(samples)], "dtype": "i64", "data": \([Int](repeating: 0, count: samples))}}}
            """
            return try Model(json: Array(json.utf8), file: "twins.json", directory: URL(fileURLWithPath: "/"))
        }
        for method in AttributionMethod.allCases {
            var twins = Analysis(model: try model(samples: 2), precisions: [.f32])
            twins.attribution = method
            let f32 = try twins.run()[.f32]
            #expect(f32.sites(.spurious).map(\.sample) == [0, 1], "\(method)")
            let kink = try #require(f32.error.kink)
            for site in f32.sites(.spurious) {
                let share = try #require(site.errorShare)
                #expect(abs(share - kink / 2) <= 1e-6 * kink, "\(method): share \(share), kink \(kink)")
            }
            var single = Analysis(model: try model(samples: 1), precisions: [.f32])
            single.attribution = method
            let one = try single.run()[.f32]
            let share = try #require(one.sites(.spurious).first?.errorShare)
            #expect(abs(share - (one.error.kink ?? 0)) <= 1e-12 * share, "\(method): \(share)")
        }
    }
}
