import BPCheck
import Foundation
import Testing

/// The optimizers against closed forms (one SGD step is θ − lr·g_P, bit for bit, at every
/// precision) and against torch.optim itself (Fixtures/torch-optim, made by make_fixture.py).
@Suite struct OptimizerTests {
    static let here = URL(fileURLWithPath: #filePath).deletingLastPathComponent()
    static let fixture = here.appendingPathComponent("Fixtures/torch-optim")
    static let repository = here.deletingLastPathComponent().deletingLastPathComponent()
    static let digitsCNN = repository.appendingPathComponent("examples/digits-cnn/model.json")

    /// θ − lr·g in the scalar type `S`, every operation rounded to S: the independent oracle.
    static func sgdStep<S: FloatingScalar>(_ type: S.Type, theta: [Double], gradient: [Double], lr: Double) -> [UInt64] {
        zip(theta, gradient).map { t, g in UInt64((S(t) - S(lr) * S(g)).bitPattern) }
    }

    static func bits(_ p: PrecisionName, _ values: [Double]) -> [UInt64] {
        switch p {
        case .f16: values.map { UInt64(Half($0).bitPattern) }
        case .bf16: values.map { UInt64(BFloat16($0).bitPattern) }
        case .f32: values.map { UInt64(Float($0).bitPattern) }
        default: values.map { $0.bitPattern }
        }
    }

    /// g_P of the first `n` samples at P, straight from the engine.
    static func gradient<A: ScalarArithmetic>(_ model: Model, _ x: HostTensor, _ y: HostTensor, _ n: Int, _ a: A) throws -> [String: [Double]] {
        let built = try model.graph(batch: n)
        let e = try Execution(graph: built.graph, arithmetic: a, feed: model.feed(inputs: try x.samples(0..<n), targets: try y.samples(0..<n)))
        let keys = built.parameters.keys.sorted()
        let g = try e.backward(convention: .pytorch, wrt: keys.map { built.parameters[$0]! })
        var out: [String: [Double]] = [:]
        for k in keys { out[k] = g[built.parameters[k]!]!.doubles(a) }
        return out
    }

    @Test(arguments: PrecisionName.standard)
    func oneSGDStepIsThetaMinusLearningRateTimesGradientBitForBit(_ p: PrecisionName) throws {
        let model = try Model(contentsOf: Self.digitsCNN)
        let (x, y) = (model.inputs!, model.targets!)
        var run = TrainingRun(model: model, inputs: x, targets: y, batchSize: 16, steps: 1, optimizer: .sgd(SGDOptions(lr: 0.1)))
        run.precisions = [p]
        run.shuffles = false  // step 1 is samples 0..<16
        let trained = try run.run()[p]
        let g: [String: [Double]]
        switch p {
        case .f16: g = try Self.gradient(model, x, y, 16, FixedArithmetic<Half>())
        case .bf16: g = try Self.gradient(model, x, y, 16, FixedArithmetic<BFloat16>())
        case .f32: g = try Self.gradient(model, x, y, 16, FixedArithmetic<Float>())
        default: g = try Self.gradient(model, x, y, 16, FixedArithmetic<Double>())
        }
        for (key, t) in model.tensors {
            let theta = t.doubles(), grad = g[key]!
            let expected: [UInt64] = switch p {
            case .f16: Self.sgdStep(Half.self, theta: theta, gradient: grad, lr: 0.1)
            case .bf16: Self.sgdStep(BFloat16.self, theta: theta, gradient: grad, lr: 0.1)
            case .f32: Self.sgdStep(Float.self, theta: theta, gradient: grad, lr: 0.1)
            default: Self.sgdStep(Double.self, theta: theta, gradient: grad, lr: 0.1)
            }
            #expect(Self.bits(p, trained.finalWeights.values[key]!) == expected, "\(p) \(key)")
            #expect(grad.contains { $0 != 0 }, "\(key): a zero gradient would make the test vacuous")
        }
    }

    struct Expected: Decodable {
        struct Config: Decodable {
            let name: String
            let optimizer: String
            let options: [String: Double]
            let losses: [Double]
            let weights: [[String: [Double]]]
        }
        let seed: UInt64
        let batch_size: Int
        let steps: Int
        let batches: [[Int]]
        let configs: [Config]
    }

    static func optimizer(_ c: Expected.Config) -> Optimizer {
        let o = c.options
        if c.optimizer == "sgd" {
            return .sgd(SGDOptions(lr: o["lr"]!, momentum: o["momentum"] ?? 0, dampening: o["dampening"] ?? 0,
                                   nesterov: (o["nesterov"] ?? 0) != 0, weightDecay: o["weight_decay"] ?? 0))
        }
        return .adam(AdamOptions(lr: o["lr"]!, beta1: o["beta1"] ?? 0.9, beta2: o["beta2"] ?? 0.999, eps: o["eps"] ?? 1e-8, weightDecay: o["weight_decay"] ?? 0))
    }

    /// max |a − b| / max |b| over a tensor.
    static func relative(_ a: [Double], _ b: [Double]) -> Double {
        let scale = b.map(abs).max() ?? 0
        return zip(a, b).map { abs($0 - $1) }.max()! / scale
    }

    @Test func shuffleMatchesTheFixtureScriptsReimplementation() throws {
        let e = try JSONDecoder().decode(Expected.self, from: Data(contentsOf: Self.fixture.appendingPathComponent("expected.json")))
        let schedule = ShuffleSchedule(seed: e.seed, samples: 24, batchSize: e.batch_size)
        for (t, batch) in e.batches.enumerated() { #expect(schedule.batch(step: t + 1) == batch, "step \(t + 1)") }
    }

    /// The first 20 steps of SGD (momentum; Nesterov with weight decay; dampening) and Adam
    /// (default; betas, eps and weight decay; β₁ < ½ for lerp's other branch) agree with
    /// torch.optim in float64: every step's loss and the weights after every step, to 1e-12
    /// relative (max |Δ| / max |θ| per tensor).
    @Test func twentyStepsAgreeWithTorchOptimInFloat64() throws {
        let e = try JSONDecoder().decode(Expected.self, from: Data(contentsOf: Self.fixture.appendingPathComponent("expected.json")))
        let model = try Model(contentsOf: Self.fixture.appendingPathComponent("model.json"))
        let (x, y) = try DataFile.read(Self.fixture.appendingPathComponent("data.npz").path)
        var worst = 0.0
        for c in e.configs {
            for n in 1...e.steps {
                var run = TrainingRun(model: model, inputs: x, targets: y, batchSize: e.batch_size, steps: n, optimizer: Self.optimizer(c))
                run.precisions = [.f64]
                run.shuffleSeed = e.seed
                let r = try run.run()[.f64]
                for (key, expected) in c.weights[n - 1] {
                    let error = Self.relative(r.finalWeights.values[key]!, expected)
                    worst = max(worst, error)
                    #expect(error <= 1e-12, "\(c.name) step \(n) \(key): \(error)")
                }
                if n == e.steps {
                    for (t, loss) in c.losses.enumerated() {
                        let error = abs(r.steps[t].loss - loss) / abs(loss)
                        worst = max(worst, error)
                        #expect(error <= 1e-12, "\(c.name) loss of step \(t + 1): \(error)")
                    }
                }
            }
        }
        print("torch.optim agreement over \(e.configs.count) configurations × \(e.steps) steps: max relative error \(worst)")
    }
}
