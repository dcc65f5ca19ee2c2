import Foundation
import Testing
import AD
import TestSupport

/// PyTorch autocast's per-node roundings in the engine (`NodeRounding.autocast`), on binary32
/// arithmetic: a bf16 convolution's output equals the naive loop that casts x, W and b to
/// bf16, accumulates in f32 in the documented order and rounds once to bf16, bit for bit (and
/// equals the bf16 engine's wider-accumulator convolution on the cast operands); every node of a
/// graph using every op is stored as docs/precisions.md's op table says, seen in the values the
/// engine computes; the backward of a linear rounds its weight gradient to the 16-bit copy.
@Suite struct AutocastRoundingTests {
    static func bf(_ v: Double) -> Float { BFloat16(Float(v)).float }

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
        let bf = Self.bf
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
        // Second oracle: the bf16 engine with the wider (f32) accumulator on the cast operands.
        let cast = { (v: [Double]) in v.map { Double(bf($0)) } }
        let wide = try Execution(graph: graph, arithmetic: FixedArithmetic<BFloat16>(), feed: Feed(values: ["x": cast(x), "w": cast(w), "b": cast(b)]),
                                 model: ArithmeticModel(accumulation: .widerAccumulator))
        #expect(wide.value(y).doubles(FixedArithmetic<BFloat16>()) == out.doubles(FixedArithmetic<Float>()))
    }

    /// A graph using every primitive; `expected[name]` is each node's storage under autocast by
    /// docs/precisions.md's table: "16-bit" → low, "f32" → f32, "inputs" → the data operands'
    /// common dtype (batchnorm: operand 0), f32 when they differ.
    static func everyOpGraph() throws -> (Graph, [String: [Double]], [String: [Int]]) {
        var g = Graph()
        let x = try g.input("x", shape: [2, 2, 4, 4])
        let w = try g.parameter("w", shape: [3, 2, 3, 3]), b = try g.parameter("b", shape: [3])
        let conv = try g.apply("conv", .conv2d(Conv2DAttributes(padding: [1, 1])), [x, w, b])
        let gamma = try g.parameter("gamma", shape: [3]), beta = try g.parameter("beta", shape: [3])
        let mean = try g.parameter("mean", shape: [3]), variance = try g.parameter("var", shape: [3])
        let bn = try g.apply("bn", .batchNorm(eps: 1e-5, training: false), [conv, gamma, beta, mean, variance])
        let slope = try g.parameter("slope", shape: [3])
        let prelu = try g.apply("prelu", .prelu, [bn, slope])
        let relu = try g.apply("relu", .relu, [prelu])
        let leaky = try g.apply("leaky", .leakyReLU(slope: 0.01), [relu])
        let relu6 = try g.apply("relu6", .relu6, [bn])
        let ht = try g.apply("hardtanh", .hardtanh(min: -1, max: 1), [bn])
        let ab = try g.apply("abs", .abs, [ht])
        let elu = try g.apply("elu", .elu(alpha: 1.0), [bn])
        let clip = try g.apply("clip", .clip(min: -0.5, max: 0.5), [elu])
        let mx = try g.apply("maximum", .maximum, [leaky, relu6])
        let mn = try g.apply("minimum", .minimum, [ab, clip])
        let tanh = try g.apply("tanh", .tanh, [mx]), sig = try g.apply("sigmoid", .sigmoid, [mn])
        let gelu = try g.apply("gelu", .gelu(approximate: false), [tanh]), ss = try g.apply("softsign", .softsign, [sig])
        let sp = try g.apply("softplus", .softplus, [gelu])  // f32
        let add16 = try g.apply("add16", .add, [gelu, ss])  // 16-bit + 16-bit
        let mixed = try g.apply("mixed", .mul, [add16, sp])  // 16-bit × f32 → f32
        let sub = try g.apply("sub", .sub, [add16, ss]), div = try g.apply("div", .div, [mixed, sp])
        let cat = try g.apply("concat", .concat, [sub, div])  // 16-bit with f32 → f32
        let cat16 = try g.apply("concat16", .concat, [sub, add16])
        let pad = try g.apply("pad", .pad([1, 1, 1, 1]), [cat16])
        let mp = try g.apply("maxpool", .maxPool2d(PoolAttributes(kernel: [2, 2], stride: [2, 2])), [pad])
        let ap = try g.apply("avgpool", .avgPool2d(PoolAttributes(kernel: [2, 2], stride: [2, 2])), [cat])
        let id = try g.apply("identity", .identity, [mp])
        let f1 = try g.apply("flatten", .flatten, [id]), f2 = try g.apply("flatten32", .flatten, [ap])
        let fw = try g.parameter("fw", shape: [3, 54]), fb = try g.parameter("fb", shape: [3])
        let fc = try g.apply("fc", .linear(hasBias: true), [f1, fw, fb])
        let fw2 = try g.parameter("fw2", shape: [3, 24])
        let fc2 = try g.apply("fc2", .linear(hasBias: false), [f2, fw2])  // f32 activation cast to 16 bits
        let logits = try g.apply("logits", .add, [fc, fc2])
        let t = try g.input("t", shape: [2, 3])
        let mse = try g.apply("mse", .mse, [fc2, t])
        let ce = try g.apply("ce", .crossEntropy(labels: "y"), [logits])
        _ = try g.apply("loss", .add, [ce, mse])
        var rng = SeededGenerator(seed: 0xA11)
        var values: [String: [Double]] = [:]
        for node in g.nodes where node.op.isLeaf && node.name != "var" {
            values[node.name] = (0..<node.shape.reduce(1, *)).map { _ in Double(Float(rng.uniform(-1, 1))) }
        }
        values["var"] = (0..<3).map { _ in Double(Float(rng.uniform(0.5, 2))) }
        return (g, values, ["y": [0, 2]])
    }

    /// Whether every value is exactly a value of `f`.
    static func representable(_ v: [Double], in f: FormatInfo) -> Bool {
        v.allSatisfy { !$0.isFinite || roundDoubleToGrid($0, p: f.significandBits, emin: f.minExponent) == $0 }
    }

    @Test(arguments: [FormatInfo.bfloat16, .binary16])
    func everyOpIsStoredAsTheDocsTableSays(low: FormatInfo) throws {
        let (graph, values, labels) = try Self.everyOpGraph()
        let used = Set(graph.nodes.compactMap { $0.op.primitive.map { type(of: $0).name } })
        #expect(used == Set(AutocastClass.table.keys), "ops not used: \(Set(AutocastClass.table.keys).subtracting(used))")
        let documented = try AutocastTableTests.documentedTable()
        // The storage each node must have, from the docs' classes alone.
        var expected: [FormatInfo] = []
        for node in graph.nodes {
            guard let name = node.op.primitive.map({ type(of: $0).name }) else { expected.append(.binary32); continue }
            switch try #require(documented[name]) {
            case "16-bit": expected.append(low)
            case "f32": expected.append(.binary32)
            default:
                let data = (name == "batchnorm" ? Array(node.inputs.prefix(1)) : node.inputs).map { expected[$0] }
                expected.append(data.allSatisfy { $0 == data[0] } ? data[0] : .binary32)
            }
        }
        let rounding = NodeRounding.autocast(graph, low: low)
        #expect(rounding.storage == expected)
        // Seen in the computation: a node stored in `low` holds only `low` values; one stored in
        // f32 holds some that `low` cannot (else the test could not tell the two apart).
        let a = FixedArithmetic<Float>()
        let run = try Execution(graph: graph, arithmetic: a, feed: Feed(values: values, labels: labels), rounding: rounding)
        var seenF32 = 0
        for node in graph.nodes where !node.op.isLeaf {
            let v = run.value(node.id).doubles(a)
            if expected[node.id] == low {
                #expect(Self.representable(v, in: low), "\(node.name) should hold \(low) values")
            } else if !Self.representable(v, in: low) {
                seenF32 += 1
            } else {
                #expect(v.count == 1 || Set(v).count <= 2, "\(node.name) is f32 but its values are all \(low) values")
            }
        }
        #expect(seenF32 >= 8)
        // Backward: every gradient contribution into a 16-bit tensor is 16-bit, and the weights'
        // gradients (from 16-bit copies) are 16-bit values too.
        let params = graph.nodes.filter { $0.op == .parameter }.map(\.id)
        let grads = try run.backward(wrt: params + graph.nodes.filter { !$0.op.isLeaf }.map(\.id))
        for node in graph.nodes where expected[node.id] == low || ["w", "b", "fw", "fb", "fw2"].contains(node.name) {
            guard let gr = grads[node.id] else { continue }
            #expect(Self.representable(gr.doubles(a), in: low), "gradient of \(node.name) should be \(low)")
        }
    }

    /// The weight gradient of a 16-bit linear: the bf16 copy's gradient Σₛ gy[s,o]·x[s,i] with
    /// gy the bf16 gradient of the logits (cross-entropy's f32 backward rounded to the logits'
    /// dtype), accumulated in f32 and rounded once to bf16 — against a naive loop.
    @Test func linearWeightGradientIsTheBF16CopysGradient() throws {
        var rng = SeededGenerator(seed: 0xB0B)
        let (n, i, o) = (4, 5, 3)
        var graph = Graph()
        let x = try graph.input("x", shape: [n, i]), w = try graph.parameter("w", shape: [o, i])
        let fc = try graph.apply("fc", .linear(hasBias: false), [x, w])
        _ = try graph.apply("loss", .crossEntropy(labels: "y"), [fc])
        let xv = (0..<(n * i)).map { _ in Double(Float(rng.uniform(-2, 2))) }, wv = (0..<(o * i)).map { _ in Double(Float(rng.uniform(-1, 1))) }
        let labels = ["y": [0, 1, 2, 1]]
        let a = FixedArithmetic<Float>()
        let run = try Execution(graph: graph, arithmetic: a, feed: Feed(values: ["x": xv, "w": wv], labels: labels),
                                rounding: .autocast(graph, low: .bfloat16))
        let gw = try run.backward(wrt: [w, fc])
        // Oracle: the f32 engine's cross-entropy gradient at the same bf16 logits, rounded to bf16.
        var plain = Graph()
        let z = try plain.parameter("z", shape: [n, o])
        _ = try plain.apply("loss", .crossEntropy(labels: "y"), [z])
        let logits = run.value(fc).doubles(a)
        let gz = try Execution(graph: plain, arithmetic: a, feed: Feed(values: ["z": logits], labels: labels)).backward(wrt: [z])[z]!.doubles(a)
        let gy = gz.map { Double(Self.bf($0)) }
        #expect(gw[fc]!.doubles(a) == gy)
        var mismatches = 0
        for oo in 0..<o {
            for ii in 0..<i {
                var acc: Float = 0
                for s in 0..<n { acc += Float(gy[s * o + oo]) * Self.bf(xv[s * i + ii]) }
                if Double(BFloat16(acc).float) != gw[w]!.doubles(a)[oo * i + ii] { mismatches += 1 }
            }
        }
        #expect(mismatches == 0)
    }
}
