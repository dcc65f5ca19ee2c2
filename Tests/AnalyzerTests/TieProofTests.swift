import AD
import Testing
import TestSupport
import Analyzer
import Precision

/// Ties between values computed identically but inexactly are equal over ℝ (analysis.md,
/// "Precise rules"), and the reference proves them (`TieProver`): genuine at every precision,
/// where interval enclosures alone leave them undecided up to the cap.
@Suite struct TieProofTests {
    /// The network's ties in R without the prover (the enclosures only), for comparison.
    static func undecidedWithoutProof(_ g: Graph, _ feed: Feed) throws -> Int {
        let run = try Execution(graph: g, arithmetic: MPFRIntervalArithmetic(bits: 256), feed: feed)
        return run.decisions.values.reduce(0) { $0 + $1.undecidedCount }
    }

    /// The analysis at f32 and f64 of `g` (loss `loss`, parameters `params`): every tie of
    /// `node` genuine, nothing undecided; and without the prover R would leave them undecided.
    static func check(_ g: Graph, _ feed: Feed, node: String, output: NodeID, loss: NodeID, input: NodeID, params: [String: NodeID]) throws {
        #expect(try undecidedWithoutProof(g, feed) > 0, "the example must need the proof")
        let reference = try ReferenceRun.run(graph: g, feed: feed, options: ReferenceOptions())
        #expect(reference.undecidedSites == 0 && reference.escalations.isEmpty, "\(reference.undecidedSites) undecided, escalations \(reference.escalations)")
        let built = ModelGraph(graph: g, input: input, parameters: params, output: output, loss: loss)
        let result = try Analysis(graph: built, feed: feed, name: "ties", precisions: [.f32, .f64]).run()
        for p in [PrecisionName.f32, .f64] {
            let r = result[p]
            #expect(r.sites(.undecided).isEmpty, "\(p): \(r.summary)")
            #expect(r.sites(.genuine).contains { $0.layer == node }, "\(p): \(r.summary)")
            #expect(r.sites(.spurious).isEmpty && r.sites(.masked).isEmpty, "\(p): \(r.summary)")
        }
    }

    /// 3×3 average pooling with zero padding counted (PyTorch's default) of a constant region:
    /// the outputs along an edge are (6·v) ÷ 9, inexact in binary and identical; with v < 0
    /// they are the largest of their 2×2 max-pooling windows, which tie.
    @Test func averagePoolingThenMaxPoolingOverAConstantRegion() throws {
        var g = Graph()
        let x = try g.input("x", shape: [2, 1, 6, 6])
        let avg = try g.apply("avg", .avgPool2d(PoolAttributes(kernel: [3, 3], stride: [1, 1], padding: [1, 1])), [x])
        let pool = try g.apply("pool", .maxPool2d(PoolAttributes(kernel: [2, 2])), [avg])
        let flat = try g.apply("flat", .flatten, [pool])
        let w = try g.parameter("w", shape: [2, 9]), b = try g.parameter("b", shape: [2])
        let fc = try g.apply("fc", .linear(hasBias: true), [flat, w, b])
        let t = try g.input("t", shape: [2, 2])
        let loss = try g.apply("loss", .mse, [fc, t])
        var rng = SeededGenerator(seed: 5)
        // Sample 0 constant (−0.1); sample 1 constant (−0.7) on its top half only.
        let x0 = [Double](repeating: -0.1, count: 36)
        let x1 = (0..<36).map { $0 < 18 ? -0.7 : rng.uniform(0, 1) }
        let feed = Feed(values: ["x": x0 + x1, "w": (0..<18).map { _ in rng.uniform(-1, 1) }, "b": [0.1, -0.2], "t": [0.5, -0.5, 0.25, 0.75]])
        try Self.check(g, feed, node: "pool", output: fc, loss: loss, input: x, params: ["w": w, "b": b])
    }

