import TestSupport
import Testing
import Precision

/// `+ − × ÷` of the fp8 formats against MPFR at the format's precision and exponent range
/// (subnormals emulated, `FormatOracle`): every one of the 65 536 operand pairs, then 10⁶ seeded
/// random pairs; `√` of all 256 values; the fused multiply-add on 10⁶ random triples.
@Suite struct Float8ArithmeticTests {
    /// MPFR's result in the format, with the format's overflow: E4M3FN has no infinities, so
    /// MPFR's results beyond 448 (its range goes to 480 and ∞) are the NaN a non-saturating
    /// overflow gives.
    static func inFormat<S: Emulated8BitFloat>(_: S.Type, _ r: Double) -> Double {
        if !S.hasInfinities && (r.isInfinite || r.magnitude > S.format.greatestFiniteMagnitude!) { return .nan }
        return r
    }

    struct Tally {
        var checked = 0, failed = 0
        var first: String?
        mutating func check(_ op: String, _ got: Double, _ want: Double, _ a: UInt8, _ b: UInt8) {
            checked += 1
            if !sameResult(got, want) {
                failed += 1
                if first == nil { first = "\(op)(0x\(String(a, radix: 16)), 0x\(String(b, radix: 16))) = \(got), MPFR \(want)" }
            }
        }
    }

    static func check<S: Emulated8BitFloat>(_: S.Type, seed: UInt64) -> Tally {
        let oracle = FormatOracle(S.format)
        var t = Tally()
        func pair(_ a: S, _ b: S) {
            let x = a.exactDouble, y = b.exactDouble
            t.check("+", (a + b).exactDouble, inFormat(S.self, oracle.add(x, y)), a.bitPattern, b.bitPattern)
            t.check("-", (a - b).exactDouble, inFormat(S.self, oracle.sub(x, y)), a.bitPattern, b.bitPattern)
            t.check("*", (a * b).exactDouble, inFormat(S.self, oracle.mul(x, y)), a.bitPattern, b.bitPattern)
            t.check("/", (a / b).exactDouble, inFormat(S.self, oracle.div(x, y)), a.bitPattern, b.bitPattern)
        }
        for i in 0..<256 {
            for j in 0..<256 { pair(S(bitPattern: UInt8(i)), S(bitPattern: UInt8(j))) }
            let a = S(bitPattern: UInt8(i))
            t.check("sqrt", S.sqrt(a).exactDouble, inFormat(S.self, oracle.sqrt(a.exactDouble)), a.bitPattern, 0)
        }
        var g = SeededGenerator(seed: seed)
        for _ in 0..<1_000_000 {
            let a = S(bitPattern: UInt8(truncatingIfNeeded: g.next())), b = S(bitPattern: UInt8(truncatingIfNeeded: g.next()))
            let c = S(bitPattern: UInt8(truncatingIfNeeded: g.next()))
            pair(a, b)
            t.check("fma", c.addingProduct(a, b).exactDouble, inFormat(S.self, oracle.fma(a.exactDouble, b.exactDouble, c.exactDouble)), a.bitPattern, b.bitPattern)
        }
        return t
    }

    @Test func e4m3ArithmeticIsCorrectlyRounded() {
        let t = Self.check(Float8E4M3FN.self, seed: 0xE4)
        #expect(t.failed == 0, "e4m3: \(t.failed) of \(t.checked) differ from MPFR; first: \(t.first ?? "-")")
        #expect(t.checked == 4 * 65536 + 256 + 5 * 1_000_000)
    }

    @Test func e5m2ArithmeticIsCorrectlyRounded() {
        let t = Self.check(Float8E5M2.self, seed: 0xE5)
        #expect(t.failed == 0, "e5m2: \(t.failed) of \(t.checked) differ from MPFR; first: \(t.first ?? "-")")
        #expect(t.checked == 4 * 65536 + 256 + 5 * 1_000_000)
    }
}
