import CMPFR
import CNativeKernels
import Testing
import TestSupport
import Precision

/// `QuadDoubleBallArithmetic` against exact arithmetic: MPFR at 4096 bits, where every sum and
/// product of the values drawn here is exact. As for the double-double balls: every result must
/// contain the exact result at every point of its operands tried (ends and midpoints), decisions
/// must hold at those points and be made for every pair of points, the enclosures must be as
/// narrow as 212 bits promise, and the checks must catch a deliberately unsound kernel.
@Suite struct QuadDoubleBallTests {
    let qd = QuadDoubleBallArithmetic()
    let exact = MPFRArithmetic(bits: 4096)

    /// A random ball: a one-double point, a four-double point (each component about an ulp of
    /// the one before, as renormalised values are), such a midpoint with a radius near its last
    /// bits, or a ball with a radius near its magnitude (sometimes straddling 0).
    static func ball(_ g: inout SeededGenerator) -> bp_qball {
        let c0 = DoubleDoubleBallTests.double(&g)
        let c1 = c0 * 0x1p-54 * g.uniform(-1, 1), c2 = c1 * 0x1p-54 * g.uniform(-1, 1), c3 = c2 * 0x1p-54 * g.uniform(-1, 1)
        switch g.next() % 4 {
        case 0: return bp_qball(c0: c0, c1: 0, c2: 0, c3: 0, rad: 0)
        case 1: return bp_qball(c0: c0, c1: c1, c2: c2, c3: c3, rad: 0)
        case 2: return bp_qball(c0: c0, c1: c1, c2: c2, c3: c3, rad: abs(c0) * 0x1p-210 * g.uniform(0, 4))
        default: return bp_qball(c0: c0, c1: 0, c2: 0, c3: 0, rad: abs(c0) * g.uniform(0, 2))
        }
    }

    /// The points `mid − rad`, `mid`, `mid + rad` of `b`, exactly, into `e`, `e+1`, `e+2` (`e+3` scratch).
    func points(_ b: bp_qball, _ e: MPFRArithmetic.Ref) {
        exact.set(e + 1, b.c0)
        for c in [b.c1, b.c2, b.c3] {
            exact.set(e + 3, c)
            exact.add(e + 1, e + 1, e + 3)
        }
        exact.set(e + 3, b.rad)
        exact.subtract(e, e + 1, e + 3)
        exact.add(e + 2, e + 1, e + 3)
    }

    /// Whether `|v − mid(b)| ≤ rad(b) (+ 2^slack·|v|)`, exactly.
    func contains(_ b: bp_qball, _ v: MPFRArithmetic.Ref, slack: Int? = nil) -> Bool {
        if b.c0.isNaN { return true }  // the unknown ball claims nothing
        let s = exact.makeStorage(count: 7)
        points(bp_qball(c0: b.c0, c1: b.c1, c2: b.c2, c3: b.c3, rad: 0), s.base + 3)
        exact.subtract(s.base, v, s.base + 4)
        exact.magnitude(s.base, s.base)
        exact.set(s.base + 1, b.rad)
        if let slack {
            exact.magnitude(s.base + 2, v)
            mpfr_mul_2si(s.base + 2, s.base + 2, slack, MPFR_RNDU)
            exact.add(s.base + 1, s.base + 1, s.base + 2)
        }
        return exact.compare(s.base, s.base + 1).map { $0 <= 0 } ?? false
    }

    /// `op` (a ball from two balls) against `f` (its exact value at two points) at every pair of
    /// the operands' points; the failures.
    func check(_ name: String, trials: Int, seed: UInt64, slack: Int? = nil, admit: (bp_qball, bp_qball) -> Bool = { _, _ in true },
               _ op: (inout bp_qball, inout bp_qball, inout bp_qball) -> Void,
               _ f: (MPFRArithmetic.Ref, MPFRArithmetic.Ref, MPFRArithmetic.Ref) -> Void) -> [String] {
        var g = SeededGenerator(seed: seed)
        let e = exact.makeStorage(count: 9)
        var failures: [String] = []
        for _ in 0..<trials {
            var a = Self.ball(&g), b = Self.ball(&g), r = bp_qball.zeroSlot
            guard admit(a, b) else { continue }
            op(&r, &a, &b)
            points(a, e.base)
            points(b, e.base + 4)
            for i in 0..<3 {
                for j in 0..<3 {
                    f(e.base + 8, e.base + i, e.base + 4 + j)
                    if !contains(r, e.base + 8, slack: slack) { failures.append("\(name)(\(a), \(b)) = \(r) misses (\(i), \(j))") }
                }
            }
        }
        return failures
    }

