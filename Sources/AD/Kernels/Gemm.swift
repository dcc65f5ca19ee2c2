/// Matrix products as the kernels of linear and conv2d use them: `ScalarArithmetic`'s
/// `matrixAccumulate` (every entry one sequential sum, `k` increasing), with the rows of `c`
/// split across the pass's threads (`PassThreads`) when the product is large enough to pay for
/// them. A row's sums stay on one thread, so the bits do not depend on the thread count.
/// Fixed-width arithmetics only: MPFR's exactness flag (`checkingExactness`, which proves kink
/// hits in the forward) is per thread, so MPFR products stay on the thread that checks it.
public enum Gemm {
    /// Below this many multiply-adds a product stays on the caller's thread (a thread hand-off
    /// costs ~10 µs; 2²⁰ multiply-adds take ~100 µs at f32's speed).
    public static let threadedMultiplyAdds = 1 << 20

    /// `c[m·ldc + n] += a[m·lda + k·ak] · b[k·ldb + n]` for `m < rows`, `n < cols`, `k < depth`
    /// increasing (`ScalarArithmetic.matrixAccumulate`). With `countingFlushes`, returns the
    /// number of its products that flush when the arithmetic counted them in the product
    /// (`matrixAccumulateCountingFlushes`), else `nil`.
    @inlinable @discardableResult
    public static func accumulate<A: ScalarArithmetic>(_ a: A, _ c: UnsafeMutablePointer<A.Slot>, _ ldc: Int,
                                                       _ x: UnsafeMutablePointer<A.Slot>, _ lda: Int, _ ak: Int,
                                                       _ b: UnsafeMutablePointer<A.Slot>, _ ldb: Int,
                                                       rows: Int, cols: Int, depth: Int, fused: Bool, countingFlushes: Bool = false) -> Int? {
        guard rows > 0 && cols > 0 && depth > 0 else { return countingFlushes ? 0 : nil }
        let work = rows.multipliedReportingOverflow(by: cols).partialValue.multipliedReportingOverflow(by: depth)
        guard PassThreads.chunks(rows) > 1 && a.traits.isFixedWidth && (work.overflow || work.partialValue >= threadedMultiplyAdds) else {
            return product(a, c, ldc, x, lda, ak, b, ldb, rows: rows, cols: cols, depth: depth, fused: fused, counting: countingFlushes)
        }
        return PassThreads.sumIfCounted(rows) { chunk in
            product(a.independentCopy(), c + chunk.lowerBound &* ldc, ldc, x + chunk.lowerBound &* lda, lda, ak, b, ldb,
                    rows: chunk.count, cols: cols, depth: depth, fused: fused, counting: countingFlushes)
        }
    }

    /// One `matrixAccumulate` on this thread; with `counting`, the number of its products that
    /// flush when the arithmetic counted them in the product (`matrixAccumulateCountingFlushes`),
    /// else `nil` (the caller counts with `FlushCounting`).
    @inlinable @inline(__always)
    public static func product<A: ScalarArithmetic>(_ a: A, _ c: UnsafeMutablePointer<A.Slot>, _ ldc: Int,
                                                    _ x: UnsafeMutablePointer<A.Slot>, _ lda: Int, _ ak: Int,
                                                    _ b: UnsafeMutablePointer<A.Slot>, _ ldb: Int,
                                                    rows: Int, cols: Int, depth: Int, fused: Bool, counting: Bool) -> Int? {
        if counting {
            return a.matrixAccumulateCountingFlushes(c, ldc, x, lda, ak, b, ldb, rows: rows, cols: cols, depth: depth, fused: fused)
        }
        a.matrixAccumulate(c, ldc, x, lda, ak, b, ldb, rows: rows, cols: cols, depth: depth, fused: fused)
        return nil
    }
}
