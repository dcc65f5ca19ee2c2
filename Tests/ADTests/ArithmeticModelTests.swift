import Testing
import AD
import TestSupport

/// The arithmetic model, bit for bit: linear and conv2d outputs at f32 and binary16 equal a
/// naive scalar loop written in the documented order (start from +0, add each rounded product in
/// order, then the bias), for random shapes; the FMA and wider-accumulator options likewise.
@Suite struct ArithmeticModelTests {
    enum Mode { case separate, fused, wider }

    /// The documented sum for one output: `terms` are (x, w) pairs in order.
    static func naiveSum<S: FloatingScalar>(_ terms: [(S, S)], bias: S?, _ mode: Mode) -> S {
        switch mode {
        case .separate:
            var acc = S.zero
            for (x, w) in terms { acc = acc + x * w }
            return bias.map { acc + $0 } ?? acc
        case .fused:
            var acc = S.zero
            for (x, w) in terms { acc = acc.addingProduct(x, w) }
            return bias.map { acc + $0 } ?? acc
        case .wider:
            // binary32 accumulator for 16-bit storage, binary64 for f32; exact products.
            if S.self == Float.self {
                var acc = 0.0
                for (x, w) in terms { acc += x.exactDouble * w.exactDouble }
                if let bias { acc += bias.exactDouble }
                return S(acc)
            }
            var acc: Float = 0
            for (x, w) in terms { acc += Float(x.exactDouble * w.exactDouble) }
            if let bias { acc += Float(bias.exactDouble) }
            return S(Double(acc))
        }
    }

    static func model(_ mode: Mode) -> ArithmeticModel {
        switch mode {
        case .separate: ArithmeticModel(accumulation: .separate)
        case .fused: ArithmeticModel(accumulation: .fusedMultiplyAdd)
        case .wider: ArithmeticModel(accumulation: .widerAccumulator)
        }
    }

    static func randomValues<S: FloatingScalar>(_: S.Type, _ n: Int, _ g: inout SeededGenerator) -> [Double] {
        (0..<n).map { _ in S(g.uniform(-2, 2)).exactDouble }
    }

    static func linearMatches<S: FloatingScalar>(_: S.Type, _ mode: Mode, seed: UInt64, large: Bool = false) throws -> Int {
        var g = SeededGenerator(seed: seed)
        var mismatches = 0
        for _ in 0..<(large ? 4 : 20) {
            let n = Int(g.next() % (large ? 14 : 4)) + 1, inF = Int(g.next() % (large ? 300 : 40)) + 1, outF = Int(g.next() % (large ? 80 : 17)) + 1
            let x = randomValues(S.self, n * inF, &g), w = randomValues(S.self, outF * inF, &g), b = randomValues(S.self, outF, &g)
            var graph = Graph()
            let xi = try graph.input("x", shape: [n, inF]), wi = try graph.parameter("w", shape: [outF, inF]), bi = try graph.parameter("b", shape: [outF])
            let y = try graph.apply("fc", .linear(hasBias: true), [xi, wi, bi])
            let a = FixedArithmetic<S>()
            let run = try Execution(graph: graph, arithmetic: a, feed: Feed(values: ["x": x, "w": w, "b": b]), model: model(mode))
            let out = run.value(y)
            for s in 0..<n {
                for o in 0..<outF {
                    let terms = (0..<inF).map { (S(x[s * inF + $0]), S(w[o * inF + $0])) }
                    let expected = naiveSum(terms, bias: S(b[o]), mode)
                    if out.slots[s * outF + o].bitPattern != expected.bitPattern { mismatches += 1 }
                }
            }
        }
        return mismatches
    }

    /// A random conv2d geometry: groups, channels, extents, kernel, strides, paddings, dilation
    /// (in this draw order; `outputsPerGroup` and `minExtent` bound the sizes).
    struct Geometry {
        var groups, cg, og, h, w, kh, kw: Int
        var attributes: Conv2DAttributes
        var c: Int { cg * groups }
        var o: Int { og * groups }
        func shape(n: Int) -> Conv2DShape {
            Conv2DShape(n: n, c: c, h: h, w: w, o: o, kh: kh, kw: kw, sh: attributes.stride[0], sw: attributes.stride[1],
                        ph: attributes.padding[0], pw: attributes.padding[1], dh: attributes.dilation[0], dw: attributes.dilation[1],
                        groups: groups)
        }
    }

