import CMPFR
import Testing
import TestSupport
import Precision

/// `MPFRIntervalArithmetic` as an `EnclosingArithmetic`, against independent oracles: midpoint
/// differences against a direct 2048-bit MPFR computation from the bounds, proven differences
/// against disjointness decided by hand, the ladder, and the rendering of points and intervals.
@Suite struct EnclosingArithmeticTests {
    let exact = MPFRArithmetic(bits: 2048)

    /// The bounds of interval slot `x`, through `MPFRInterval`'s public fields.
    static func bounds(_ x: MPFRIntervalArithmetic.Ref) -> (MPFRArithmetic.Ref, MPFRArithmetic.Ref) {
        (x.pointer(to: \.lo)!, x.pointer(to: \.hi)!)
    }

    /// `m ← (lo + hi)/2` from `x`'s bounds at 2048 bits (exact for bounds of ≤ 256 bits within
    /// 2¹⁰⁰⁰ of each other).
    func midpoint(_ m: MPFRArithmetic.Ref, _ x: MPFRIntervalArithmetic.Ref, _ scratch: MPFRArithmetic.Ref) {
        let (lo, hi) = Self.bounds(x)
        exact.add(m, lo, hi)
        exact.set(scratch, 0.5)
        exact.multiply(m, m, scratch)
    }

    /// A random magnitude in ±[2⁻²⁰, 2²⁰].
    static func magnitude(_ g: inout SeededGenerator) -> Double {
        Double(sign: g.next() % 2 == 0 ? .plus : .minus, exponent: Int(g.next() % 40) - 20, significand: g.uniform(1, 2))
    }

    /// `x ←` a random enclosure at `iv`'s precision: a point, the enclosure of a quotient (bounds
    /// of `iv.bits` bits, one ulp apart), or the hull of two quotients.
    static func randomInterval(_ x: MPFRIntervalArithmetic.Ref, _ iv: MPFRIntervalArithmetic, _ g: inout SeededGenerator,
                               scratch s: MPFRIntervalArithmetic.Storage) {
        switch g.next() % 3 {
        case 0:
            iv.set(x, magnitude(&g))
        case 1:
            iv.set(s.base, magnitude(&g)); iv.set(s.base + 1, Double(g.next() % 1000 + 3) * 0x1p-5)
            iv.divide(x, s.base, s.base + 1)
        default:
            let u = magnitude(&g)
            iv.set(s.base, u); iv.set(s.base + 1, 3)
            iv.divide(x, s.base, s.base + 1)
            iv.set(s.base, u * g.uniform(0.5, 2)); iv.set(s.base + 1, 7)
            iv.divide(s.base + 2, s.base, s.base + 1)
            iv.hull(x, x, s.base + 2)
        }
    }

    @Test func midpointDifferencesAgreeWithA2048BitComputation() {
        var g = SeededGenerator(seed: 2048)
        let ex = exact.makeStorage(count: 4)
        var failures: [String] = []
        var belowDouble = 0
        for trial in 0..<4000 {
            let iv = MPFRIntervalArithmetic(bits: [40, 53, 64, 128, 256][trial % 5])
            let s = iv.makeStorage(count: 5)
            let a = s.base + 3, b = s.base + 4
            Self.randomInterval(a, iv, &g, scratch: s)
            if trial % 4 == 0 {
                // b: a shifted by far less than a Double's resolution of a.
                iv.set(s.base, Double(g.next() % 7 + 1) * 0x1p-90)
                iv.add(b, a, s.base)
            } else {
                Self.randomInterval(b, iv, &g, scratch: s)
            }
            // mid(a) − mid(b), and p − mid(a), at 2048 bits, rounded once to Double.
            midpoint(ex.base, a, ex.base + 3)
            midpoint(ex.base + 1, b, ex.base + 3)
            exact.subtract(ex.base + 2, ex.base, ex.base + 1)
            let oracle = exact.double(ex.base + 2)
            let got = iv.midpointDifference(a, b)
            if got.bitPattern != oracle.bitPattern { failures.append("mid(a) − mid(b) at \(iv.bits): \(got) vs \(oracle)") }
            if oracle != 0 && iv.double(a) - iv.double(b) == 0 { belowDouble += 1 }

            let p = Self.magnitude(&g)
            exact.set(ex.base + 1, p)
            exact.subtract(ex.base + 2, ex.base + 1, ex.base)
            let pOracle = exact.double(ex.base + 2)
            let pGot = iv.midpointDifference(p, a)
            if pGot.bitPattern != pOracle.bitPattern { failures.append("p − mid(a) at \(iv.bits): \(pGot) vs \(pOracle)") }
            // A Double against its own point (exact from 53 bits): exactly +0.
            iv.set(s.base, p)
            if iv.bits >= 53 && iv.midpointDifference(p, s.base).bitPattern != (0.0).bitPattern { failures.append("p − p at \(iv.bits)") }
        }
        #expect(failures.count == 0, "\(failures.prefix(5))")
        // The shifted pairs: differences that rounding each midpoint to Double first would lose.
        #expect(belowDouble > 100)
    }

