import CMPFR
import CNativeKernels
import Testing
import TestSupport
import Precision

/// `DoubleDoubleBallArithmetic` against exact arithmetic: MPFR at 4096 bits, where every sum and
/// product of the values drawn here is exact (their bits span well under 2000). Every result
/// must contain the exact result at every point of its operands tried (the balls' ends and
/// midpoints — the extremes of `+ − ×` and of monotone functions over a box); points must stay
/// points where the computation is exact; decisions (`sign`, `compare`, disjointness, enclosure)
/// must hold at those points; and the checks must catch a deliberately unsound kernel.
@Suite struct DoubleDoubleBallTests {
    let dd = DoubleDoubleBallArithmetic()
    let exact = MPFRArithmetic(bits: 4096)

    /// A random double: normal magnitudes in ±[2⁻⁶⁰, 2⁶⁰], huge and tiny ones (±2^±900),
    /// subnormals, signed zeros.
    static func double(_ g: inout SeededGenerator) -> Double {
        let sign: FloatingPointSign = g.next() % 2 == 0 ? .plus : .minus
        switch g.next() % 10 {
        case 0: return sign == .plus ? 0 : -0.0
        case 1: return Double(sign: sign, exponent: -1074 + Int(g.next() % 60), significand: 1) * g.uniform(1, 2).rounded()
        case 2: return Double(sign: sign, exponent: Int(g.next() % 40) + 880, significand: g.uniform(1, 2))
        case 3: return Double(sign: sign, exponent: -Int(g.next() % 40) - 880, significand: g.uniform(1, 2))
        case 4: return Double(Float(Double(sign: sign, exponent: Int(g.next() % 20) - 10, significand: g.uniform(1, 2))))
        default: return Double(sign: sign, exponent: Int(g.next() % 120) - 60, significand: g.uniform(1, 2))
        }
    }

    /// A random ball: a point double, a double-double point, or a ball with a radius near the
    /// midpoint's last bits (or, sometimes, straddling 0).
    static func ball(_ g: inout SeededGenerator) -> bp_ball {
        let h = double(&g)
        switch g.next() % 4 {
        case 0: return bp_ball(hi: h, lo: 0, rad: 0)
        case 1:
            let l = h * 0x1p-54 * g.uniform(-1, 1)
            let s = h + l
            return bp_ball(hi: s, lo: l - (s - h), rad: 0)
        case 2:
            let l = h * 0x1p-54 * g.uniform(-1, 1)
            let s = h + l
            return bp_ball(hi: s, lo: l - (s - h), rad: abs(h) * 0x1p-100 * g.uniform(0, 4))
        default:
            return bp_ball(hi: h, lo: 0, rad: abs(h) * g.uniform(0, 2))
        }
    }

    /// The three points `mid − rad`, `mid`, `mid + rad` of `b`, exactly, into `e`, `e+1`, `e+2`.
    func points(_ b: bp_ball, _ e: MPFRArithmetic.Ref) {
        exact.set(e + 1, b.hi)
        exact.set(e + 3, b.lo)
        exact.add(e + 1, e + 1, e + 3)
        exact.set(e + 3, b.rad)
        exact.subtract(e, e + 1, e + 3)
        exact.add(e + 2, e + 1, e + 3)
    }

    /// Whether `|v − mid(b)| ≤ rad(b) + 2^slack·|v|`, computed exactly (a slack only for results
    /// the oracle itself rounds at 4096 bits: quotients, roots, elementary functions).
    func contains(_ b: bp_ball, _ v: MPFRArithmetic.Ref, slack: Int? = nil) -> Bool {
        if b.hi.isNaN { return true }  // the unknown ball claims nothing
        let s = exact.makeStorage(count: 3)
        exact.set(s.base, b.hi)
        exact.set(s.base + 1, b.lo)
        exact.add(s.base, s.base, s.base + 1)
        exact.subtract(s.base, v, s.base)
        exact.magnitude(s.base, s.base)
        exact.set(s.base + 1, b.rad)
        if let slack {
            exact.magnitude(s.base + 2, v)
            mpfr_mul_2si(s.base + 2, s.base + 2, slack, MPFR_RNDU)
            exact.add(s.base + 1, s.base + 1, s.base + 2)
        }
        return exact.compare(s.base, s.base + 1).map { $0 <= 0 } ?? false
    }

