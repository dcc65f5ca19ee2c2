import CNativeKernels

/// `Half`'s row kernels on the F16C conversion instructions (CNativeKernels), when the machine
/// has them: the emulation computes in `Float` and rounds in software (~65 instructions per
/// multiply-add on baseline x86-64, the profile of #7); F16C rounds eight values in one
/// instruction. Same bits either way (`HalfNativeKernelTests`).
extension Half {
    @inlinable @inline(__always) static func bits(_ p: UnsafePointer<Half>) -> UnsafePointer<UInt16> {
        UnsafeRawPointer(p).assumingMemoryBound(to: UInt16.self)
    }

    @inlinable public static func nativeAxpy(_ r: UnsafeMutablePointer<Half>, _ rs: Int, _ a: Half, _ x: UnsafePointer<Half>, _ xs: Int, _ n: Int) -> Bool {
        bp_half_axpy(UnsafeMutableRawPointer(r).assumingMemoryBound(to: UInt16.self), rs, a.bitPattern, bits(x), xs, n) != 0
    }
    @inlinable public static func nativeDot(_ r: UnsafeMutablePointer<Half>, _ a: UnsafePointer<Half>, _ as: Int, _ b: UnsafePointer<Half>, _ bs: Int, _ n: Int) -> Bool {
        bp_half_dot(UnsafeMutableRawPointer(r).assumingMemoryBound(to: UInt16.self), bits(a), `as`, bits(b), bs, n) != 0
    }
    @inlinable public static func nativeFlushedProducts(_ a: Half, _ x: UnsafePointer<Half>, _ xs: Int, _ n: Int) -> Int? {
        let c = bp_half_flushed_products(a.bitPattern, bits(x), xs, n)
        return c < 0 ? nil : c
    }
    @inlinable public static func nativeFlushedPairs(_ u: UnsafePointer<Half>, _ us: Int, _ v: UnsafePointer<Half>, _ vs: Int, _ n: Int) -> Int? {
        let c = bp_half_flushed_pairs(bits(u), us, bits(v), vs, n)
        return c < 0 ? nil : c
    }

    @inlinable public static func nativeMatrixAccumulate(_ c: UnsafeMutablePointer<Half>, _ ldc: Int, _ a: UnsafePointer<Half>, _ lda: Int, _ ak: Int,
                                                         _ b: UnsafePointer<Half>, _ ldb: Int, _ rows: Int, _ cols: Int, _ depth: Int, _ fused: Bool) -> Bool {
        bp_half_matrix_accumulate(UnsafeMutableRawPointer(c).assumingMemoryBound(to: UInt16.self), ldc, bits(a), lda, ak,
                                  bits(b), ldb, rows, cols, depth, fused ? 1 : 0) != 0
    }

    /// The tile counts the flushed products where it forms them (0 < |a·b| ≤ 2⁻²⁵ in binary32,
    /// exact: gemm_kernels.c), which spares `FlushCounting` its second pass over every product.
    @inlinable public static func nativeMatrixAccumulateCountingFlushes(_ c: UnsafeMutablePointer<Half>, _ ldc: Int, _ a: UnsafePointer<Half>, _ lda: Int, _ ak: Int,
                                                                        _ b: UnsafePointer<Half>, _ ldb: Int, _ rows: Int, _ cols: Int, _ depth: Int) -> Int? {
        var flushed = 0
        let handled = bp_half_matrix_accumulate_counting_flushes(UnsafeMutableRawPointer(c).assumingMemoryBound(to: UInt16.self), ldc, bits(a), lda, ak,
                                                                 bits(b), ldb, rows, cols, depth, &flushed)
        return handled != 0 ? flushed : nil
    }

    /// Whether the F16C kernels run on this machine.
    public static var hasNativeKernels: Bool { bp_half_kernels_available() != 0 }
}