    static func randomGeometry(_ g: inout SeededGenerator, outputsPerGroup: Int, minExtent: Int, inputsPerGroup: Int = 3) -> Geometry {
        let groups = Int(g.next() % 2) + 1
        let cg = Int(g.next() % UInt64(inputsPerGroup)) + 1, og = Int(g.next() % UInt64(outputsPerGroup)) + 1
        let h = Int(g.next() % 6) + minExtent, w = Int(g.next() % 6) + minExtent
        let kh = Int(g.next() % 3) + 1, kw = Int(g.next() % 3) + 1
        let attributes = Conv2DAttributes(stride: [Int(g.next() % 2) + 1, Int(g.next() % 2) + 1],
                                          padding: [Int(g.next() % 2), Int(g.next() % 3)],
                                          dilation: [Int(g.next() % 2) + 1, 1], groups: groups)
        return Geometry(groups: groups, cg: cg, og: og, h: h, w: w, kh: kh, kw: kw, attributes: attributes)
    }

    static func conv2dMatches<S: FloatingScalar>(_: S.Type, _ mode: Mode, seed: UInt64, large: Bool = false) throws -> Int {
        var g = SeededGenerator(seed: seed)
        var mismatches = 0
        for _ in 0..<(large ? 4 : 12) {
            let geometry = large ? randomGeometry(&g, outputsPerGroup: 40, minExtent: 8, inputsPerGroup: 20)
                                 : randomGeometry(&g, outputsPerGroup: 3, minExtent: 4)
            let (cg, og, c, o, h, wd, kh, kw) = (geometry.cg, geometry.og, geometry.c, geometry.o, geometry.h, geometry.w, geometry.kh, geometry.kw)
            let attributes = geometry.attributes
            let n = 2
            let x = randomValues(S.self, n * c * h * wd, &g), w = randomValues(S.self, o * cg * kh * kw, &g), b = randomValues(S.self, o, &g)
            var graph = Graph()
            let xi = try graph.input("x", shape: [n, c, h, wd])
            let wi = try graph.parameter("w", shape: [o, cg, kh, kw]), bi = try graph.parameter("b", shape: [o])
            guard let y = try? graph.apply("conv", .conv2d(attributes), [xi, wi, bi]) else { continue }
            let run = try Execution(graph: graph, arithmetic: FixedArithmetic<S>(), feed: Feed(values: ["x": x, "w": w, "b": b]), model: model(mode))
            let out = run.value(y), shape = graph.nodes[y].shape
            let (oh, ow) = (shape[2], shape[3])
            for s in 0..<n {
                for oc in 0..<o {
                    let group = oc / og
                    for oy in 0..<oh {
                        for ox in 0..<ow {
                            var terms: [(S, S)] = []
                            for cl in 0..<cg {
                                for i in 0..<kh {
                                    for j in 0..<kw {
                                        let iy = oy * attributes.stride[0] - attributes.padding[0] + i * attributes.dilation[0]
                                        let ix = ox * attributes.stride[1] - attributes.padding[1] + j * attributes.dilation[1]
                                        guard iy >= 0, iy < h, ix >= 0, ix < wd else { continue }  // padded: skipped
                                        terms.append((S(x[((s * c + group * cg + cl) * h + iy) * wd + ix]), S(w[((oc * cg + cl) * kh + i) * kw + j])))
                                    }
                                }
                            }
                            let expected = naiveSum(terms, bias: S(b[oc]), mode)
                            if out.slots[((s * o + oc) * oh + oy) * ow + ox].bitPattern != expected.bitPattern { mismatches += 1 }
                        }
                    }
                }
            }
        }
        return mismatches
    }