    @Test func sumsDifferencesAndProductsContainTheExactResult() {
        var failures: [String] = []
        failures += check("add", trials: 20000, seed: 1, { r, a, b in qd.add(&r, &a, &b) }) { exact.add($0, $1, $2) }
        failures += check("subtract", trials: 20000, seed: 2, { r, a, b in qd.subtract(&r, &a, &b) }) { exact.subtract($0, $1, $2) }
        failures += check("multiply", trials: 20000, seed: 3, { r, a, b in qd.multiply(&r, &a, &b) }) { exact.multiply($0, $1, $2) }
        #expect(failures.isEmpty, "\(failures.count) failures, first: \(failures.prefix(3))")
    }

    /// `r ← c + a·b` through `mac`, checked at the points of a, b and c; the failures.
    func multiplyAccumulateFailures(seed: UInt64, _ mac: (inout bp_qball, inout bp_qball, inout bp_qball) -> Void) -> Int {
        var g = SeededGenerator(seed: seed)
        let e = exact.makeStorage(count: 13)
        var failures = 0
        for _ in 0..<20000 {
            var a = Self.ball(&g), b = Self.ball(&g), c = Self.ball(&g)
            var r = c
            mac(&r, &a, &b)
            points(a, e.base); points(b, e.base + 4); points(c, e.base + 8)
            for i in 0..<3 { for j in 0..<3 { for k in 0..<3 {
                exact.multiply(e.base + 12, e.base + i, e.base + 4 + j)
                exact.add(e.base + 12, e.base + 12, e.base + 8 + k)
                if !contains(r, e.base + 12) { failures += 1 }
            } } }
        }
        return failures
    }

    @Test func multiplyAccumulateContainsTheExactResult() {
        #expect(multiplyAccumulateFailures(seed: 4) { r, a, b in qd.multiplyAccumulate(&r, &a, &b) } == 0)
        // The checks catch a kernel that leaves the dropped terms out of the radius.
        let caught = multiplyAccumulateFailures(seed: 4) { r, a, b in bp_qball_mul_acc_unsound_for_testing(&r, &a, &b) }
        #expect(caught > 1000, "the unsound kernel gave \(caught) failures")
    }

    @Test func quotientsRootsAndElementaryFunctionsContainTheExactResult() {
        var failures: [String] = []
        failures += check("divide", trials: 2000, seed: 5, slack: -4000, admit: { _, b in bp_qball_compare([b], nil) != 2 && b.c0 != 0 },
                          { r, a, b in qd.divide(&r, &a, &b) }) { exact.divide($0, $1, $2) }
        let unary: [(String, (QuadDoubleBallArithmetic.Ref, QuadDoubleBallArithmetic.Ref) -> Void,
                     (MPFRArithmetic.Ref, MPFRArithmetic.Ref) -> Void, (bp_qball) -> Bool)] = [
            ("sqrt", qd.squareRoot, exact.squareRoot, { b in b.c0 > 0 && b.rad < b.c0 / 2 }),
            ("exp", qd.exp, exact.exp, { b in abs(b.c0) < 600 }),
            ("negate", qd.negate, exact.negate, { _ in true }),
            ("magnitude", qd.magnitude, exact.magnitude, { _ in true }),
        ]
        for (k, (name, op, f, admit)) in unary.enumerated() {
            failures += check(name, trials: 1500, seed: 10 + UInt64(k), slack: -4000, admit: { a, _ in admit(a) },
                              { r, a, _ in op(&r, &a) }) { r, x, _ in f(r, x) }
        }
        #expect(failures.isEmpty, "\(failures.count) failures, first: \(failures.prefix(3))")
    }