    /// Checks `op` (a ball result from two balls) against `f` (its exact value at two points)
    /// on every pair of the operands' points; returns the failures.
    func check(_ name: String, trials: Int, seed: UInt64, slack: Int? = nil,
               admit: (bp_ball, bp_ball) -> Bool = { _, _ in true },
               _ op: (inout bp_ball, inout bp_ball, inout bp_ball) -> Void,
               _ f: (MPFRArithmetic.Ref, MPFRArithmetic.Ref, MPFRArithmetic.Ref) -> Void) -> [String] {
        var g = SeededGenerator(seed: seed)
        let e = exact.makeStorage(count: 8)
        var failures: [String] = []
        for _ in 0..<trials {
            var a = Self.ball(&g), b = Self.ball(&g), r = bp_ball(hi: 0, lo: 0, rad: 0)
            guard admit(a, b) else { continue }
            op(&r, &a, &b)
            points(a, e.base)
            points(b, e.base + 3)
            for i in 0..<3 {
                for j in 0..<3 {
                    f(e.base + 6, e.base + i, e.base + 3 + j)
                    if !contains(r, e.base + 6, slack: slack) {
                        failures.append("\(name)(\(a), \(b)) = \(r) misses the point (\(i), \(j))")
                    }
                }
            }
        }
        return failures
    }

    @Test func sumsDifferencesAndProductsContainTheExactResult() {
        var failures: [String] = []
        failures += check("add", trials: 20000, seed: 1, { r, a, b in dd.add(&r, &a, &b) }) { exact.add($0, $1, $2) }
        failures += check("subtract", trials: 20000, seed: 2, { r, a, b in dd.subtract(&r, &a, &b) }) { exact.subtract($0, $1, $2) }
        failures += check("multiply", trials: 20000, seed: 3, { r, a, b in dd.multiply(&r, &a, &b) }) { exact.multiply($0, $1, $2) }
        #expect(failures.isEmpty, "\(failures.count) failures, first: \(failures.prefix(3))")
    }

    @Test func multiplyAccumulateContainsTheExactResult() {
        // r ← c + a·b with c a third random ball: checked at c's midpoint and ends too.
        var g = SeededGenerator(seed: 4)
        let e = exact.makeStorage(count: 12)
        var failures = 0
        for _ in 0..<20000 {
            var a = Self.ball(&g), b = Self.ball(&g), c = Self.ball(&g)
            var r = c
            dd.multiplyAccumulate(&r, &a, &b)
            points(a, e.base); points(b, e.base + 3); points(c, e.base + 6)
            for i in 0..<3 { for j in 0..<3 { for k in 0..<3 {
                exact.multiply(e.base + 9, e.base + i, e.base + 3 + j)
                exact.add(e.base + 9, e.base + 9, e.base + 6 + k)
                if !contains(r, e.base + 9) { failures += 1 }
            } } }
        }
        #expect(failures == 0)
    }