/// `Float`'s and `Double`'s unit-stride `axpy` on 256-bit AVX registers when the machine has
/// them (the default x86-64 target vectorises Swift loops to 128-bit SSE only): the same
/// separate multiply and add per lane, so the same bits. Their matrix products as
/// register-blocked tiles on AVX-512 or AVX (gemm_kernels.h): every entry one sequential sum.
extension Float {
    @inlinable public static func nativeMatrixAccumulate(_ c: UnsafeMutablePointer<Float>, _ ldc: Int, _ a: UnsafePointer<Float>, _ lda: Int, _ ak: Int,
                                                         _ b: UnsafePointer<Float>, _ ldb: Int, _ rows: Int, _ cols: Int, _ depth: Int, _ fused: Bool) -> Bool {
        bp_float_matrix_accumulate(c, ldc, a, lda, ak, b, ldb, rows, cols, depth, fused ? 1 : 0) != 0
    }
    @inlinable public static func nativeAxpy(_ r: UnsafeMutablePointer<Float>, _ rs: Int, _ a: Float, _ x: UnsafePointer<Float>, _ xs: Int, _ n: Int) -> Bool {
        rs == 1 && xs == 1 && n >= 16 && bp_float_axpy(r, a, x, n) != 0
    }
}

extension Double {
    @inlinable public static func nativeMatrixAccumulate(_ c: UnsafeMutablePointer<Double>, _ ldc: Int, _ a: UnsafePointer<Double>, _ lda: Int, _ ak: Int,
                                                         _ b: UnsafePointer<Double>, _ ldb: Int, _ rows: Int, _ cols: Int, _ depth: Int, _ fused: Bool) -> Bool {
        bp_double_matrix_accumulate(c, ldc, a, lda, ak, b, ldb, rows, cols, depth, fused ? 1 : 0) != 0
    }
    @inlinable public static func nativeAxpy(_ r: UnsafeMutablePointer<Double>, _ rs: Int, _ a: Double, _ x: UnsafePointer<Double>, _ xs: Int, _ n: Int) -> Bool {
        rs == 1 && xs == 1 && n >= 8 && bp_double_axpy(r, a, x, n) != 0
    }
}

/// `BFloat16`'s matrix products as register-blocked tiles on AVX-512F or AVX2 (gemm_kernels.h):
/// the emulation's arithmetic (binary32 operations, each result rounded to bfloat16) many lanes
/// at a time, each entry one sequential sum. Separate roundings only (the C kernel refuses
/// `fused`).
extension BFloat16 {
    @inlinable public static func nativeMatrixAccumulate(_ c: UnsafeMutablePointer<BFloat16>, _ ldc: Int, _ a: UnsafePointer<BFloat16>, _ lda: Int, _ ak: Int,
                                                         _ b: UnsafePointer<BFloat16>, _ ldb: Int, _ rows: Int, _ cols: Int, _ depth: Int, _ fused: Bool) -> Bool {
        func bits(_ p: UnsafePointer<BFloat16>) -> UnsafePointer<UInt16> { UnsafeRawPointer(p).assumingMemoryBound(to: UInt16.self) }
        return bp_bfloat16_matrix_accumulate(UnsafeMutableRawPointer(c).assumingMemoryBound(to: UInt16.self), ldc, bits(a), lda, ak,
                                             bits(b), ldb, rows, cols, depth, fused ? 1 : 0) != 0
    }
}

/// Which register-blocked matrix kernels (gemm_kernels.h) run on this machine, chosen once at
/// run time from the CPU's features: what `matrixAccumulate` of the formats takes.
public enum MatrixKernels {
    /// binary32 and binary64: 0 none (the row loops), 1 AVX (unfused only), 2 AVX with FMA,
    /// 3 AVX-512F.
    public static var simdLevel: Int { Int(bp_gemm_simd_level()) }
    /// binary16 and bfloat16: the tiles' vector width in bits, 512 (AVX-512F), 256 (AVX2 and
    /// F16C) or 0 (none: the row kernels run, ~5–8× slower than binary32's tiles).
    public static var sixteenBitVectorBits: Int { Int(bp_gemm16_vector_bits()) }
}
