/// The arithmetic of a fixed-width format (`Float`, `Double`, `Half`, `BFloat16`): each
/// operation is the format's own correctly rounded operation on the values in the slots.
@frozen
public struct FixedArithmetic<S: FloatingScalar>: ScalarArithmetic {
    public typealias Slot = S
    public typealias Storage = FixedStorage<S>

    @inlinable public init() {}

    @inlinable public var precision: PrecisionName { S.precisionName }
    @inlinable public var traits: ArithmeticTraits {
        ArithmeticTraits(isFixedWidth: true, canUnderflow: true, widerAccumulator: S.widerAccumulator, isEnclosure: false)
    }
    @inlinable public func makeStorage(count: Int) -> FixedStorage<S> { FixedStorage(count: count) }
    @inlinable public func independentCopy() -> Self { self }

    @inlinable @inline(__always) public func copy(_ r: Ref, _ a: Ref) { r.pointee = a.pointee }
    @inlinable @inline(__always) public func set(_ r: Ref, _ d: Double) { r.pointee = S(d) }
    @inlinable @inline(__always) public func double(_ a: Ref) -> Double { a.pointee.exactDouble }
    @inlinable public func setPi(_ r: Ref) { r.pointee = S(Double.pi) }
    /// The fixed-width formats do not track exactness: runs `body` and returns `nil`.
    @inlinable public func checkingExactness(_ body: () throws -> Void) rethrows -> Bool? {
        try body()
        return nil
    }

    @inlinable @inline(__always) public func add(_ r: Ref, _ a: Ref, _ b: Ref) { r.pointee = a.pointee + b.pointee }
    @inlinable @inline(__always) public func subtract(_ r: Ref, _ a: Ref, _ b: Ref) { r.pointee = a.pointee - b.pointee }
    @inlinable @inline(__always) public func multiply(_ r: Ref, _ a: Ref, _ b: Ref) { r.pointee = a.pointee * b.pointee }
    @inlinable @inline(__always) public func divide(_ r: Ref, _ a: Ref, _ b: Ref) { r.pointee = a.pointee / b.pointee }
    @inlinable @inline(__always) public func multiplyAccumulate(_ r: Ref, _ a: Ref, _ b: Ref) {
        r.pointee = r.pointee + a.pointee * b.pointee
    }
    @inlinable @inline(__always) public func fusedMultiplyAdd(_ r: Ref, _ a: Ref, _ b: Ref, _ c: Ref) {
        r.pointee = c.pointee.addingProduct(a.pointee, b.pointee)
    }
    /// One loop over values: the scalar `a` is loaded once, and with unit strides the loop
    /// vectorises across `k` (each `r[k]` still gets exactly its own two roundings).
    @inlinable public func axpy(_ r: Ref, _ rs: Int, _ a: Ref, _ x: Ref, _ xs: Int, _ n: Int, fused: Bool) {
        let av = a.pointee
        if !fused && S.nativeAxpy(r, rs, av, x, xs, n) { return }
        if rs == 1 && xs == 1 {
            if fused {
                for k in 0..<n { r[k] = r[k].addingProduct(av, x[k]) }
            } else {
                for k in 0..<n { r[k] = r[k] + av * x[k] }
            }
        } else if fused {
            for k in 0..<n { r[k &* rs] = r[k &* rs].addingProduct(av, x[k &* xs]) }
        } else {
            for k in 0..<n { r[k &* rs] = r[k &* rs] + av * x[k &* xs] }
        }
    }

    /// The format's register-blocked kernel when it has one (binary32, binary64 on AVX or
    /// AVX-512; binary16, bfloat16 unfused on AVX2 with F16C or AVX-512: `GemmKernelTests`,
    /// `MatrixKernels`), else `axpy` along each row: the same bits.
    @inlinable public func matrixAccumulate(_ c: Ref, _ ldc: Int, _ a: Ref, _ lda: Int, _ ak: Int, _ b: Ref, _ ldb: Int,
                                            rows: Int, cols: Int, depth: Int, fused: Bool) {
        if S.nativeMatrixAccumulate(c, ldc, a, lda, ak, b, ldb, rows, cols, depth, fused) { return }
        matrixAccumulateByRows(c, ldc, a, lda, ak, b, ldb, rows: rows, cols: cols, depth: depth, fused: fused)
    }

    /// binary16's tile counts flushed products as it forms them (AVX2 with F16C); the other
    /// formats, and machines without it, return `nil` after `matrixAccumulate`.
    @inlinable public func matrixAccumulateCountingFlushes(_ c: Ref, _ ldc: Int, _ a: Ref, _ lda: Int, _ ak: Int, _ b: Ref, _ ldb: Int,
                                                           rows: Int, cols: Int, depth: Int, fused: Bool) -> Int? {
        if !fused, let counted = S.nativeMatrixAccumulateCountingFlushes(c, ldc, a, lda, ak, b, ldb, rows, cols, depth) { return counted }
        matrixAccumulate(c, ldc, a, lda, ak, b, ldb, rows: rows, cols: cols, depth: depth, fused: fused)
        return nil
    }

