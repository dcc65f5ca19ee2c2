import Testing
import TestSupport
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

/// Flushed products of conv2d against a naive count over the products the convolution forms.
@Suite struct ConvFlushCountTests {
    /// One and two groups, on 1 and 3 threads inside the pass.
    @Test func conv2dCountsMatchANaiveEnumeration() throws {
        let saved = PassThreads.count
        defer { PassThreads.count = saved }
        for (groups, threads) in [(1, 1), (2, 1), (2, 3)] {
            PassThreads.count = threads
            try check(groups: groups)
        }
    }

    func check(groups: Int) throws {
        var rng = SeededGenerator(seed: 77)
        let attributes = Conv2DAttributes(stride: [2, 1], padding: [1, 1], dilation: [1, 2], groups: groups)
        let c = 2 * groups, o = 3 * groups
        var graph = Graph(), feed = Feed()
        // Magnitudes around 2⁻¹³ (gradients around 2⁻¹¹): products near binary16's least subnormal 2⁻²⁴, some below half of it.
        func tiny() -> Double { Half((rng.next() % 2 == 0 ? 1 : -1) * rng.uniform(0.3, 3) * 0x1p-13).exactDouble }
        feed.values["x"] = (0..<(2 * c * 6 * 7)).map { k in k % 5 == 0 ? 0 : tiny() }
        feed.values["w"] = (0..<(o * 2 * 2 * 3)).map { _ in tiny() }
        let x = try graph.input("x", shape: [2, c, 6, 7])
        let w = try graph.parameter("w", shape: [o, 2, 2, 3])
        let conv = try graph.apply("conv", .conv2d(attributes), [x, w])
        let flat = try graph.apply("flat", .flatten, [conv])
        let sum = try graph.apply("sum", .linear(hasBias: false), [flat, try graph.parameter("ones", shape: [1, graph.nodes[flat].shape[1]])])
        feed.values["ones"] = Array(repeating: 0x1p-11, count: graph.nodes[flat].shape[1])
        try graph.apply("loss", .mse, [sum, try graph.parameter("t", shape: [2, 1])])
        feed.values["t"] = [1, -1]
        let a = FixedArithmetic<Half>()
        let run = try Execution(graph: graph, arithmetic: a, feed: feed)
        let grads = try run.backward(wrt: [x, w, conv])
        let gy = grads[conv]!.doubles(a)
        let shape = graph.nodes[conv].shape
        func flushes(_ p: Double, _ q: Double) -> Int { p != 0 && q != 0 && (Half(p) * Half(q)).isZero ? 1 : 0 }
        var forward = 0, backward = 0
        let xs = feed.values["x"]!, ws = feed.values["w"]!
        for s in 0..<2 { for oc in 0..<o { for oy in 0..<shape[2] { for ox in 0..<shape[3] {
            for cl in 0..<2 { for i in 0..<2 { for j in 0..<3 {
                let iy = oy * 2 - 1 + i, ix = ox - 1 + j * 2
                guard iy >= 0, iy < 6, ix >= 0, ix < 7 else { continue }
                let channel = (oc / 3) * 2 + cl
                let xv = xs[((s * c + channel) * 6 + iy) * 7 + ix], wv = ws[((oc * 2 + cl) * 2 + i) * 3 + j]
                let g = gy[((s * o + oc) * shape[2] + oy) * shape[3] + ox]
                forward += flushes(xv, wv)
                backward += flushes(g, xv) + flushes(g, wv)
            } } }
        } } } }
        #expect(forward > 0 && backward > 0, "groups \(groups)")
        #expect(run.forwardEvents[conv].flushed == forward, "groups \(groups)")
        #expect(grads.events[conv]?.flushed == backward, "groups \(groups)")
    }
}

/// Flushed products counted inside binary16's tile while it forms them (AVX2 with F16C:
/// `matrixAccumulateCountingFlushes`) against `FlushCounting.pairs`' second pass, and through
/// linear's forward and backward against a naive enumeration.
@Suite struct TileFlushCountTests {
    /// `Gemm.accumulate(countingFlushes:)` on 1 and 3 pass threads (the last shapes are large
    /// enough to be split) gives `pairs`' count; the entries are those of the plain product.
    @Test func tileCountsArePairsCounts() {
        let saved = PassThreads.count
        defer { PassThreads.count = saved }
        var g = SeededGenerator(seed: 5)
        let a = FixedArithmetic<Half>()
        let counts = MatrixKernels.sixteenBitVectorBits == 256
        for threads in [1, 3] {
            PassThreads.count = threads
            for (rows, cols, depth) in [(7, 33, 129), (13, 70, 300), (130, 90, 100)] {
                let x = a.makeStorage(count: rows * depth), b = a.makeStorage(count: depth * cols)
                let c = a.makeStorage(count: rows * cols), plain = a.makeStorage(count: rows * cols)
                // Around 2⁻¹²: products around binary16's least subnormal 2⁻²⁴; some zeros.
                for i in 0..<(rows * depth) { a.set(x.base + i, i % 7 == 0 ? 0 : g.uniform(-3, 3) * 0x1p-13) }
                for i in 0..<(depth * cols) { a.set(b.base + i, g.uniform(-3, 3) * 0x1p-12) }
                let counted = Gemm.accumulate(a, c.base, cols, x.base, depth, 1, b.base, cols, rows: rows, cols: cols, depth: depth,
                                              fused: false, countingFlushes: true)
                Gemm.accumulate(a, plain.base, cols, x.base, depth, 1, b.base, cols, rows: rows, cols: cols, depth: depth, fused: false)
                let pairs = FlushCounting.pairs(a, shared: depth, u: x.base, uk: 1, ur: depth, nu: rows, v: b.base, vk: cols, vc: 1, nv: cols)
                #expect(pairs > 0)
                #expect(counted == (counts ? pairs : nil), "\(rows)×\(cols)×\(depth) on \(threads) threads")
                #expect((0..<(rows * cols)).allSatisfy { a.identical(c.base + $0, plain.base + $0) })
                withExtendedLifetime((x, b, c, plain)) {}
            }
        }
    }

