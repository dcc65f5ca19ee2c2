import TestSupport
import Testing
import Precision

/// `+ − × ÷ √ fma` of the emulated 16-bit formats against MPFR with the format's precision,
/// exponent range and subnormals, on 10⁶ seeded operand triples per format.
@Suite struct Emulated16ArithmeticTests {
    struct Tally: CustomStringConvertible {
        var checked = 0
        var failures: [String: Int] = [:]
        var firstFailure: String?
        mutating func check(_ op: String, _ got: Double, _ want: Double, _ operands: String) {
            checked += 1
            if !sameResult(got, want) {
                failures[op, default: 0] += 1
                if firstFailure == nil { firstFailure = "\(op)(\(operands)) = \(got), MPFR says \(want)" }
            }
        }
        var description: String { "\(failures) of \(checked); first: \(firstFailure ?? "-")" }
    }

    static func arithmeticIsCorrectlyRounded<S: Emulated16BitFloat>(_: S.Type, seed: UInt64, count: Int) -> Tally {
        let oracle = FormatOracle(S.format)
        var g = SeededGenerator(seed: seed)
        var t = Tally()
        for _ in 0..<count {
            let a = randomOperand(S.self, &g)
            var b = randomOperand(S.self, &g)
            var c = randomOperand(S.self, &g)
            // Cancellation is where rounding bugs hide: often make b ≈ ±a and c ≈ −a·b.
            switch g.next() % 4 {
            case 0: b = nudged(-a, &g)
            case 1: b = nudged(a, &g)
            default: break
            }
            if g.next() % 3 == 0 { c = nudged(-(a * b), &g) }
            let x = a.exactDouble, y = b.exactDouble, z = c.exactDouble
            let operands = "\(a.bitPattern), \(b.bitPattern), \(c.bitPattern)"
            t.check("+", (a + b).exactDouble, oracle.add(x, y), operands)
            t.check("-", (a - b).exactDouble, oracle.sub(x, y), operands)
            t.check("*", (a * b).exactDouble, oracle.mul(x, y), operands)
            t.check("/", (a / b).exactDouble, oracle.div(x, y), operands)
            t.check("sqrt", S.sqrt(a).exactDouble, oracle.sqrt(x), operands)
            t.check("fma", c.addingProduct(a, b).exactDouble, oracle.fma(x, y, z), operands)
        }
        return t
    }

    @Test func halfArithmeticIsCorrectlyRounded() {
        let t = Self.arithmeticIsCorrectlyRounded(Half.self, seed: 0xF16, count: 1_000_000)
        #expect(t.checked == 6_000_000)
        #expect(t.failures.isEmpty, "binary16: \(t)")
    }

    @Test func bfloat16ArithmeticIsCorrectlyRounded() {
        let t = Self.arithmeticIsCorrectlyRounded(BFloat16.self, seed: 0xBF16, count: 1_000_000)
        #expect(t.checked == 6_000_000)
        #expect(t.failures.isEmpty, "bfloat16: \(t)")
    }

    /// The fused multiply-add is where a naive emulation goes wrong (the standard library's
    /// Float16 rounds twice too): here x·y = 2.8916015625 is exactly the midpoint between two
    /// binary16 neighbours, and + 2⁻²⁴ breaks the tie upward. Computing in Float loses the
    /// 2⁻²⁴ and rounds the tie to even (down); one rounding goes up.
    @Test func fusedMultiplyAddRoundsOnce() {
        let x = Half(bitPattern: 0x3FE0)  // 1.96875
        let y = Half(bitPattern: 0x3DE0)  // 1.46875
        let tiny = Half(bitPattern: 0x0001)  // 2⁻²⁴
        #expect((x * y).bitPattern == 0x41C8)  // the tie alone rounds to even
        #expect(tiny.addingProduct(x, y).bitPattern == 0x41C9)
        #expect(Half(Float(x.float * y.float) + tiny.float).bitPattern == 0x41C8)  // the naive way
        #expect((-tiny).addingProduct(x, y).bitPattern == 0x41C8)  // below the tie: down
    }
}
