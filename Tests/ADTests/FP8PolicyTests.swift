import Testing
import AD
import TestSupport

/// The fp8 recipe `e4m3-policy` in the engine: the per-tensor amax scale, a linear's output
/// against the naive loop (e4m3 copies of x and W with their scales, f32 accumulation, bf16
/// output) using `Float8E4M3FN`'s own conversion, the incoming gradient cast to e5m2 for the
/// weight gradient, and saturations counted as range events.
@Suite struct FP8PolicyTests {
    @Test func amaxScaleIsTheLargestPowerOfTwoThatFits() {
        var g = SeededGenerator(seed: 0xF8)
        for _ in 0..<10_000 {
            let amax = Double(sign: .plus, exponent: Int(g.uniform(-60, 60)), significand: g.uniform(1, 2))
            for top in [448.0, 57344.0] {
                let k = TensorCast.scaleExponent(amax: amax, largest: top)
                #expect(amax * Double(sign: .plus, exponent: k, significand: 1) <= top)
                #expect(amax * Double(sign: .plus, exponent: k + 1, significand: 1) > top)
            }
        }
        #expect(TensorCast.scaleExponent(amax: 448, largest: 448) == 0 && TensorCast.scaleExponent(amax: 0, largest: 448) == 0)
    }

    static func quantised(_ v: [Double], _ top: Double, e5m2: Bool = false) -> [Double] {
        let amax = v.map(\.magnitude).max()!
        var k = 0
        while amax * Double(sign: .plus, exponent: k + 1, significand: 1) <= top { k += 1 }
        while amax * Double(sign: .plus, exponent: k, significand: 1) > top { k -= 1 }
        let s = Double(sign: .plus, exponent: k, significand: 1)
        return v.map { (e5m2 ? Float8E5M2($0 * s, overflow: .saturating).exactDouble : Float8E4M3FN($0 * s, overflow: .saturating).exactDouble) / s }
    }

    @Test func linearMatchesTheNaiveRecipe() throws {
        var rng = SeededGenerator(seed: 0xF81)
        let (n, i, o) = (3, 7, 4)
        var graph = Graph()
        let x = try graph.input("x", shape: [n, i]), w = try graph.parameter("w", shape: [o, i]), b = try graph.parameter("b", shape: [o])
        let fc = try graph.apply("fc", .linear(hasBias: true), [x, w, b])
        _ = try graph.apply("loss", .crossEntropy(labels: "y"), [fc])
        let xv = (0..<(n * i)).map { _ in Double(Float(rng.uniform(-0.01, 0.01))) }   // small: the scale matters
        let wv = (0..<(o * i)).map { _ in Double(Float(rng.uniform(-3, 3))) }
        let bv = (0..<o).map { _ in Double(Float(rng.uniform(-1, 1))) }
        let a = FixedArithmetic<Float>()
        let rounding = try #require(try NodeRounding.forPrecision(.e4m3Policy(saturating: true), graph: graph))
        let run = try Execution(graph: graph, arithmetic: a, feed: Feed(values: ["x": xv, "w": wv, "b": bv], labels: ["y": [0, 3, 1]]),
                                rounding: rounding)
        let qx = Self.quantised(xv, 448), qw = Self.quantised(wv, 448)
        let bf = { (v: Double) in Double(BFloat16(Float(v)).float) }
        var expected: [Double] = []
        for s in 0..<n {
            for oo in 0..<o {
                var acc: Float = 0
                for ii in 0..<i { acc += Float(qx[s * i + ii]) * Float(qw[oo * i + ii]) }
                expected.append(bf(Double(acc + Float(bf(bv[oo])))))
            }
        }
        #expect(run.value(fc).doubles(a) == expected)
        // Unscaled e4m3 would flush most of x (|x| < 0.01 is below e4m3's 2⁻⁹ grid in part): the scale is observable.
        #expect(xv.map { Float8E4M3FN($0).exactDouble } != qx)
        // Backward: gW = Σₛ q5(gy)[s,o]·qx[s,i] in f32, kept f32 (master weight gradient).
        let g = try run.backward(wrt: [w, fc])
        let gy = g[fc]!.doubles(a), qgy = Self.quantised(gy, 57344, e5m2: true)
        var mismatches = 0
        for oo in 0..<o {
            for ii in 0..<i {
                var acc: Float = 0
                for s in 0..<n { acc += Float(qgy[s * o + oo]) * Float(qx[s * i + ii]) }
                if Double(acc) != g[w]!.doubles(a)[oo * i + ii] { mismatches += 1 }
            }
        }
        #expect(mismatches == 0)
    }

    @Test(arguments: [true, false])
    func saturationsAreRangeEvents(saturating: Bool) throws {
        var graph = Graph()
        let x = try graph.input("x", shape: [1, 6]), w = try graph.parameter("w", shape: [1, 6])
        let fc = try graph.apply("fc", .linear(hasBias: false), [x, w])
        let rule = PolicySpec.Rule(inputs: .e4m3, output: .binary32, saturating: saturating)
        let spec = PolicySpec(name: "unscaled", ops: ["linear": rule])
        let xv: [Double] = [1, 450, 463, 465, 1000, -2000]  // 450, 463 round to 448; 465, 1000, −2000 overflow
        let run = try Execution(graph: graph, arithmetic: FixedArithmetic<Float>(), feed: Feed(values: ["x": xv, "w": [1, 1, 1, 1, 1, 1]]),
                                rounding: try NodeRounding.build(spec, graph: graph))
        let oracle = xv.filter { Float8E4M3FN($0).isNaN }.count
        #expect(oracle == 3)
        let e = run.forwardEvents[fc]
        if saturating {
            #expect(e.saturated == oracle && e.nan == 0)
            #expect(run.value(fc).doubles(FixedArithmetic<Float>()) == [1 + 448 + 448 + 448 + 448 - 448])
        } else {
            #expect(e.saturated == 0 && e.nan == 1)  // the NaN copies make the output NaN
        }
    }
}
