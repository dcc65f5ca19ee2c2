import RealModule

/// IEEE binary32 (`f32`), native: `+ − × ÷ √` are the hardware's correctly rounded operations,
/// `addingProduct` is a true fused multiply-add (libm `fmaf` when the CPU lacks FMA), and the
/// elementary functions come from the platform's libm through swift-numerics.
extension Float: FloatingScalar {
    public static var format: FormatInfo { .binary32 }
    public static var precisionName: PrecisionName { .f32 }
    public static var widerAccumulator: WideAccumulatorFormat? { .double }
    @inlinable public var exactDouble: Double { Double(self) }
    @inlinable public static var one: Float { 1 }
}

/// IEEE binary64 (`f64`), native; see `Float`'s conformance for where each operation comes from.
extension Double: FloatingScalar {
    public static var format: FormatInfo { .binary64 }
    public static var precisionName: PrecisionName { .f64 }
    public static var widerAccumulator: WideAccumulatorFormat? { nil }
    @inlinable public var exactDouble: Double { self }
    @inlinable public static var one: Double { 1 }
}
