import Testing
import Precision

/// Whether MPFR reports exactness correctly for known exact and inexact operations and chains.
@Suite struct MPFRExactnessTests {
    let m53 = MPFRArithmetic(bits: 53)

    /// Evaluates `op` on fresh slots holding `values` and returns whether it was exact.
    func exact(_ m: MPFRArithmetic, _ values: [Double], _ op: (MPFRArithmetic.Ref, MPFRArithmetic.Ref, MPFRArithmetic.Ref) -> Void) -> Bool {
        let s = m.makeStorage(count: 3)
        for (i, v) in values.enumerated() { m.set(s.base + 1 + i, v) }
        return m.isExact { op(s.base, s.base + 1, s.base + 2) }
    }

    @Test func singleOperations() {
        #expect(exact(m53, [1, 0x1p-52]) { m53.add($0, $1, $2) })           // 1 + ulp: fits
        #expect(!exact(m53, [1, 0x1p-53]) { m53.add($0, $1, $2) })          // half an ulp: rounds
        #expect(exact(m53, [3, 0.25]) { m53.divide($0, $1, $2) })           // 12
        #expect(!exact(m53, [1, 3]) { m53.divide($0, $1, $2) })             // 1/3
        #expect(exact(m53, [4]) { r, a, _ in m53.squareRoot(r, a) })
        #expect(!exact(m53, [2]) { r, a, _ in m53.squareRoot(r, a) })
        #expect(exact(m53, [0]) { r, a, _ in m53.exp(r, a) })                         // e⁰ = 1
        #expect(!exact(m53, [1]) { r, a, _ in m53.exp(r, a) })                        // e
        #expect(exact(m53, [1]) { r, a, _ in m53.log(r, a) })                         // log 1 = 0
        let m24 = MPFRArithmetic(bits: 24)
        // Setting 0.1 (a 53-bit Double) rounds at 24 bits, not at 53.
        #expect(!m24.isExact { let s = m24.makeStorage(count: 1); m24.set(s.base, 0.1) })
        #expect(m53.isExact { let s = m53.makeStorage(count: 1); m53.set(s.base, 0.1) })
    }

    /// The worked example of analysis.md: a = b = 1 + 2⁻²⁰, c = 1 + 2⁻¹⁹, d = −1. At 24 bits
    /// a·b rounds and the sum is 0; at 256 bits every step is exact and the sum is 2⁻⁴⁰.
    @Test func workedExampleChain() {
        func run(_ m: MPFRArithmetic) -> (Double, Bool) {
            let s = m.makeStorage([1 + 0x1p-20, 1 + 0x1p-20, 1 + 0x1p-19, -1, 0])
            let b = s.base
            let exact = m.isExact {
                m.multiply(b + 4, b, b + 1)          // a·b
                m.multiplyAccumulate(b + 4, b + 2, b + 3)  // + c·d
            }
            return (m.double(b + 4), exact)
        }
        let (v24, exact24) = run(MPFRArithmetic(bits: 24))
        #expect(v24 == 0 && !exact24)
        let (v256, exact256) = run(MPFRArithmetic(bits: 256))
        #expect(v256 == 0x1p-40 && exact256)
        let (v53, exact53) = run(MPFRArithmetic(bits: 53))
        #expect(v53 == 0x1p-40 && exact53)  // a·b needs 41 bits: exact in 53
    }

    /// `isExact` nests and restores: an inexact operation inside an inner block still makes
    /// the outer block inexact, and a block after an inexact one starts clean.
    @Test func exactnessChecksNest() {
        let s = m53.makeStorage([1, 3, 0])
        let b = s.base
        var innerExact = true
        let outerExact = m53.isExact {
            innerExact = m53.isExact { m53.divide(b + 2, b, b + 1) }
        }
        #expect(!innerExact && !outerExact)
        #expect(m53.isExact { m53.add(b + 2, b, b + 1) })
    }

    @Test func decimalStrings() {
        let m = MPFRArithmetic(bits: 256)
        let s = m.makeStorage([0x1p-40, -0.0, .infinity, .nan, 1.5, -1234.5])
        #expect(m.decimalString(s.base) == "9.094947017729282379150390625e-13")
        #expect(m.decimalString(s.base + 1) == "-0")
        #expect(m.decimalString(s.base + 2) == "inf")
        #expect(m.decimalString(s.base + 3) == "nan")
        #expect(m.decimalString(s.base + 4) == "1.5")
        #expect(m.decimalString(s.base + 5, digits: 3) == "-1.23e3")
    }
}
