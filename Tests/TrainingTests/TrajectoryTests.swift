import BPCheck
import Foundation
import Testing

/// The trajectories: bit-identical where no kink is hit, parting where one is, and NaN and
/// overflow located.
@Suite struct TrajectoryTests {
    static let fixture = OptimizerTests.fixture

    /// A 16-6-3 ReLU MLP on the fixture's 24 random normal samples (flattened), with seeded
    /// weights: no ReLU input is exactly 0 at f64, so no site is on a kink.
    static func mlp() throws -> (Model, HostTensor, HostTensor) {
        let (x, y) = try DataFile.read(fixture.appendingPathComponent("data.npz").path)
        let random = TrainingRandom(seed: 5, stream: 0)
        func uniform(_ n: Int, _ offset: Int, _ bound: Double) -> [Double] { (0..<n).map { bound * (2 * random.uniform(UInt64(offset + $0)) - 1) } }
        let model = try Model(file: "mlp.json", name: "mlp", inputShape: [16], nodes: [
            ModelNode(name: "fc1", op: .linear(hasBias: true), inputs: ["input"], parameters: [("weight", "fc1.weight"), ("bias", "fc1.bias")]),
            ModelNode(name: "relu", op: .relu, inputs: ["fc1"], parameters: []),
            ModelNode(name: "fc2", op: .linear(hasBias: true), inputs: ["relu"], parameters: [("weight", "fc2.weight"), ("bias", "fc2.bias")]),
        ], loss: .crossEntropy, tensors: [
            "fc1.weight": try HostTensor(dtype: .f64, shape: [6, 16], values: uniform(96, 0, 0.25)),
            "fc1.bias": try HostTensor(dtype: .f64, shape: [6], values: uniform(6, 100, 0.25)),
            "fc2.weight": try HostTensor(dtype: .f64, shape: [3, 6], values: uniform(18, 200, 0.4)),
            "fc2.bias": try HostTensor(dtype: .f64, shape: [3], values: uniform(3, 300, 0.4)),
        ])
        return (model, try HostTensor(dtype: x.dtype, shape: [24, 16], bytes: x.bytes), y)
    }

    /// At f64 on a network with no genuine kinks (the MLP above: no ReLU input is ever 0), the C
    /// and C′ trajectories are bit-identical at every one of 60 steps: the same loss bits,
    /// g_P = g_P′, no kink hit, the same weights after every update — with SGD + momentum and
    /// with Adam.
    @Test(arguments: [Optimizer.sgd(SGDOptions(lr: 0.1, momentum: 0.9)), .adam(AdamOptions(lr: 0.01))])
    func f64TrajectoriesAreBitIdenticalWithoutGenuineKinks(_ optimizer: Optimizer) throws {
        let (model, x, y) = try Self.mlp()
        var run = TrainingRun(model: model, inputs: x, targets: y, batchSize: 4, steps: 60, optimizer: optimizer)
        run.precisions = [.f64]
        let r = try run.run()[.f64]
        #expect(r.steps.count == 60)
        for s in r.steps {
            #expect(s.identical && s.divergence == 0 && !s.bifurcation, "step \(s.step)")
            #expect(s.loss.bitPattern == s.lossAlternative.bitPattern, "step \(s.step)")
            #expect(s.kinkHits == 0 && s.kinkHitsAlternative == 0, "step \(s.step): \(s.kinkHits) kink hits")
        }
        #expect(r.identicalThroughout && r.firstBifurcation == nil && r.firstParting == nil)
        #expect(r.steps.allSatisfy { $0.bifurcationLayers.isEmpty })
        for (k, v) in r.finalWeights.values {
            #expect(v.map(\.bitPattern) == r.finalWeightsAlternative.values[k]!.map(\.bitPattern), "\(k)")
        }
    }

