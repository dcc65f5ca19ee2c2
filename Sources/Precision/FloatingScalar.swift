/// A fixed-width binary floating-point scalar: the value-level protocol that `Float`, `Double`,
/// `Half` (binary16) and `BFloat16` share.
///
/// Every value of these formats is exactly a `Double`, which makes `Double` the common
/// language of conversions and of the tests. (MPFR values, whose precision is chosen at run
/// time and whose storage lives in arenas, are not values of this protocol; the engine reaches
/// both through `ScalarArithmetic`.)
public protocol FloatingScalar: ZeroSlot, RoundedAlgebraic, RoundedElementaryFunctions, CustomStringConvertible {
    /// The raw encoding.
    associatedtype BitPattern: FixedWidthInteger & UnsignedInteger & Sendable

    /// The format's parameters.
    static var format: FormatInfo { get }
    /// The precision's name (`f16`, `bf16`, `f32`, `f64`).
    static var precisionName: PrecisionName { get }
    /// The wider hardware format that holds this format's products exactly (nil for binary64).
    static var widerAccumulator: WideAccumulatorFormat? { get }

    /// The value whose encoding is `bitPattern`.
    init(bitPattern: BitPattern)
    /// The encoding.
    var bitPattern: BitPattern { get }

    /// The nearest value to `d` (ties to even, gradual underflow, overflow to ±∞).
    init(_ d: Double)
    /// The nearest value to `f` (ties to even, gradual underflow, overflow to ±∞).
    init(_ f: Float)
    /// The exact value as a `Double` (NaNs become NaNs of the same sign).
    var exactDouble: Double { get }

    /// Positive infinity.
    static var infinity: Self { get }
    /// A quiet NaN.
    static var nan: Self { get }
    /// The largest finite value.
    static var greatestFiniteMagnitude: Self { get }
    /// The smallest positive (subnormal) value.
    static var leastNonzeroMagnitude: Self { get }
    /// The smallest positive normal value.
    static var leastNormalMagnitude: Self { get }

    /// Whether the value is a NaN.
    var isNaN: Bool { get }
    /// Whether the value is ±∞.
    var isInfinite: Bool { get }
    /// Whether the value is ±0.
    var isZero: Bool { get }
    /// Whether the value is nonzero and below the least normal magnitude.
    var isSubnormal: Bool { get }

    /// Row kernels a format may run natively (`Half` on F16C machines), each bit for bit the
    /// element-by-element operations; `false` or `nil` when not handled (the default).
    /// `r[k·rs] ← r[k·rs] + a·x[k·xs]`, two roundings.
    static func nativeAxpy(_ r: UnsafeMutablePointer<Self>, _ rs: Int, _ a: Self, _ x: UnsafePointer<Self>, _ xs: Int, _ n: Int) -> Bool
    /// `r ← r + a[0]·b[0] + …` in order, two roundings per term.
    static func nativeDot(_ r: UnsafeMutablePointer<Self>, _ a: UnsafePointer<Self>, _ as: Int, _ b: UnsafePointer<Self>, _ bs: Int, _ n: Int) -> Bool
    /// `c[m·ldc + n] += a[m·lda + k·ak]·b[k·ldb + n]`, `k` increasing, each entry one
    /// sequential sum (`ScalarArithmetic.matrixAccumulate`).
    static func nativeMatrixAccumulate(_ c: UnsafeMutablePointer<Self>, _ ldc: Int, _ a: UnsafePointer<Self>, _ lda: Int, _ ak: Int,
                                       _ b: UnsafePointer<Self>, _ ldb: Int, _ rows: Int, _ cols: Int, _ depth: Int, _ fused: Bool) -> Bool
    /// `nativeMatrixAccumulate` (unfused), also returning how many of its products
    /// `a[m·lda + k·ak]·b[k·ldb + n]` round to ±0 with finite nonzero factors; `nil` when not
    /// handled (nothing computed).
    static func nativeMatrixAccumulateCountingFlushes(_ c: UnsafeMutablePointer<Self>, _ ldc: Int, _ a: UnsafePointer<Self>, _ lda: Int, _ ak: Int,
                                                      _ b: UnsafePointer<Self>, _ ldb: Int, _ rows: Int, _ cols: Int, _ depth: Int) -> Int?
    /// How many `a·x[k·xs]` round to ±0 with finite nonzero factors.
    static func nativeFlushedProducts(_ a: Self, _ x: UnsafePointer<Self>, _ xs: Int, _ n: Int) -> Int?
    /// How many `u[k·us]·v[k·vs]` round to ±0 with finite nonzero factors.
    static func nativeFlushedPairs(_ u: UnsafePointer<Self>, _ us: Int, _ v: UnsafePointer<Self>, _ vs: Int, _ n: Int) -> Int?
}

extension FloatingScalar {
    @inlinable @inline(__always)
    public static func nativeAxpy(_ r: UnsafeMutablePointer<Self>, _ rs: Int, _ a: Self, _ x: UnsafePointer<Self>, _ xs: Int, _ n: Int) -> Bool { false }
    @inlinable @inline(__always)
    public static func nativeDot(_ r: UnsafeMutablePointer<Self>, _ a: UnsafePointer<Self>, _ as: Int, _ b: UnsafePointer<Self>, _ bs: Int, _ n: Int) -> Bool { false }
    @inlinable @inline(__always)
    public static func nativeMatrixAccumulate(_ c: UnsafeMutablePointer<Self>, _ ldc: Int, _ a: UnsafePointer<Self>, _ lda: Int, _ ak: Int,
                                              _ b: UnsafePointer<Self>, _ ldb: Int, _ rows: Int, _ cols: Int, _ depth: Int, _ fused: Bool) -> Bool { false }
    @inlinable @inline(__always)
    public static func nativeMatrixAccumulateCountingFlushes(_ c: UnsafeMutablePointer<Self>, _ ldc: Int, _ a: UnsafePointer<Self>, _ lda: Int, _ ak: Int,
                                                             _ b: UnsafePointer<Self>, _ ldb: Int, _ rows: Int, _ cols: Int, _ depth: Int) -> Int? { nil }
    @inlinable @inline(__always)
    public static func nativeFlushedProducts(_ a: Self, _ x: UnsafePointer<Self>, _ xs: Int, _ n: Int) -> Int? { nil }
    @inlinable @inline(__always)
    public static func nativeFlushedPairs(_ u: UnsafePointer<Self>, _ us: Int, _ v: UnsafePointer<Self>, _ vs: Int, _ n: Int) -> Int? { nil }

    /// Whether the value is neither infinite nor NaN.
    @inlinable public var isFiniteValue: Bool { !isNaN && !isInfinite }
}
