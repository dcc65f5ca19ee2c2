import Foundation
import Testing
import Precision
import TestSupport

/// The register-blocked matrix products of binary32, binary64 and the emulated binary16 and
/// bfloat16 (gemm_kernels.c; on this machine the variant `MatrixKernels` names) against the
/// element-by-element loop they stand for: every entry of `c` one sequential sum over `k`
/// increasing, each term `c + a·b` with two roundings (or one fma). Shapes straddle the tiles'
/// edges (6 rows, 16/32 columns, k-blocks of 128), strides cover every caller's layout, and the
/// values include ±0, subnormals, overflow, infinities and NaN.
@Suite struct GemmKernelTests {
    /// A value of the draw: mostly ordinary, sometimes one of the specials.
    static func draw<S: FloatingScalar>(_: S.Type, _ g: inout SeededGenerator, specials: Bool) -> S {
        let r = g.next() % 64
        guard specials else { return S(g.uniform(-2, 2)) }
        switch r {
        case 0: return .zero
        case 1: return S(-0.0)
        case 2: return S(S.leastNonzeroMagnitude.exactDouble * Double(g.next() % 8))
        case 3: return S(S.greatestFiniteMagnitude.exactDouble / Double(g.next() % 3 + 1))
        case 4: return g.next() & 1 == 0 ? S.infinity : -S.infinity
        case 5: return S.nan
        case 6: return S(g.uniform(-2, 2) * S.format.epsilon)  // small: sums cancel and round
        // NaNs the hardware does not produce: signaling (payload in the last bit only) and with
        // every payload bit set (which a rounding that carried out of the payload would lose).
        case 7: return S(bitPattern: S.infinity.bitPattern | 1 | (g.next() & 1 == 0 ? 0 : S.BitPattern(1) << (S.BitPattern.bitWidth - 1)))
        case 8: return S(bitPattern: S.BitPattern.max >> (g.next() & 1 == 0 ? 1 : 0))
        default: return S(g.uniform(-2, 2))
        }
    }

    static func same<S: FloatingScalar>(_ x: S, _ y: S) -> Bool {
        // NaN payloads are not part of the model (either operand's may propagate).
        (x.isNaN && y.isNaN) || x.bitPattern == y.bitPattern
    }

    static func mismatches<S: FloatingScalar>(_: S.Type, fused: Bool, specials: Bool, seed: UInt64) -> (Int, Int) {
        var g = SeededGenerator(seed: seed)
        var bad = 0, checked = 0
        let shapes = [(1, 1, 1), (6, 32, 128), (7, 33, 129), (13, 70, 300), (5, 15, 7), (12, 64, 256), (3, 100, 1), (1, 17, 513)]
        for (rows, cols, depth) in shapes {
            for layout in 0..<3 {
                // 0: a row-major with padding; 1: a transposed (ak > 1, lda = 1); 2: c and b padded.
                let lda = layout == 1 ? 1 : depth + (layout == 0 ? 3 : 0)
                let ak = layout == 1 ? rows + 2 : 1
                let ldb = cols + (layout == 2 ? 5 : 0), ldc = cols + (layout == 2 ? 9 : 0)
                let aCount = layout == 1 ? (depth - 1) * ak + rows : (rows - 1) * lda + depth
                var a = (0..<aCount).map { _ in draw(S.self, &g, specials: specials) }
                var b = (0..<(depth * ldb)).map { _ in draw(S.self, &g, specials: specials) }
                var c = (0..<(rows * ldc)).map { _ in draw(S.self, &g, specials: specials) }
                var expected = c
                for m in 0..<rows {
                    for n in 0..<cols {
                        var acc = expected[m * ldc + n]
                        for k in 0..<depth {
                            let x = a[m * lda + k * ak], y = b[k * ldb + n]
                            acc = fused ? acc.addingProduct(x, y) : acc + x * y
                        }
                        expected[m * ldc + n] = acc
                    }
                }
                let arithmetic = FixedArithmetic<S>()
                a.withUnsafeMutableBufferPointer { ab in b.withUnsafeMutableBufferPointer { bb in c.withUnsafeMutableBufferPointer { cb in
                    arithmetic.matrixAccumulate(cb.baseAddress!, ldc, ab.baseAddress!, lda, ak, bb.baseAddress!, ldb,
                                                rows: rows, cols: cols, depth: depth, fused: fused)
                } } }
                // Every slot: the entries and the padding between rows (which must be untouched).
                for i in c.indices {
                    checked += 1
                    if !same(c[i], expected[i]) { bad += 1 }
                }
            }
        }
        return (bad, checked)
    }

