import CMPFR
import Precision

/// The independent oracle for the emulated formats: MPFR itself (through its C API, not
/// through bpcheck's wrapper) at the format's precision, with the format's exponent range and
/// subnormals emulated as the MPFR manual describes (`mpfr_set_emin/emax` +
/// `mpfr_subnormalize`). MPFR's operations are correctly rounded, so its results are the
/// correctly rounded results in the format.
final class FormatOracle {
    let p: Int
    /// MPFR's exponent convention: x = m·2^e with ½ ≤ m < 1.
    let mpfrEmin: Int
    let mpfrEmax: Int
    private let v: UnsafeMutablePointer<__mpfr_struct>
    private var r: UnsafeMutablePointer<__mpfr_struct> { v }
    private var a: UnsafeMutablePointer<__mpfr_struct> { v + 1 }
    private var b: UnsafeMutablePointer<__mpfr_struct> { v + 2 }
    private var c: UnsafeMutablePointer<__mpfr_struct> { v + 3 }

    init(_ format: FormatInfo) {
        p = format.significandBits
        mpfrEmin = format.leastNonzeroExponent + 1
        mpfrEmax = format.maxExponent + 1
        v = .allocate(capacity: 4)
        mpfr_init2(v, mpfr_prec_t(p))
        for i in 1..<4 { mpfr_init2(v + i, 64) }  // operands are Doubles: exact at 64 bits
    }

    deinit {
        for i in 0..<4 { mpfr_clear(v + i) }
        v.deallocate()
    }

    /// `d` correctly rounded to the format.
    func round(_ d: Double) -> Double { inRange { mpfr_set_d(r, d, MPFR_RNDN) } }
    func add(_ x: Double, _ y: Double) -> Double { load(x, y); return inRange { mpfr_add(r, a, b, MPFR_RNDN) } }
    func sub(_ x: Double, _ y: Double) -> Double { load(x, y); return inRange { mpfr_sub(r, a, b, MPFR_RNDN) } }
    func mul(_ x: Double, _ y: Double) -> Double { load(x, y); return inRange { mpfr_mul(r, a, b, MPFR_RNDN) } }
    func div(_ x: Double, _ y: Double) -> Double { load(x, y); return inRange { mpfr_div(r, a, b, MPFR_RNDN) } }
    func sqrt(_ x: Double) -> Double { load(x, 0); return inRange { mpfr_sqrt(r, a, MPFR_RNDN) } }
    /// `x·y + z`, rounded once.
    func fma(_ x: Double, _ y: Double, _ z: Double) -> Double {
        load(x, y); mpfr_set_d(c, z, MPFR_RNDN)
        return inRange { mpfr_fma(r, a, b, c, MPFR_RNDN) }
    }
    /// A one-argument function (`mpfr_exp`, …), correctly rounded to the format.
    func function(_ x: Double, _ f: (UnsafeMutablePointer<__mpfr_struct>, UnsafePointer<__mpfr_struct>, mpfr_rnd_t) -> Int32) -> Double {
        load(x, 0); return inRange { f(r, a, MPFR_RNDN) }
    }

    private func load(_ x: Double, _ y: Double) {
        mpfr_set_d(a, x, MPFR_RNDN)
        mpfr_set_d(b, y, MPFR_RNDN)
    }

    private func inRange(_ op: () -> Int32) -> Double {
        let oldMin = mpfr_get_emin(), oldMax = mpfr_get_emax()
        mpfr_set_emin(mpfr_exp_t(mpfrEmin))
        mpfr_set_emax(mpfr_exp_t(mpfrEmax))
        var t = op()
        t = mpfr_subnormalize(r, t, MPFR_RNDN)
        let d = mpfr_get_d(r, MPFR_RNDN)
        mpfr_set_emin(oldMin)
        mpfr_set_emax(oldMax)
        return d
    }
}

/// Equal as results: the same bits (so signed zeros must match), or both NaN.
func sameResult(_ x: Double, _ y: Double) -> Bool {
    (x.isNaN && y.isNaN) || x.bitPattern == y.bitPattern
}
