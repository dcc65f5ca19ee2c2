import Testing
import AD
import TestSupport

/// PyTorch autocast's per-node roundings in the engine (`NodeRounding.autocast`), on binary32
/// arithmetic: a bf16 convolution's output equals the naive loop that casts x, W and b to
/// bf16, accumulates in f32 in the documented order and rounds once to bf16, bit for bit; and
/// each node's storage format on a graph that uses every kind of op follows the op table.
@Suite struct AutocastRoundingTests {
    @Test func bf16ConvolutionAccumulatesInF32AndRoundsOnce() throws {
        var g = SeededGenerator(seed: 0xA3B)
        let (n, c, h, wd, o, k) = (2, 3, 6, 5, 4, 3)
        // f32 values with more bits than bf16 holds, so the casts matter.
        let x = (0..<(n * c * h * wd)).map { _ in Double(Float(g.uniform(-2, 2))) }
        let w = (0..<(o * c * k * k)).map { _ in Double(Float(g.uniform(-1, 1))) }
        let b = (0..<o).map { _ in Double(Float(g.uniform(-1, 1))) }
        var graph = Graph()
        let xi = try graph.input("x", shape: [n, c, h, wd])
        let wi = try graph.parameter("w", shape: [o, c, k, k]), bi = try graph.parameter("b", shape: [o])
        let attributes = Conv2DAttributes(stride: [1, 1], padding: [0, 0], dilation: [1, 1], groups: 1)
        let y = try graph.apply("conv", .conv2d(attributes), [xi, wi, bi])
        let run = try Execution(graph: graph, arithmetic: FixedArithmetic<Float>(), feed: Feed(values: ["x": x, "w": w, "b": b]),
                                rounding: .autocast(graph, low: .bfloat16))
        let out = run.value(y)
        let (oh, ow) = (h - k + 1, wd - k + 1)
        func bf(_ v: Double) -> Float { BFloat16(Float(v)).float }
        var mismatches = 0, changedByCasts = 0
        for s in 0..<n {
            for oc in 0..<o {
                for oy in 0..<oh {
                    for ox in 0..<ow {
                        var acc: Float = 0, plain: Float = 0
                        for cl in 0..<c {
                            for i in 0..<k {
                                for j in 0..<k {
                                    let xv = x[((s * c + cl) * h + oy + i) * wd + ox + j], wv = w[((oc * c + cl) * k + i) * k + j]
                                    acc += bf(xv) * bf(wv)  // exact product in f32, f32 sum
                                    plain += Float(xv) * Float(wv)
                                }
                            }
                        }
                        let expected = BFloat16(acc + bf(b[oc])).float
                        let got = out.slots[((s * o + oc) * oh + oy) * ow + ox]
                        if got.bitPattern != expected.bitPattern { mismatches += 1 }
                        if BFloat16(plain + Float(b[oc])).float != expected { changedByCasts += 1 }
                    }
                }
            }
        }
        #expect(mismatches == 0, "\(mismatches) of \(n * o * oh * ow) outputs differ from the naive loop")
        #expect(changedByCasts > 0)  // the input casts are observable, so the test would see them missing
    }

    @Test func storageFormatsFollowTheOpTable() throws {
        var graph = Graph()
        let x = try graph.input("x", shape: [2, 1, 4, 4])
        let w = try graph.parameter("w", shape: [2, 1, 3, 3]), b = try graph.parameter("b", shape: [2])
        let conv = try graph.apply("conv", .conv2d(Conv2DAttributes(stride: [1, 1], padding: [1, 1], dilation: [1, 1], groups: 1)), [x, w, b])
        let gamma = try graph.parameter("gamma", shape: [2]), beta = try graph.parameter("beta", shape: [2])
        let mean = try graph.parameter("mean", shape: [2]), variance = try graph.parameter("var", shape: [2])
        let bn = try graph.apply("bn", .batchNorm(eps: 1e-5, training: false), [conv, gamma, beta, mean, variance])
        let relu = try graph.apply("relu", .relu, [bn])
        let pool = try graph.apply("pool", .maxPool2d(PoolAttributes(kernel: [2, 2], stride: [2, 2], padding: [0, 0])), [relu])
        let flat = try graph.apply("flat", .flatten, [pool])
        let fw = try graph.parameter("fw", shape: [3, 8]), fb = try graph.parameter("fb", shape: [3])
        let fc = try graph.apply("fc", .linear(hasBias: true), [flat, fw, fb])
        let sp = try graph.apply("sp", .softplus, [fc])
        let mixed = try graph.apply("mixed", .add, [fc, sp])  // 16-bit + f32 → f32
        let twice = try graph.apply("twice", .add, [fc, fc])  // 16-bit + 16-bit → 16-bit
        let sum = try graph.apply("sum", .add, [mixed, twice])
        try graph.apply("loss", .crossEntropy(labels: "y"), [sum])
        let r = NodeRounding.autocast(graph, low: .binary16)
        let half = FormatInfo.binary16
        for leaf in [x, w, b, gamma, beta, mean, variance, fw, fb] { #expect(r.output[leaf] == nil) }
        #expect(r.output[conv] == half && r.operands[conv] == [half, half, half])
        #expect(r.output[bn] == half && r.operands[bn] == [nil, nil, nil, nil, nil])  // f32 statistics do not promote it
        #expect(r.output[relu] == half && r.output[pool] == half && r.output[flat] == half)
        #expect(r.output[fc] == half && r.operands[fc] == [nil, half, half])  // the activation is already 16-bit
        #expect(r.output[sp] == nil && r.output[mixed] == nil && r.output[twice] == half && r.output[sum] == nil)
        #expect(r.output.last! == nil)  // the loss in f32
        // The gradient into fc from softplus (f32 op, received the 16-bit tensor) is rounded to 16 bits.
        #expect(r.gradientFormat(node: sp, operand: 0, producer: fc) == half)
        #expect(r.gradientFormat(node: fc, operand: 1, producer: fw) == half)  // the weight copy's gradient
    }
}