    /// conv → batch norm (eval: a division by √(var + eps)) → relu → max-pool, on an input
    /// with a zero border: the conv outputs on the border are the bias exactly, batch norm makes
    /// them identical inexact values, and the max-pool windows there tie.
    @Test func convBatchNormReLUMaxPoolOverAZeroBorder() throws {
        var g = Graph()
        let x = try g.input("x", shape: [1, 1, 12, 12])
        let k = try g.parameter("k", shape: [2, 1, 3, 3]), kb = try g.parameter("kb", shape: [2])
        let conv = try g.apply("conv", .conv2d(Conv2D(stride: [1, 1], padding: [0, 0], dilation: [1, 1], groups: 1)), [x, k, kb])
        let names = ["bn.w", "bn.b", "bn.m", "bn.v"]
        let bnParams = try names.map { try g.parameter($0, shape: [2]) }
        let bn = try g.apply("bn", .batchNorm(eps: 1e-5, training: false), [conv] + bnParams)
        let relu = try g.apply("relu", .relu, [bn])
        let pool = try g.apply("pool", .maxPool2d(PoolAttributes(kernel: [2, 2])), [relu])
        let flat = try g.apply("flat", .flatten, [pool])
        let w = try g.parameter("w", shape: [2, 50])
        let fc = try g.apply("fc", .linear(hasBias: false), [flat, w])
        let t = try g.input("t", shape: [1, 2])
        let loss = try g.apply("loss", .mse, [fc, t])
        var rng = SeededGenerator(seed: 6)
        // A 4×4 picture in the middle of a 12×12 zero frame: the 10×10 conv output's windows
        // that lie in the frame read zeros only (the bias, exactly).
        let xs = (0..<144).map { i -> Double in
            let (r, c) = (i / 12, i % 12)
            return (4..<8).contains(r) && (4..<8).contains(c) ? rng.uniform(0, 1) : 0
        }
        let feed = Feed(values: ["x": xs, "k": (0..<18).map { _ in rng.uniform(-1, 1) }, "kb": [0.3, 0.2],
                                 "bn.w": [1.1, 0.9], "bn.b": [0.05, 0.1], "bn.m": [0.1, -0.1], "bn.v": [0.7, 1.3],
                                 "w": (0..<100).map { _ in rng.uniform(-1, 1) }, "t": [0.5, -0.5]])
        var params = ["k": k, "kb": kb, "w": w]
        for (n, id) in zip(names, bnParams) { params[n] = id }
        try Self.check(g, feed, node: "pool", output: fc, loss: loss, input: x, params: params)
    }

    /// maximum(x, x′) of two identical branches (the same weights, the same ops): a tie at
    /// every element although tanh's enclosures are not points.
    @Test func maximumOfTwoIdenticalBranches() throws {
        var g = Graph()
        let x = try g.input("x", shape: [3, 4])
        let w = try g.parameter("w", shape: [4, 4]), b = try g.parameter("b", shape: [4])
        let a1 = try g.apply("a1", .linear(hasBias: true), [x, w, b]), a2 = try g.apply("a2", .linear(hasBias: true), [x, w, b])
        let t1 = try g.apply("t1", .tanh, [a1]), t2 = try g.apply("t2", .tanh, [a2])
        let m = try g.apply("max", .maximum, [t1, t2])
        let t = try g.input("t", shape: [3, 4])
        let loss = try g.apply("loss", .mse, [m, t])
        var rng = SeededGenerator(seed: 7)
        let feed = Feed(values: ["x": (0..<12).map { _ in rng.uniform(-1, 1) }, "w": (0..<16).map { _ in rng.uniform(-1, 1) },
                                 "b": (0..<4).map { _ in rng.uniform(-0.1, 0.1) }, "t": (0..<12).map { _ in rng.uniform(-1, 1) }])
        try Self.check(g, feed, node: "max", output: m, loss: loss, input: x, params: ["w": w, "b": b])
    }

    /// Values computed alike from *different* inputs are not equal: the prover does not make
    /// ties of them (both branches read different weights that hold different values).
    @Test func differentInputsAreNotMadeEqual() throws {
        var g = Graph()
        let x = try g.input("x", shape: [2, 3])
        let w1 = try g.parameter("w1", shape: [3, 3]), w2 = try g.parameter("w2", shape: [3, 3])
        let t1 = try g.apply("t1", .tanh, [try g.apply("a1", .linear(hasBias: false), [x, w1])])
        let t2 = try g.apply("t2", .tanh, [try g.apply("a2", .linear(hasBias: false), [x, w2])])
        let m = try g.apply("max", .maximum, [t1, t2])
        var w = (0..<9).map { Double($0) / 10 }
        var feed = Feed(values: ["x": [0.3, -0.2, 0.5, 0.1, 0.4, -0.6], "w1": w])
        w[4] = w[4].nextUp  // one weight an ulp apart: every output it reaches differs
        feed.values["w2"] = w
        let run = try Execution(graph: g, arithmetic: MPFRIntervalArithmetic(bits: 64), feed: feed, proveTies: { MPFRIntervalArithmetic(bits: 64).isPoint($0) })
        let codes = try #require(PieceCodes(run.decisions[m]!))
        // Column 1 of each row reads w[4]: never proven tied (undecided or ordered at 64 bits).
        for row in 0..<2 { #expect(codes[row * 3 + 1] != 1, "row \(row)") }
    }
}
