import Testing
import AD
import TestSupport

/// Stochastic rounding (`TensorCast` with `.stochastic`, `NodeRounding.stochastic`): each
/// rounding lands on one of the two neighbours and is unbiased (the mean of 10⁵ draws within 3σ
/// of the exact value, σ from the binomial closed form); a pass is bit-identical on 1 and 2
/// threads inside the pass, the seed matters, and C, C′ draw the same bits.
@Suite struct StochasticRoundingTests {
    @Test(arguments: [(FormatInfo.bfloat16, 1.2345678), (.bfloat16, -3.3e-39), (.binary16, 0.1), (.binary16, -7.0e-6), (.binary16, 65000.0)])
    func meanOfDrawsIsTheExactValue(format: FormatInfo, value: Double) {
        let x = Double(Float(value))
        let n = 100_000
        var v = [Double](repeating: x, count: n)
        let counts = TensorCast(format, rounding: .stochastic).apply(&v, seed: 0x5EED, node: 3, stream: 0)
        #expect(counts.saturated == 0 && counts.flushed == 0)
        // Subnormal in f16 (below 2⁻¹⁴) yet normal in binary32: counted by the cast.
        #expect(counts.subnormal == (format == .binary16 && abs(x) < 0x1p-14 ? n : 0))
        let lo = roundDown(x.magnitude, format), ulp = quantum(x.magnitude, format)
        let neighbours: Set<Double> = [x < 0 ? -lo : lo, x < 0 ? -(lo + ulp) : lo + ulp]
        #expect(Set(v).isSubset(of: neighbours) && Set(v).count == 2, "draws \(Set(v)) outside \(neighbours)")
        let p = (x.magnitude - lo) / ulp
        let sigma = ulp * (p * (1 - p) / Double(n)).squareRoot()
        let mean = v.reduce(0, +) / Double(n)
        #expect(abs(mean - x) <= 3 * sigma, "mean \(mean) vs \(x), 3σ = \(3 * sigma)")
        // Rounding to nearest would be off by many σ: the test can tell the two apart.
        let nearest = roundDoubleToGrid(x, p: format.significandBits, emin: format.minExponent)
        #expect(abs(nearest - x) > 3 * sigma)
    }

    /// The grid below `a > 0` and its spacing, by the definitions (independent of `TensorCast`).
    func quantum(_ a: Double, _ f: FormatInfo) -> Double {
        var e = f.minExponent
        while a >= Double(sign: .plus, exponent: e + 1, significand: 1) { e += 1 }
        return Double(sign: .plus, exponent: e - f.significandBits + 1, significand: 1)
    }
    func roundDown(_ a: Double, _ f: FormatInfo) -> Double { (a / quantum(a, f)).rounded(.down) * quantum(a, f) }

    static func smallCNN() throws -> (Graph, Feed, [NodeID]) {
        var g = Graph()
        let x = try g.input("x", shape: [4, 2, 6, 6])
        let w = try g.parameter("w", shape: [3, 2, 3, 3]), b = try g.parameter("b", shape: [3])
        let conv = try g.apply("conv", .conv2d(Conv2DAttributes(padding: [1, 1])), [x, w, b])
        let act = try g.apply("relu", .relu, [conv])
        let flat = try g.apply("flat", .flatten, [act])
        let fw = try g.parameter("fw", shape: [5, 108])
        let fc = try g.apply("fc", .linear(hasBias: false), [flat, fw])
        _ = try g.apply("loss", .crossEntropy(labels: "y"), [fc])
        var rng = SeededGenerator(seed: 0x5C)
        var values: [String: [Double]] = [:]
        for node in g.nodes where node.op.isLeaf {
            values[node.name] = (0..<node.shape.reduce(1, *)).map { _ in Double(BFloat16(Float(rng.uniform(-1, 1))).float) }
        }
        return (g, Feed(values: values, labels: ["y": [0, 1, 4, 2]]), [w, b, fw])
    }

    @Test func passesAreBitIdenticalOnOneAndTwoThreadsAndFollowTheSeed() throws {
        let (graph, feed, params) = try Self.smallCNN()
        let a = FixedArithmetic<Float>()
        func bits(threads: Int, seed: UInt64) throws -> [UInt64] {
            PassThreads.count = threads
            defer { PassThreads.count = 1 }
            let e = try Execution(graph: graph, arithmetic: a, feed: feed, rounding: .stochastic(graph, low: .bfloat16, seed: seed))
            let both = try e.backward(conventions: [.pytorch, DerivativeConvention.pytorch.flipped], wrt: params)
            var out = graph.nodes.flatMap { e.value($0.id).doubles(a).map(\.bitPattern) }
            for g in both { for id in params { out += g[id]!.doubles(a).map(\.bitPattern) } }
            return out
        }
        let one = try bits(threads: 1, seed: 42), two = try bits(threads: 2, seed: 42)
        #expect(one == two)
        #expect(try bits(threads: 1, seed: 43) != one)
        // Every stored value is a bf16 value.
        #expect(one.allSatisfy { let d = Double(bitPattern: $0); return roundDoubleToGrid(d, p: 8, emin: -126) == d })
    }

    @Test func streamDependsOnEveryKeyAndOnNothingElse() {
        let s = StochasticStream(seed: 1, node: 2, stream: 3)
        #expect(s.bits(4) == StochasticStream(seed: 1, node: 2, stream: 3).bits(4))
        let others = [StochasticStream(seed: 9, node: 2, stream: 3).bits(4), StochasticStream(seed: 1, node: 9, stream: 3).bits(4),
                      StochasticStream(seed: 1, node: 2, stream: 9).bits(4), s.bits(9)]
        #expect(Set(others + [s.bits(4)]).count == 5)
        // Uniform bits: each of the 64 bits set in about half of 10⁴ draws (within 5σ = 250).
        var ones = [Int](repeating: 0, count: 64)
        for i in 0..<10_000 { let b = s.bits(UInt64(i)); for k in 0..<64 where b >> k & 1 == 1 { ones[k] += 1 } }
        #expect(ones.allSatisfy { abs($0 - 5000) < 250 }, "\(ones)")
    }
}
