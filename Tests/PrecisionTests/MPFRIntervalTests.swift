import Testing
import TestSupport
import Precision

/// Interval arithmetic: every result encloses the exact result at every point of the operands
/// (checked at the corners and the midpoint, evaluated at 2048 bits), exact operations on points
/// stay points, and comparisons answer only when proven.
@Suite struct MPFRIntervalTests {
    let iv = MPFRIntervalArithmetic(bits: 40)
    let exact = MPFRArithmetic(bits: 2048)

    /// Whether the 2048-bit `value` lies in the interval slot `r` (its bounds read as MPFR values).
    func contains(_ r: MPFRIntervalArithmetic.Ref, _ value: MPFRArithmetic.Ref) -> Bool {
        let bounds = UnsafeMutableRawPointer(r).assumingMemoryBound(to: MPFRArithmetic.Slot.self)
        return exact.compare(bounds, value).map { $0 <= 0 } == true && exact.compare(value, bounds + 1).map { $0 <= 0 } == true
    }

    @Test func resultsEncloseTheExactValues() {
        var g = SeededGenerator(seed: 41)
        let x = iv.makeStorage(count: 3)
        let ex = exact.makeStorage(count: 3)
        var failures: [String] = []
        for trial in 0..<3000 {
            // a: a point or a narrow interval; b likewise (some straddling zero).
            let a0 = g.uniform(-4, 4), a1 = a0 + (trial % 3 == 0 ? 0 : g.uniform(0, 0.5))
            let b0 = g.uniform(-4, 4), b1 = b0 + (trial % 2 == 0 ? 0 : g.uniform(0, 0.5))
            iv.set(x.base, a0); iv.set(x.base + 2, a1); iv.hull(x.base, x.base, x.base + 2)
            iv.set(x.base + 1, b0); iv.set(x.base + 2, b1); iv.hull(x.base + 1, x.base + 1, x.base + 2)
            let ops: [(String, (MPFRIntervalArithmetic.Ref) -> Void, (MPFRArithmetic.Ref, MPFRArithmetic.Ref, MPFRArithmetic.Ref) -> Void)] = [
                ("+", { iv.add($0, x.base, x.base + 1) }, { exact.add($0, $1, $2) }),
                ("-", { iv.subtract($0, x.base, x.base + 1) }, { exact.subtract($0, $1, $2) }),
                ("*", { iv.multiply($0, x.base, x.base + 1) }, { exact.multiply($0, $1, $2) }),
                ("/", { iv.divide($0, x.base, x.base + 1) }, { exact.divide($0, $1, $2) }),
                ("exp", { iv.exp($0, x.base) }, { r, a, _ in exact.exp(r, a) }),
                ("tanh", { iv.tanh($0, x.base) }, { r, a, _ in exact.tanh(r, a) }),
                ("erf", { iv.erf($0, x.base) }, { r, a, _ in exact.erf(r, a) }),
                ("abs", { iv.magnitude($0, x.base) }, { r, a, _ in exact.magnitude(r, a) }),
            ]
            for (name, interval, point) in ops {
                let out = iv.makeStorage(count: 1)
                interval(out.base)
                for (u, v) in [(a0, b0), (a1, b1), ((a0 + a1) / 2, (b0 + b1) / 2), (a0, b1), (a1, b0)] {
                    exact.set(ex.base, u); exact.set(ex.base + 1, v)
                    point(ex.base + 2, ex.base, ex.base + 1)
                    if exact.classify(ex.base + 2) == .nan || exact.classify(ex.base + 2) == .infinite { continue }
                    if !contains(out.base, ex.base + 2) { failures.append("\(name) at \(u), \(v): \(iv.decimalString(out.base))") }
                }
            }
        }
        #expect(failures.isEmpty, "\(failures.prefix(5))")
    }

    @Test func exactOperationsOnPointsStayPoints() {
        let s = iv.makeStorage([1 + 0x1p-20, 1 + 0x1p-20, 1 + 0x1p-19, -1, 0, 0])
        let b = s.base
        iv.multiply(b + 4, b, b + 1)
        iv.multiplyAccumulate(b + 4, b + 2, b + 3)
        // a·b needs 41 bits: at 40 the enclosure of a·b + c·d is [0, 2⁻³⁹], which meets the kink.
        #expect(!iv.isPoint(b + 4))
        #expect(iv.sign(b + 4) == nil)
        let wide = MPFRIntervalArithmetic(bits: 64)
        let t = wide.makeStorage([1 + 0x1p-20, 1 + 0x1p-20, 1 + 0x1p-19, -1, 0])
        wide.multiply(t.base + 4, t.base, t.base + 1)
        wide.multiplyAccumulate(t.base + 4, t.base + 2, t.base + 3)
        #expect(wide.isPoint(t.base + 4) && wide.double(t.base + 4) == 0x1p-40)
    }

    @Test func comparisonsAnswerOnlyWhenProven() {
        let s = iv.makeStorage([0, 0, 1, 2, -1, 1])
        let zero = s.base
        let oneTwo = s.base + 2
        iv.hull(oneTwo, oneTwo, s.base + 3)          // [1, 2]
        let straddle = s.base + 4
        iv.hull(straddle, straddle, s.base + 5)      // [−1, 1]
        #expect(iv.sign(zero) == 0 && iv.sign(oneTwo) == 1 && iv.sign(straddle) == nil)
        #expect(iv.compare(oneTwo, zero) == 1 && iv.compare(straddle, oneTwo) == nil && iv.compare(oneTwo, oneTwo) == nil)
        #expect(iv.compare(zero, s.base + 1) == 0)
    }
}
