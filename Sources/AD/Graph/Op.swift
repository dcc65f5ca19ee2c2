/// A node's operation: a leaf, or one of the primitives of `Sources/AD/Primitives` with its
/// attributes. The closed list of what the engine computes.
///
/// `accept(_:)` is the one exhaustive dispatch from a case to its primitive type (no
/// `default:`), and everything else — names, shapes, forward, backward, nonsmoothness — is
/// asked of the primitive. Adding a primitive: its file, a case here, its line in `accept` and
/// in `primitiveTypes` (docs/adding-an-op.md).
///
/// Every kink lives in exactly one primitive (`relu`, `leakyReLU`, `prelu`, `hardtanh`/`relu6`,
/// `clip`, `abs`, `elu`, `maximum`, `minimum`, `maxPool2d`); no nonsmooth op is built from
/// another.
public enum Op: Sendable, Equatable {
    /// A real-valued leaf fed at run time: the batch, or a real-valued target.
    case input
    /// A real-valued leaf fed at run time: a weight, bias or buffer.
    case parameter
    /// `Linear`.
    case linear(hasBias: Bool)
    /// `Conv2D`.
    case conv2d(Conv2DAttributes)
    /// `MaxPool2D`. **Nonsmooth: ties.**
    case maxPool2d(PoolAttributes)
    /// `AvgPool2D`.
    case avgPool2d(PoolAttributes)
    /// `ReLU`. **Nonsmooth at 0.**
    case relu
    /// `LeakyReLU`. **Nonsmooth at 0.**
    case leakyReLU(slope: Double)
    /// `ReLU6`. **Nonsmooth at 0 and 6.**
    case relu6
    /// `Hardtanh`. **Nonsmooth at both bounds.**
    case hardtanh(min: Double, max: Double)
    /// `Abs`. **Nonsmooth at 0.**
    case abs
    /// `ELU`. **Nonsmooth at 0 unless α = 1.**
    case elu(alpha: Double)
    /// `Maximum`. **Nonsmooth where equal.**
    case maximum
    /// `Minimum`. **Nonsmooth where equal.**
    case minimum
    /// `Tanh`.
    case tanh
    /// `Sigmoid`.
    case sigmoid
    /// `Softplus`.
    case softplus
    /// `Softsign`.
    case softsign
    /// `GELU`.
    case gelu(approximate: Bool)
    /// `BatchNorm`.
    case batchNorm(eps: Double, training: Bool)
    /// `Flatten`.
    case flatten
    /// `Add`.
    case add
    /// `Sub`.
    case sub
    /// `Mul`.
    case mul
    /// `Div`.
    case div
    /// `Concat` (channel axis).
    case concat
    /// `Pad` (`[top, left, bottom, right]` zeros).
    case pad([Int])
    /// `PReLU`. **Nonsmooth at 0.**
    case prelu
    /// `Clip`. **Nonsmooth at each bound.**
    case clip(min: Double, max: Double)
    /// `Identity` (also what `dropout` is in a deterministic analysis).
    case identity
    /// `CrossEntropy`.
    case crossEntropy(labels: String)
    /// `MSE`.
    case mse

