import AD
import Testing
import TestSupport
import Analyzer
import Precision

/// The reference's double-double kernels (unfolded conv input and weight gradients, the
/// batch-innermost linear forward: other row shapes and, for the input gradient, another order
/// of summation than the formats') against the MPFR-only reference: same decisions, and g_R
/// equal to 1e-25 relative of each tensor's largest component, on convolutions with strides,
/// padding, dilation and groups.
@Suite struct BallKernelGradientTests {
    @Test(arguments: [
        Conv2D(stride: [1, 1], padding: [1, 1]),
        Conv2D(stride: [2, 1], padding: [1, 2], dilation: [1, 2]),
        Conv2D(stride: [2, 2], padding: [0, 1], groups: 2),
    ]) func ballsGiveTheMPFRGradient(_ conv: Conv2D) throws {
        var rng = SeededGenerator(seed: 77)
        var g = Graph(), feed = Feed()
        let (n, c, h, w, o) = (3, 4, 7, 6, 6)
        let x = try g.input("x", shape: [n, c, h, w])
        feed.values["x"] = (0..<(n * c * h * w)).map { _ in Double(Float(rng.uniform(-1, 1))) }
        // A first convolution, so that the tested one's input gradient is computed.
        let k0 = try g.parameter("k0", shape: [c, c, 3, 3]), b0 = try g.parameter("b0", shape: [c])
        feed.values["k0"] = (0..<(c * c * 9)).map { _ in Double(Float(rng.uniform(-0.5, 0.5))) }
        feed.values["b0"] = (0..<c).map { _ in Double(Float(rng.uniform(-0.1, 0.1))) }
        let first = try g.apply("relu0", .relu, [try g.apply("conv0", .conv2d(Conv2D(padding: [1, 1])), [x, k0, b0])])
        let k = try g.parameter("k", shape: [o, c / conv.groups, 3, 2]), b = try g.parameter("b", shape: [o])
        feed.values["k"] = (0..<(o * c / conv.groups * 6)).map { _ in Double(Float(rng.uniform(-0.5, 0.5))) }
        feed.values["b"] = (0..<o).map { _ in Double(Float(rng.uniform(-0.1, 0.1))) }
        let y = try g.apply("conv", .conv2d(conv), [first, k, b])
        let r = try g.apply("relu", .relu, [y])
        let f = try g.apply("flat", .flatten, [r])
        let features = g.nodes[f].shape[1]
        let v = try g.parameter("v", shape: [5, features]), c0 = try g.parameter("c0", shape: [5])
        feed.values["v"] = (0..<(5 * features)).map { _ in Double(Float(rng.uniform(-0.3, 0.3))) }
        feed.values["c0"] = (0..<5).map { _ in Double(Float(rng.uniform(-0.1, 0.1))) }
        let z = try g.apply("fc", .linear(hasBias: true), [f, v, c0])
        let t = try g.input("t", shape: [n, 5])
        feed.values["t"] = (0..<(n * 5)).map { _ in rng.uniform(-1, 1) }
        try g.apply("loss", .mse, [z, t])
        let params = [k0, b0, k, b, v, c0]
        let balls = try CertifiedReference.run(graph: g, feed: feed, start: DoubleDoubleBallArithmetic(), gradientBits: 106, wrt: params)
        let mpfr = try ReferenceRun.run(graph: g, feed: feed, options: ReferenceOptions(firstRung: .mpfr), wrt: params)
        #expect(balls.undecidedSites == 0 && balls.execution.decisions == mpfr.execution.decisions)
        #expect(balls.gradientWidth <= ReferenceRun.requiredGradientWidth)
        for id in params {
            let u = balls.gradient![id]!.doubles(balls.execution.arithmetic), m = mpfr.gradient![id]!.doubles(mpfr.execution.arithmetic)
            let scale = m.map(abs).max() ?? 0
            #expect(scale > 0 && zip(u, m).allSatisfy { abs($0 - $1) <= 1e-25 * scale }, "\(g.nodes[id].name)")
        }
    }
}
