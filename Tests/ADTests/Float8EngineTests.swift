import Testing
import AD
import TestSupport

/// The fp8 precisions in the engine: linear and conv2d bit for bit against the naive loops of
/// `ArithmeticModelTests` in the three accumulation modes (the wider accumulator is binary32),
/// the conv2d backward likewise, and a non-saturating overflow counted in the range events (NaN
/// for E4M3FN, which has no ∞; overflow for E5M2).
@Suite struct Float8EngineTests {
    @Test func linearAndConv2dMatchTheDocumentedOrder() throws {
        for mode in [ArithmeticModelTests.Mode.separate, .fused, .wider] {
            #expect(try ArithmeticModelTests.linearMatches(Float8E4M3FN.self, mode, seed: 0xE41) == 0, "e4m3 linear \(mode)")
            #expect(try ArithmeticModelTests.linearMatches(Float8E5M2.self, mode, seed: 0xE51) == 0, "e5m2 linear \(mode)")
            #expect(try ArithmeticModelTests.conv2dMatches(Float8E4M3FN.self, mode, seed: 0xE42) == 0, "e4m3 conv2d \(mode)")
            #expect(try ArithmeticModelTests.conv2dMatches(Float8E5M2.self, mode, seed: 0xE52) == 0, "e5m2 conv2d \(mode)")
        }
        #expect(ArithmeticModelTests.conv2dBackwardMatches(Float8E4M3FN.self, seed: 0xE43) == 0)
        #expect(ArithmeticModelTests.conv2dBackwardMatches(Float8E5M2.self, seed: 0xE53) == 0)
    }

    static func overflowEvents<S: FloatingScalar>(_: S.Type, weight: Double) throws -> RangeEvents {
        var graph = Graph()
        let x = try graph.input("x", shape: [1, 1]), w = try graph.parameter("w", shape: [1, 1])
        let y = try graph.apply("fc", .linear(hasBias: false), [x, w])
        let run = try Execution(graph: graph, arithmetic: FixedArithmetic<S>(), feed: Feed(values: ["x": [2], "w": [weight]]))
        return run.forwardEvents[y]
    }

    @Test func nonSaturatingOverflowIsARangeEvent() throws {
        // 300 → 288 in E4M3FN; 2·288 = 576 > 448: NaN. 40000 → 40960 in E5M2; 2·40960 > 57344: ∞.
        #expect(try Self.overflowEvents(Float8E4M3FN.self, weight: 300) == RangeEvents(nan: 1))
        #expect(try Self.overflowEvents(Float8E5M2.self, weight: 40000) == RangeEvents(overflow: 1))
        #expect(try Self.overflowEvents(Float8E4M3FN.self, weight: 200) == RangeEvents())  // 2·192 = 384 fits
    }
}
