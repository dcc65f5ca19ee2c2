import AD
import Testing
import Analyzer
import Precision

/// Per-sample escalation: only the samples whose sites double-double balls leave undecided are
/// recomputed on the MPFR ladder; their decisions and values are stitched back, and the result
/// is the MPFR-only reference's — decisions, and g_R to 1e-25 relative.
@Suite struct PerSampleEscalationTests {
    /// relu(3·avg(x) − 1 + t) then a linear layer and MSE, on a batch of 4: `avg` of
    /// (1, 0, 0) is 1/3, inexact, so 3·(1/3) − 1 + t is decided only at a precision finer than
    /// t: t = 2⁻³⁰⁰ needs 512-bit intervals; t = ±0.25 is decided in balls.
    static func graph(_ t: [Double]) throws -> (Graph, Feed, NodeID, [NodeID]) {
        let n = t.count
        var g = Graph()
        let x = try g.input("x", shape: [n, 1, 1, 3])
        let avg = try g.apply("avg", .avgPool2d(PoolAttributes(kernel: [1, 3])), [x])
        let flat = try g.apply("flat", .flatten, [avg])
        let w = try g.parameter("w", shape: [1, 1]), b = try g.parameter("b", shape: [1])
        let h = try g.apply("h", .linear(hasBias: true), [flat, w, b])
        let tt = try g.input("t", shape: [n, 1])
        let v = try g.apply("v", .add, [h, tt])
        let relu = try g.apply("relu", .relu, [v])
        let w2 = try g.parameter("w2", shape: [1, 1]), b2 = try g.parameter("b2", shape: [1])
        let out = try g.apply("out", .linear(hasBias: true), [relu, w2, b2])
        let target = try g.input("target", shape: [n, 1])
        try g.apply("loss", .mse, [out, target])
        let feed = Feed(values: ["x": (0..<n).flatMap { _ in [1.0, 0, 0] }, "w": [3], "b": [-1], "t": t,
                                 "w2": [0.75], "b2": [0.5], "target": (0..<n).map { Double($0) * 0.1 }])
        return (g, feed, relu, [w, b, w2, b2])
    }

    @Test func onlyTheUndecidedSamplesClimbAndTheResultIsTheMPFRReferences() throws {
        let (g, feed, relu, params) = try Self.graph([0.25, 0x1p-300, -0.25, -0x1p-300])
        let options = ReferenceOptions()
        let laddered = try LadderedReference.decide(graph: g, feed: feed, options: options)
            .differentiated(options: options, conventions: [.pytorch, .alternative], wrt: params)
        guard case .doubleDouble(let r) = laddered else { Issue.record("expected balls with climbed samples"); return }
        #expect(r.climbedSamples == 2)
        #expect(r.escalations == [256, 512] && r.undecidedSites == 0)
        let mpfrOnly = try ReferenceRun.run(graph: g, feed: feed, options: ReferenceOptions(firstRung: .mpfr), wrt: params)
        #expect(r.execution.decisions == mpfrOnly.execution.decisions)
        #expect(r.execution.decisions[relu] == .pieces([Piece.aboveSingle, Piece.aboveSingle, Piece.below, Piece.below]))
        // The climbed samples' values are the MPFR enclosures' (narrow), not the balls' (which
        // straddle the kink): the site's certified value shows why it was decided.
        let v = g.node(named: "v")!.id
        for s in [1, 3] {
            #expect(r.execution.arithmetic.width(r.execution.value(v).slots + s) < 0x1p-290, "sample \(s)")
        }
        for id in params {
            let u = r.gradient![id]!.doubles(r.execution.arithmetic), w = mpfrOnly.gradient![id]!.doubles(mpfrOnly.execution.arithmetic)
            #expect(zip(u, w).allSatisfy { abs($0 - $1) <= 1e-25 * max(abs($0), 1e-300) }, "\(g.nodes[id].name): \(u) vs \(w)")
        }
        #expect(r.gradientWidth <= ReferenceRun.requiredGradientWidth)
    }

    @Test func batchNormInTrainingModeClimbsTheWholeBatch() throws {
        var g = Graph()
        let x = try g.input("x", shape: [2, 1, 1, 3])
        let avg = try g.apply("avg", .avgPool2d(PoolAttributes(kernel: [1, 3])), [x])
        let roles = try ["gamma", "beta", "mean", "variance"].map { try g.parameter($0, shape: [1]) }
        try g.apply("bn", .batchNorm(eps: 1e-5, training: true), [avg] + roles)
        #expect(SampleSubset(graph: g, batch: 2, samples: [1]) == nil)
        #expect(SampleSubset(graph: try Self.graph([0, 0, 0]).0, batch: 3, samples: [1]) != nil)
        #expect(SampleSubset(graph: try Self.graph([0, 0, 0]).0, batch: 3, samples: [0, 1, 2]) == nil, "the whole batch")
    }
}
