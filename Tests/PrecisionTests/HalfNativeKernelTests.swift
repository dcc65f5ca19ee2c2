import Testing
import Precision
import TestSupport

/// The F16C row kernels (CNativeKernels) against the element-by-element emulation, whose every
/// operation Emulated16ArithmeticTests checks against MPFR: bit for bit, except that when two
/// NaNs meet, which payload survives is unspecified (IEEE 754 §6.2.3) and depends on the operand
/// order the optimiser picks for the emulation's commutative `Float` operations — there both
/// results must be NaN.
@Suite struct HalfNativeKernelTests {
    /// The same encoding, or both NaN.
    static func same(_ x: Half, _ y: Half) -> Bool { x.bitPattern == y.bitPattern || (x.isNaN && y.isNaN) }

    /// Encodings that stress the roundings: random bits (every class: subnormals, ±0, ±∞, NaNs
    /// with payloads), values near 1 whose products and sums round, and tiny values whose
    /// products flush to zero.
    static func values(_ n: Int, _ g: inout SeededGenerator) -> [Half] {
        (0..<n).map { _ in
            switch g.next() % 4 {
            case 0: Half(bitPattern: UInt16(truncatingIfNeeded: g.next()))
            case 1: Half(g.uniform(-2, 2))
            case 2: Half(g.uniform(-1, 1) * 0x1p-12)
            default: Half(bitPattern: UInt16(truncatingIfNeeded: g.next()) & 0x83FF)   // ±0 and subnormals
            }
        }
    }

    @Test func kernelsMatchTheEmulationBitForBit() throws {
        try #require(Half.hasNativeKernels, "F16C not available: the kernels are not used on this machine")
        var g = SeededGenerator(seed: 0xF16C)
        let a = FixedArithmetic<Half>()
        var checked = 0
        for trial in 0..<4000 {
            let n = trial % 41, xs = 1 + trial % 3, rs = trial % 5 == 0 ? 2 : 1
            var x = Self.values(max(n * xs, 1), &g), r = Self.values(max(n * rs, 1), &g)
            var scalar = Self.values(1, &g)
            if trial % 7 == 0 { scalar[0] = Half(g.uniform(-2, 2)) }
            // axpy
            var expected = r
            for k in 0..<n { expected[k * rs] = expected[k * rs] + scalar[0] * x[k * xs] }
            x.withUnsafeMutableBufferPointer { xb in
                r.withUnsafeMutableBufferPointer { rb in
                    scalar.withUnsafeMutableBufferPointer { sb in
                        a.axpy(rb.baseAddress!, rs, sb.baseAddress!, xb.baseAddress!, xs, n, fused: false)
                    }
                }
            }
            #expect(zip(r, expected).allSatisfy(Self.same), "axpy n=\(n) xs=\(xs) rs=\(rs)")
            // dot: the sequential sum of rounded products
            var acc = scalar[0]
            for k in 0..<n { acc = acc + r[k * rs] * x[k * xs] }
            var got = scalar
            got.withUnsafeMutableBufferPointer { gb in
                r.withUnsafeMutableBufferPointer { rb in
                    x.withUnsafeMutableBufferPointer { xb in
                        a.dotAccumulate(gb.baseAddress!, rb.baseAddress!, rs, xb.baseAddress!, xs, n, fused: false)
                    }
                }
            }
            #expect(Self.same(got[0], acc), "dot n=\(n)")
            // flush counts
            func finiteNonzero(_ h: Half) -> Bool { h.isFiniteValue && !h.isZero }
            let products = finiteNonzero(scalar[0]) ? (0..<n).filter { (scalar[0] * x[$0 * xs]).isZero && finiteNonzero(x[$0 * xs]) }.count : 0
            let pairs = (0..<n).filter { (r[$0 * rs] * x[$0 * xs]).isZero && finiteNonzero(r[$0 * rs]) && finiteNonzero(x[$0 * xs]) }.count
            x.withUnsafeMutableBufferPointer { xb in
                r.withUnsafeMutableBufferPointer { rb in
                    scalar.withUnsafeMutableBufferPointer { sb in
                        #expect(a.flushedProducts(sb.baseAddress!, xb.baseAddress!, xs, n) == products)
                        #expect(a.flushedPairs(rb.baseAddress!, rs, xb.baseAddress!, xs, n) == pairs)
                    }
                }
            }
            checked += n
        }
        print("HalfNativeKernelTests: \(checked) elements of each kernel agree with the emulation")
    }
}

/// The AVX `axpy` of `Float` and `Double` against the scalar `r + a·x` loop, bit for bit.
@Suite struct WideNativeKernelTests {
    func check<S: BinaryFloatingPoint>(_: S.Type, _ a: FixedArithmetic<S>, _ bits: (S) -> UInt64, _ g: inout SeededGenerator) where S: FloatingScalar {
        for trial in 0..<500 {
            let n = trial % 70
            func value() -> S {
                switch g.next() % 5 {
                case 0: S(Double(bitPattern: g.next()))                 // any class, NaNs included
                case 1: S(g.uniform(-1, 1) * 0x1p-1020)
                default: S(g.uniform(-4, 4))
                }
            }
            var x = (0..<max(n, 1)).map { _ in value() }, r = (0..<max(n, 1)).map { _ in value() }, s = [value()]
            var expected = r
            for k in 0..<n { expected[k] = expected[k] + s[0] * x[k] }
            x.withUnsafeMutableBufferPointer { xb in r.withUnsafeMutableBufferPointer { rb in s.withUnsafeMutableBufferPointer { sb in
                a.axpy(rb.baseAddress!, 1, sb.baseAddress!, xb.baseAddress!, 1, n, fused: false)
            } } }
            #expect(zip(r, expected).allSatisfy { bits($0) == bits($1) || ($0.isNaN && $1.isNaN) }, "\(S.self) n=\(n)")
        }
    }

    @Test func axpyMatchesTheScalarLoop() {
        var g = SeededGenerator(seed: 0xA5)
        check(Float.self, FixedArithmetic<Float>(), { UInt64($0.bitPattern) }, &g)
        check(Double.self, FixedArithmetic<Double>(), { $0.bitPattern }, &g)
    }
}