    /// conv2d backward (separate roundings) against naive loops in the documented orders:
    /// gW[oc,cl,i,j] over samples then output positions row-major; gx[s,c,iy,ix] over
    /// (oc, i, j) increasing; gb over samples then positions. Random groups, strides, paddings,
    /// dilations; f32, f64, f16 and bf16. `large`: enough channels that the matrix-product
    /// tiles run full and over several k-blocks. `specials`: an infinity in `W` and a NaN and
    /// an infinity in `gy`, which send the kernels to the loops that skip padded terms (NaN
    /// payloads aside).
    static func conv2dBackwardMatches<S: FloatingScalar>(_: S.Type, seed: UInt64, large: Bool = false, specials: Bool = false) -> Int {
        var g = SeededGenerator(seed: seed)
        var mismatches = 0
        func same(_ x: S, _ y: S) -> Bool { x.bitPattern == y.bitPattern || (x.isNaN && y.isNaN) }
        for _ in 0..<(large ? 4 : 16) {
            let geometry = large ? randomGeometry(&g, outputsPerGroup: 40, minExtent: 8, inputsPerGroup: 7)
                                 : randomGeometry(&g, outputsPerGroup: 4, minExtent: 5)
            let (cg, og, c, o, h, wd, kh, kw) = (geometry.cg, geometry.og, geometry.c, geometry.o, geometry.h, geometry.w, geometry.kh, geometry.kw)
            let shape = geometry.shape(n: 3)
            guard shape.oh > 0, shape.ow > 0 else { continue }
            let n = shape.n
            var x = randomValues(S.self, n * c * h * wd, &g).map { S($0) }, w = randomValues(S.self, o * cg * kh * kw, &g).map { S($0) }
            var gy = randomValues(S.self, n * o * shape.oh * shape.ow, &g).map { S($0) }
            if specials {
                w[Int(g.next() % UInt64(w.count))] = S.infinity
                gy[Int(g.next() % UInt64(gy.count))] = S.nan
                gy[Int(g.next() % UInt64(gy.count))] = -S.infinity
            }
            var gx = [S](repeating: .zero, count: x.count), gw = [S](repeating: .zero, count: w.count), gb = [S](repeating: .zero, count: o)
            x.withUnsafeMutableBufferPointer { xb in w.withUnsafeMutableBufferPointer { wb in gy.withUnsafeMutableBufferPointer { gyb in
                gx.withUnsafeMutableBufferPointer { gxb in gw.withUnsafeMutableBufferPointer { gwb in gb.withUnsafeMutableBufferPointer { gbb in
                    _ = Conv2DKernels.backward(FixedArithmetic<S>(), .separate, shape, x: xb.baseAddress!, w: wb.baseAddress!, gy: gyb.baseAddress!,
                                               gx: gxb.baseAddress!, gw: gwb.baseAddress!, gb: gbb.baseAddress!)
                } } }
            } } }
            var ex = [S](repeating: .zero, count: x.count), ew = [S](repeating: .zero, count: w.count), eb = [S](repeating: .zero, count: o)
            for s in 0..<n {
                for oc in 0..<o {
                    let group = oc / og
                    for oy in 0..<shape.oh {
                        for ox in 0..<shape.ow {
                            let gv = gy[((s * o + oc) * shape.oh + oy) * shape.ow + ox]
                            eb[oc] = eb[oc] + gv
                            for cl in 0..<cg {
                                for i in 0..<kh {
                                    for j in 0..<kw {
                                        let iy = oy * shape.sh - shape.ph + i * shape.dh, ix = ox * shape.sw - shape.pw + j * shape.dw
                                        guard iy >= 0, iy < h, ix >= 0, ix < wd else { continue }
                                        let xi = ((s * c + group * cg + cl) * h + iy) * wd + ix, wi = ((oc * cg + cl) * kh + i) * kw + j
                                        ew[wi] = ew[wi] + gv * x[xi]
                                    }
                                }
                            }
                        }
                    }
                }
            }
            // gx: for each input element, its (oc, i, j) terms in increasing order.
            for s in 0..<n {
                for oc in 0..<o {
                    let group = oc / og
                    for cl in 0..<cg {
                        for i in 0..<kh {
                            for j in 0..<kw {
                                for oy in 0..<shape.oh {
                                    for ox in 0..<shape.ow {
                                        let iy = oy * shape.sh - shape.ph + i * shape.dh, ix = ox * shape.sw - shape.pw + j * shape.dw
                                        guard iy >= 0, iy < h, ix >= 0, ix < wd else { continue }
                                        let xi = ((s * c + group * cg + cl) * h + iy) * wd + ix, wi = ((oc * cg + cl) * kh + i) * kw + j
                                        ex[xi] = ex[xi] + w[wi] * gy[((s * o + oc) * shape.oh + oy) * shape.ow + ox]
                                    }
                                }
                            }
                        }
                    }
                }
            }
            mismatches += zip(gw, ew).filter { !same($0, $1) }.count + zip(gx, ex).filter { !same($0, $1) }.count
                + zip(gb, eb).filter { !same($0, $1) }.count
        }
        return mismatches
    }

