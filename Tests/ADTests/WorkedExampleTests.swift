import Testing
import AD

/// The worked example of analysis.md through the engine: a = b = 1 + 2⁻²⁰, c = 1 + 2⁻¹⁹,
/// d = −1; exactly a·b + c·d = 2⁻⁴⁰ > 0, but in f32 fl(a·b) = 1 + 2⁻¹⁹ and the sum is 0.
@Suite struct WorkedExampleTests {
    static let a = 1 + 0x1p-20, b = 1 + 0x1p-20, c = 1 + 0x1p-19, d = -1.0

    /// x = [a, c] → linear with W = [[b, d], [0, 0]] → relu → cross-entropy (label 0).
    static func graph() throws -> (Graph, Feed, fc: NodeID, relu: NodeID, w: NodeID) {
        var g = Graph()
        let x = try g.input("x", shape: [1, 2])
        let w = try g.parameter("w", shape: [2, 2])
        let fc = try g.apply("fc", .linear(hasBias: false), [x, w])
        let relu = try g.apply("relu", .relu, [fc])
        try g.apply("loss", .crossEntropy(labels: "y"), [relu])
        let feed = Feed(values: ["x": [a, c], "w": [b, d, 0, 0]], labels: ["y": [0]])
        return (g, feed, fc, relu, w)
    }

    @Test func reluInputAtEachPrecision() throws {
        let (g, feed, fc, relu, _) = try Self.graph()
        let f32 = try Execution(graph: g, arithmetic: FixedArithmetic<Float>(), feed: feed)
        #expect(f32.value(fc).slots[0].bitPattern == 0)  // exactly +0
        #expect(f32.decisions[relu] == .pieces([Piece.onLower, Piece.onLower]))
        let f64 = try Execution(graph: g, arithmetic: FixedArithmetic<Double>(), feed: feed)
        #expect(f64.value(fc).slots[0] == 0x1p-40)
        #expect(f64.decisions[relu] == .pieces([Piece.aboveSingle, Piece.onLower]))
        let m = MPFRArithmetic(bits: 256)
        let r = try Execution(graph: g, arithmetic: m, feed: feed)
        #expect(m.double(r.value(fc).slots) == 0x1p-40)
        #expect(m.decimalString(r.value(fc).slots) == "9.094947017729282379150390625e-13")
        #expect(r.forwardExact[fc] == true)      // every operation of that node was exact
        #expect(f32.forwardExact[fc] == nil)     // f32 cannot tell
    }

    /// The spurious kink kills the gradient at f32 under ReLU'(0) = 0; the alternative passes
    /// it; forcing the reference's decision (above 0) passes it as the exact computation does.
    @Test func forcingTheReferenceDecisionsPassesTheGradient() throws {
        let (g, feed, _, relu, w) = try Self.graph()
        let p = FixedArithmetic<Float>(), m = MPFRArithmetic(bits: 256)
        let f32 = try Execution(graph: g, arithmetic: p, feed: feed)
        let gP = try f32.backward(convention: .pytorch, wrt: [w])[w]!.doubles(p)
        let gPAlt = try f32.backward(convention: .alternative, wrt: [w])[w]!.doubles(p)
        let reference = try Execution(graph: g, arithmetic: m, feed: feed)
        let gR = try reference.backward(wrt: [w])[w]!.doubles(m)
        #expect(gP[0] == 0 && gP[1] == 0)
        #expect(gPAlt[0] != 0)
        #expect(gR[0] < -0.49 && gR[0] > -0.51)
        let aligned = try Execution(graph: g, arithmetic: p, feed: feed, forcing: reference.decisions)
        #expect(aligned.decisions[relu] == reference.decisions[relu])
        let gAligned = try aligned.backward(wrt: [w])[w]!.doubles(p)
        for k in 0..<4 {
            #expect(abs(gAligned[k] - gR[k]) <= 1e-6 * abs(gR[0]), "component \(k): \(gAligned[k]) vs \(gR[k])")
        }
    }

    /// Forcing an execution's own decisions reproduces its forward pass bit for bit.
    @Test func forcingOwnDecisionsReproducesTheForward() throws {
        let (g, feed, _, _, _) = try Self.graph()
        let p = FixedArithmetic<Float>()
        let own = try Execution(graph: g, arithmetic: p, feed: feed)
        let again = try Execution(graph: g, arithmetic: p, feed: feed, forcing: own.decisions)
        for id in g.nodes.indices {
            #expect(own.value(id).doubles(p).map(\.bitPattern) == again.value(id).doubles(p).map(\.bitPattern))
        }
    }

    /// One forward, two backwards: the forward pass is not repeated, and each gradient equals
    /// the one a fresh execution gives under its convention.
    @Test func oneForwardTwoBackwards() throws {
        let (g, feed, _, _, w) = try Self.graph()
        let p = FixedArithmetic<Float>()
        let run = try Execution(graph: g, arithmetic: p, feed: feed)
        let evaluations = run.nodeEvaluations
        #expect(evaluations == g.nodes.count)
        let first = try run.backward(convention: .pytorch, wrt: [w])[w]!.doubles(p)
        let second = try run.backward(convention: .alternative, wrt: [w])[w]!.doubles(p)
        #expect(run.nodeEvaluations == evaluations)
        #expect(first != second)
        let freshFirst = try Execution(graph: g, arithmetic: p, feed: feed).backward(convention: .pytorch, wrt: [w])[w]!.doubles(p)
        let freshSecond = try Execution(graph: g, arithmetic: p, feed: feed).backward(convention: .alternative, wrt: [w])[w]!.doubles(p)
        #expect(first.map(\.bitPattern) == freshFirst.map(\.bitPattern))
        #expect(second.map(\.bitPattern) == freshSecond.map(\.bitPattern))
    }

    /// A max-pool window {x, x} built from two identical computations is tied at every precision.
    @Test func identicalComputationsTieAtEveryPrecision() throws {
        var g = Graph()
        let x = try g.input("x", shape: [1, 1, 2, 4])
        let w = try g.parameter("w", shape: [1, 1, 2, 2])
        let conv = try g.apply("conv", .conv2d(Conv2DAttributes(stride: [2, 2])), [x, w])  // [1, 1, 1, 2]
        let pool = try g.apply("pool", .maxPool2d(PoolAttributes(kernel: [1, 2])), [conv])
        let half: [Double] = [0.1, 0.7, 0.3, 0.9]  // the two 2×2 halves of x are equal
        let feed = Feed(values: ["x": [half[0], half[1], half[0], half[1], half[2], half[3], half[2], half[3]], "w": [0.3, -0.2, 0.11, 0.5]])
        func tied<A: ScalarArithmetic>(_ a: A) throws -> Bool {
            let run = try Execution(graph: g, arithmetic: a, feed: feed)
            guard case .argmax(let sets)? = run.decisions[pool] else { return false }
            return sets.isTied(0) && sets.set(0) == [0, 1]
        }
        #expect(try tied(FixedArithmetic<Half>()))
        #expect(try tied(FixedArithmetic<BFloat16>()))
        #expect(try tied(FixedArithmetic<Float>()))
        #expect(try tied(FixedArithmetic<Double>()))
        #expect(try tied(MPFRArithmetic(bits: 256)))
    }
}
