import AD
import ModelIO

/// `--reinit SEED`: PyTorch's default initialisation of every `linear` and `conv2d` layer, with
/// bpcheck's own seeded generator instead of the model's weights.
///
/// PyTorch's `reset_parameters` (torch.nn.Linear, torch.nn.Conv2d) draws the weight with
/// `kaiming_uniform_(w, a=√5)`: gain `√(2 / (1 + a²)) = √(1/3)`, bound `gain·√3 / √fan_in =
/// 1/√fan_in`, so `w ~ U(−1/√fan_in, 1/√fan_in)`; and the bias `~ U(−1/√fan_in, 1/√fan_in)`,
/// where `fan_in` is the weight's `shape[1] · (kernel elements)` (in-features; in-channels per
/// group × kh × kw). Here each value is `bound · (2u − 1)` computed in f64 with `u` a uniform
/// draw of `TrainingRandom(seed: SEED, stream: 2⁶³ + k)` for the `k`-th initialised tensor (layers
/// in model order, weight then bias), draws in row-major order, then rounded to f32 (PyTorch's
/// default dtype) — the same distribution as PyTorch's, **not** the same numbers as
/// `torch.manual_seed(SEED)`. Other tensors (batch-norm, PReLU slopes) keep the model's values.
public enum Initialization {
    /// The tensors of `model`'s linear and conv2d layers, redrawn under `seed`, with every other
    /// tensor of the model unchanged.
    public static func pytorchDefault(_ model: Model, seed: UInt64) throws -> [String: HostTensor] {
        var tensors = model.tensors
        var k: UInt64 = 0
        for node in model.nodes {
            switch node.op {
            case .linear, .conv2d: break
            default: continue
            }
            guard let weightKey = node.parameters.first(where: { $0.role == "weight" })?.tensor, let w = model.tensors[weightKey] else { continue }
            let fanIn = w.shape.dropFirst().reduce(1, *)
            let bound = 1 / Double(fanIn).squareRoot()
            for (role, key) in node.parameters where role == "weight" || role == "bias" {
                guard let t = model.tensors[key] else { continue }
                let random = TrainingRandom(seed: seed, stream: (1 << 63) &+ k)
                let values = (0..<t.count).map { i in Double(Float(bound * (2 * random.uniform(UInt64(i)) - 1))) }
                tensors[key] = try HostTensor(dtype: .f32, shape: t.shape, values: values)
                k += 1
            }
        }
        return tensors
    }
}
