import Foundation

/// The parameters of a binary floating-point format, in IEEE 754 conventions.
///
/// A finite nonzero value is `±m · 2^(e − p + 1)` with an integer significand `m < 2^p`.
/// Normal values have `emin ≤ e ≤ emax` and `m ≥ 2^(p−1)`; subnormal values (when the format
/// has them) have `e = emin` and `m < 2^(p−1)`.
public struct FormatInfo: Sendable, Hashable {
    /// `p`: significand bits, the implicit leading bit included (11 for binary16).
    public let significandBits: Int
    /// `emin`: the smallest positive normal value is `2^emin`.
    public let minExponent: Int
    /// `emax`: the largest finite value is `(2 − 2^(1−p)) · 2^emax`.
    public let maxExponent: Int
    /// Whether values below `2^emin` degrade gradually (subnormals) rather than to zero.
    public let hasSubnormals: Bool
    /// The largest integer significand at `emax`: `2^p − 1` in IEEE formats; `2^p − 2` in
    /// OCP E4M3FN, whose top encoding S.1111.111 is its NaN (largest finite 1.75·2⁸ = 448).
    public let largestSignificand: Int
    /// Whether the format has ±∞ (false for E4M3FN, whose overflow is NaN or saturation).
    public let hasInfinities: Bool

    /// Creates a description of a format; `largestSignificand` defaults to `2^p − 1`.
    public init(significandBits: Int, minExponent: Int, maxExponent: Int, hasSubnormals: Bool,
                largestSignificand: Int? = nil, hasInfinities: Bool = true) {
        self.significandBits = significandBits
        self.minExponent = minExponent
        self.maxExponent = maxExponent
        self.hasSubnormals = hasSubnormals
        self.largestSignificand = largestSignificand ?? (significandBits < 63 ? (1 << significandBits) - 1 : Int.max)
        self.hasInfinities = hasInfinities
    }

    /// Machine epsilon, `2^(1−p)`: the distance from 1 to the next larger value, as a power of two.
    public var epsilonExponent: Int { 1 - significandBits }
    /// The smallest positive value is `2^leastNonzeroExponent`: `2^(emin−p+1)` with subnormals,
    /// `2^emin` without.
    public var leastNonzeroExponent: Int {
        hasSubnormals ? minExponent - significandBits + 1 : minExponent
    }

    /// Machine epsilon as a `Double` (exact for every format whose `p ≤ 1075`; 0 beyond).
    public var epsilon: Double { Double(sign: .plus, exponent: epsilonExponent, significand: 1) }
    /// The smallest positive value as a `Double`, or `nil` when `Double` cannot hold it exactly.
    public var leastNonzeroMagnitude: Double? {
        leastNonzeroExponent >= -1074 ? Double(sign: .plus, exponent: leastNonzeroExponent, significand: 1) : nil
    }
    /// The smallest positive normal value `2^emin` as a `Double`, or `nil` when out of range.
    public var leastNormalMagnitude: Double? {
        minExponent >= -1022 ? Double(sign: .plus, exponent: minExponent, significand: 1) : nil
    }
    /// The largest finite value `largestSignificand · 2^(emax − p + 1)` as a `Double`, or `nil`
    /// when `Double` cannot hold it exactly.
    public var greatestFiniteMagnitude: Double? {
        guard maxExponent <= 1023, significandBits <= 53 else { return nil }
        return Double(sign: .plus, exponent: maxExponent - significandBits + 1, significand: Double(largestSignificand))
    }

    /// IEEE 754 binary16 (`f16`).
    public static let binary16 = FormatInfo(significandBits: 11, minExponent: -14, maxExponent: 15, hasSubnormals: true)
    /// bfloat16 (`bf16`): binary32's exponent range with an 8-bit significand.
    public static let bfloat16 = FormatInfo(significandBits: 8, minExponent: -126, maxExponent: 127, hasSubnormals: true)
    /// IEEE 754 binary32 (`f32`).
    public static let binary32 = FormatInfo(significandBits: 24, minExponent: -126, maxExponent: 127, hasSubnormals: true)
    /// IEEE 754 binary64 (`f64`).
    public static let binary64 = FormatInfo(significandBits: 53, minExponent: -1022, maxExponent: 1023, hasSubnormals: true)
    /// OCP E4M3FN (`e4m3`, OFP8 spec table 1): bias 7 so normal exponents −6…8, `p = 4`,
    /// subnormals to 2⁻⁹, no infinities, largest finite 1.110₂·2⁸ = 448 (S.1111.111 is NaN).
    public static let e4m3 = FormatInfo(significandBits: 4, minExponent: -6, maxExponent: 8, hasSubnormals: true,
                                        largestSignificand: 14, hasInfinities: false)
    /// OCP E5M2 (`e5m2`, OFP8 spec table 1): IEEE-like, bias 15, `p = 3`, normal exponents
    /// −14…15, subnormals to 2⁻¹⁶, ±∞, largest finite 1.11₂·2¹⁵ = 57344.
    public static let e5m2 = FormatInfo(significandBits: 3, minExponent: -14, maxExponent: 15, hasSubnormals: true)
}

extension FormatInfo {
    /// `2^e` written for people: `2^-24 ≈ 5.96e-08`, or `2^-1073741824` when too small for `Double`.
    public static func describePowerOfTwo(_ e: Int) -> String {
        if e >= -1074 && e <= 1023 {
            return "2^\(e) ≈ \(scientific(Double(sign: .plus, exponent: e, significand: 1)))"
        }
        return "2^\(e)"
    }

    /// A short scientific rendering with three significant digits, e.g. `9.77e-04`.
    public static func scientific(_ x: Double) -> String {
        String(format: "%.2e", x)
    }
}
