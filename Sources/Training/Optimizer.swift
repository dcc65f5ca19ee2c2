import AD
import Foundation
import Precision

/// An optimizer of training replay, with torch.optim's hyper-parameters and update formulas.
///
/// Every update is evaluated in the trajectory's arithmetic (P, or f32 for `--master-weights
/// f32`): each elementary operation below is rounded once to that precision, in the order
/// written. Hyper-parameters are rounded once from their decimal to the precision; the scalars
/// torch computes in Python floats (`1 − τ`, `1 − β₁`, `1 − β₂`, Adam's step size
/// `lr / (1 − β₁ᵗ)` and `√(1 − β₂ᵗ)`) are computed in f64, as torch does, and rounded once.
public enum Optimizer: Sendable, Equatable {
    /// `torch.optim.SGD` (maximize = False). Per element, with `g` the gradient:
    ///
    /// 1. `d ← g`; if `weight_decay ≠ 0`: `d ← d + (λ·θ)`;
    /// 2. if `momentum ≠ 0`: at the first step `b ← d`, later `b ← (μ·b) + ((1 − τ)·d)`;
    ///    then `d ← d + (μ·b)` with Nesterov, else `d ← b`;
    /// 3. `θ ← θ − (lr·d)`.
    ///
    /// (torch's `grad.add(param, alpha=λ)`, `buf.mul_(μ).add_(grad, alpha=1 − τ)`,
    /// `grad.add(buf, alpha=μ)` and `param.add_(grad, alpha=−lr)`: `x + α·y` with the product
    /// rounded first.) Without momentum or decay one step is exactly `θ − lr·g` rounded twice.
    case sgd(SGDOptions)
    /// `torch.optim.Adam` (amsgrad = False, maximize = False; L2 weight decay, not AdamW). At
    /// step `t` (1-based), per element:
    ///
    /// 1. `d ← g`; if `weight_decay ≠ 0`: `d ← d + (λ·θ)`;
    /// 2. `m ← m + ((1 − β₁)·(d − m))` (torch's `exp_avg.lerp_(grad, 1 − β₁)`; when
    ///    `1 − β₁ ≥ ½`, lerp's other form `m ← d − ((d − m)·β₁)`), from `m = 0`;
    /// 3. `v ← (β₂·v) + (((1 − β₂)·d)·d)` (`exp_avg_sq.mul_(β₂).addcmul_(grad, grad, value=1 − β₂)`), from `v = 0`;
    /// 4. `s ← (√v / √(1 − β₂ᵗ)) + ε`;
    /// 5. `θ ← θ + ((−lr / (1 − β₁ᵗ))·m) / s` (`param.addcdiv_(exp_avg, denom, value=−step_size)`).
    ///
    /// torch's CPU kernels fuse some of these (lerp is an FMA there); in f64 the two agree to
    /// about 1e-16 relative per step, which the tests check over 20 steps (≤ 1e-12).
    case adam(AdamOptions)

    /// The optimizer's name, as the command line spells it.
    public var name: String {
        switch self {
        case .sgd: "sgd"
        case .adam: "adam"
        }
    }

    /// The hyper-parameters as `name=value` pairs, for reports.
    public var hyperParameters: [(String, String)] {
        switch self {
        case .sgd(let o):
            [("lr", "\(o.lr)"), ("momentum", "\(o.momentum)"), ("dampening", "\(o.dampening)"), ("nesterov", "\(o.nesterov)"), ("weight_decay", "\(o.weightDecay)")]
        case .adam(let o):
            [("lr", "\(o.lr)"), ("beta1", "\(o.beta1)"), ("beta2", "\(o.beta2)"), ("eps", "\(o.eps)"), ("weight_decay", "\(o.weightDecay)")]
        }
    }