    /// Calls `visitor` with this op's primitive (statically typed, so generic code in the
    /// visitor is specialised per primitive); nil for the leaves.
    @inlinable
    public func accept<V: PrimitiveVisitor>(_ visitor: inout V) throws -> V.Result? {
        switch self {
        case .input, .parameter: return nil
        case .linear(let hasBias): return try visitor.visit(Linear(hasBias: hasBias))
        case .conv2d(let a): return try visitor.visit(a)
        case .maxPool2d(let a): return try visitor.visit(MaxPool2D(a))
        case .avgPool2d(let a): return try visitor.visit(AvgPool2D(a))
        case .relu: return try visitor.visit(ReLU())
        case .leakyReLU(let slope): return try visitor.visit(LeakyReLU(slope: slope))
        case .relu6: return try visitor.visit(ReLU6())
        case .hardtanh(let lo, let hi): return try visitor.visit(Hardtanh(min: lo, max: hi))
        case .abs: return try visitor.visit(Abs())
        case .elu(let alpha): return try visitor.visit(ELU(alpha: alpha))
        case .maximum: return try visitor.visit(Maximum())
        case .minimum: return try visitor.visit(Minimum())
        case .tanh: return try visitor.visit(Tanh())
        case .sigmoid: return try visitor.visit(Sigmoid())
        case .softplus: return try visitor.visit(Softplus())
        case .softsign: return try visitor.visit(Softsign())
        case .gelu(let approximate): return try visitor.visit(GELU(approximate: approximate))
        case .batchNorm(let eps, let training): return try visitor.visit(BatchNorm(eps: eps, training: training))
        case .flatten: return try visitor.visit(Flatten())
        case .add: return try visitor.visit(Add())
        case .sub: return try visitor.visit(Sub())
        case .mul: return try visitor.visit(Mul())
        case .div: return try visitor.visit(Div())
        case .concat: return try visitor.visit(Concat())
        case .pad(let pads): return try visitor.visit(Pad(pads: pads))
        case .prelu: return try visitor.visit(PReLU())
        case .clip(let lo, let hi): return try visitor.visit(Clip(min: lo, max: hi))
        case .identity: return try visitor.visit(Identity())
        case .crossEntropy(let labels): return try visitor.visit(CrossEntropy(labels: labels))
        case .mse: return try visitor.visit(MSE())
        }
    }

    /// Every primitive type, in the order conventions list their choices. A test checks that
    /// every case of `accept` is here.
    public static let primitiveTypes: [any Primitive.Type] = [
        Linear.self, Conv2D.self, ReLU.self, LeakyReLU.self, Abs.self, ReLU6.self, Hardtanh.self, MaxPool2D.self,
        AvgPool2D.self, Maximum.self, Minimum.self, Tanh.self, Sigmoid.self, Softplus.self, GELU.self, BatchNorm.self,
        Flatten.self, Add.self, Identity.self, CrossEntropy.self, MSE.self, Softsign.self, ELU.self,
        Sub.self, Mul.self, Div.self, Concat.self, Pad.self, PReLU.self, Clip.self,
    ]

    /// The primitive type spelled `name` in model files.
    public static func primitiveType(named name: String) -> (any Primitive.Type)? {
        primitiveTypes.first { $0.name == name }
    }

    /// This op's primitive; nil for the leaves.
    public var primitive: (any Primitive)? {
        var v = AnyPrimitiveVisitor()
        return try! accept(&v)  // the visitor never throws
    }

    /// This op's primitive if it is nonsmooth.
    public var nonsmooth: (any NonsmoothPrimitive)? { primitive as? any NonsmoothPrimitive }

    /// The op's name as model files spell it.
    public var name: String {
        if let p = primitive { return type(of: p).name }
        return self == .input ? "input" : "parameter"
    }

    /// Whether the op is a leaf (`input` or `parameter`): fed, not computed.
    public var isLeaf: Bool { self == .input || self == .parameter }

    /// Whether the op records decisions (its primitive is a `NonsmoothPrimitive`).
    public var isNonsmooth: Bool { nonsmooth != nil }

    /// Whether the op is a loss (a scalar output meant to be differentiated).
    public var isLoss: Bool { primitive?.isLoss ?? false }
}

extension Op {
    /// This op with its real-valued attributes rounded by `round` (`Primitive.roundingAttributes`).
    public func roundingAttributes(_ round: @escaping (Double) -> Double) -> Op {
        struct Rounding: PrimitiveVisitor {
            let round: (Double) -> Double
            func visit<P: Primitive>(_ primitive: P) -> Op { primitive.roundingAttributes(round).op }
        }
        var v = Rounding(round: round)
        return (try? accept(&v)).flatMap { $0 } ?? self  // leaves: unchanged; the visitor never throws
    }
}

/// Generic code run on a statically typed primitive (`Op.accept`).
public protocol PrimitiveVisitor {
    associatedtype Result
    mutating func visit<P: Primitive>(_ primitive: P) throws -> Result
}

struct AnyPrimitiveVisitor: PrimitiveVisitor {
    func visit<P: Primitive>(_ primitive: P) -> any Primitive { primitive }
}
