import AD
import Testing
import Analyzer
import Precision

/// Attributes are part of the point (analysis.md, "Precise rules"): at P each slope, bound and
/// eps is rounded once to P, and R computes with that same value — a site exactly on a kink
/// that P's own slope puts there is on the kink over ℝ too.
@Suite struct AttributePointTests {
    /// relu(leaky_relu(x) + t) with x = −1 and t = f16(0.01): at f16 leaky_relu(−1) is
    /// −f16(0.01) exactly, so the relu's input is exactly 0 — at P's point over ℝ as well.
    @Test func aKinkOnPsOwnSlopeIsGenuine() throws {
        var g = Graph()
        let x = try g.input("x", shape: [1, 1])
        let leaky = try g.apply("leaky", .leakyReLU(slope: 0.01), [x])
        let t = try g.parameter("t", shape: [1, 1])
        let z = try g.apply("z", .add, [leaky, t])
        let relu = try g.apply("relu", .relu, [z])
        let target = try g.input("target", shape: [1, 1])
        let loss = try g.apply("loss", .mse, [relu, target])
        let half = FixedArithmetic<Half>()
        let slope16 = half.doubles(half.makeStorage([0.01]))[0]
        #expect(slope16 != 0.01)
        let feed = Feed(values: ["x": [-1], "t": [slope16], "target": [1]])
        let built = ModelGraph(graph: g, input: x, parameters: ["t": t], output: relu, loss: loss)
        let result = try Analysis(graph: built, feed: feed, name: "slope", precisions: [.f16, .f64]).run()
        // f16: P and R both on the kink (R with f16's slope): genuine, not spurious.
        #expect(result[.f16].sites(.genuine).count == 1 && result[.f16].sites(.spurious).isEmpty, "\(result[.f16].summary)")
        // f64: its own slope 0.01 ≠ f16(0.01): off the kink in P and in R.
        #expect(result[.f64].sites(.genuine).isEmpty && result[.f64].sites(.spurious).isEmpty, "\(result[.f64].summary)")
    }

    @Test func roundingAttributesRoundsEachRealAttributeOnce() {
        let round = { (v: Double) in Double(Float(v)) }
        #expect(Op.leakyReLU(slope: 0.01).roundingAttributes(round) == .leakyReLU(slope: Double(Float(0.01))))
        #expect(Op.elu(alpha: 0.7).roundingAttributes(round) == .elu(alpha: Double(Float(0.7))))
        #expect(Op.hardtanh(min: -0.1, max: 0.3).roundingAttributes(round) == .hardtanh(min: Double(Float(-0.1)), max: Double(Float(0.3))))
        #expect(Op.clip(min: 0.1, max: .infinity).roundingAttributes(round) == .clip(min: Double(Float(0.1)), max: .infinity))
        #expect(Op.batchNorm(eps: 1e-5, training: false).roundingAttributes(round) == .batchNorm(eps: Double(Float(1e-5)), training: false))
        #expect(Op.relu.roundingAttributes(round) == .relu && Op.input.roundingAttributes(round) == .input)
    }
}
