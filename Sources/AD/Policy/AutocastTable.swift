/// Where PyTorch autocast runs an op: the op table of the `amp-f16`/`amp-bf16` policies
/// (issue #14). **Data only for now**: the engine does not yet apply it (the per-node rounding
/// that will is designed in docs/precisions.md); a test keeps this table total over the
/// primitives and equal to the table in docs/precisions.md.
///
/// Source: PyTorch's lists in `aten/src/ATen/autocast_mode.h` — `AT_FORALL_LOWER_PRECISION_FP`
/// (ops cast to the 16-bit autocast dtype) and `AT_FORALL_FP32` (ops cast to binary32) — and the
/// "Autocast Op Reference" of the `torch.amp` documentation; an op in neither list runs in the
/// dtype its inputs have (PyTorch's type promotion: the widest floating input).
public enum AutocastClass: String, Sendable, CaseIterable {
    /// Inputs and weights cast to 16 bits; on CUDA, exact products accumulated in binary32 and
    /// the output rounded once to 16 bits (`linear`, `conv2d`, `prelu`).
    case lowPrecision = "16-bit"
    /// Inputs cast to binary32, computed and returned in binary32 (`softplus`, the losses).
    case float32 = "f32"
    /// In neither list: runs in the widest dtype among its floating inputs (a 16-bit output of
    /// a linear stays 16-bit through relu, pooling, batch norm, …; `add` of a 16-bit and an
    /// f32 tensor is f32).
    case followsInputs = "inputs"
}

extension AutocastClass {
    /// The class of the primitive spelled `name` in model files (`Primitive.name`), nil for a
    /// name the table does not know.
    public static func of(primitiveNamed name: String) -> AutocastClass? { table[name] }

    /// Every primitive's class, by its model-file name.
    public static let table: [String: AutocastClass] = [
        // AT_FORALL_LOWER_PRECISION_FP: conv2d, linear, prelu (also matmul, mm, bmm, …).
        "linear": .lowPrecision, "conv2d": .lowPrecision, "prelu": .lowPrecision,
        // AT_FORALL_FP32: softplus, cross_entropy_loss (nll_loss, log_softmax), mse_loss.
        "softplus": .float32, "cross_entropy": .float32, "mse": .float32,
        // In neither list. batch_norm included: CUDA's kernel takes a 16-bit input with f32
        // weights and statistics, computes in f32 and returns the input's dtype.
        "relu": .followsInputs, "leaky_relu": .followsInputs, "relu6": .followsInputs,
        "hardtanh": .followsInputs, "abs": .followsInputs, "elu": .followsInputs,
        "clip": .followsInputs, "maximum": .followsInputs, "minimum": .followsInputs,
        "maxpool2d": .followsInputs, "avgpool2d": .followsInputs, "tanh": .followsInputs,
        "sigmoid": .followsInputs, "gelu": .followsInputs, "softsign": .followsInputs,
        "batchnorm": .followsInputs, "flatten": .followsInputs, "identity": .followsInputs,
        "pad": .followsInputs, "concat": .followsInputs, "add": .followsInputs,
        "sub": .followsInputs, "mul": .followsInputs, "div": .followsInputs,
    ]
}
