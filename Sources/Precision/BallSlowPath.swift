import CMPFR

/// The slow path the ball arithmetics share (double-double and quad-double balls): whatever
/// their C kernels do not do — division, square root, the elementary functions, hulls, `|x|` of
/// a ball straddling 0 — goes through MPFR intervals at `slowPathBits` and back, outward. A
/// ball is a midpoint of `components` doubles (their exact sum) and a radius.
protocol BallSlowPath: EnclosingArithmetic {
    /// The MPFR intervals of the slow path (their precision: above the midpoint's bits).
    static var slowPath: MPFRIntervalArithmetic { get }
    /// The midpoint's doubles and the radius of a slot.
    static func parts(_ a: Slot) -> (components: [Double], radius: Double)
    /// The slot of those parts.
    static func slot(components: [Double], radius: Double) -> Slot
    /// The ball that proves nothing (NaN midpoint, infinite radius).
    static var unknown: Slot { get }
}

extension BallSlowPath {
    /// Runs `body` with four interval scratch slots of `slowPath`'s precision.
    static func withInterval<R>(_ body: (MPFRIntervalArithmetic, UnsafeMutablePointer<MPFRInterval>) -> R) -> R {
        let arena = MPFRIntervalArena(count: 4, bits: slowPath.bits)
        return withExtendedLifetime(arena) { body(slowPath, arena.base) }
    }

    /// `t ← [Σcᵢ − rad, Σcᵢ + rad]`, each bound rounded outward.
    func toInterval(_ t: UnsafeMutablePointer<MPFRInterval>, _ a: Ref) {
        let (c, rad) = Self.parts(a.pointee)
        let lo = MPFRIntervalArithmetic.lo(t), hi = MPFRIntervalArithmetic.hi(t)
        if c.contains(where: \.isNaN) || rad.isNaN {
            mpfr_set_nan(lo); mpfr_set_nan(hi); return
        }
        // Zero terms are skipped: x − 0 rounded down is −0 for x = +0, and a point must stay
        // one value.
        mpfr_set_d(lo, c[0], MPFR_RNDD)
        mpfr_set_d(hi, c[0], MPFR_RNDU)
        for x in c.dropFirst() where x != 0 {
            mpfr_add_d(lo, lo, x, MPFR_RNDD)
            mpfr_add_d(hi, hi, x, MPFR_RNDU)
        }
        if rad != 0 {
            mpfr_sub_d(lo, lo, rad, MPFR_RNDD)
            mpfr_add_d(hi, hi, rad, MPFR_RNDU)
        }
    }

    /// `r ←` a ball enclosing the interval `t` (`t + 1` is scratch): the midpoint split greedily
    /// into doubles (each the nearest double to what the ones before leave; the first two then
    /// renormalised by Fast2Sum), the radius the larger distance to a bound, rounded up.
    func fromInterval(_ r: Ref, _ t: UnsafeMutablePointer<MPFRInterval>) {
        let lo = MPFRIntervalArithmetic.lo(t), hi = MPFRIntervalArithmetic.hi(t)
        let m = MPFRIntervalArithmetic.lo(t + 1), d = MPFRIntervalArithmetic.hi(t + 1)
        let count = Self.parts(Self.unknown).components.count
        guard mpfr_number_p(lo) != 0, mpfr_number_p(hi) != 0 else {
            // A point infinity stays one; anything else unbounded proves nothing.
            if mpfr_inf_p(lo) != 0 && mpfr_equal_p(lo, hi) != 0 {
                var c = [Double](repeating: 0, count: count)
                c[0] = mpfr_get_d(lo, MPFR_RNDN)
                r.pointee = Self.slot(components: c, radius: 0)
            } else {
                r.pointee = Self.unknown
            }
            return
        }
        mpfr_add(m, lo, hi, MPFR_RNDN)
        mpfr_div_2ui(m, m, 1, MPFR_RNDN)
        var c: [Double] = []
        for k in 0..<count {
            let x = mpfr_get_d(k == 0 ? m : d, MPFR_RNDN)
            mpfr_sub_d(d, k == 0 ? m : d, x, MPFR_RNDN)
            c.append(x)
        }
        let s = c[0] + c[1]
        c[1] = c[1] - (s - c[0])  // |c₁| ≤ ulp(c₀)/2 already, so this is Fast2Sum: exact, the sum unchanged
        c[0] = s
        guard c.allSatisfy(\.isFinite) else { r.pointee = Self.unknown; return }
        // rad ≥ max(hi − Σc, Σc − lo), each difference rounded up term by term.
        mpfr_sub_d(m, hi, c[0], MPFR_RNDU)
        for x in c.dropFirst() { mpfr_sub_d(m, m, x, MPFR_RNDU) }
        mpfr_set_d(d, c[0], MPFR_RNDU)
        mpfr_sub(d, d, lo, MPFR_RNDU)
        for x in c.dropFirst() { mpfr_add_d(d, d, x, MPFR_RNDU) }
        if mpfr_less_p(m, d) != 0 { mpfr_swap(m, d) }
        let rad = MPFRFields.sign(m) <= 0 ? 0 : mpfr_get_d(m, MPFR_RNDU)
        r.pointee = rad.isFinite ? Self.slot(components: c, radius: rad) : Self.unknown
    }

    /// `r ←` a ball enclosing the MPFR interval `a` (of any precision).
    func enclose(_ r: Ref, _ a: UnsafeMutablePointer<MPFRInterval>) {
        Self.withInterval { i, t in
            i.copy(t, a)
            fromInterval(r, t)
        }
    }

    /// As MPFR intervals render: a point to 40 significant digits, a ball as its bounds to 20.
    /// A zero point renders as 0 whatever its sign (there is one zero over ℝ, and MPFR's exact
    /// cancellations are `[−0, +0]`, rendered 0).
    func renderBall(_ a: Ref) -> String {
        var v = a.pointee
        let (c, rad) = Self.parts(v)
        if rad == 0 && c.allSatisfy({ $0 == 0 }) { v = Self.slot(components: c.map { _ in 0 }, radius: 0) }
        return Self.withInterval { i, t in
            toInterval(t, &v)
            return i.render(t)
        }
    }

    func viaMPFR(_ r: Ref, _ f: (MPFRIntervalArithmetic, UnsafeMutablePointer<MPFRInterval>) -> Void) {
        Self.withInterval { i, t in
            f(i, t)
            fromInterval(r, t)
        }
    }
    func viaMPFR(_ r: Ref, _ a: Ref, _ f: (MPFRIntervalArithmetic, UnsafeMutablePointer<MPFRInterval>, UnsafeMutablePointer<MPFRInterval>) -> Void) {
        Self.withInterval { i, t in
            toInterval(t + 2, a)
            f(i, t, t + 2)
            fromInterval(r, t)
        }
    }
    func viaMPFR(_ r: Ref, _ a: Ref, _ b: Ref,
                 _ f: (MPFRIntervalArithmetic, UnsafeMutablePointer<MPFRInterval>, UnsafeMutablePointer<MPFRInterval>, UnsafeMutablePointer<MPFRInterval>) -> Void) {
        Self.withInterval { i, t in
            toInterval(t + 2, a)
            toInterval(t + 3, b)
            f(i, t, t + 2, t + 3)
            fromInterval(r, t)
        }
    }
}