    @Test func tilesGiveTheSequentialSums() {
        for fused in [false, true] {
            for specials in [false, true] {
                let f = Self.mismatches(Float.self, fused: fused, specials: specials, seed: 11 + (fused ? 1 : 0) + (specials ? 2 : 0))
                let d = Self.mismatches(Double.self, fused: fused, specials: specials, seed: 21 + (fused ? 1 : 0) + (specials ? 2 : 0))
                #expect(f.0 == 0, "f32 fused \(fused) specials \(specials): \(f.0) of \(f.1)")
                #expect(d.0 == 0, "f64 fused \(fused) specials \(specials): \(d.0) of \(d.1)")
                // The 16-bit tiles run separate roundings only (fused: the row kernels), each
                // step exactly the emulation's.
                let h = Self.mismatches(Half.self, fused: fused, specials: specials, seed: 31 + (fused ? 1 : 0) + (specials ? 2 : 0))
                let b = Self.mismatches(BFloat16.self, fused: fused, specials: specials, seed: 41 + (fused ? 1 : 0) + (specials ? 2 : 0))
                #expect(h.0 == 0, "f16 fused \(fused) specials \(specials): \(h.0) of \(h.1)")
                #expect(b.0 == 0, "bf16 fused \(fused) specials \(specials): \(b.0) of \(b.1)")
            }
        }
    }

