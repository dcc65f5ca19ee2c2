import Testing
import AD
import Analyzer
import Precision
import TestSupport

/// Stochastic rounding in the analysis: g_P, g_P′ and g_P|R draw the same bits at corresponding
/// operations, so on a network without kinks the kink-caused error is exactly 0 while the
/// rounding error is not; and `amp-bf16` is analysed against the same reference as f32 (same
/// point), its rounding error between f32's and bf16's.
@Suite struct StochasticAnalysisTests {
    static func smoothNetwork() throws -> (ModelGraph, Feed) {
        var g = Graph()
        let x = try g.input("x", shape: [8, 6])
        let w1 = try g.parameter("w1", shape: [7, 6]), b1 = try g.parameter("b1", shape: [7])
        let h = try g.apply("fc1", .linear(hasBias: true), [x, w1, b1])
        let t = try g.apply("tanh", .tanh, [h])
        let w2 = try g.parameter("w2", shape: [3, 7])
        let y = try g.apply("fc2", .linear(hasBias: false), [t, w2])
        let loss = try g.apply("loss", .crossEntropy(labels: "y"), [y])
        var rng = SeededGenerator(seed: 0x5A)
        var values: [String: [Double]] = [:]
        for node in g.nodes where node.op.isLeaf { values[node.name] = (0..<node.shape.reduce(1, *)).map { _ in rng.uniform(-1, 1) } }
        let built = ModelGraph(graph: g, input: x, parameters: ["w1": w1, "b1": b1, "w2": w2], output: y, loss: loss)
        return (built, Feed(values: values, labels: ["y": [0, 1, 2, 0, 1, 2, 0, 1]]))
    }

    @Test func noKinksMeansNoKinkCausedErrorUnderStochasticRounding() throws {
        let (built, feed) = try Self.smoothNetwork()
        let sr: PrecisionName = .stochastic(.bf16, seed: 11)
        let result = try Analysis(graph: built, feed: feed, precisions: [sr, .bf16, .amp(.bf16), .f32]).run()
        #expect(result[sr].error.absoluteKink == 0)
        #expect(result[sr].error.absoluteRounding > 0)
        #expect(result[sr].precision == sr)
        // Stochastic rounding's error is of bf16's order, not f32's.
        #expect(result[sr].error.absoluteRounding > 100 * result[.f32].error.absoluteRounding)
        let amp = result[.amp(.bf16)]
        #expect(amp.error.absoluteKink == 0)
        #expect(amp.error.absoluteRounding > result[.f32].error.absoluteRounding)
    }

    /// The whole analysis of the policies on a small CNN (the convolution kernels split across
    /// pass threads) on 1 thread and on 2 (precisions and pass threads): the same results, bit
    /// for bit — errors, sites, range events.
    @Test func policiesAnalyseTheSameOnOneAndTwoThreads() throws {
        var g = Graph()
        let x = try g.input("x", shape: [4, 2, 6, 6])
        let w = try g.parameter("w", shape: [3, 2, 3, 3]), b = try g.parameter("b", shape: [3])
        let conv = try g.apply("conv", .conv2d(Conv2DAttributes(padding: [1, 1])), [x, w, b])
        let relu = try g.apply("relu", .relu, [conv])
        let pool = try g.apply("pool", .maxPool2d(PoolAttributes(kernel: [2, 2], stride: [2, 2])), [relu])
        let flat = try g.apply("flat", .flatten, [pool])
        let fw = try g.parameter("fw", shape: [4, 27]), fb = try g.parameter("fb", shape: [4])
        let fc = try g.apply("fc", .linear(hasBias: true), [flat, fw, fb])
        let loss = try g.apply("loss", .crossEntropy(labels: "y"), [fc])
        var rng = SeededGenerator(seed: 0x7A)
        var values: [String: [Double]] = [:]
        for node in g.nodes where node.op.isLeaf { values[node.name] = (0..<node.shape.reduce(1, *)).map { _ in rng.uniform(-1, 1) } }
        let built = ModelGraph(graph: g, input: x, parameters: ["w": w, "b": b, "fw": fw, "fb": fb], output: fc, loss: loss)
        let feed = Feed(values: values, labels: ["y": [0, 1, 2, 3]])
        let names: [PrecisionName] = [.amp(.bf16), .amp(.f16), .e4m3Policy(saturating: true), .stochastic(.bf16, seed: 3), .stochastic(.f16, seed: 9)]
        func run(_ threads: Int) throws -> AnalysisResult {
            PassThreads.count = threads
            defer { PassThreads.count = 1 }
            var analysis = Analysis(graph: built, feed: feed, precisions: names)
            analysis.threads = threads
            return try analysis.run()
        }
        let one = try run(1), two = try run(2)
        for p in names {
            #expect(one[p] == two[p], "\(p)")
            #expect(one[p].error.absoluteRounding > 0, "\(p)")
        }
        // The policies differ from one another (each is applied, not a shared default).
        #expect(Set(names.map { one[$0].error.absoluteRounding }).count == names.count)
    }
}
