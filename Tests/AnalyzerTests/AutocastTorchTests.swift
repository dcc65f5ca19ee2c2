import Foundation
import Testing
import Analyzer
import Precision

/// `amp-bf16` against torch itself: `Fixtures/autocast-bf16.json` (make_autocast_fixture.py,
/// torch 2.13.0+cpu, `torch.autocast("cpu", dtype=torch.bfloat16)`) holds a small CNN's f32
/// point, every node's output and the f32 gradients torch computes. bpcheck's replay of the same
/// network under `NodeRounding.autocast(_, low: .bfloat16)` gives the same bits for every
/// 16-bit tensor — outputs of conv, batch norm, relu, pooling and linear, the logits' gradient,
/// the gradients of the conv and linear weights and biases (rounded to bf16 through their
/// copies) — and the f32 ones (the loss, batch norm's weight gradient, summed in torch's own
/// order) within a few f32 ulps.
@Suite struct AutocastTorchTests {
    @Test func ampBF16ReplaysTorchsCPUAutocast() throws {
        let data = try Data(contentsOf: TestFiles.fixtures.appendingPathComponent("autocast-bf16.json"))
        let json = try #require(try JSONSerialization.jsonObject(with: data) as? [String: Any])
        func doubles(_ section: String, _ key: String) throws -> [Double] {
            try #require((json[section] as? [String: Any])?[key] as? [NSNumber]).map(\.doubleValue)
        }
        var g = Graph()
        let x = try g.input("x", shape: [4, 2, 6, 6])
        let w = try g.parameter("w", shape: [3, 2, 3, 3]), b = try g.parameter("b", shape: [3])
        let conv = try g.apply("conv", .conv2d(Conv2DAttributes(padding: [1, 1])), [x, w, b])
        let gamma = try g.parameter("gamma", shape: [3]), beta = try g.parameter("beta", shape: [3])
        let mean = try g.parameter("mean", shape: [3]), variance = try g.parameter("var", shape: [3])
        let bn = try g.apply("bn", .batchNorm(eps: Double(Float(1e-5)), training: false), [conv, gamma, beta, mean, variance])
        let relu = try g.apply("relu", .relu, [bn])
        let pool = try g.apply("pool", .maxPool2d(PoolAttributes(kernel: [2, 2], stride: [2, 2])), [relu])
        let flat = try g.apply("flat", .flatten, [pool])
        let fw = try g.parameter("fw", shape: [5, 27]), fb = try g.parameter("fb", shape: [5])
        let fc = try g.apply("fc", .linear(hasBias: true), [flat, fw, fb])
        let loss = try g.apply("loss", .crossEntropy(labels: "y"), [fc])
        var values: [String: [Double]] = [:]
        for name in ["x", "w", "b", "gamma", "beta", "mean", "var", "fw", "fb"] { values[name] = try doubles("inputs", name) }
        let labels = try #require(json["labels"] as? [Int])
        let a = FixedArithmetic<Float>()
        let run = try Execution(graph: g, arithmetic: a, feed: Feed(values: values, labels: ["y": labels]),
                                rounding: .autocast(g, low: .bfloat16))
        let grads = try run.backward(wrt: [w, b, fw, fb, fc, gamma])

        /// Distances in bf16 ulps of the larger magnitude (0 when equal).
        func ulps(_ u: [Double], _ v: [Double], p: Int = 8) -> [Double] {
            zip(u, v).map { s, t in
                if s == t { return 0 }
                let e = Swift.max(Int(Swift.max(abs(s), abs(t)).exponent), -126)
                return abs(s - t) / Double(sign: .plus, exponent: e - p + 1, significand: 1)
            }
        }
        #expect(run.value(conv).doubles(a) == (try doubles("outputs", "conv")))
        var report: [String] = []
        for (name, id) in [("bn", bn), ("relu", relu), ("pool", pool), ("fc", fc)] {
            let d = ulps(run.value(id).doubles(a), try doubles("outputs", name))
            report.append("\(name): \(d.filter { $0 > 0 }.count) of \(d.count) differ")
            #expect(d.allSatisfy { $0 == 0 }, "\(name): max \(d.max()!) ulps")
        }
        let lossDistance = ulps(run.value(loss).doubles(a), try doubles("outputs", "loss"), p: 24)[0]
        #expect(lossDistance <= 4, "loss \(lossDistance) f32 ulps")
        for (name, id, p) in [("fc", fc, 8), ("fw", fw, 8), ("fb", fb, 8), ("w", w, 8), ("b", b, 8), ("gamma", gamma, 24)] {
            let d = ulps(grads[id]!.doubles(a), try doubles("gradients", name), p: p)
            report.append("g_\(name): \(d.filter { $0 > 0 }.count) of \(d.count) differ, max \(d.max()!)")
            #expect(d.allSatisfy { $0 <= (p == 8 ? 0 : 16) }, "gradient \(name): max \(d.max()!) ulps")
        }
        report.append("loss: \(lossDistance) f32 ulps")
        print("AutocastTorchTests: " + report.joined(separator: "; "))
    }
}