    /// Checks the ranges torch.optim checks.
    /// - Throws: `TrainingOptionError` naming the hyper-parameter.
    public func validate() throws {
        func check(_ ok: Bool, _ message: String) throws { if !ok { throw TrainingOptionError(message: message) } }
        switch self {
        case .sgd(let o):
            try check(o.lr >= 0 && o.lr.isFinite, "invalid learning rate --lr \(o.lr): at least 0")
            try check(o.momentum >= 0 && o.momentum.isFinite, "invalid --momentum \(o.momentum): at least 0")
            try check(o.weightDecay >= 0 && o.weightDecay.isFinite, "invalid --weight-decay \(o.weightDecay): at least 0")
            try check(o.dampening.isFinite, "invalid --dampening \(o.dampening)")
            try check(!o.nesterov || (o.momentum > 0 && o.dampening == 0), "--nesterov requires a momentum > 0 and zero dampening (as torch.optim.SGD)")
        case .adam(let o):
            try check(o.lr >= 0 && o.lr.isFinite, "invalid learning rate --lr \(o.lr): at least 0")
            try check(o.eps >= 0 && o.eps.isFinite, "invalid --eps \(o.eps): at least 0")
            try check(o.beta1 >= 0 && o.beta1 < 1, "invalid --beta1 \(o.beta1): in [0, 1)")
            try check(o.beta2 >= 0 && o.beta2 < 1, "invalid --beta2 \(o.beta2): in [0, 1)")
            try check(o.weightDecay >= 0 && o.weightDecay.isFinite, "invalid --weight-decay \(o.weightDecay): at least 0")
        }
    }
}

/// `torch.optim.SGD`'s hyper-parameters (torch's defaults but `lr`, which torch requires).
public struct SGDOptions: Sendable, Equatable, Codable {
    public var lr: Double
    public var momentum: Double
    public var dampening: Double
    public var nesterov: Bool
    public var weightDecay: Double

    public init(lr: Double, momentum: Double = 0, dampening: Double = 0, nesterov: Bool = false, weightDecay: Double = 0) {
        self.lr = lr
        self.momentum = momentum
        self.dampening = dampening
        self.nesterov = nesterov
        self.weightDecay = weightDecay
    }
}

/// `torch.optim.Adam`'s hyper-parameters, torch's defaults.
public struct AdamOptions: Sendable, Equatable, Codable {
    public var lr: Double
    public var beta1: Double
    public var beta2: Double
    public var eps: Double
    public var weightDecay: Double

    public init(lr: Double = 1e-3, beta1: Double = 0.9, beta2: Double = 0.999, eps: Double = 1e-8, weightDecay: Double = 0) {
        self.lr = lr
        self.beta1 = beta1
        self.beta2 = beta2
        self.eps = eps
        self.weightDecay = weightDecay
    }
}

/// A training option outside its range (reported, never trapped).
public struct TrainingOptionError: Error, CustomStringConvertible, Equatable {
    public let message: String
    public init(message: String) { self.message = message }
    public var description: String { message }
}

/// An optimizer's state for a list of tensors in one arithmetic: momentum buffers, or Adam's
/// two moments, and the step count.
public struct OptimizerState<A: ScalarArithmetic> {
    public let optimizer: Optimizer
    public let arithmetic: A
    /// Steps taken.
    public private(set) var step = 0
    /// SGD: the momentum buffers (empty before the first step or without momentum); Adam: `m`.
    public private(set) var first: [Tensor<A>] = []
    /// Adam: `v`.
    public private(set) var second: [Tensor<A>] = []

    public init(_ optimizer: Optimizer, _ arithmetic: A) {
        self.optimizer = optimizer
        self.arithmetic = arithmetic
    }

    /// One scalar rounded to the arithmetic, as a one-slot tensor.
    func constant(_ d: Double) -> Tensor<A> { Tensor(shape: [], [d], arithmetic) }

    /// Applies one step to `parameters` with their `gradients` (same order and shapes), in place.
    public mutating func update(_ parameters: inout [Tensor<A>], gradients: [Tensor<A>]) {
        precondition(parameters.count == gradients.count, "one gradient per parameter")
        step += 1
        switch optimizer {
        case .sgd(let o): sgd(o, &parameters, gradients)
        case .adam(let o): adam(o, &parameters, gradients)
        }
    }

