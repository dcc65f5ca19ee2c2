import CMPFR

/// A precision bpcheck can replay a network in: `f16`, `bf16`, `f32`, `f64` or `mpfr:N`.
///
/// Every precision rounds to nearest (ties to even) after each elementary operation and has
/// gradual underflow; MPFR's exponent range is so wide that nothing a network computes
/// underflows or overflows in it.
public enum PrecisionName: Sendable, Hashable, CustomStringConvertible, Codable {
    /// IEEE binary16, emulated exactly (`Half`).
    case f16
    /// bfloat16, emulated exactly (`BFloat16`).
    case bf16
    /// IEEE binary32 (`Float`).
    case f32
    /// IEEE binary64 (`Double`).
    case f64
    /// OCP 8-bit E4M3FN, emulated exactly (`Float8E4M3FN`): 448 at most, no infinities.
    case e4m3
    /// OCP 8-bit E5M2, emulated exactly (`Float8E5M2`): 57344 at most, with infinities.
    case e5m2
    /// MPFR with an `bits`-bit significand, correctly rounded, precision chosen at run time.
    case mpfr(bits: Int)

    /// The smallest MPFR precision accepted (MPFR's own minimum, `MPFR_PREC_MIN`).
    public static let mpfrMinBits = 2
    /// The largest MPFR precision accepted: 2²⁰ bits (MPFR allows more, but a tensor of such
    /// values would not fit in memory).
    public static let mpfrMaxBits = 1 << 20

    /// The four hardware-style precisions, in the order reports list them.
    public static let standard: [PrecisionName] = [.f16, .bf16, .f32, .f64]
    /// The two OCP 8-bit formats, listed by `bpcheck precisions` after the standard ones.
    public static let eightBit: [PrecisionName] = [.e4m3, .e5m2]

    /// The canonical spelling: `f16`, `bf16`, `f32`, `f64`, `mpfr:256`.
    public var description: String {
        switch self {
        case .f16: "f16"
        case .bf16: "bf16"
        case .f32: "f32"
        case .f64: "f64"
        case .e4m3: "e4m3"
        case .e5m2: "e5m2"
        case .mpfr(let bits): "mpfr:\(bits)"
        }
    }

    /// What the name means, in a few words.
    public var summary: String {
        switch self {
        case .f16: "IEEE binary16 (half), emulated"
        case .bf16: "bfloat16, emulated"
        case .f32: "IEEE binary32 (float)"
        case .f64: "IEEE binary64 (double)"
        case .e4m3: "OCP fp8 E4M3FN, emulated, non-saturating"
        case .e5m2: "OCP fp8 E5M2, emulated, non-saturating"
        case .mpfr(let bits): "MPFR, \(bits)-bit significand"
        }
    }

    /// Parses a name. Accepts the canonical spellings and common aliases (`fp16`, `half`,
    /// `float16`, `bfloat16`, `fp32`, `float`, `float32`, `fp64`, `double`, `float64`; for the
    /// 8-bit formats `fp8_e4m3`, `float8_e4m3fn`, `e4m3fn`, `fp8_e5m2`, `float8_e5m2`), any
    /// case; MPFR as `mpfr:N` with `2 ≤ N ≤ 2²⁰`.
    /// - Throws: `PrecisionNameError` naming what was given and what is accepted.
    public init(parsing text: String) throws {
        let t = text.trimmingWhitespace().lowercased()
        switch t {
        case "f16", "fp16", "half", "float16", "binary16": self = .f16
        case "bf16", "bfloat16": self = .bf16
        case "f32", "fp32", "float", "float32", "single", "binary32": self = .f32
        case "f64", "fp64", "double", "float64", "binary64": self = .f64
        case "e4m3", "e4m3fn", "fp8_e4m3", "float8_e4m3fn", "f8e4m3fn": self = .e4m3
        case "e5m2", "fp8_e5m2", "float8_e5m2", "f8e5m2": self = .e5m2
        default:
            guard t.hasPrefix("mpfr:") else { throw PrecisionNameError.unknown(text) }
            let digits = t.dropFirst(5)
            guard !digits.isEmpty, digits.allSatisfy({ $0.isASCII && $0.isNumber }), digits.count <= 9,
                  let bits = Int(digits) else {
                throw PrecisionNameError.badMPFRBits(text)
            }
            guard bits >= Self.mpfrMinBits && bits <= Self.mpfrMaxBits else {
                throw PrecisionNameError.mpfrBitsOutOfRange(text, bits)
            }
            self = .mpfr(bits: bits)
        }
    }

    /// The format's parameters. For MPFR, the exponent range is the one MPFR is using now
    /// (its default spans about ±2³⁰ binary orders of magnitude) and there are no subnormals.
    public var format: FormatInfo {
        switch self {
        case .f16: .binary16
        case .bf16: .bfloat16
        case .f32: .binary32
        case .f64: .binary64
        case .e4m3: .e4m3
        case .e5m2: .e5m2
        case .mpfr(let bits):
            // MPFR writes x = m · 2^e with 1/2 ≤ m < 1, so its emin/emax are one above IEEE's.
            FormatInfo(significandBits: bits, minExponent: Int(mpfr_get_emin()) - 1,
                       maxExponent: Int(mpfr_get_emax()) - 1, hasSubnormals: false)
        }
    }

    public init(from decoder: any Decoder) throws {
        let text = try decoder.singleValueContainer().decode(String.self)
        try self.init(parsing: text)
    }

    public func encode(to encoder: any Encoder) throws {
        var container = encoder.singleValueContainer()
        try container.encode(description)
    }
}

/// A precision name that could not be parsed.
public enum PrecisionNameError: Error, CustomStringConvertible, Equatable {
    case unknown(String)
    case badMPFRBits(String)
    case mpfrBitsOutOfRange(String, Int)

    public var description: String {
        let accepted = "accepted: f16, bf16, f32, f64, e4m3, e5m2, mpfr:N with \(PrecisionName.mpfrMinBits) ≤ N ≤ \(PrecisionName.mpfrMaxBits)"
        switch self {
        case .unknown(let t): return "unknown precision '\(t)' (\(accepted))"
        case .badMPFRBits(let t): return "malformed MPFR precision '\(t)': expected mpfr:N with N a whole number of bits (\(accepted))"
        case .mpfrBitsOutOfRange(let t, let n): return "MPFR precision '\(t)' has \(n) bits, outside \(PrecisionName.mpfrMinBits)…\(PrecisionName.mpfrMaxBits)"
        }
    }
}

extension String {
    func trimmingWhitespace() -> String {
        var s = Substring(self)
        while let c = s.first, c.isWhitespace { s.removeFirst() }
        while let c = s.last, c.isWhitespace { s.removeLast() }
        return String(s)
    }
}

/// Dictionaries keyed by precision encode as objects keyed by the name (`"f16"`, `"mpfr:256"`),
/// so encoded results are deterministic with sorted keys.
extension PrecisionName: CodingKeyRepresentable {
    struct Key: CodingKey {
        var stringValue: String
        var intValue: Int? { nil }
        init(stringValue: String) { self.stringValue = stringValue }
        init?(intValue: Int) { nil }
    }
    public var codingKey: any CodingKey { Key(stringValue: description) }
    public init?<T: CodingKey>(codingKey: T) {
        guard let p = try? PrecisionName(parsing: codingKey.stringValue) else { return nil }
        self = p
    }
}