    @Test func conv2dBackwardMatchesTheDocumentedOrder() {
        #expect(Self.conv2dBackwardMatches(Float.self, seed: 5) == 0)
        #expect(Self.conv2dBackwardMatches(Double.self, seed: 8) == 0)
        #expect(Self.conv2dBackwardMatches(Half.self, seed: 6) == 0)
        #expect(Self.conv2dBackwardMatches(BFloat16.self, seed: 7) == 0)
        #expect(Self.conv2dBackwardMatches(Float.self, seed: 5, specials: true) == 0)
        #expect(Self.conv2dBackwardMatches(Half.self, seed: 6, specials: true) == 0)
    }

    /// The same at sizes where the register-blocked tiles run full, 1 to 3 threads inside the
    /// pass (the bits must not depend on them).
    @Test func conv2dBackwardMatchesTheDocumentedOrderAtScale() {
        let saved = PassThreads.count
        defer { PassThreads.count = saved }
        for threads in [1, 3] {
            PassThreads.count = threads
            #expect(Self.conv2dBackwardMatches(Float.self, seed: 15, large: true) == 0, "f32, \(threads) threads")
            #expect(Self.conv2dBackwardMatches(Double.self, seed: 16, large: true) == 0, "f64, \(threads) threads")
            #expect(Self.conv2dBackwardMatches(Float.self, seed: 17, large: true, specials: true) == 0, "f32 specials, \(threads) threads")
        }
        #expect(Self.conv2dBackwardMatches(Half.self, seed: 18, large: true) == 0)
    }

    @Test func linearMatchesTheDocumentedOrder() throws {
        for mode in [Mode.separate, .fused, .wider] {
            #expect(try Self.linearMatches(Float.self, mode, seed: 1) == 0, "f32 \(mode)")
            #expect(try Self.linearMatches(Half.self, mode, seed: 2) == 0, "f16 \(mode)")
        }
    }

    /// linear backward (separate roundings) against naive loops in the documented orders:
    /// gx[s,i] over o increasing, gW[o,i] over s increasing, gb[o] over s increasing.
    static func linearBackwardMatches<S: FloatingScalar>(_: S.Type, seed: UInt64, large: Bool) -> Int {
        var g = SeededGenerator(seed: seed)
        var mismatches = 0
        for _ in 0..<(large ? 3 : 12) {
            let n = Int(g.next() % (large ? 40 : 4)) + 1, inF = Int(g.next() % (large ? 300 : 30)) + 1, outF = Int(g.next() % (large ? 90 : 12)) + 1
            var x = randomValues(S.self, n * inF, &g).map { S($0) }, w = randomValues(S.self, outF * inF, &g).map { S($0) }
            var gy = randomValues(S.self, n * outF, &g).map { S($0) }
            var gx = [S](repeating: .zero, count: x.count), gw = [S](repeating: .zero, count: w.count), gb = [S](repeating: .zero, count: outF)
            x.withUnsafeMutableBufferPointer { xb in w.withUnsafeMutableBufferPointer { wb in gy.withUnsafeMutableBufferPointer { gyb in
                gx.withUnsafeMutableBufferPointer { gxb in gw.withUnsafeMutableBufferPointer { gwb in gb.withUnsafeMutableBufferPointer { gbb in
                    _ = LinearKernels.backward(FixedArithmetic<S>(), .separate, x: xb.baseAddress!, w: wb.baseAddress!, gy: gyb.baseAddress!,
                                               gx: gxb.baseAddress!, gw: gwb.baseAddress!, gb: gbb.baseAddress!, n: n, inputs: inF, outputs: outF)
                } } }
            } } }
            for s in 0..<n {
                for i in 0..<inF {
                    var acc = S.zero
                    for o in 0..<outF { acc = acc + gy[s * outF + o] * w[o * inF + i] }
                    if acc.bitPattern != gx[s * inF + i].bitPattern { mismatches += 1 }
                }
            }
            for o in 0..<outF {
                var bias = S.zero
                for s in 0..<n { bias = bias + gy[s * outF + o] }
                if bias.bitPattern != gb[o].bitPattern { mismatches += 1 }
                for i in 0..<inF {
                    var acc = S.zero
                    for s in 0..<n { acc = acc + gy[s * outF + o] * x[s * inF + i] }
                    if acc.bitPattern != gw[o * inF + i].bitPattern { mismatches += 1 }
                }
            }
        }
        return mismatches
    }

