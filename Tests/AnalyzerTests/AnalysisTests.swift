import AD
import Foundation
import Testing
import BPCheck

/// The analyzer on the worked example of analysis.md and on lenet5-init.
@Suite struct AnalysisTests {
    /// x = [a, c] → linear W = [[b, d], [½, ¼]] → relu → cross-entropy (label 0), inline f64.
    static func workedExample() throws -> Model {
        let a = 1 + 0x1p-20, b = 1 + 0x1p-20, c = 1 + 0x1p-19, d = -1.0
        let json = """
        {"format": "bpcheck-model", "version": 1, "name": "worked-example", "input_shape": [2],
         "tensors": {"w": {"shape": [2, 2], "dtype": "f64", "data": [\(b), \(d), 0.5, 0.25]}},
         "graph": [{"name": "fc", "op": "linear", "weight": "w"}, {"name": "relu", "op": "relu"}],
         "loss": {"op": "cross_entropy"},
         "data": {"inputs": {"shape": [1, 2], "dtype": "f64", "data": [\(a), \(c)]},
                  "targets": {"shape": [1], "dtype": "i64", "data": [0]}}}
        """
        return try Model(json: Array(json.utf8), file: "worked-example.json", directory: URL(fileURLWithPath: "/"))
    }

    @Test func workedExampleSitesAtEveryPrecision() throws {
        let result = try Analysis(model: try Self.workedExample()).run()
        // Site 0 is a·b + c·d; site 1 (a/2 + c/4) is far from its kink.
        let f32 = result[.f32]
        #expect(f32.sites(.spurious).map(\.index) == [0])
        #expect(f32.classifiedSites.count == 1)
        #expect(f32.sites(.spurious).first?.valueAtP == "0.0")
        #expect(f32.sites(.spurious).first?.certifiedValue == "9.094947017729282379150390625e-13")
        #expect(f32.flagged)
        // The whole error is caused by the kink: the dead ReLU loses row 0's gradient.
        let kink = try #require(f32.error.kink), total = try #require(f32.error.total), rounding = try #require(f32.error.rounding)
        #expect(abs(kink / total - 1) < 1e-6 && rounding < 1e-6, "kink \(kink), total \(total), rounding \(rounding)")
        #expect(kink > 0.5)
        // The one spurious site carries the whole kink-caused error.
        let share = try #require(f32.sites(.spurious).first?.errorShare)
        #expect(abs(share - kink) <= 1e-12 * kink, "share \(share), kink \(kink)")
        #expect(f32.bifurcation.changed && !f32.referenceBifurcation.changed)
        let f64 = result[.f64]
        #expect(f64.classifiedSites.isEmpty)
        #expect(!f64.flagged && !f64.bifurcation.changed)
        for p in [PrecisionName.f16, .bf16] {
            // Rounded to 16 bits, a, b, c become 1 and d is −1: an exact zero, a genuine kink.
            #expect(result[p].sites(.genuine).map(\.index) == [0], "\(p)")
            #expect(result[p].counts[.spurious] == nil, "\(p)")
            #expect(result[p].referenceBifurcation.changed, "\(p): g_R ≠ g_R′ at a genuine kink")
        }
    }

    /// g_P − g_R = (g_P − g_P|R) + (g_P|R − g_R): the norms obey the triangle inequality both
    /// ways, and the parts are those of the whole.
    @Test func decompositionAddsUp() throws {
        let result = try Analysis(model: try Self.workedExample(), precisions: [.f32, .f16, .f64]).run()
        for p in result.precisions {
            let e = result[p].error
            #expect(e.absoluteTotal <= e.absoluteKink + e.absoluteRounding + 1e-15)
            #expect(e.absoluteKink <= e.absoluteTotal + e.absoluteRounding + 1e-15)
            let perTensor = result[p].perTensor.values
            let sum = perTensor.reduce(0) { $0 + $1.absoluteTotal * $1.absoluteTotal }.squareRoot()
            #expect(abs(sum - e.absoluteTotal) <= 1e-12 * max(1, e.absoluteTotal))
            // As vectors: (g_P − g_P|R) + (g_P|R − g_R) = g_P − g_R, within R's rounding to Double.
            for (name, g) in result[p].gradients {
                for k in g.p.indices {
                    let parts = (g.p[k] - g.aligned[k]) + (g.aligned[k] - g.r[k])
                    #expect(abs(parts - (g.p[k] - g.r[k])) <= 4 * Double.ulpOfOne * max(abs(g.p[k]), abs(g.r[k]), abs(g.aligned[k])), "\(p) \(name)[\(k)]")
                }
                #expect(result[p].perTensor[name]!.absoluteKink == zip(g.p, g.aligned).map { ($0 - $1) * ($0 - $1) }.reduce(0, +).squareRoot())
            }
        }
    }

    /// lenet5-init: zero biases on zero borders put ReLU and max-pool on their kinks by
    /// structure; those sites are genuine at every precision, and the conventions disagree over
    /// ℝ — in the first conv's bias gradient.
    @Test func lenetInitHasGenuineKinksByStructure() throws {
        var model = try Model(contentsOf: TestFiles.examples.appendingPathComponent("lenet5-init/model.json"))
        model.inputs = try model.inputs!.samples(0..<2)
        model.targets = try model.targets!.samples(0..<2)
        let result = try Analysis(model: model).run()
        for p in result.precisions {
            let r = result[p]
            #expect((r.counts[.genuine] ?? 0) > 1000, "\(p): \(r.counts)")
            #expect(r.perLayer["relu1"]?[.genuine] ?? 0 > 0 && r.perLayer["pool1"]?[.genuine] ?? 0 > 0, "\(p)")
            #expect(r.referenceBifurcation.changed, "\(p)")
            #expect(r.counts[.undecided] == nil, "\(p)")
        }
        // Where does g_R differ from g_R′? In conv1.bias (ReLU'(0) multiplies whole zero windows).
        let r = result[.f32]
        #expect((r.referenceBifurcationPerTensor["conv1.bias"] ?? 0) > 0, "\(r.referenceBifurcationPerTensor)")
    }
}