    mutating func sgd(_ o: SGDOptions, _ parameters: inout [Tensor<A>], _ gradients: [Tensor<A>]) {
        let a = arithmetic
        let lr = constant(o.lr), mu = constant(o.momentum), wd = constant(o.weightDecay), keep = constant(1 - o.dampening)
        let firstStep = first.isEmpty
        if o.momentum != 0 && firstStep { first = parameters.map { Tensor(zeros: $0.shape, a) } }
        for k in parameters.indices {
            let n = parameters[k].count
            var d = gradients[k]
            let scratch = a.makeStorage(count: 1), t = scratch.base
            let g = gradients[k]
            d.withMutableSlots { dp in
                for i in 0..<n { a.copy(dp + i, g.slots + i) }
                if o.weightDecay != 0 {
                    let th = parameters[k].slots
                    for i in 0..<n {
                        a.multiply(t, wd.slots, th + i)
                        a.add(dp + i, dp + i, t)
                    }
                }
                if o.momentum != 0 {
                    first[k].withMutableSlots { bp in
                        for i in 0..<n {
                            if firstStep {
                                a.copy(bp + i, dp + i)
                            } else {
                                a.multiply(bp + i, mu.slots, bp + i)
                                a.multiply(t, keep.slots, dp + i)
                                a.add(bp + i, bp + i, t)
                            }
                            if o.nesterov {
                                a.multiply(t, mu.slots, bp + i)
                                a.add(dp + i, dp + i, t)
                            } else {
                                a.copy(dp + i, bp + i)
                            }
                        }
                    }
                }
            }
            parameters[k].withMutableSlots { th in
                for i in 0..<n {
                    a.multiply(t, lr.slots, d.slots + i)
                    a.subtract(th + i, th + i, t)
                }
            }
        }
    }

    mutating func adam(_ o: AdamOptions, _ parameters: inout [Tensor<A>], _ gradients: [Tensor<A>]) {
        let a = arithmetic
        if first.isEmpty {
            first = parameters.map { Tensor(zeros: $0.shape, a) }
            second = parameters.map { Tensor(zeros: $0.shape, a) }
        }
        let t = Double(step)
        let w1 = 1 - o.beta1
        let small = abs(w1) < 0.5
        let weight = constant(small ? w1 : 1 - w1)  // lerp: m + w·(d − m), or d − (d − m)·(1 − w)
        let beta2 = constant(o.beta2), w2 = constant(1 - o.beta2), wd = constant(o.weightDecay), eps = constant(o.eps)
        let stepSize = constant(-(o.lr / (1 - pow(o.beta1, t))))
        let correction2 = constant((1 - pow(o.beta2, t)).squareRoot())
        let scratch = a.makeStorage(count: 2), u = scratch.base, s = scratch.base + 1
        for k in parameters.indices {
            let n = parameters[k].count
            var d = gradients[k]
            let g = gradients[k]
            d.withMutableSlots { dp in
                for i in 0..<n { a.copy(dp + i, g.slots + i) }
                if o.weightDecay != 0 {
                    let th = parameters[k].slots
                    for i in 0..<n {
                        a.multiply(u, wd.slots, th + i)
                        a.add(dp + i, dp + i, u)
                    }
                }
            }
            first[k].withMutableSlots { m in
                for i in 0..<n {
                    a.subtract(u, d.slots + i, m + i)           // d − m
                    a.multiply(u, weight.slots, u)
                    if small { a.add(m + i, m + i, u) } else { a.subtract(m + i, d.slots + i, u) }
                }
            }
            second[k].withMutableSlots { v in
                for i in 0..<n {
                    a.multiply(v + i, beta2.slots, v + i)
                    a.multiply(u, w2.slots, d.slots + i)
                    a.multiply(u, u, d.slots + i)
                    a.add(v + i, v + i, u)
                }
            }
            let m = first[k].slots, v = second[k].slots
            parameters[k].withMutableSlots { th in
                for i in 0..<n {
                    a.squareRoot(s, v + i)
                    a.divide(s, s, correction2.slots)
                    a.add(s, s, eps.slots)
                    a.multiply(u, stepSize.slots, m + i)
                    a.divide(u, u, s)
                    a.add(th + i, th + i, u)
                }
            }
        }
    }
}