    @Test func quotientsRootsAndElementaryFunctionsContainTheExactResult() {
        var failures: [String] = []
        failures += check("divide", trials: 3000, seed: 5, slack: -4000, admit: { _, b in bp_ball_sign([b]) != 2 && b.hi != 0 },
                          { r, a, b in dd.divide(&r, &a, &b) }) { exact.divide($0, $1, $2) }
        let unary: [(String, (DoubleDoubleBallArithmetic.Ref, DoubleDoubleBallArithmetic.Ref) -> Void,
                     (MPFRArithmetic.Ref, MPFRArithmetic.Ref) -> Void, (bp_ball) -> Bool)] = [
            ("sqrt", dd.squareRoot, exact.squareRoot, { b in b.hi > 0 && b.rad < b.hi / 2 }),
            ("exp", dd.exp, exact.exp, { b in abs(b.hi) < 600 }),
            ("tanh", dd.tanh, exact.tanh, { _ in true }),
            ("log", dd.log, exact.log, { b in b.hi > 0 && b.rad < b.hi / 2 }),
            ("negate", dd.negate, exact.negate, { _ in true }),
            ("magnitude", dd.magnitude, exact.magnitude, { _ in true }),
        ]
        for (k, (name, op, f, admit)) in unary.enumerated() {
            // Unary: `b` is unused; the points of `a` are checked (`j` runs over b's, harmlessly).
            failures += check(name, trials: 2000, seed: 10 + UInt64(k), slack: -4000, admit: { a, _ in admit(a) },
                              { r, a, _ in op(&r, &a) }) { r, x, _ in f(r, x) }
        }
        #expect(failures.isEmpty, "\(failures.count) failures, first: \(failures.prefix(3))")
    }

    @Test func rowKernelsContainTheExactSums() {
        // axpy and dot over 40 terms, against the exact sums at random points of every ball.
        var g = SeededGenerator(seed: 6)
        let e = exact.makeStorage(count: 10)
        let x = e.base, y = e.base + 4, sum = e.base + 8, term = e.base + 9  // points() uses 4 slots
        func pick(_ g: inout SeededGenerator) -> Int { Int(g.next() % 3) }
        var failures = 0
        for _ in 0..<400 {
            let n = 40
            var a = (0..<n).map { _ in Self.ball(&g) }, b = (0..<n).map { _ in Self.ball(&g) }
            var r = [bp_ball(hi: 0, lo: 0, rad: 0)]
            dd.dotAccumulate(&r, &a, 1, &b, 1, n, fused: false)
            var one = [Self.ball(&g)]
            var rows = (0..<n).map { _ in Self.ball(&g) }
            let before = rows
            dd.axpy(&rows, 1, &one, &b, 1, n, fused: false)
            for _ in 0..<6 {
                exact.set(sum, 0)
                for k in 0..<n {
                    points(a[k], x); points(b[k], y)
                    exact.multiply(term, x + pick(&g), y + pick(&g))
                    exact.add(sum, sum, term)
                }
                if !contains(r[0], sum) { failures += 1 }
                for k in 0..<n {
                    points(one[0], x); points(b[k], y)
                    exact.multiply(term, x + pick(&g), y + pick(&g))
                    points(before[k], y)
                    exact.add(term, term, y + pick(&g))
                    if !contains(rows[k], term) { failures += 1 }
                }
            }
        }
        #expect(failures == 0)
    }

    @Test func decisionsHoldAtEveryPoint() {
        // sign, compare, disjointness and enclosure, whenever they answer, against the exact
        // order of the balls' ends; and they answer for points and for well-separated balls.
        var g = SeededGenerator(seed: 7)
        let e = exact.makeStorage(count: 8)
        var wrong = 0, decidedPoints = 0, points_ = 0
        for _ in 0..<20000 {
            var a = Self.ball(&g), b = Self.ball(&g)
            if g.next() % 4 == 0 { b = a; b.rad = a.rad * g.uniform(0, 1.5) }
            points(a, e.base); points(b, e.base + 3)
            if let s = dd.sign(&a) {
                for i in 0..<3 where exact.sign(e.base + i) != s { wrong += 1 }
            }
            if let c = dd.compare(&a, &b) {
                for i in 0..<3 { for j in 0..<3 where exact.compare(e.base + i, e.base + 3 + j) != c { wrong += 1 } }
            }
            if dd.provenDifferent(&a, &b) {
                for i in 0..<3 { for j in 0..<3 where exact.compare(e.base + i, e.base + 3 + j) == 0 { wrong += 1 } }
            }
            if dd.encloses(&a, &b) {
                if exact.compare(e.base, e.base + 3)! > 0 || exact.compare(e.base + 5, e.base + 2)! > 0 { wrong += 1 }
            }
            if a.rad == 0 && b.rad == 0 {
                points_ += 1
                if dd.compare(&a, &b) != nil && dd.sign(&a) != nil { decidedPoints += 1 }
            }
        }
        #expect(wrong == 0)
        #expect(decidedPoints == points_, "points are always decided")
    }

