/// Generic code run at one precision (`PrecisionName.withArithmetic`).
public protocol ArithmeticVisitor {
    associatedtype Result
    func visit<A: ScalarArithmetic>(_ arithmetic: A) throws -> Result
}

extension PrecisionName {
    /// Runs `visitor` with this precision's arithmetic: **the one place** a precision name
    /// becomes an arithmetic. Generic and inlinable, so the visitor's code is specialised per
    /// arithmetic where it is called.
    @inlinable
    public func withArithmetic<V: ArithmeticVisitor>(_ visitor: V) throws -> V.Result {
        switch self {
        case .f16: try visitor.visit(FixedArithmetic<Half>())
        case .bf16: try visitor.visit(FixedArithmetic<BFloat16>())
        case .f32: try visitor.visit(FixedArithmetic<Float>())
        case .f64: try visitor.visit(FixedArithmetic<Double>())
        case .e4m3: try visitor.visit(FixedArithmetic<Float8E4M3FN>())
        case .e5m2: try visitor.visit(FixedArithmetic<Float8E5M2>())
        case .mpfr(let bits): try visitor.visit(MPFRArithmetic(bits: bits))
        // Every value of these policies' formats is exactly a binary32 value; the engine applies
        // their per-node roundings (`NodeRounding`) on top of binary32.
        case .amp, .stochastic, .e4m3Policy, .policy: try visitor.visit(FixedArithmetic<Float>())
        }
    }

    /// The traits of this precision's arithmetic.
    public var traits: ArithmeticTraits {
        struct Traits: ArithmeticVisitor { func visit<A: ScalarArithmetic>(_ a: A) -> ArithmeticTraits { a.traits } }
        return try! withArithmetic(Traits())  // Traits never throws
    }
}