    /// linear's range events, whichever counted them: forward `x·W`, backward `gy·W` and `gy·x`.
    @Test func linearCountsMatchANaiveEnumeration() throws {
        var rng = SeededGenerator(seed: 78)
        let n = 4, inputs = 40, outputs = 30
        func tiny() -> Double { Half((rng.next() % 2 == 0 ? 1 : -1) * rng.uniform(0.3, 3) * 0x1p-13).exactDouble }
        var graph = Graph(), feed = Feed()
        feed.values["x"] = (0..<(n * inputs)).map { k in k % 5 == 0 ? 0 : tiny() }
        feed.values["w"] = (0..<(outputs * inputs)).map { _ in tiny() }
        let x = try graph.input("x", shape: [n, inputs])
        let w = try graph.parameter("w", shape: [outputs, inputs])
        let fc = try graph.apply("fc", .linear(hasBias: false), [x, w])
        // A second layer of weights 2⁻¹¹ makes fc's output gradient small too.
        let sum = try graph.apply("sum", .linear(hasBias: false), [fc, try graph.parameter("ones", shape: [1, outputs])])
        feed.values["ones"] = Array(repeating: 0x1p-11, count: outputs)
        try graph.apply("loss", .mse, [sum, try graph.parameter("t", shape: [n, 1])])
        feed.values["t"] = [1, -1, 1, -1]
        let a = FixedArithmetic<Half>()
        let run = try Execution(graph: graph, arithmetic: a, feed: feed)
        let grads = try run.backward(wrt: [x, w, fc])
        let gy = grads[fc]!.doubles(a), xs = feed.values["x"]!, ws = feed.values["w"]!
        func flushes(_ p: Double, _ q: Double) -> Int { p != 0 && q != 0 && (Half(p) * Half(q)).isZero ? 1 : 0 }
        var forward = 0, backward = 0
        for s in 0..<n {
            for o in 0..<outputs {
                for i in 0..<inputs {
                    forward += flushes(xs[s * inputs + i], ws[o * inputs + i])
                    backward += flushes(gy[s * outputs + o], ws[o * inputs + i]) + flushes(gy[s * outputs + o], xs[s * inputs + i])
                }
            }
        }
        #expect(forward > 0 && backward > 0)
        #expect(run.forwardEvents[fc].flushed == forward)
        #expect(grads.events[fc]?.flushed == backward)
    }
}

/// The scans a pass makes over whole tensors — range events, and the least nonzero finite
/// magnitude that tells whether any product can flush — split into chunks on 2–4 pass threads
/// above 2¹⁶ values: the same answer as one thread and as the closed form.
@Suite struct ChunkedScanTests {
    @Test func rangeEventsAndLeastMagnitudeOnOneToFourThreads() {
        let saved = PassThreads.count
        defer { PassThreads.count = saved }
        let n = 300_001
        // Every 97th value ∞, every 101st NaN, every 103rd subnormal (when none of the others),
        // one value 2⁻²⁰ at an index in the last chunk; the rest 0 or ordinary.
        var values = [Double](repeating: 0, count: n)
        var overflow = 0, nan = 0, subnormal = 0
        for i in 0..<n {
            if i % 97 == 0 { values[i] = i % 2 == 0 ? .infinity : -.infinity; overflow += 1 }
            else if i % 101 == 0 { values[i] = .nan; nan += 1 }
            else if i % 103 == 0 { values[i] = 0x1p-20; subnormal += 1 }
            else if i % 5 != 0 { values[i] = 1 + Double(i % 7) }
        }
        values[n - 3] = -0x1p-24  // the least nonzero magnitude: binary16's smallest subnormal
        subnormal += 1
        let a = FixedArithmetic<Half>()
        let t = Tensor(shape: [n], values, a)
        for threads in 1...4 {
            PassThreads.count = threads
            let e = RangeEvents.scan(t, a)
            #expect(e.overflow == overflow && e.nan == nan && e.subnormal == subnormal, "\(threads) threads: \(e)")
            let m = a.makeStorage(count: 1)
            #expect(FlushCounting.smallestNonzeroFiniteMagnitude(a, t.slots, n, into: m.base))
            #expect(a.double(m.base) == 0x1p-24, "\(threads) threads")
        }
        // Nothing nonzero and finite: none found, on any split.
        let empty = Tensor(shape: [n], (0..<n).map { $0 % 3 == 0 ? Double.nan : 0 }, a)
        for threads in 1...4 {
            PassThreads.count = threads
            let m = a.makeStorage(count: 1)
            #expect(!FlushCounting.smallestNonzeroFiniteMagnitude(a, empty.slots, n, into: m.base))
        }
    }
}
