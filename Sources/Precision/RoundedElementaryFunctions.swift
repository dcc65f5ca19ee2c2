/// The elementary functions the ops of a model need, named as in swift-numerics.
///
/// Accuracy is per conformance and documented there: `Float` and `Double` use the platform's
/// libm (through swift-numerics, within a few ulps); the emulated 16-bit formats compute in
/// `Double` and round once, which is correctly rounded except when the `Double` result lies
/// within about 2⁻⁴⁰ (relative) of a rounding boundary of the 16-bit format; MPFR is correctly
/// rounded.
public protocol RoundedElementaryFunctions {
    /// `eˣ`.
    static func exp(_ x: Self) -> Self
    /// `eˣ − 1`, accurate near zero.
    static func expMinusOne(_ x: Self) -> Self
    /// Natural logarithm.
    static func log(_ x: Self) -> Self
    /// `log(1 + x)`, accurate near zero.
    static func log(onePlus x: Self) -> Self
    /// Hyperbolic tangent.
    static func tanh(_ x: Self) -> Self
    /// The error function `erf(x) = 2/√π ∫₀ˣ e^(−t²) dt`.
    static func erf(_ x: Self) -> Self
}
