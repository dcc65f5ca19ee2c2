import Precision

/// The rules of a precision policy: per op type and per layer, which format each node's
/// operands are cast to, which its output is stored in, and which its incoming gradient is
/// cast to. `--policy policy.json` is one of these (read by `PolicyFile` in ModelIO); the
/// built-in policies (`amp-*`, `e4m3-policy`) are built by `NodeRounding.policy(_:graph:)`.
///
/// A node's rule is its layer's (by node name), else its op type's, else the base policy's:
/// `f32` (every node binary32, no rounding) or `amp-f16`/`amp-bf16` (PyTorch autocast's table).
public struct PolicySpec: Sendable, Equatable {
    /// The nodes a rule does not name.
    public enum Base: String, Sendable, Equatable, CaseIterable {
        case f32
        case ampF16 = "amp-f16"
        case ampBF16 = "amp-bf16"
    }

    /// One node's formats.
    public struct Rule: Sendable, Equatable {
        /// The format operands are cast to (for linear/conv2d: the input and weight; their bias
        /// is cast to `output`). `nil`: f32, no cast (narrower operands are promoted exactly).
        public var inputs: FormatInfo?
        /// The format the output is stored in (`nil`: f32).
        public var output: FormatInfo?
        /// The format the incoming gradient is cast to before the backward of the cast
        /// operands (`nil`: no cast), as FP8 recipes cast gradients to e5m2.
        public var gradient: FormatInfo?
        /// Per-tensor amax scaling of the operand and gradient casts.
        public var scaling: TensorCast.Scaling
        /// Whether the operand and gradient casts saturate.
        public var saturating: Bool

        public init(inputs: FormatInfo?, output: FormatInfo?, gradient: FormatInfo? = nil,
                    scaling: TensorCast.Scaling = .none, saturating: Bool = false) {
            self.inputs = inputs
            self.output = output
            self.gradient = gradient
            self.scaling = scaling
            self.saturating = saturating
        }
    }

    public var name: String
    /// The file the rules were read from (for error messages), if any.
    public var source: String?
    public var base: Base
    /// Rules by primitive name (`conv2d`, `relu`, …).
    public var ops: [String: Rule]
    /// Rules by node name; they take precedence over `ops`.
    public var layers: [String: Rule]

    public init(name: String, source: String? = nil, base: Base = .f32, ops: [String: Rule] = [:], layers: [String: Rule] = [:]) {
        self.name = name
        self.source = source
        self.base = base
        self.ops = ops
        self.layers = layers
    }

    /// The FP8 recipe `e4m3-policy` as a policy (Transformer Engine's `DelayedScaling` with
    /// `Format.HYBRID`, amax from the current tensor): amp-bf16, and linear/conv2d take e4m3
    /// copies of their input and weight, e5m2 copies of their incoming gradient, each with a
    /// per-tensor power-of-two amax scale, accumulate in f32 and store bf16 outputs.
    public static func e4m3Recipe(saturating: Bool) -> PolicySpec {
        let gemm = Rule(inputs: .e4m3, output: .bfloat16, gradient: .e5m2, scaling: .amax, saturating: saturating)
        return PolicySpec(name: "e4m3-policy", base: .ampBF16, ops: ["linear": gemm, "conv2d": gemm])
    }
}

/// A policy that does not fit the graph or is missing: the file (or policy) and the key at fault.
public struct PolicyError: Error, Equatable, CustomStringConvertible {
    public let file: String
    public let key: String?
    public let message: String
    public init(file: String, key: String? = nil, message: String) {
        self.file = file
        self.key = key
        self.message = message
    }
    public var description: String { file + (key.map { ": key '\($0)'" } ?? "") + ": " + message }
}
