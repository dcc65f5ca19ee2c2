import BPCheck
import Foundation
import Testing

/// Master weights, Adam's documented order of operations at a 16-bit precision, and the
/// certified analysis along training.
@Suite struct MixedPrecisionTests {
    static let fixture = OptimizerTests.fixture

    static func fixtureRun(steps: Int, optimizer: Optimizer) throws -> TrainingRun {
        let model = try Model(contentsOf: fixture.appendingPathComponent("model.json"))
        let (x, y) = try DataFile.read(fixture.appendingPathComponent("data.npz").path)
        var run = TrainingRun(model: model, inputs: x, targets: y, batchSize: 4, steps: steps, optimizer: optimizer)
        run.shuffles = false  // step 1: samples 0..<4
        return run
    }

    /// g_P of samples 0..<4 at θ rounded to P (the engine, directly).
    static func gradient<A: ScalarArithmetic>(_ run: TrainingRun, _ a: A) throws -> [String: [Double]] {
        try OptimizerTests.gradient(run.model, run.inputs, run.targets, 4, a)
    }

    /// `--master-weights f32` at f16: the forward and backward at f16(θ₃₂), the update in f32 on
    /// the f32 master: θ₃₂ − f32(lr)·g₁₆, bit for bit, and the weights reported in f32.
    @Test func masterWeightsUpdateTheF32CopyWithTheF16Gradient() throws {
        var run = try Self.fixtureRun(steps: 1, optimizer: .sgd(SGDOptions(lr: 0.1)))
        run.precisions = [.f16]
        run.masterWeights = true
        let r = try run.run()[.f16]
        #expect(r.optimizerPrecision == .f32 && r.finalWeights.precision == .f32)
        let g = try Self.gradient(run, FixedArithmetic<Half>())
        for (key, t) in run.model.tensors {
            let expected = zip(t.doubles(), g[key]!).map { Float($0) - Float(0.1) * Float($1) }
            #expect(r.finalWeights.values[key]!.map { Float($0).bitPattern } == expected.map(\.bitPattern), "\(key)")
            // Not what f16 weights would give.
            #expect(expected.contains { Double($0) != Half(Double($0)).exactDouble }, "\(key): the f32 master keeps more bits")
        }
    }

    /// One Adam step with weight decay at bf16 against docs/training.md's order of operations,
    /// written out in `BFloat16` arithmetic.
    @Test func oneAdamStepAtBF16FollowsTheDocumentedOrderOfOperations() throws {
        let o = AdamOptions(lr: 0.01, beta1: 0.8, beta2: 0.99, eps: 1e-6, weightDecay: 0.01)
        var run = try Self.fixtureRun(steps: 1, optimizer: .adam(o))
        run.precisions = [.bf16]
        let r = try run.run()[.bf16]
        let g = try Self.gradient(run, FixedArithmetic<BFloat16>())
        typealias B = BFloat16
        let w1 = B(1 - o.beta1), beta2 = B(o.beta2), w2 = B(1 - o.beta2), wd = B(o.weightDecay), eps = B(o.eps)
        let stepSize = B(-(o.lr / (1 - o.beta1))), c2 = B((1 - o.beta2).squareRoot())
        for (key, t) in run.model.tensors {
            let expected: [UInt16] = zip(t.doubles(), g[key]!).map { th, gr in
                let theta = B(th), d = B(gr) + wd * theta
                let m = B(0) + w1 * (d - B(0))
                let v = beta2 * B(0) + (w2 * d) * d
                let s = B.sqrt(v) / c2 + eps
                return (theta + (stepSize * m) / s).bitPattern
            }
            #expect(r.finalWeights.values[key]!.map { B($0).bitPattern } == expected, "\(key)")
        }
    }

    /// `--certify-every 2` over 4 steps: two certified analyses per precision, every site class
    /// counted, no spurious site at f64 on random normal data.
    @Test func certifyEveryRunsTheCertifiedAnalysisAtThoseSteps() throws {
        var run = try Self.fixtureRun(steps: 4, optimizer: .sgd(SGDOptions(lr: 0.1, momentum: 0.9)))
        run.precisions = [.f16, .f64]
        run.certifyEvery = 2
        let result = try run.run()
        for p in run.precisions {
            let c = result[p].certifications
            #expect(c.map(\.step) == [2, 4], "\(p)")
            #expect(c.allSatisfy { Set($0.counts.keys) == Set(SiteClass.allCases.map(\.rawValue)) })
        }
        #expect(result[.f64].certifications.allSatisfy { $0.counts["spurious"] == 0 && $0.kinkCausedError == 0 })
    }
}