    @Test func provenDifferentIffTheEnclosuresAreDisjoint() {
        let iv = MPFRIntervalArithmetic(bits: 64)
        let s = iv.makeStorage(count: 2)
        func interval(_ x: MPFRIntervalArithmetic.Ref, _ lo: Double, _ hi: Double) { iv.setBounds(x, lo, hi) }
        let cases: [((Double, Double), (Double, Double), Bool)] = [
            ((1, 2), (3, 4), true),            // apart
            ((1, 2), (2, 3), false),           // touching at 2
            ((1, 2), (1.5, 3), false),         // overlapping
            ((1, 4), (2, 3), false),           // nested
            ((1, 1), (1, 1), false),           // the same point
            ((1, 1), (2, 2), true),            // two points
            ((-1, 1), (0, 0), false),          // a point inside
            ((-2, -1), (0, 0), true),          // below zero
            ((-0.0, 0.0), (0.0, 0.0), false),  // −0 = +0
            ((1, 1 + 0x1p-52), (1 + 0x1p-51, 2), true),
        ]
        for ((l1, h1), (l2, h2), disjoint) in cases {
            interval(s.base, l1, h1); interval(s.base + 1, l2, h2)
            #expect(iv.provenDifferent(s.base, s.base + 1) == disjoint, "[\(l1), \(h1)] vs [\(l2), \(h2)]")
            #expect(iv.provenDifferent(s.base + 1, s.base) == disjoint, "[\(l2), \(h2)] vs [\(l1), \(h1)]")
        }
        // NaN proves nothing.
        interval(s.base, 1, 2); iv.set(s.base + 1, .nan)
        #expect(!iv.provenDifferent(s.base, s.base + 1) && !iv.provenDifferent(s.base + 1, s.base))
        // Random Double bounds (exact at 64 bits): disjoint iff one interval ends below the other.
        var g = SeededGenerator(seed: 7)
        var disagreements = 0
        for _ in 0..<2000 {
            let l1 = g.uniform(-4, 4), l2 = g.uniform(-4, 4)
            let h1 = l1 + g.uniform(0, 2), h2 = l2 + g.uniform(0, 2)
            interval(s.base, l1, h1); interval(s.base + 1, l2, h2)
            if iv.provenDifferent(s.base, s.base + 1) != (h1 < l2 || h2 < l1) { disagreements += 1 }
        }
        #expect(disagreements == 0)
    }

    @Test func theLadderDoublesToTheCapThenEnds() {
        #expect(MPFRIntervalArithmetic(bits: 256, capBits: 4096).ladder.map(\.bits) == [256, 512, 1024, 2048, 4096])
        #expect(MPFRIntervalArithmetic(bits: 100, capBits: 700).ladder.map(\.bits) == [100, 200, 400, 700])
        #expect(MPFRIntervalArithmetic(bits: 4096, capBits: 4096).nextRung == nil)
        #expect(MPFRIntervalArithmetic(bits: 128).nextRung == nil)                     // no cap: no ladder
        #expect(MPFRIntervalArithmetic(bits: 512, capBits: 256).capBits == 512)        // the cap is at least the bits
        let lower = MPFRIntervalArithmetic(bits: 256, capBits: 1024).withPrecision(bits: 128)
        #expect(lower.bits == 128 && lower.capBits == 1024 && lower.nextRung?.bits == 256)
    }

    @Test func renderingAPointAndAnInterval() {
        let iv = MPFRIntervalArithmetic(bits: 256)
        let s = iv.makeStorage([0x1p-40, 0.1, 1, 3, 2])
        // A point: 40 significant digits (2⁻⁴⁰ exactly; 0.1's Double rounded to 40).
        #expect(iv.isPoint(s.base) && iv.render(s.base) == "9.094947017729282379150390625e-13")
        #expect(iv.render(s.base + 1) == "1.000000000000000055511151231257827021182e-1")
        // An interval: its bounds to 20, one ulp (2⁻²⁵⁷·…) apart around 1/3.
        iv.divide(s.base + 2, s.base + 2, s.base + 3)
        #expect(!iv.isPoint(s.base + 2))
        #expect(iv.render(s.base + 2) == "[3.3333333333333333333e-1, 3.3333333333333333333e-1]")
        #expect(iv.width(s.base + 2) > 0 && iv.width(s.base + 2) < 0x1p-250)
        iv.setBounds(s.base + 3, 0.1, 2)
        #expect(iv.render(s.base + 3) == "[1.0000000000000000555e-1, 2]")
        #expect(iv.encloses(s.base + 3, s.base + 2) && !iv.encloses(s.base + 2, s.base + 3))
        #expect(iv.width(s.base + 3) >= 2 - 0.1 && iv.width(s.base + 3) <= (2 - 0.1).nextUp)
    }
}