    @Test func linearBackwardMatchesTheDocumentedOrder() {
        let saved = PassThreads.count
        defer { PassThreads.count = saved }
        for threads in [1, 3] {
            PassThreads.count = threads
            #expect(Self.linearBackwardMatches(Float.self, seed: 41, large: false) == 0, "f32, \(threads) threads")
            #expect(Self.linearBackwardMatches(Half.self, seed: 42, large: false) == 0, "f16, \(threads) threads")
            #expect(Self.linearBackwardMatches(Float.self, seed: 43, large: true) == 0, "f32 large, \(threads) threads")
            #expect(Self.linearBackwardMatches(Double.self, seed: 44, large: true) == 0, "f64 large, \(threads) threads")
        }
    }

    /// Sizes where the register-blocked tiles run full and over several k-blocks (linear: up to
    /// 300 inputs; conv2d: up to 20 channels per group × 9 taps), f32 and f64.
    @Test func linearAndConv2dMatchTheDocumentedOrderAtScale() throws {
        for mode in [Mode.separate, .fused] {
            #expect(try Self.linearMatches(Float.self, mode, seed: 31, large: true) == 0, "f32 \(mode)")
            #expect(try Self.linearMatches(Double.self, mode, seed: 32, large: true) == 0, "f64 \(mode)")
            #expect(try Self.conv2dMatches(Float.self, mode, seed: 33, large: true) == 0, "f32 \(mode)")
            #expect(try Self.conv2dMatches(Double.self, mode, seed: 34, large: true) == 0, "f64 \(mode)")
        }
    }

    @Test func conv2dMatchesTheDocumentedOrder() throws {
        for mode in [Mode.separate, .fused, .wider] {
            #expect(try Self.conv2dMatches(Float.self, mode, seed: 3) == 0, "f32 \(mode)")
            #expect(try Self.conv2dMatches(Half.self, mode, seed: 4) == 0, "f16 \(mode)")
        }
    }

    /// The order matters: summing the same products in reverse disagrees somewhere, so the
    /// tests above would catch a kernel that reordered its sums.
    @Test func orderIsObservableInHalf() {
        var g = SeededGenerator(seed: 9)
        var differ = 0
        for _ in 0..<200 {
            let terms = (0..<30).map { _ in (Half(g.uniform(-2, 2)), Half(g.uniform(-2, 2))) }
            let forward = Self.naiveSum(terms, bias: nil, .separate)
            let backward = Self.naiveSum(Array(terms.reversed()), bias: nil, .separate)
            if forward.bitPattern != backward.bitPattern { differ += 1 }
        }
        #expect(differ > 50)
    }

    @Test func widerAccumulatorNeedsANarrowStorage() {
        var graph = Graph()
        _ = try? graph.input("x", shape: [1, 1])
        #expect(throws: ExecutionError.self) {
            try Execution(graph: graph, arithmetic: FixedArithmetic<Double>(), feed: Feed(values: ["x": [1]]),
                          model: ArithmeticModel(accumulation: .widerAccumulator))
        }
    }
}
