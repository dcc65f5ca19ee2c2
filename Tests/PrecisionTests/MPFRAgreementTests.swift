import TestSupport
import Testing
import Precision

/// MPFR through bpcheck's arithmetic, at 53 and 24 bits, against the hardware's `Double` and
/// `Float` (an independent, correctly rounded implementation) in the normal range.
@Suite struct MPFRAgreementTests {
    /// A random value with a random exponent in `-span...span` (normal in both formats, and so
    /// are the results of the operations below).
    static func operand(_ g: inout SeededGenerator, span: Int, fractionBits: Int) -> Double {
        let e = Int(g.next() % UInt64(2 * span + 1)) - span
        let fraction = (g.next() >> UInt64(64 - fractionBits)) << UInt64(52 - fractionBits)
        let magnitude = Double(sign: .plus, exponent: e, significand: Double(bitPattern: 0x3FF0_0000_0000_0000 | fraction))
        return g.next() & 1 == 0 ? magnitude : -magnitude
    }

    /// Runs 10⁶ operand triples through the six operations in MPFR at `bits` and in the
    /// hardware type `T`, returning the number of disagreements per operation.
    static func compare<T: FloatingScalar & BinaryFloatingPoint>(_: T.Type, bits: Int, span: Int, seed: UInt64) -> (Int, [String: Int]) {
        let m = MPFRArithmetic(bits: bits)
        let s = m.makeStorage(count: 4)
        let r = s.base, a = s.base + 1, b = s.base + 2, c = s.base + 3
        var g = SeededGenerator(seed: seed)
        var checked = 0
        var failures: [String: Int] = [:]
        func check(_ name: String, _ want: T) {
            checked += 1
            if !sameResult(m.double(r), Double(want)) { failures[name, default: 0] += 1 }
        }
        let fractionBits = T.format.significandBits - 1
        for i in 0..<1_000_000 {
            let x = T(operand(&g, span: span, fractionBits: fractionBits))
            var y = T(operand(&g, span: span, fractionBits: fractionBits))
            let z = T(operand(&g, span: span, fractionBits: fractionBits))
            if i % 4 == 0 { y = -x.nextUp }  // cancellation
            m.set(a, Double(x)); m.set(b, Double(y)); m.set(c, Double(z))
            m.add(r, a, b); check("+", x + y)
            m.subtract(r, a, b); check("-", x - y)
            m.multiply(r, a, b); check("*", x * y)
            m.divide(r, a, b); check("/", x / y)
            m.magnitude(r, a); m.squareRoot(r, r); check("sqrt", x.magnitude.squareRoot())
            m.fusedMultiplyAdd(r, a, b, c); check("fma", z.addingProduct(x, y))
            m.copy(r, c); m.multiplyAccumulate(r, a, b); check("mul+add", z + x * y)
        }
        return (checked, failures)
    }

    @Test func mpfr53AgreesWithDoubleBitForBit() {
        let (checked, failures) = Self.compare(Double.self, bits: 53, span: 400, seed: 53)
        #expect(checked == 7_000_000)
        #expect(failures.isEmpty, "MPFR-53 vs Double disagreements: \(failures)")
    }

    @Test func mpfr24AgreesWithFloatBitForBit() {
        let (checked, failures) = Self.compare(Float.self, bits: 24, span: 40, seed: 24)
        #expect(checked == 7_000_000)
        #expect(failures.isEmpty, "MPFR-24 vs Float disagreements: \(failures)")
    }

    /// Directed rounding brackets the exact result: down ≤ exact ≤ up, nearest is one of the
    /// two, and down = up exactly when the operation was exact (as `isExact` reports).
    @Test func directedRoundingEnclosesTheExactResult() {
        let near = MPFRArithmetic(bits: 24), down = near.rounding(.down), up = near.rounding(.up)
        let wide = MPFRArithmetic(bits: 128)
        let operands = wide.makeStorage(count: 3)  // x, y and their exact product
        let x = operands.base, y = operands.base + 1, exact = operands.base + 2
        let results = near.makeStorage(count: 3)
        let lo = results.base, mid = results.base + 1, hi = results.base + 2
        var g = SeededGenerator(seed: 7)
        var inexactCount = 0
        for i in 0..<10_000 {
            // Short operands make some products exact at 24 bits; long ones make most inexact.
            let bits = i % 2 == 0 ? 11 : 40
            wide.set(x, Self.operand(&g, span: 10, fractionBits: bits))
            wide.set(y, Self.operand(&g, span: 10, fractionBits: bits))
            #expect(wide.isExact { wide.multiply(exact, x, y) })
            let wasExact = near.isExact { near.multiply(mid, x, y) }
            down.multiply(lo, x, y)
            up.multiply(hi, x, y)
            #expect(near.compare(lo, exact)! <= 0 && near.compare(exact, hi)! <= 0)
            #expect(near.compare(mid, lo) == 0 || near.compare(mid, hi) == 0)
            #expect((near.compare(lo, hi) == 0) == wasExact)
            if !wasExact { inexactCount += 1 }
        }
        #expect(inexactCount > 4_000 && inexactCount < 10_000)
    }
}
