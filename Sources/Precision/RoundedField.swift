/// Values with the four basic operations, each rounded once to the type's format.
///
/// The first step of the scalar hierarchy (after swift-numerics' `AlgebraicField`). Unlike a
/// mathematical field, every result is the exact result *rounded to nearest, ties to even*:
/// that rounding is the whole subject of bpcheck, so conformances must be correctly rounded,
/// never merely close.
public protocol RoundedField: Sendable, Comparable, ExpressibleByIntegerLiteral {
    /// Positive zero.
    static var zero: Self { get }
    /// One.
    static var one: Self { get }
    /// `lhs + rhs`, correctly rounded.
    static func + (lhs: Self, rhs: Self) -> Self
    /// `lhs − rhs`, correctly rounded.
    static func - (lhs: Self, rhs: Self) -> Self
    /// `lhs × rhs`, correctly rounded.
    static func * (lhs: Self, rhs: Self) -> Self
    /// `lhs ÷ rhs`, correctly rounded.
    static func / (lhs: Self, rhs: Self) -> Self
    /// Negation (exact, flips the sign of zeros and NaNs too).
    static prefix func - (operand: Self) -> Self
}