    /// On the encodings: for these formats the order of magnitudes is the order of the
    /// encodings with the sign cleared, and the nonzero finite ones are those in
    /// `1 ..< ∞'s encoding`, so the minimum is a branch-free integer loop (it vectorises).
    @inlinable public func smallestNonzeroFiniteMagnitude(_ base: Ref, _ stride: Int, _ count: Int, into m: Ref) -> Bool {
        typealias B = S.BitPattern
        let signMask = ~(B(1) << (B.bitWidth - 1)), infinity = S.infinity.bitPattern
        var least = B.max  // (magnitude − 1), wrapping: zero becomes B.max and drops out
        if stride == 1 {
            for r in 0..<count {
                let v = (base[r].bitPattern & signMask) &- 1
                least = Swift.min(least, v < infinity &- 1 ? v : B.max)
            }
        } else {
            for r in 0..<count {
                let v = (base[r &* stride].bitPattern & signMask) &- 1
                least = Swift.min(least, v < infinity &- 1 ? v : B.max)
            }
        }
        guard least != B.max else { return false }
        m.pointee = S(bitPattern: least &+ 1)
        return true
    }

    /// A branch-free count (vectorises with a unit stride).
    @inlinable public func flushedProducts(_ a: Ref, _ x: Ref, _ xs: Int, _ n: Int) -> Int {
        let av = a.pointee
        guard av.isFiniteValue && !av.isZero else { return 0 }
        if let native = S.nativeFlushedProducts(av, x, xs, n) { return native }
        var count = 0
        if xs == 1 {
            for k in 0..<n {
                let v = x[k]
                count &+= ((av * v).isZero && !v.isZero && v.isFiniteValue) ? 1 : 0
            }
        } else {
            for k in 0..<n {
                let v = x[k &* xs]
                count &+= ((av * v).isZero && !v.isZero && v.isFiniteValue) ? 1 : 0
            }
        }
        return count
    }

    @inlinable public func flushedPairs(_ u: Ref, _ us: Int, _ v: Ref, _ vs: Int, _ n: Int) -> Int {
        if let native = S.nativeFlushedPairs(u, us, v, vs, n) { return native }
        var count = 0
        for k in 0..<n {
            let x = u[k &* us], y = v[k &* vs]
            count &+= ((x * y).isZero && !x.isZero && x.isFiniteValue && !y.isZero && y.isFiniteValue) ? 1 : 0
        }
        return count
    }

    /// The sum stays in a register across the `n` terms, in order.
    @inlinable public func dotAccumulate(_ r: Ref, _ a: Ref, _ as: Int, _ b: Ref, _ bs: Int, _ n: Int, fused: Bool) {
        if !fused && S.nativeDot(r, a, `as`, b, bs, n) { return }
        var acc = r.pointee
        if fused {
            for k in 0..<n { acc = acc.addingProduct(a[k &* `as`], b[k &* bs]) }
        } else {
            for k in 0..<n { acc = acc + a[k &* `as`] * b[k &* bs] }
        }
        r.pointee = acc
    }

    @inlinable @inline(__always) public func identical(_ a: Ref, _ b: Ref) -> Bool { a.pointee.bitPattern == b.pointee.bitPattern }

    @inlinable @inline(__always) public func negate(_ r: Ref, _ a: Ref) { r.pointee = -a.pointee }
    @inlinable @inline(__always) public func magnitude(_ r: Ref, _ a: Ref) {
        // Clear the sign bit: exact for every value, zeros and NaNs included.
        r.pointee = S(bitPattern: a.pointee.bitPattern & ~(S.BitPattern(1) << (S.BitPattern.bitWidth - 1)))
    }
    @inlinable @inline(__always) public func squareRoot(_ r: Ref, _ a: Ref) { r.pointee = S.sqrt(a.pointee) }

    @inlinable public func exp(_ r: Ref, _ a: Ref) { r.pointee = S.exp(a.pointee) }
    @inlinable public func expMinusOne(_ r: Ref, _ a: Ref) { r.pointee = S.expMinusOne(a.pointee) }
    @inlinable public func log(_ r: Ref, _ a: Ref) { r.pointee = S.log(a.pointee) }
    @inlinable public func logOnePlus(_ r: Ref, _ a: Ref) { r.pointee = S.log(onePlus: a.pointee) }
    @inlinable public func tanh(_ r: Ref, _ a: Ref) { r.pointee = S.tanh(a.pointee) }
    @inlinable public func erf(_ r: Ref, _ a: Ref) { r.pointee = S.erf(a.pointee) }

    @inlinable @inline(__always) public func compare(_ a: Ref, _ b: Ref) -> Int? {
        let x = a.pointee, y = b.pointee
        if x < y { return -1 }
        if y < x { return 1 }
        if x == y { return 0 }
        return nil
    }
    @inlinable @inline(__always) public func sign(_ a: Ref) -> Int? {
        let x = a.pointee
        if x.isNaN { return nil }
        return x.isZero ? 0 : (x < .zero ? -1 : 1)
    }
    @inlinable @inline(__always) public func classify(_ a: Ref) -> ValueClass {
        let x = a.pointee
        if x.isNaN { return .nan }
        if x.isInfinite { return .infinite }
        if x.isZero { return .zero }
        return x.isSubnormal ? .subnormal : .normal
    }
}
