import Testing
import AD

/// Range events name where a narrow precision leaves its range.
@Suite struct RangeEventTests {
    @Test func overflowSubnormalAndFlushesInHalf() throws {
        var g = Graph()
        let x = try g.input("x", shape: [1, 2])
        let w = try g.parameter("w", shape: [3, 2])
        let fc = try g.apply("fc", .linear(hasBias: false), [x, w])
        let a = FixedArithmetic<Half>()
        // Row 0: 300·300 = 90000 overflows binary16 (max 65504). Row 1: 2⁻¹⁰·2⁻¹⁰ = 2⁻²⁰ is
        // subnormal. Row 2: 2⁻¹⁰·2⁻¹⁵ = 2⁻²⁵, half the least subnormal, rounds (to even) to zero.
        let feed = Feed(values: ["x": [300, 0x1p-10], "w": [300, 0, 0, 0x1p-10, 0, 0x1p-15]])
        let run = try Execution(graph: g, arithmetic: a, feed: feed)
        let e = run.forwardEvents[fc]
        #expect(e.overflow == 1)
        #expect(e.subnormal == 1)
        #expect(e.flushed == 1, "\(e)")  // products with a zero operand are not flushes
        #expect(run.value(fc).doubles(a)[0] == .infinity)
        // The same computation in f32 has no event.
        let f32 = try Execution(graph: g, arithmetic: FixedArithmetic<Float>(), feed: feed)
        #expect(f32.forwardEvents[fc].isEmpty)
        // Weights too large for the format overflow when loaded, and the leaf says so.
        let big = try Execution(graph: g, arithmetic: a, feed: Feed(values: ["x": [1, 1], "w": [1e5, 0, 0, 0, 0, 0]]))
        #expect(big.forwardEvents[w].overflow == 1)
    }

    @Test func nanIsCountedAndPropagatesThroughDecisions() throws {
        var g = Graph()
        let x = try g.input("x", shape: [1, 3])
        let r = try g.apply("relu", .relu, [x])
        let a = FixedArithmetic<Float>()
        let run = try Execution(graph: g, arithmetic: a, feed: Feed(values: ["x": [.nan, 1, -1]]))
        #expect(run.forwardEvents[x].nan == 1 && run.forwardEvents[r].nan == 1)
        #expect(run.decisions[r] == .pieces([Piece.undefined, Piece.aboveSingle, Piece.below]))
    }
}
