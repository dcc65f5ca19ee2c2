import TestSupport
import Testing
import Precision

/// The engine-level arithmetic gives the same results as the value-level operations it wraps,
/// for every fixed format, and MPFR at a format's precision gives the same in the normal range.
@Suite struct ScalarArithmeticTests {
    static func agreesWithValues<S: FloatingScalar>(_: S.Type, seed: UInt64) -> Int {
        let m = FixedArithmetic<S>()
        let s = m.makeStorage(count: 4)
        let r = s.base, a = s.base + 1, b = s.base + 2, c = s.base + 3
        var g = SeededGenerator(seed: seed)
        var failures = 0
        func same(_ x: S, _ y: S) -> Bool { sameResult(x.exactDouble, y.exactDouble) }
        for _ in 0..<20_000 {
            let x = S(Double(Int64(bitPattern: g.next() >> 40)) * 0x1p-12)
            let y = S(Double(Int64(bitPattern: g.next() >> 40)) * 0x1p-13)
            let z = S(Double(Int64(bitPattern: g.next() >> 40)) * 0x1p-14)
            m.set(a, x.exactDouble); m.set(b, y.exactDouble); m.set(c, z.exactDouble)
            m.add(r, a, b); if !same(r.pointee, x + y) { failures += 1 }
            m.subtract(r, a, b); if !same(r.pointee, x - y) { failures += 1 }
            m.multiply(r, a, b); if !same(r.pointee, x * y) { failures += 1 }
            m.divide(r, a, b); if !same(r.pointee, x / y) { failures += 1 }
            m.copy(r, c); m.multiplyAccumulate(r, a, b); if !same(r.pointee, z + x * y) { failures += 1 }
            m.fusedMultiplyAdd(r, a, b, c); if !same(r.pointee, z.addingProduct(x, y)) { failures += 1 }
            m.magnitude(r, a); if !same(r.pointee, x < .zero ? -x : x) { failures += 1 }
            m.tanh(r, a); if !same(r.pointee, S.tanh(x)) { failures += 1 }
            if m.compare(a, b) != (x < y ? -1 : (x == y ? 0 : 1)) { failures += 1 }
        }
        return failures
    }

    @Test func fixedArithmeticMatchesValueOperations() {
        #expect(Self.agreesWithValues(Half.self, seed: 1) == 0)
        #expect(Self.agreesWithValues(BFloat16.self, seed: 2) == 0)
        #expect(Self.agreesWithValues(Float.self, seed: 3) == 0)
        #expect(Self.agreesWithValues(Double.self, seed: 4) == 0)
    }

    @Test func signsAndClassesOfSpecialValues() {
        let m = FixedArithmetic<Half>()
        let s = m.makeStorage([-0.0, 0x1p-24, -2, .infinity, .nan, 1])
        let b = s.base
        #expect(m.sign(b) == 0 && m.sign(b + 1) == 1 && m.sign(b + 2) == -1 && m.sign(b + 4) == nil)
        #expect(m.classify(b) == .zero && m.classify(b + 1) == .subnormal && m.classify(b + 2) == .normal)
        #expect(m.classify(b + 3) == .infinite && m.classify(b + 4) == .nan)
        #expect(m.compare(b, s.base + 4) == nil)
        m.magnitude(b + 5, b)  // |−0| = +0, by its bits
        #expect(b[5].bitPattern == 0)
        m.multiply(b + 5, b + 3, b + 3)  // ∞·∞ stays ∞; 65504·2 overflows
        #expect(b[5].isInfinite)
        let q = MPFRArithmetic(bits: 53)
        let t = q.makeStorage([-0.0, .infinity, .nan, 1e-300])
        #expect(q.sign(t.base) == 0 && q.classify(t.base + 1) == .infinite && q.classify(t.base + 2) == .nan)
        #expect(q.classify(t.base + 3) == .normal)  // no subnormals in MPFR's range
    }

    @Test func precisionsOfArithmetics() {
        #expect(FixedArithmetic<Half>().precision == .f16)
        #expect(FixedArithmetic<BFloat16>().precision == .bf16)
        #expect(FixedArithmetic<Float>().precision == .f32)
        #expect(FixedArithmetic<Double>().precision == .f64)
        #expect(MPFRArithmetic(bits: 300).precision == .mpfr(bits: 300))
    }
}
