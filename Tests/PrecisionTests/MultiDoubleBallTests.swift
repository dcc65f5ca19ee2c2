import CMPFR
import Foundation
import CNativeKernels
import Testing
import TestSupport
import Precision

/// The multi-double rungs (`TripleDoubleBallArithmetic`, `QuadDoubleBallArithmetic`) against
/// exact arithmetic: MPFR at 4096 bits, where every sum and product of the values drawn here is
/// exact. As for the double-double balls: every result must contain the exact result at every
/// point of its operands tried (ends and midpoints), decisions must hold at those points and be
/// made for every pair of points, the enclosures must be as narrow as the midpoints' 159 or 212
/// bits promise, and the checks must catch a deliberately unsound kernel. Each test runs on both
/// rungs.
@Suite struct MultiDoubleBallTests {
    enum Rung: String, CaseIterable { case tripleDouble, quadDouble }
    let exact = MPFRArithmetic(bits: 4096)

    /// A random ball: a one-double point, a multi-double point (each component about an ulp of
    /// the one before, as renormalised values are), such a midpoint with a radius near its last
    /// bits, or a ball with a radius near its magnitude (sometimes straddling 0).
    static func ball<S: MultiDoubleSlot>(_: S.Type, _ g: inout SeededGenerator) -> S {
        var c = [DoubleDoubleBallTests.double(&g)]
        for _ in 1..<S.componentCount { c.append(c.last! * 0x1p-54 * g.uniform(-1, 1)) }
        let point = [c[0]] + [Double](repeating: 0, count: S.componentCount - 1)
        switch g.next() % 4 {
        case 0: return S(components: point, rad: 0)
        case 1: return S(components: c, rad: 0)
        case 2: return S(components: c, rad: abs(c[0]) * Foundation.exp2(Double(2 - S.arithmetic.bits)) * g.uniform(0, 4))
        default: return S(components: point, rad: abs(c[0]) * g.uniform(0, 2))
        }
    }

    /// The points `mid − rad`, `mid`, `mid + rad` of `b`, exactly, into `e`, `e+1`, `e+2` (`e+3` scratch).
    func points<S: MultiDoubleSlot>(_ b: S, _ e: MPFRArithmetic.Ref) {
        exact.set(e + 1, b.components[0])
        for c in b.components.dropFirst() {
            exact.set(e + 3, c)
            exact.add(e + 1, e + 1, e + 3)
        }
        exact.set(e + 3, b.rad)
        exact.subtract(e, e + 1, e + 3)
        exact.add(e + 2, e + 1, e + 3)
    }

