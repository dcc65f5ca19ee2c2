import CMPFR

/// Facts about the linked MPFR and GMP libraries, and helpers over MPFR's global state.
public enum MPFRLibrary {
    /// The linked MPFR's version, e.g. `4.2.0`.
    public static var mpfrVersion: String { String(cString: mpfr_get_version()) }
    /// The linked GMP's version, e.g. `6.2.1`.
    public static var gmpVersion: String { String(cString: bp_gmp_version()) }
    /// Whether MPFR keeps its flags and exponent range per thread (built with TLS). When it
    /// does not, exactness checks on two threads at once would see each other's flags.
    public static var flagsArePerThread: Bool { mpfr_buildopt_tls_p() != 0 }

    /// Makes `x` the value +0 of `bits` bits whose limbs live at `limbs` (MPFR's custom
    /// allocation: nothing to free, the memory is the caller's). Arenas and stack scratch use it.
    @inlinable
    public static func initializeZero(_ x: UnsafeMutablePointer<__mpfr_struct>, limbs: UnsafeMutableRawPointer, bits: Int) {
        mpfr_custom_init(limbs, mpfr_prec_t(bits))
        mpfr_custom_init_set(x, Int32(MPFR_ZERO_KIND.rawValue), 0, mpfr_prec_t(bits), limbs)
    }

    /// Runs `body` and returns whether every MPFR operation it performed was exact.
    /// Saves and restores the inexact flag, so calls nest.
    public static func isExact(_ body: () throws -> Void) rethrows -> Bool {
        let inexact = mpfr_flags_t(MPFR_FLAGS_INEXACT)
        let wasInexact = mpfr_flags_test(inexact) != 0
        mpfr_flags_clear(inexact)
        try body()
        let exact = mpfr_flags_test(inexact) == 0
        if wasInexact { mpfr_flags_set(inexact) }
        return exact
    }

    /// A decimal rendering of an MPFR value: `digits` significant digits, or with
    /// `digits == 0` enough to read back to the same value at its precision.
    public static func decimalString(_ a: UnsafePointer<__mpfr_struct>, digits: Int = 0) -> String {
        if mpfr_nan_p(a) != 0 { return "nan" }
        if mpfr_inf_p(a) != 0 { return mpfr_signbit(a) != 0 ? "-inf" : "inf" }
        if mpfr_zero_p(a) != 0 { return mpfr_signbit(a) != 0 ? "-0" : "0" }
        var exponent: mpfr_exp_t = 0
        guard let raw = mpfr_get_str(nil, &exponent, 10, digits, a, MPFR_RNDN) else { return "?" }
        defer { mpfr_free_str(raw) }
        var text = String(cString: raw)
        var sign = ""
        if text.hasPrefix("-") { sign = "-"; text.removeFirst() }
        // MPFR gives 0.DDDD × 10^exponent; write D.DDD e(exponent − 1), trailing zeros trimmed.
        var fraction = String(text.dropFirst())
        while fraction.hasSuffix("0") { fraction.removeLast() }
        let lead = String(text.prefix(1))
        let mantissa = fraction.isEmpty ? lead : lead + "." + fraction
        let e = Int(exponent) - 1
        return e == 0 ? sign + mantissa : sign + mantissa + "e\(e)"
    }
}
