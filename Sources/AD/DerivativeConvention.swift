/// How backward treats a kink hit: the derivative each nonsmooth primitive uses on a breakpoint.
///
/// Off the breakpoints every derivative is the smooth piece's. On them the choice is arbitrary
/// (any element of the Clarke subdifferential, or a conservative-field choice), and frameworks
/// disagree: PyTorch gives a tied max-pool's gradient to the first maximum, JAX and tinygrad
/// split a tied `maximum` evenly. The convention is data, so one forward pass can be
/// differentiated under several.
public struct DerivativeConvention: Sendable, Equatable, CustomStringConvertible {
    /// How a tie among maxima shares the gradient.
    public enum TieRule: String, Sendable, Equatable, CaseIterable {
        /// All to the first tied position (row-major in the window; operand a for maximum/minimum).
        case first
        /// All to the last tied position (operand b for maximum/minimum).
        case last
        /// Evenly: each of the k tied positions gets the gradient ÷ k (rounded).
        case split
    }

    /// `relu'(0)`, any value in [0, 1].
    public var reluAtZero: Double
    /// `leaky_relu'(0)`: `nil` means the slope (PyTorch), otherwise this value.
    public var leakyReLUAtZero: Double?
    /// `abs'(0)`, any value in [−1, 1].
    public var absAtZero: Double
    /// `hardtanh'` and `relu6'` at either bound, any value in [0, 1].
    public var hardtanhAtBound: Double
    /// Ties in a max-pool window.
    public var maxPoolTie: TieRule
    /// Ties of `maximum`/`minimum` (equal operands).
    public var maximumTie: TieRule

    public init(reluAtZero: Double, leakyReLUAtZero: Double?, absAtZero: Double, hardtanhAtBound: Double,
                maxPoolTie: TieRule, maximumTie: TieRule) {
        self.reluAtZero = reluAtZero
        self.leakyReLUAtZero = leakyReLUAtZero
        self.absAtZero = absAtZero
        self.hardtanhAtBound = hardtanhAtBound
        self.maxPoolTie = maxPoolTie
        self.maximumTie = maximumTie
    }

    /// PyTorch's choices, bpcheck's default C (analysis.md): `relu'(0) = 0` (threshold_backward
    /// passes only `x > 0`), `leaky_relu'(0) = slope`, `abs'(0) = 0` (`sgn(0) = 0`), hardtanh and
    /// relu6 pass nothing at their bounds, max-pool gives the gradient to the first maximum in
    /// row-major window order (the CPU kernel keeps the first `>`), and `maximum`/`minimum`
    /// split a tie ½/½ (their derivative formula in PyTorch).
    public static let pytorch = DerivativeConvention(
        reluAtZero: 0, leakyReLUAtZero: nil, absAtZero: 0, hardtanhAtBound: 0, maxPoolTie: .first, maximumTie: .split)

    /// The alternative convention C′: each of `pytorch`'s choices flipped — `relu'(0) = 1`,
    /// `leaky_relu'(0) = 1`, `abs'(0) = 1`, hardtanh and relu6 pass the gradient at their bounds,
    /// max-pool gives it to the last maximum, `maximum`/`minimum` give it all to the first operand.
    public static let alternative = DerivativeConvention(
        reluAtZero: 1, leakyReLUAtZero: 1, absAtZero: 1, hardtanhAtBound: 1, maxPoolTie: .last, maximumTie: .first)

    /// Each choice flipped: a derivative `d` at a kink becomes the other end of its range
    /// (relu, hardtanh: `1 − d`; abs: `−d`, or 1 for 0; leaky_relu: 1 for the slope, the slope for
    /// anything else), `first` ↔ `last`, `split` → `first`. `pytorch.flipped == alternative`.
    public var flipped: DerivativeConvention {
        func flip(_ t: TieRule) -> TieRule { t == .first ? .last : .first }
        return DerivativeConvention(reluAtZero: 1 - reluAtZero, leakyReLUAtZero: leakyReLUAtZero == nil ? 1 : nil,
                                    absAtZero: absAtZero == 0 ? 1 : -absAtZero, hardtanhAtBound: 1 - hardtanhAtBound,
                                    maxPoolTie: flip(maxPoolTie), maximumTie: flip(maximumTie))
    }

    /// Checks the ranges; a message naming the choice otherwise.
    public func validate() throws {
        func check(_ v: Double, _ range: ClosedRange<Double>, _ name: String) throws {
            guard range.contains(v) else { throw ConventionError(message: "\(name) = \(v) is outside [\(range.lowerBound), \(range.upperBound)]") }
        }
        try check(reluAtZero, 0...1, "relu'(0)")
        if let l = leakyReLUAtZero { try check(l, -1e300...1e300, "leaky_relu'(0)") }
        try check(absAtZero, -1...1, "abs'(0)")
        try check(hardtanhAtBound, 0...1, "hardtanh'(bound)")
    }

    public var description: String {
        "relu'(0)=\(reluAtZero), leaky_relu'(0)=\(leakyReLUAtZero.map { "\($0)" } ?? "slope"), abs'(0)=\(absAtZero), "
            + "hardtanh'(bound)=\(hardtanhAtBound), maxpool ties: \(maxPoolTie.rawValue), maximum/minimum ties: \(maximumTie.rawValue)"
    }
}

/// A convention with a value outside its range.
public struct ConventionError: Error, CustomStringConvertible, Equatable {
    public let message: String
    public var description: String { message }
}