    @Test func rowKernelsContainTheExactSums() {
        // axpy (with a one-double and with a four-double multiplier: two code paths) and dot over
        // 40 terms, against the exact sums at random points of every ball.
        var g = SeededGenerator(seed: 6)
        let e = exact.makeStorage(count: 11)
        let x = e.base, y = e.base + 4, sum = e.base + 8, term = e.base + 9
        func pick(_ g: inout SeededGenerator) -> Int { Int(g.next() % 3) }
        var failures = 0
        for trial in 0..<400 {
            let n = 40
            var a = (0..<n).map { _ in Self.ball(&g) }, b = (0..<n).map { _ in Self.ball(&g) }
            var r = [bp_qball.zeroSlot]
            qd.dotAccumulate(&r, &a, 1, &b, 1, n, fused: false)
            var one = [Self.ball(&g)]
            if trial % 2 == 0 { one[0].c1 = 0; one[0].c2 = 0; one[0].c3 = 0 }
            var rows = (0..<n).map { _ in Self.ball(&g) }
            let before = rows
            qd.axpy(&rows, 1, &one, &b, 1, n, fused: false)
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

    @Test func enclosuresAreAsNarrowAs212BitsPromise() {
        // Dot products of four-double points of one sign: the radius stays within 2⁻²⁰⁰ of the
        // sum (no cancellation; the midpoint keeps ~212 bits, bounds lose a few).
        var g = SeededGenerator(seed: 9)
        var worst = 0.0
        for _ in 0..<500 {
            var a = (0..<64).map { _ in
                let c0 = g.uniform(1, 2), c1 = c0 * 0x1p-54 * g.uniform(-1, 1), c2 = c1 * 0x1p-54 * g.uniform(-1, 1)
                return bp_qball(c0: c0, c1: c1, c2: c2, c3: c2 * 0x1p-54 * g.uniform(-1, 1), rad: 0)
            }
            var b = a.reversed().map { $0 }
            var r = [bp_qball.zeroSlot]
            qd.dotAccumulate(&r, &a, 1, &b, 1, 64, fused: false)
            worst = max(worst, r[0].rad / r[0].c0)
        }
        #expect(worst < 0x1p-200, "relative radius \(worst)")
    }

    @Test func decisionsHoldAtEveryPoint() {
        var g = SeededGenerator(seed: 7)
        let e = exact.makeStorage(count: 8)
        var wrong = 0, decidedPoints = 0, pointPairs = 0
        for _ in 0..<20000 {
            var a = Self.ball(&g), b = Self.ball(&g)
            if g.next() % 4 == 0 { b = a; b.rad = a.rad * g.uniform(0, 1.5) }
            if g.next() % 8 == 0 { b = a; b.c3 = -b.c3 }  // points a few ulps of the fourth double apart
            points(a, e.base); points(b, e.base + 4)
            if let s = qd.sign(&a) {
                for i in 0..<3 where exact.sign(e.base + i) != s { wrong += 1 }
            }
            if let c = qd.compare(&a, &b) {
                for i in 0..<3 { for j in 0..<3 where exact.compare(e.base + i, e.base + 4 + j) != c { wrong += 1 } }
            }
            if qd.provenDifferent(&a, &b) {
                for i in 0..<3 { for j in 0..<3 where exact.compare(e.base + i, e.base + 4 + j) == 0 { wrong += 1 } }
            }
            if qd.encloses(&a, &b) {
                if exact.compare(e.base, e.base + 4)! > 0 || exact.compare(e.base + 6, e.base + 2)! > 0 { wrong += 1 }
            }
            if a.rad == 0 && b.rad == 0 {
                pointPairs += 1
                if qd.compare(&a, &b) != nil && qd.sign(&a) != nil { decidedPoints += 1 }
            }
        }
        #expect(wrong == 0)
        #expect(decidedPoints == pointPairs, "points are always decided")
    }

    @Test func conversionsEncloseAndOverflowIsUnknown() {
        // Through the MPFR slow path and back: √2 at 320 bits lies in the ball, whose radius is
        // what four doubles cannot hold (~2⁻²¹³).
        var two = [bp_qball(c0: 2, c1: 0, c2: 0, c3: 0, rad: 0)], root = [bp_qball.zeroSlot]
        qd.squareRoot(&root, &two)
        let e = exact.makeStorage(count: 2)
        exact.set(e.base, 2)
        exact.squareRoot(e.base, e.base)
        #expect(contains(root[0], e.base) && root[0].rad < 0x1p-208 && root[0].c3 != 0)
        var big = [bp_qball(c0: 0x1p1000, c1: 0, c2: 0, c3: 0, rad: 0)], big2 = big, r = [bp_qball.zeroSlot]
        qd.multiply(&r, &big, &big2)
        #expect(r[0].c0.isNaN && qd.sign(&r) == nil && qd.classify(&r) == .nan)
        var ddTwo = [bp_ball(hi: 2, lo: 0, rad: 0)]
        #expect(qd.render(&two) == DoubleDoubleBallArithmetic().render(&ddTwo))
    }
}