    @Test func exactComputationsStayPoints() {
        // The worked example: f32 a = b = 1 + 2⁻²⁰, c = 1 + 2⁻¹⁹, d = −1: a·b + c·d = 2⁻⁴⁰ exactly.
        var x = [bp_ball(hi: 1 + 0x1p-20, lo: 0, rad: 0), bp_ball(hi: 1 + 0x1p-19, lo: 0, rad: 0)]
        var y = [bp_ball(hi: 1 + 0x1p-20, lo: 0, rad: 0), bp_ball(hi: -1, lo: 0, rad: 0)]
        var r = [bp_ball(hi: 0, lo: 0, rad: 0)]
        dd.dotAccumulate(&r, &x, 1, &y, 1, 2, fused: false)
        #expect(dd.isPoint(&r) && r[0].hi == 0x1p-40 && r[0].lo == 0)
        // Products of f32 values and their sums over 25 terms of similar size: exact in double-double.
        var g = SeededGenerator(seed: 8)
        var inexact = 0
        for _ in 0..<2000 {
            var a = (0..<25).map { _ in bp_ball(hi: Double(Float(g.uniform(-1, 1))), lo: 0, rad: 0) }
            var b = (0..<25).map { _ in bp_ball(hi: Double(Float(g.uniform(0, 1))), lo: 0, rad: 0) }
            var s = [bp_ball(hi: 0, lo: 0, rad: 0)]
            dd.dotAccumulate(&s, &a, 1, &b, 1, 25, fused: false)
            if !dd.isPoint(&s) { inexact += 1 }
        }
        #expect(inexact == 0)
        // A sum that cancels exactly is the point 0, whose sign is 0 (a genuine kink hit).
        var p = [bp_ball(hi: 0.75, lo: 0, rad: 0), bp_ball(hi: -0.75, lo: 0, rad: 0)]
        var one = [bp_ball(hi: 1, lo: 0, rad: 0), bp_ball(hi: 1, lo: 0, rad: 0)]
        var z = [bp_ball(hi: 0, lo: 0, rad: 0)]
        dd.dotAccumulate(&z, &p, 1, &one, 1, 2, fused: false)
        #expect(dd.sign(&z) == 0)
    }

    @Test func overflowGivesTheUnknownBall() {
        var a = [bp_ball(hi: 0x1p1000, lo: 0, rad: 0)], b = a, r = [bp_ball(hi: 0, lo: 0, rad: 0)]
        dd.multiply(&r, &a, &b)
        #expect(r[0].hi.isNaN && dd.sign(&r) == nil && dd.classify(&r) == .nan)
        var inf = [bp_ball(hi: .infinity, lo: 0, rad: 0)]
        #expect(dd.sign(&inf) == 1 && dd.classify(&inf) == .infinite)
    }

    @Test func theChecksCatchAnUnsoundKernel() {
        // The same multiply-accumulate with the discarded parts left out of the radius: the
        // containment check must find points it misses (so the checks above can fail).
        let failures = check("unsound", trials: 2000, seed: 9, { r, a, b in bp_ball_mul_acc_unsound_for_testing(&r, &a, &b) }) {
            exact.multiply($0, $1, $2)
        }
        #expect(failures.count > 100)
    }

    @Test func conversionsThroughMPFRAreOutward() {
        // render(point) is exact, as MPFR renders points.
        var p = [bp_ball(hi: 0x1p-40, lo: 0, rad: 0)]
        #expect(dd.render(&p) == "9.094947017729282379150390625e-13")
        var b = [bp_ball(hi: 1, lo: 0x1p-60, rad: 0x1p-90)]
        #expect(dd.render(&b).hasPrefix("["))
        #expect(dd.width(&b) >= 0x1p-89)
    }
}
