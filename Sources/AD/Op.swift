/// A primitive of the engine, with its attributes. Precision-independent: attribute values
/// (slopes, bounds, eps) are rounded to the precision of each execution, like parameters.
///
/// Every kink lives in exactly one primitive (`relu`, `leakyReLU`, `hardtanh`/`relu6`, `abs`,
/// `maximum`, `minimum`, `maxPool2d`); no nonsmooth op is built from another.
public enum Op: Sendable, Equatable {
    /// A real-valued leaf fed at run time: the batch, or a real-valued target.
    case input
    /// A real-valued leaf fed at run time: a weight, bias or buffer.
    case parameter
    /// `y = x Wᵀ + b`; inputs `x [N, in]`, `W [out, in]`, optionally `b [out]`.
    case linear(hasBias: Bool)
    /// 2-D convolution, PyTorch layout; inputs `x [N, C, H, W]`, `W [O, C/groups, kh, kw]`, optionally `b [O]`.
    case conv2d(Conv2DAttributes)
    /// Max pooling; padding counts as −∞. **Nonsmooth: ties.**
    case maxPool2d(PoolAttributes)
    /// Average pooling; padding counted in the divisor (PyTorch's default).
    case avgPool2d(PoolAttributes)
    /// `max(x, 0)`. **Nonsmooth at 0.**
    case relu
    /// `x` above 0, `slope·x` below. **Nonsmooth at 0.**
    case leakyReLU(slope: Double)
    /// `min(max(x, 0), 6)`. **Nonsmooth at 0 and 6.**
    case relu6
    /// `min(max(x, min), max)`. **Nonsmooth at both bounds.**
    case hardtanh(min: Double, max: Double)
    /// `|x|`. **Nonsmooth at 0.**
    case abs
    /// Elementwise maximum of two inputs of the same shape. **Nonsmooth where equal.**
    case maximum
    /// Elementwise minimum of two inputs of the same shape. **Nonsmooth where equal.**
    case minimum
    /// Hyperbolic tangent.
    case tanh
    /// `1 / (1 + e^(−x))`.
    case sigmoid
    /// `log(1 + eˣ)`.
    case softplus
    /// `x·Φ(x)`, with Φ by `erf` (`approximate == false`) or by PyTorch's tanh formula.
    case gelu(approximate: Bool)
    /// Batch normalisation over axis 1 of a 2-D or 4-D input; inputs `x`, `weight`, `bias`,
    /// `running_mean`, `running_var`. `training`: normalise by the batch's statistics
    /// (biased variance) instead of the running ones.
    case batchNorm(eps: Double, training: Bool)
    /// `[N, …] → [N, product]`.
    case flatten
    /// Elementwise sum of two inputs of the same shape.
    case add
    /// The identity (also what `dropout` is in a deterministic analysis).
    case identity
    /// Mean cross-entropy of logits `[N, classes]` against the integer labels fed under `labels`.
    case crossEntropy(labels: String)
    /// Mean squared error of two inputs of the same shape (prediction, target).
    case mse

    /// The op's name as model files spell it.
    public var name: String {
        switch self {
        case .input: "input"
        case .parameter: "parameter"
        case .linear: "linear"
        case .conv2d: "conv2d"
        case .maxPool2d: "maxpool2d"
        case .avgPool2d: "avgpool2d"
        case .relu: "relu"
        case .leakyReLU: "leaky_relu"
        case .relu6: "relu6"
        case .hardtanh: "hardtanh"
        case .abs: "abs"
        case .maximum: "maximum"
        case .minimum: "minimum"
        case .tanh: "tanh"
        case .sigmoid: "sigmoid"
        case .softplus: "softplus"
        case .gelu: "gelu"
        case .batchNorm: "batchnorm"
        case .flatten: "flatten"
        case .add: "add"
        case .identity: "identity"
        case .crossEntropy: "cross_entropy"
        case .mse: "mse"
        }
    }

    /// Whether the op records decisions (it has kinks).
    public var isNonsmooth: Bool {
        switch self {
        case .maxPool2d, .relu, .leakyReLU, .relu6, .hardtanh, .abs, .maximum, .minimum: true
        default: false
        }
    }

    /// Whether the op is a loss (a scalar output meant to be differentiated).
    public var isLoss: Bool {
        switch self {
        case .crossEntropy, .mse: true
        default: false
        }
    }
}

/// Attributes of `conv2d`: `[h, w]` pairs.
public struct Conv2DAttributes: Sendable, Equatable {
    public var stride: [Int]
    public var padding: [Int]
    public var dilation: [Int]
    public var groups: Int

    public init(stride: [Int] = [1, 1], padding: [Int] = [0, 0], dilation: [Int] = [1, 1], groups: Int = 1) {
        self.stride = stride
        self.padding = padding
        self.dilation = dilation
        self.groups = groups
    }
}

/// Attributes of `maxpool2d` and `avgpool2d`: `[h, w]` pairs.
public struct PoolAttributes: Sendable, Equatable {
    public var kernel: [Int]
    public var stride: [Int]
    public var padding: [Int]

    /// `stride` defaults to `kernel`, as in PyTorch.
    public init(kernel: [Int], stride: [Int]? = nil, padding: [Int] = [0, 0]) {
        self.kernel = kernel
        self.stride = stride ?? kernel
        self.padding = padding
    }
}
