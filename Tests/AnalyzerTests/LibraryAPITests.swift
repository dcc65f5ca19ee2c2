import AD
import Foundation
import Testing
import BPCheck

/// The library door (interfaces.md §3): a few lines in a test suite.
@Suite struct LibraryAPITests {
    /// The example of interfaces.md, on the bundled trained MLP: at f32 the kinks cost nothing
    /// measurable; at f16 they may, and the summary says so.
    @Test func digitsMLPIsRobustInFloat32() throws {
        let model = try Model(contentsOf: TestFiles.examples.appendingPathComponent("digits-mlp/model.json"))
        let result = try Analysis(model: model, precisions: [.f32, .f16]).run()
        #expect(result[.f32].kinkCausedError < 1e-6, "\(result[.f32].summary)")
        #expect(result[.f32].sites(.spurious).isEmpty, "\(result[.f32].summary)")
        #expect(result[.f32].siteCount == 128 * 64)
        #expect(result[.f16].summary.hasPrefix("f16: "))
    }

    /// A network written in code rather than a model file: the same analysis.
    @Test func aGraphWrittenInCode() throws {
        var g = Graph()
        let x = try g.input("x", shape: [1, 2])
        let w = try g.parameter("w", shape: [1, 2])
        let fc = try g.apply("fc", .linear(hasBias: false), [x, w])
        let relu = try g.apply("relu", .relu, [fc])
        let t = try g.input("t", shape: [1, 1])
        let loss = try g.apply("loss", .mse, [relu, t])
        // fc = 0.1 − 0.1 in every precision: an exact zero, a genuine kink.
        let feed = Feed(values: ["x": [0.1, 0.1], "w": [1, -1], "t": [1]])
        let built = ModelGraph(graph: g, input: x, parameters: ["w": w], output: relu, loss: loss)
        let result = try Analysis(graph: built, feed: feed, name: "cancel").run()
        for p in PrecisionName.standard {
            #expect(result[p].sites(.genuine).count == 1, "\(p)")
            #expect(result[p].bifurcation.changed && result[p].referenceBifurcation.changed, "\(p)")
        }
    }

    /// Dataset mode: shares of batches in the bifurcation zones.
    @Test func datasetModeReportsShares() throws {
        let model = try Model(contentsOf: TestFiles.examples.appendingPathComponent("digits-cnn/model.json"))
        let dataset = try DatasetAnalysis(Analysis(model: model, precisions: [.f16, .f64]), inputs: model.inputs!, targets: model.targets!,
                                      batchSize: 8, batches: 3)
        var seen: [Int] = []
        let result = try dataset.run { done, _ in seen.append(done) }
        #expect(seen == [1, 2, 3] && result.batches.count == 3)
        for p in [PrecisionName.f16, .f64] {
            let share = result.bifurcationShare(p)
            #expect(share >= 0 && share <= 1)
        }
        print(result.summary)
    }

    /// A caller's mistakes are errors, not traps: options out of range, a model-data dataset
    /// over a graph written in code.
    @Test func wrongOptionsThrowInsteadOfTrapping() throws {
        var g = Graph()
        let x = try g.input("x", shape: [1, 2])
        let w = try g.parameter("w", shape: [1, 2])
        let fc = try g.apply("fc", .linear(hasBias: false), [x, w])
        let t = try g.input("t", shape: [1, 1])
        let loss = try g.apply("loss", .mse, [fc, t])
        let built = ModelGraph(graph: g, input: x, parameters: ["w": w], output: fc, loss: loss)
        let feed = Feed(values: ["x": [1, 2], "w": [3, 4], "t": [0]])
        for options in [ReferenceOptions(initialBits: 1), ReferenceOptions(initialBits: 256, capBits: 1 << 21), ReferenceOptions(gradientBits: 0)] {
            #expect(throws: AnalysisOptionError.self) { try Analysis(graph: built, feed: feed, reference: options).run() }
        }
        #expect(throws: AnalysisOptionError.self) { try Analysis(graph: built, feed: feed, precisions: [.mpfr(bits: 1)]).run() }
        #expect(throws: AnalysisOptionError.self) { try Analysis(graph: built, feed: feed, precisions: []).run() }
        var threads = Analysis(graph: built, feed: feed)
        threads.threads = 0
        #expect(throws: AnalysisOptionError.self) { try threads.run() }
        let model = try Model(contentsOf: TestFiles.examples.appendingPathComponent("digits-mlp/model.json"))
        #expect(throws: AnalysisOptionError.self) {
            try DatasetAnalysis(Analysis(graph: built, feed: feed), inputs: model.inputs!, targets: model.targets!, batchSize: 8)
        }
    }
}