    /// binary16's tile counts the flushed products as it forms them: the count must be the
    /// element-by-element one (a product of nonzero finite factors that rounds to ±0), at tile,
    /// panel and k-block edges, with every caller's strides and the specials, and the entries
    /// the same bits as without counting. Values near 2⁻¹² make products near 2⁻²⁴ and 2⁻²⁵.
    @Test func halfTileCountsFlushedProducts() throws {
        var g = SeededGenerator(seed: 91)
        let expectCounting = MatrixKernels.sixteenBitVectorBits == 256
        var total = 0
        for (rows, cols, depth) in [(1, 1, 1), (6, 16, 128), (7, 33, 129), (13, 70, 300), (5, 15, 7), (4, 17, 2), (9, 8, 260)] {
            for layout in 0..<3 {
                let lda = layout == 1 ? 1 : depth + (layout == 0 ? 3 : 0), ak = layout == 1 ? rows + 2 : 1
                let ldb = cols + (layout == 2 ? 5 : 0), ldc = cols + (layout == 2 ? 9 : 0)
                let aCount = layout == 1 ? (depth - 1) * ak + rows : (rows - 1) * lda + depth
                func value() -> Half {
                    g.next() % 4 == 0 ? Self.draw(Half.self, &g, specials: true) : Half(g.uniform(-2, 2) * 0x1p-12)
                }
                var a = (0..<aCount).map { _ in value() }, b = (0..<(depth * ldb)).map { _ in value() }
                var c = (0..<(rows * ldc)).map { _ in value() }
                var plain = c
                var expected = 0
                for m in 0..<rows {
                    for n in 0..<cols {
                        for k in 0..<depth {
                            let x = a[m * lda + k * ak], y = b[k * ldb + n]
                            if x.isFiniteValue && !x.isZero && y.isFiniteValue && !y.isZero && (x * y).isZero { expected += 1 }
                        }
                    }
                }
                let arithmetic = FixedArithmetic<Half>()
                let counted = a.withUnsafeMutableBufferPointer { ab in b.withUnsafeMutableBufferPointer { bb in
                    c.withUnsafeMutableBufferPointer { cb in
                        arithmetic.matrixAccumulateCountingFlushes(cb.baseAddress!, ldc, ab.baseAddress!, lda, ak, bb.baseAddress!, ldb,
                                                                   rows: rows, cols: cols, depth: depth, fused: false)
                    }
                } }
                a.withUnsafeMutableBufferPointer { ab in b.withUnsafeMutableBufferPointer { bb in plain.withUnsafeMutableBufferPointer { pb in
                    arithmetic.matrixAccumulateByRows(pb.baseAddress!, ldc, ab.baseAddress!, lda, ak, bb.baseAddress!, ldb,
                                                      rows: rows, cols: cols, depth: depth, fused: false)
                } } }
                #expect((counted != nil) == expectCounting, "\(rows)×\(cols)×\(depth)")
                if let counted { #expect(counted == expected, "\(rows)×\(cols)×\(depth) layout \(layout)") }
                #expect(zip(c, plain).allSatisfy { Self.same($0, $1) }, "\(rows)×\(cols)×\(depth) layout \(layout)")
                total += expected
            }
        }
        #expect(total > 1000, "the draw must make flushed products: \(total)")
    }

    /// The CPU's flags as Linux reports them (an oracle independent of the kernels' own
    /// `__builtin_cpu_supports` dispatch), or nil elsewhere.
    static func cpuFlags() -> Set<Substring>? {
        guard let text = try? String(contentsOfFile: "/proc/cpuinfo", encoding: .utf8),
              let line = text.split(separator: "\n").first(where: { $0.hasPrefix("flags") }),
              let colon = line.firstIndex(of: ":") else { return nil }
        return Set(line[line.index(after: colon)...].split(separator: " "))
    }

    /// The 16-bit tiles are 5–8× faster than the row kernels they replace: a dispatch that
    /// stopped choosing them would keep every bit and silently lose the speed. On a machine
    /// with AVX2 and F16C (or AVX-512F) they must be the ones `matrixAccumulate` takes.
    @Test func sixteenBitTilesRunWhereTheCPUHasThem() throws {
        let flags = try #require(Self.cpuFlags(), "no /proc/cpuinfo: nothing to compare the dispatch with")
        let expected = flags.contains("avx512f") ? 512 : flags.contains("avx2") && flags.contains("f16c") ? 256 : 0
        #expect(MatrixKernels.sixteenBitVectorBits == expected, "flags say \(expected)-bit tiles")
        let f32Expected = flags.contains("avx512f") ? 3 : flags.contains("avx") && flags.contains("fma") ? 2 : flags.contains("avx") ? 1 : 0
        #expect(MatrixKernels.simdLevel == f32Expected)
        func taken<S: FloatingScalar>(_: S.Type, fused: Bool) -> Bool {
            var a = [S](repeating: S(1.5), count: 2 * 3), b = [S](repeating: S(0.25), count: 3 * 17), c = [S](repeating: .zero, count: 2 * 17)
            return a.withUnsafeMutableBufferPointer { a in b.withUnsafeMutableBufferPointer { b in c.withUnsafeMutableBufferPointer { c in
                S.nativeMatrixAccumulate(c.baseAddress!, 17, a.baseAddress!, 3, 1, b.baseAddress!, 17, 2, 17, 3, fused)
            } } }
        }
        let hTaken = taken(Half.self, fused: false), bfTaken = taken(BFloat16.self, fused: false)
        #expect(hTaken == (expected > 0) && bfTaken == (expected > 0))
        // No fused variant: the row kernels' fma path runs instead.
        #expect(!taken(Half.self, fused: true) && !taken(BFloat16.self, fused: true))
    }

    /// The order is observable at these shapes: the same products summed in reverse disagree
    /// in binary32, so the test above would catch a kernel that reordered its sums.
    @Test func orderIsObservable() {
        var g = SeededGenerator(seed: 5)
        let terms = (0..<300).map { _ in (Float(g.uniform(-2, 2)), Float(g.uniform(-2, 2))) }
        let forward = terms.reduce(Float.zero) { $0 + $1.0 * $1.1 }
        let backward = terms.reversed().reduce(Float.zero) { $0 + $1.0 * $1.1 }
        #expect(forward.bitPattern != backward.bitPattern)
    }
}
