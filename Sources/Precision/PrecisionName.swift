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
    /// PyTorch autocast with the 16-bit dtype `low` (`amp-f16`, `amp-bf16`): f32 master weights
    /// and inputs, linear/conv2d on 16-bit copies accumulated in f32 and rounded once to 16 bits,
    /// the f32 list (softplus, losses) in f32, every other op in its inputs' dtype
    /// (docs/precisions.md, `AutocastClass`). Replayed in binary32 with per-node roundings.
    case amp(HalfFormat)
    /// Stochastic rounding to `low` of every node's output and every gradient (`sr:f16`,
    /// `sr:bf16`, `sr:bf16@SEED`): each op computed in binary32 from `low` values, then rounded
    /// up with probability equal to the distance to the lower neighbour in ulps, from a
    /// counter-based stream keyed on (seed, node, pass, element). The point is `low`'s.
    case stochastic(HalfFormat, seed: UInt64)
    /// The FP8 training recipe (`e4m3-policy`; `e4m3-policy:nonsaturating`): amp-bf16 with the
    /// inputs and weights of linear/conv2d cast to e4m3 and their incoming gradients to e5m2,
    /// each with a per-tensor power-of-two scale from its amax, accumulated in f32, outputs in
    /// bf16. `saturating`: casts clamp to ±largest (Transformer Engine's), counted as range events.
    case e4m3Policy(saturating: Bool)
    /// A policy file's precision, `policy:NAME` (`--policy FILE`): per-op-type or per-layer
    /// storage formats; the analysis is given the file's rules under this name.
    case policy(String)

    /// The smallest MPFR precision accepted (MPFR's own minimum, `MPFR_PREC_MIN`).
    public static let mpfrMinBits = 2
    /// The largest MPFR precision accepted: 2²⁰ bits (MPFR allows more, but a tensor of such
    /// values would not fit in memory).
    public static let mpfrMaxBits = 1 << 20

    /// The four hardware-style precisions, in the order reports list them.
    public static let standard: [PrecisionName] = [.f16, .bf16, .f32, .f64]
    /// The two OCP 8-bit formats, listed by `bpcheck precisions` after the standard ones.
    public static let eightBit: [PrecisionName] = [.e4m3, .e5m2]

    /// The mixed-precision policies and stochastic rounding (seed 0), listed by `bpcheck precisions`.
    public static let policies: [PrecisionName] = [.amp(.f16), .amp(.bf16), .e4m3Policy(saturating: true), .stochastic(.f16, seed: 0), .stochastic(.bf16, seed: 0)]

    /// The canonical spelling: `f16`, `bf16`, `f32`, `f64`, `mpfr:256`, `amp-bf16`, `sr:bf16@7`.
    public var description: String {
        switch self {
        case .f16: "f16"
        case .bf16: "bf16"
        case .f32: "f32"
        case .f64: "f64"
        case .e4m3: "e4m3"
        case .e5m2: "e5m2"
        case .mpfr(let bits): "mpfr:\(bits)"
        case .amp(let low): "amp-\(low)"
        case .stochastic(let low, let seed): seed == 0 ? "sr:\(low)" : "sr:\(low)@\(seed)"
        case .e4m3Policy(let saturating): saturating ? "e4m3-policy" : "e4m3-policy:nonsaturating"
        case .policy(let name): "policy:\(name)"
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
        case .amp(let low): "PyTorch autocast \(low): GEMM/conv in \(low) with f32 accumulation, f32 master weights"
        case .stochastic(let low, let seed): "stochastic rounding to \(low) of every op's output, seed \(seed)"
        case .e4m3Policy(let saturating): "fp8 recipe: GEMM/conv e4m3 x/W, e5m2 gradients, amax scales, bf16 outputs, \(saturating ? "saturating" : "non-saturating")"
        case .policy(let name): "policy file '\(name)'"
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
        case "amp-f16", "amp-fp16", "amp_f16": self = .amp(.f16)
        case "amp-bf16", "amp_bf16": self = .amp(.bf16)
        case "e4m3-policy", "fp8-policy": self = .e4m3Policy(saturating: true)
        case "e4m3-policy:nonsaturating", "fp8-policy:nonsaturating": self = .e4m3Policy(saturating: false)
        case _ where t.hasPrefix("sr:"):
            let rest = t.dropFirst(3)
            let (base, seedText) = rest.firstIndex(of: "@").map { (rest[..<$0], rest[rest.index(after: $0)...]) } ?? (rest, "0")
            guard let low = HalfFormat(rawValue: String(base)) else { throw PrecisionNameError.unknown(text) }
            guard !seedText.isEmpty, seedText.allSatisfy({ $0.isASCII && $0.isNumber }), let seed = UInt64(seedText) else {
                throw PrecisionNameError.badSeed(text)
            }
            self = .stochastic(low, seed: seed)
        case _ where t.hasPrefix("policy:"):
            // The name as given (case kept): it must match the policy file's.
            let name = String(text.trimmingWhitespace().dropFirst(7))
            guard !name.isEmpty, name.allSatisfy({ $0.isLetter || $0.isNumber || "-_.".contains($0) }) else {
                throw PrecisionNameError.badPolicyName(text)
            }
            self = .policy(name)
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
        case .amp(let low), .stochastic(let low, _): low.format
        case .e4m3Policy: .e4m3
        case .policy: .binary32
        }
    }

    /// Whether this precision is a policy replayed in binary32 with per-node roundings
    /// (`amp-*`, `sr:*`, `e4m3-policy`, `policy:*`) rather than one format for every operation.
    public var isPolicy: Bool {
        switch self {
        case .amp, .stochastic, .e4m3Policy, .policy: true
        default: false
        }
    }

    /// The precision the analysed point `(θ_P, X_P)` is rounded to: f32 for autocast and the
    /// fp8 recipe (their master weights and inputs are f32), the 16-bit format for stochastic
    /// rounding (its weights are stored in it), itself otherwise.
    public var pointPrecision: PrecisionName {
        switch self {
        case .amp, .e4m3Policy, .policy: .f32
        case .stochastic(let low, _): low.precision
        default: self
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
    case badSeed(String)
    case badPolicyName(String)

    public var description: String {
        let accepted = "accepted: f16, bf16, f32, f64, e4m3, e5m2, mpfr:N with \(PrecisionName.mpfrMinBits) ≤ N ≤ \(PrecisionName.mpfrMaxBits), amp-f16, amp-bf16, e4m3-policy, e4m3-policy:nonsaturating, sr:f16, sr:bf16 (sr:bf16@SEED), policy:NAME"
        switch self {
        case .unknown(let t): return "unknown precision '\(t)' (\(accepted))"
        case .badMPFRBits(let t): return "malformed MPFR precision '\(t)': expected mpfr:N with N a whole number of bits (\(accepted))"
        case .mpfrBitsOutOfRange(let t, let n): return "MPFR precision '\(t)' has \(n) bits, outside \(PrecisionName.mpfrMinBits)…\(PrecisionName.mpfrMaxBits)"
        case .badSeed(let t): return "malformed stochastic-rounding precision '\(t)': expected sr:f16 or sr:bf16, optionally @SEED with SEED a whole number below 2^64"
        case .badPolicyName(let t): return "malformed policy precision '\(t)': expected policy:NAME with NAME of letters, digits, '-', '_' or '.'"
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

/// The 16-bit formats a mixed-precision policy or stochastic rounding narrows to.
public enum HalfFormat: String, Sendable, Hashable, CaseIterable, CustomStringConvertible {
    case f16, bf16
    /// The format: binary16 or bfloat16.
    public var format: FormatInfo { self == .f16 ? .binary16 : .bfloat16 }
    /// The pure precision of the same format.
    public var precision: PrecisionName { self == .f16 ? .f16 : .bf16 }
    public var description: String { rawValue }
}
