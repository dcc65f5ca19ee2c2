import CMPFR

/// Decimal text to the nearest value of a format, rounded once (MPFR's `mpfr_strtofr` at the
/// format's precision, with its exponent range and subnormals), so that a model file's decimal
/// weights become exactly the value the writer meant: 9 significant digits round-trip an f32,
/// 17 an f64, 5 a binary16 — and no decimal is first rounded to `Double` and then again.
public enum DecimalParsing {
    /// The value of `format` nearest to `text` (a JSON number, or `nan`, `inf`, `-inf`), as a
    /// `Double` (exact for the f16, bf16, f32 and f64 formats); nil when `text` is not a number.
    public static func nearest(_ text: String, in format: FormatInfo) -> Double? {
        switch text.lowercased() {
        case "nan": return .nan
        case "inf", "infinity", "+inf": return .infinity
        case "-inf", "-infinity": return -.infinity
        default: break
        }
        guard !text.isEmpty, text.utf8.allSatisfy({ ($0 >= 0x30 && $0 <= 0x39) || $0 == 0x2E || $0 == 0x2D || $0 == 0x2B || $0 == 0x65 || $0 == 0x45 }) else {
            return nil
        }
        let x = UnsafeMutablePointer<__mpfr_struct>.allocate(capacity: 1)
        defer { x.deallocate() }
        mpfr_init2(x, mpfr_prec_t(format.significandBits))
        defer { mpfr_clear(x) }
        let oldMin = mpfr_get_emin(), oldMax = mpfr_get_emax()
        defer { mpfr_set_emin(oldMin); mpfr_set_emax(oldMax) }
        // MPFR's exponents are one above IEEE's (x = m·2^e with ½ ≤ m < 1).
        mpfr_set_emin(mpfr_exp_t(format.leastNonzeroExponent + 1))
        mpfr_set_emax(mpfr_exp_t(format.maxExponent + 1))
        var consumedAll = false
        let result: Double = text.withCString { start in
            var end: UnsafeMutablePointer<CChar>? = nil
            var t = mpfr_strtofr(x, start, &end, 10, MPFR_RNDN)
            consumedAll = end.map { $0.pointee == 0 && $0 != UnsafeMutablePointer(mutating: start) } ?? false
            t = mpfr_subnormalize(x, t, MPFR_RNDN)
            return mpfr_get_d(x, MPFR_RNDN)
        }
        return consumedAll ? result : nil
    }
}
