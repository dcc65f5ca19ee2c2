/// Square root and fused multiply-add, each rounded once.
public protocol RoundedAlgebraic: RoundedField {
    /// `√x`, correctly rounded; `√(−0) = −0`; NaN below zero.
    static func sqrt(_ x: Self) -> Self
    /// `self + lhs × rhs` with a single rounding (fused multiply-add), as the standard library's
    /// `FloatingPoint.addingProduct`.
    func addingProduct(_ lhs: Self, _ rhs: Self) -> Self
}
