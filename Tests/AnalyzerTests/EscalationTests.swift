import AD
import Testing
import Analyzer
import Precision

/// The reference raises its precision until it can prove a decision, and says `undecided`
/// beyond its cap — it never guesses.
@Suite struct EscalationTests {
    /// relu(3·avg(1, 0, 0) − 1 + t): 1/3 is inexact in binary, so the enclosure of
    /// 3·(1/3) − 1 straddles 0 by about 2⁻ᵇⁱᵗˢ; with t = 2⁻³⁰⁰ the exact value is 2⁻³⁰⁰ > 0.
    static func graph() throws -> (Graph, NodeID) {
        var g = Graph()
        let x = try g.input("x", shape: [1, 1, 1, 3])
        let avg = try g.apply("avg", .avgPool2d(PoolAttributes(kernel: [1, 3])), [x])
        let flat = try g.apply("flat", .flatten, [avg])
        let w = try g.parameter("w", shape: [1, 1]), b = try g.parameter("b", shape: [1])
        let h = try g.apply("h", .linear(hasBias: true), [flat, w, b])
        let t = try g.input("t", shape: [1, 1])
        let v = try g.apply("v", .add, [h, t])
        let relu = try g.apply("relu", .relu, [v])
        return (g, relu)
    }

    static func feed(_ t: Double) -> Feed {
        Feed(values: ["x": [1, 0, 0], "w": [3], "b": [-1], "t": [t]])
    }

    @Test func aSite2ToTheMinus300FromItsKinkIsDecidedAfterEscalation() throws {
        let (g, relu) = try Self.graph()
        let run = try ReferenceRun.run(graph: g, feed: Self.feed(0x1p-300), options: ReferenceOptions(initialBits: 256, capBits: 4096))
        #expect(run.execution.decisions[relu] == .pieces([Piece.aboveSingle]))
        #expect(run.escalations == [256] && run.bits == 512 && run.undecidedSites == 0)
        // Below 0 by the same distance: decided the other way.
        let below = try ReferenceRun.run(graph: g, feed: Self.feed(-0x1p-300), options: ReferenceOptions())
        #expect(below.execution.decisions[relu] == .pieces([Piece.below]))
    }

    /// The ladder is the arithmetic's: R climbs `nextRung` from the rung it is given.
    @Test func theReferenceClimbsItsArithmeticsLadder() throws {
        let (g, relu) = try Self.graph()
        let run = try CertifiedReference.run(graph: g, feed: Self.feed(0x1p-300), start: MPFRIntervalArithmetic(bits: 100, capBits: 700),
                                             gradientBits: 128)
        #expect(run.execution.decisions[relu] == .pieces([Piece.aboveSingle]))
        #expect(run.escalations == [100, 200] && run.bits == 400 && run.execution.arithmetic.bits == 400 && run.gradient == nil)
        // Its top: 0 is undecided at every rung, so every rung is tried.
        let zero = try CertifiedReference.run(graph: g, feed: Self.feed(0), start: MPFRIntervalArithmetic(bits: 100, capBits: 700),
                                              gradientBits: 128)
        #expect(zero.escalations == [100, 200, 400] && zero.bits == 700 && zero.undecidedSites == 1)
    }

    @Test func beyondTheCapItIsUndecided() throws {
        let (g, relu) = try Self.graph()
        let capped = try ReferenceRun.run(graph: g, feed: Self.feed(0x1p-300), options: ReferenceOptions(initialBits: 128, capBits: 256))
        #expect(capped.execution.decisions[relu] == .pieces([Piece.undecided]) && capped.undecidedSites == 1 && capped.bits == 256)
        // An exact zero reached through inexact operations cannot be proven at any precision.
        let zero = try ReferenceRun.run(graph: g, feed: Self.feed(0), options: ReferenceOptions(initialBits: 256, capBits: 2048))
        #expect(zero.execution.decisions[relu] == .pieces([Piece.undecided]) && zero.escalations == [256, 512, 1024])
    }
}