    /// Whether `|v − mid(b)| ≤ rad(b) (+ 2^slack·|v|)`, exactly.
    func contains<S: MultiDoubleSlot>(_ b: S, _ v: MPFRArithmetic.Ref, slack: Int? = nil) -> Bool {
        if b.components[0].isNaN { return true }  // the unknown ball claims nothing
        let s = exact.makeStorage(count: 7)
        points(S(components: b.components, rad: 0), s.base + 3)
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
    func check<S: MultiDoubleSlot>(_: S.Type, _ name: String, trials: Int, seed: UInt64, slack: Int? = nil,
                                   admit: (S, S) -> Bool = { _, _ in true },
                                   _ op: (inout S, inout S, inout S) -> Void,
                                   _ f: (MPFRArithmetic.Ref, MPFRArithmetic.Ref, MPFRArithmetic.Ref) -> Void) -> [String] {
        var g = SeededGenerator(seed: seed)
        let e = exact.makeStorage(count: 9)
        var failures: [String] = []
        for _ in 0..<trials {
            var a = Self.ball(S.self, &g), b = Self.ball(S.self, &g), r = S(components: [Double](repeating: 0, count: S.componentCount), rad: 0)
            guard admit(a, b) else { continue }
            op(&r, &a, &b)
            points(a, e.base)
            points(b, e.base + 4)
            for i in 0..<3 {
                for j in 0..<3 {
                    f(e.base + 8, e.base + i, e.base + 4 + j)
                    if !contains(r, e.base + 8, slack: slack) { failures.append("\(S.name) \(name)(\(a), \(b)) = \(r) misses (\(i), \(j))") }
                }
            }
        }
        return failures
    }

    /// Runs `body` on the rung's slot type.
    func on(_ rung: Rung, _ body: (any MultiDoubleSlot.Type) -> Void) {
        switch rung {
        case .tripleDouble: body(bp_tball.self)
        case .quadDouble: body(bp_qball.self)
        }
    }

    @Test(arguments: Rung.allCases) func sumsDifferencesAndProductsContainTheExactResult(_ rung: Rung) {
        on(rung) { sumsDifferencesAndProducts($0) }
    }
    func sumsDifferencesAndProducts<S: MultiDoubleSlot>(_: S.Type) {
        let m = S.arithmetic
        var failures: [String] = []
        failures += check(S.self, "add", trials: 20000, seed: 1, { r, a, b in m.add(&r, &a, &b) }) { exact.add($0, $1, $2) }
        failures += check(S.self, "subtract", trials: 20000, seed: 2, { r, a, b in m.subtract(&r, &a, &b) }) { exact.subtract($0, $1, $2) }
        failures += check(S.self, "multiply", trials: 20000, seed: 3, { r, a, b in m.multiply(&r, &a, &b) }) { exact.multiply($0, $1, $2) }
        #expect(failures.isEmpty, "\(failures.count) failures, first: \(failures.prefix(3))")
    }

    /// `r ← c + a·b` through `mac`, checked at the points of a, b and c; the failures.
    func multiplyAccumulateFailures<S: MultiDoubleSlot>(_: S.Type, seed: UInt64, _ mac: (inout S, inout S, inout S) -> Void) -> Int {
        var g = SeededGenerator(seed: seed)
        let e = exact.makeStorage(count: 13)
        var failures = 0
        for _ in 0..<20000 {
            var a = Self.ball(S.self, &g), b = Self.ball(S.self, &g), c = Self.ball(S.self, &g)
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

    @Test(arguments: Rung.allCases) func multiplyAccumulateContainsTheExactResult(_ rung: Rung) {
        on(rung) { multiplyAccumulate($0) }
    }
    func multiplyAccumulate<S: MultiDoubleSlot>(_: S.Type) {
        let m = S.arithmetic
        #expect(multiplyAccumulateFailures(S.self, seed: 4) { r, a, b in m.multiplyAccumulate(&r, &a, &b) } == 0, "\(S.name)")
        // The checks catch a kernel that leaves the dropped terms out of the radius.
        let caught = multiplyAccumulateFailures(S.self, seed: 4) { r, a, b in S.unsoundMultiplyAccumulate(&r, &a, &b) }
        #expect(caught > 1000, "the unsound \(S.name) kernel gave \(caught) failures")
    }

    @Test(arguments: Rung.allCases) func quotientsRootsAndElementaryFunctionsContainTheExactResult(_ rung: Rung) {
        on(rung) { quotientsRootsAndElementaryFunctions($0) }
    }
    func quotientsRootsAndElementaryFunctions<S: MultiDoubleSlot>(_: S.Type) {
        let m = S.arithmetic
        var failures: [String] = []
        failures += check(S.self, "divide", trials: 2000, seed: 5, slack: -4000,
                          admit: { _, b in var b = b; return m.sign(&b) != nil && b.components[0] != 0 },
                          { r, a, b in m.divide(&r, &a, &b) }) { exact.divide($0, $1, $2) }
        let unary: [(String, (S.Arithmetic.Ref, S.Arithmetic.Ref) -> Void, (MPFRArithmetic.Ref, MPFRArithmetic.Ref) -> Void, (S) -> Bool)] = [
            ("sqrt", m.squareRoot, exact.squareRoot, { b in b.components[0] > 0 && b.rad < b.components[0] / 2 }),
            ("exp", m.exp, exact.exp, { b in abs(b.components[0]) < 600 }),
            ("negate", m.negate, exact.negate, { _ in true }),
            ("magnitude", m.magnitude, exact.magnitude, { _ in true }),
        ]
        for (k, (name, op, f, admit)) in unary.enumerated() {
            failures += check(S.self, name, trials: 1500, seed: 10 + UInt64(k), slack: -4000, admit: { a, _ in admit(a) },
                              { r, a, _ in op(&r, &a) }) { r, x, _ in f(r, x) }
        }
        #expect(failures.isEmpty, "\(failures.count) failures, first: \(failures.prefix(3))")
    }

    @Test(arguments: Rung.allCases) func rowKernelsContainTheExactSums(_ rung: Rung) {
        on(rung) { rowKernels($0) }
    }
    func rowKernels<S: MultiDoubleSlot>(_: S.Type) {
        // axpy (with a one-double and with a multi-double multiplier: two code paths) and dot over
        // 40 terms, against the exact sums at random points of every ball.
        let m = S.arithmetic
        var g = SeededGenerator(seed: 6)
        let e = exact.makeStorage(count: 11)
        let x = e.base, y = e.base + 4, sum = e.base + 8, term = e.base + 9
        func pick(_ g: inout SeededGenerator) -> Int { Int(g.next() % 3) }
        let zero = S(components: [Double](repeating: 0, count: S.componentCount), rad: 0)
        var failures = 0
        for trial in 0..<400 {
            let n = 40
            var a = (0..<n).map { _ in Self.ball(S.self, &g) }, b = (0..<n).map { _ in Self.ball(S.self, &g) }
            var r = [zero]
            m.dotAccumulate(&r, &a, 1, &b, 1, n, fused: false)
            var one = [Self.ball(S.self, &g)]
            if trial % 2 == 0 { one[0] = S(components: [one[0].components[0]] + zero.components.dropFirst(), rad: one[0].rad) }
            var rows = (0..<n).map { _ in Self.ball(S.self, &g) }
            let before = rows
            m.axpy(&rows, 1, &one, &b, 1, n, fused: false)
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
        #expect(failures == 0, "\(S.name)")
    }

    @Test(arguments: Rung.allCases) func enclosuresAreAsNarrowAsTheMidpointsPromise(_ rung: Rung) {
        on(rung) { narrowness($0) }
    }
    func narrowness<S: MultiDoubleSlot>(_: S.Type) {
        // Dot products of multi-double points of one sign: the radius stays within 2¹² units of
        // the midpoint's last bit of the sum (2⁻¹⁴⁷ for 159 bits, 2⁻²⁰⁰ for 212: no cancellation;
        // the bounds lose a few bits).
        let m = S.arithmetic
        var g = SeededGenerator(seed: 9)
        var worst = 0.0
        for _ in 0..<500 {
            var a = (0..<64).map { _ in
                var c = [g.uniform(1, 2)]
                for _ in 1..<S.componentCount { c.append(c.last! * 0x1p-54 * g.uniform(-1, 1)) }
                return S(components: c, rad: 0)
            }
            var b = a.reversed().map { $0 }
            var r = [S(components: [Double](repeating: 0, count: S.componentCount), rad: 0)]
            m.dotAccumulate(&r, &a, 1, &b, 1, 64, fused: false)
            worst = max(worst, r[0].rad / r[0].components[0])
        }
        #expect(worst < Foundation.exp2(Double(12 - m.bits)), "\(S.name): relative radius \(worst)")
    }

    @Test(arguments: Rung.allCases) func decisionsHoldAtEveryPoint(_ rung: Rung) {
        on(rung) { decisions($0) }
    }
    func decisions<S: MultiDoubleSlot>(_: S.Type) {
        let m = S.arithmetic
        var g = SeededGenerator(seed: 7)
        let e = exact.makeStorage(count: 8)
        var wrong = 0, decidedPoints = 0, pointPairs = 0
        for _ in 0..<20000 {
            var a = Self.ball(S.self, &g), b = Self.ball(S.self, &g)
            if g.next() % 4 == 0 { b = a; b.rad = a.rad * g.uniform(0, 1.5) }
            if g.next() % 8 == 0 {  // points a few ulps of the last double apart
                b = a
                var c = b.components
                c[c.count - 1] = -c[c.count - 1]
                b = S(components: c, rad: b.rad)
            }
            points(a, e.base); points(b, e.base + 4)
            if let s = m.sign(&a) {
                for i in 0..<3 where exact.sign(e.base + i) != s { wrong += 1 }
            }
            if let c = m.compare(&a, &b) {
                for i in 0..<3 { for j in 0..<3 where exact.compare(e.base + i, e.base + 4 + j) != c { wrong += 1 } }
            }
            if m.provenDifferent(&a, &b) {
                for i in 0..<3 { for j in 0..<3 where exact.compare(e.base + i, e.base + 4 + j) == 0 { wrong += 1 } }
            }
            if m.encloses(&a, &b) {
                if exact.compare(e.base, e.base + 4)! > 0 || exact.compare(e.base + 6, e.base + 2)! > 0 { wrong += 1 }
            }
            if a.rad == 0 && b.rad == 0 {
                pointPairs += 1
                if m.compare(&a, &b) != nil && m.sign(&a) != nil { decidedPoints += 1 }
            }
        }
        #expect(wrong == 0, "\(S.name)")
        #expect(decidedPoints == pointPairs, "\(S.name): points are always decided")
    }

    @Test(arguments: Rung.allCases) func conversionsEncloseAndOverflowIsUnknown(_ rung: Rung) {
        on(rung) { conversions($0) }
    }
    func conversions<S: MultiDoubleSlot>(_: S.Type) {
        // Through the MPFR slow path and back: √2 lies in the ball, whose radius is what the
        // midpoint's doubles cannot hold (~2⁻ᵇⁱᵗˢ⁻¹), and the last double is used.
        let m = S.arithmetic
        let zeros = [Double](repeating: 0, count: S.componentCount - 1)
        var two = [S(components: [2] + zeros, rad: 0)], root = [S(components: [0] + zeros, rad: 0)]
        m.squareRoot(&root, &two)
        let e = exact.makeStorage(count: 2)
        exact.set(e.base, 2)
        exact.squareRoot(e.base, e.base)
        #expect(contains(root[0], e.base) && root[0].rad < Foundation.exp2(Double(4 - m.bits)) && root[0].components.last! != 0, "\(S.name)")
        var big = [S(components: [0x1p1000] + zeros, rad: 0)], big2 = big, r = [S(components: [0] + zeros, rad: 0)]
        m.multiply(&r, &big, &big2)
        #expect(r[0].components[0].isNaN && m.sign(&r) == nil && m.classify(&r) == .nan, "\(S.name)")
        var ddTwo = [bp_ball(hi: 2, lo: 0, rad: 0)]
        #expect(m.render(&two) == DoubleDoubleBallArithmetic().render(&ddTwo), "\(S.name)")
    }
}