    /// The fixture CNN (ReLU then max-pool) at f64: windows whose four ReLU outputs are all 0 are
    /// genuine ties (kink hits), but C′'s last-maximum routes the gradient to another zero whose
    /// ReLU input is negative, so it is killed either way: still bit-identical at every step.
    @Test func f64TrajectoriesStayIdenticalThroughHarmlessTiesAmongZeros() throws {
        let model = try Model(contentsOf: Self.fixture.appendingPathComponent("model.json"))
        let (x, y) = try DataFile.read(Self.fixture.appendingPathComponent("data.npz").path)
        var run = TrainingRun(model: model, inputs: x, targets: y, batchSize: 4, steps: 60,
                              optimizer: .sgd(SGDOptions(lr: 0.1, momentum: 0.9)))
        run.precisions = [.f64]
        let r = try run.run()[.f64]
        #expect(r.steps.contains { $0.kinkHits > 0 }, "the test needs tied windows")
        #expect(r.identicalThroughout && r.firstBifurcation == nil)
        #expect(r.steps.allSatisfy { $0.loss.bitPattern == $0.lossAlternative.bitPattern })
    }

    /// At f16 on examples/digits-cnn from `--reinit 1`, the trajectories part within the first
    /// steps (step 1 here), while the same run at f64 is far closer.
    @Test func f16TrajectoriesOnDigitsCNNPartWithinTheFirstSteps() throws {
        let model = try Model(contentsOf: OptimizerTests.digitsCNN)
        let (x, y) = try DataFile.read(OptimizerTests.repository.appendingPathComponent("examples/digits-cnn/dataset.npz").path)
        var run = TrainingRun(model: model, initialTensors: try Initialization.pytorchDefault(model, seed: 1), inputs: x, targets: y,
                              batchSize: 32, steps: 10, optimizer: .sgd(SGDOptions(lr: 0.1, momentum: 0.9)))
        run.precisions = [.f16, .f64]
        run.threads = 2
        let result = try run.run()
        let f16 = result[.f16], f64 = result[.f64]
        #expect(f16.firstBifurcation == 1)
        // Where the conventions changed the gradient: nonsmooth layers of the network, named.
        #expect(!f16.firstBifurcationLayers.isEmpty && Set(f16.firstBifurcationLayers).isSubset(of: ["relu1", "pool1", "relu2", "pool2"]),
                "\(f16.firstBifurcationLayers)")
        #expect(f16.steps.allSatisfy { $0.bifurcation == !$0.bifurcationLayers.isEmpty })
        #expect((f16.firstParting ?? 99) <= 3, "\(f16.firstParting.map(String.init) ?? "never")")
        #expect(f16.steps.last!.divergence > 1e3 * max(f64.steps.last!.divergence, 1e-300))
    }

    /// The same run with 1 and 2 threads gives the same bits.
    @Test func resultsDoNotDependOnThreads() throws {
        let model = try Model(contentsOf: Self.fixture.appendingPathComponent("model.json"))
        let (x, y) = try DataFile.read(Self.fixture.appendingPathComponent("data.npz").path)
        var run = TrainingRun(model: model, inputs: x, targets: y, batchSize: 4, steps: 8, optimizer: .adam(AdamOptions(lr: 0.01)))
        let one = try run.run()
        run.threads = 2
        let two = try run.run()
        for (a, b) in zip(one.results, two.results) {
            #expect(a.steps == b.steps)
            #expect(a.finalWeights == b.finalWeights && a.finalWeightsAlternative == b.finalWeightsAlternative)
        }
    }

    /// A one-weight regression: fc(x) = w·x + b with MSE against 0.
    static func line(weight: Double, input: Double) throws -> (Model, HostTensor, HostTensor) {
        let model = try Model(file: "line.json", name: "line", inputShape: [1],
                              nodes: [ModelNode(name: "fc", op: .linear(hasBias: true), inputs: ["input"], parameters: [("weight", "fc.weight"), ("bias", "fc.bias")])],
                              loss: .mse, tensors: ["fc.weight": try HostTensor(dtype: .f32, shape: [1, 1], values: [weight]),
                                                    "fc.bias": try HostTensor(dtype: .f32, shape: [1], values: [0])])
        return (model, try HostTensor(dtype: .f32, shape: [1, 1], values: [input]), try HostTensor(dtype: .f32, shape: [1, 1], values: [0]))
    }

    /// SGD with lr = 1.5·10⁻⁴ on w·100 against 0 doubles |w| each step (w ← w − lr·2·10⁴·w):
    /// the loss 10⁴·w² is 10⁴, 4·10⁴, then 1.6·10⁵ > 65504 — f16's first overflow is in step 3's
    /// forward pass, at the loss node, on both trajectories; bf16 and f32 have none.
    @Test func anF16OverflowInTrainingIsLocatedByStepNodeAndPass() throws {
        let (model, x, y) = try Self.line(weight: 1, input: 100)
        var run = TrainingRun(model: model, inputs: x, targets: y, batchSize: 1, steps: 3, optimizer: .sgd(SGDOptions(lr: 1.5e-4)))
        run.precisions = [.f16, .bf16, .f32]
        let result = try run.run()
        let first = try #require(result[.f16].firstNonFinite)
        #expect(first.kind == "overflow" && first.step == 3 && first.node == "loss" && first.pass == "forward", "\(first)")
        #expect(result[.f16].firstEvents.contains { $0.trajectory == "C′" && $0.step == 3 && $0.node == "loss" })
        #expect(result[.f16].steps[0].events.overflow == 0 && result[.f16].steps[1].events.overflow == 0)
        #expect(result[.bf16].firstNonFinite == nil && result[.f32].firstNonFinite == nil)
    }

    /// x = 10⁴, w = 5·10⁻⁴: the forward pass is small (ŷ = 5, loss 25), but ∂L/∂w = 2·ŷ·x = 10⁵
    /// overflows f16 — in the backward pass of node fc, at step 1.
    @Test func anF16OverflowInBackwardIsLocatedAsBackward() throws {
        let (model, x, y) = try Self.line(weight: 5e-4, input: 1e4)
        var run = TrainingRun(model: model, inputs: x, targets: y, batchSize: 1, steps: 2, optimizer: .sgd(SGDOptions(lr: 1e-3)))
        run.precisions = [.f16, .f32]
        let result = try run.run()
        let first = try #require(result[.f16].firstNonFinite)
        #expect(first.kind == "overflow" && first.step == 1 && first.node == "fc" && first.pass == "backward", "\(first)")
        #expect(result[.f16].firstEvents.contains { $0.kind == "nan" }, "∞ in the weights makes NaN later")
        #expect(result[.f32].firstNonFinite == nil)
    }

    /// `--reinit`: PyTorch's bounds 1/√fan_in, deterministic, every value in range, biases too,
    /// and a different seed gives different weights.
    @Test func reinitDrawsPyTorchsDefaultBoundsDeterministically() throws {
        let model = try Model(contentsOf: OptimizerTests.digitsCNN)
        let a = try Initialization.pytorchDefault(model, seed: 1), b = try Initialization.pytorchDefault(model, seed: 1)
        let c = try Initialization.pytorchDefault(model, seed: 2)
        #expect(a == b && a != c)
        for (key, fanIn) in [("conv1", 9), ("conv2", 72), ("fc", 64)] {
            let bound = 1 / Double(fanIn).squareRoot()
            for role in ["weight", "bias"] {
                let v = a["\(key).\(role)"]!.doubles()
                #expect(v.allSatisfy { abs($0) <= bound }, "\(key).\(role)")
                #expect(v.map(abs).max()! > 0.8 * bound, "\(key).\(role) fills its range")
                #expect(a["\(key).\(role)"]!.shape == model.tensors["\(key).\(role)"]!.shape)
            }
        }
    }

    @Test func invalidOptionsAreErrorsNamingTheOption() throws {
        let model = try Model(contentsOf: Self.fixture.appendingPathComponent("model.json"))
        let (x, y) = try DataFile.read(Self.fixture.appendingPathComponent("data.npz").path)
        var run = TrainingRun(model: model, inputs: x, targets: y, batchSize: 4, steps: 1, optimizer: .adam(AdamOptions(beta1: 1)))
        #expect(throws: TrainingOptionError.self) { try run.run() }
        run.optimizer = .sgd(SGDOptions(lr: 0.1, nesterov: true))
        #expect(throws: TrainingOptionError(message: "--nesterov requires a momentum > 0 and zero dampening (as torch.optim.SGD)")) { try run.run() }
        run.optimizer = .sgd(SGDOptions(lr: 0.1))
        run.batchSize = 25
        #expect(throws: TrainingOptionError(message: "--batch-size 25 does not fit the 24 training samples")) { try run.run() }
        run.batchSize = 4
        run.precisions = [.mpfr(bits: 100)]
        #expect(throws: TrainingOptionError.self) { try run.run() }
    }
}
