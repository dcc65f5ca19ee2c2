import ArgumentParser
import BPCheck

// The analysis's typed options. Each parses when the command line does (`ExpressibleByArgument`)
// and keeps what went wrong; `AnalyzeCommand.validate()` throws it, in the words bpcheck has
// always used (a bare `nil` would make swift-argument-parser write its own message instead).

/// How one option's text becomes its value.
protocol OptionParser {
    associatedtype Value
    static func parse(_ argument: String) throws -> Value
}

/// An option's text and its parse, kept until `validate()` reports it.
struct Checked<Parser: OptionParser>: ExpressibleByArgument {
    let argument: String
    let parsed: Result<Parser.Value, any Error>

    init(argument: String) {
        self.argument = argument
        parsed = Result { try Parser.parse(argument) }
    }

    var defaultValueDescription: String { argument }
}

/// `--precisions f16,bf16,f32,f64`: one or more precision names, comma-separated.
typealias PrecisionList = Checked<PrecisionListParser>
enum PrecisionListParser: OptionParser {
    static func parse(_ argument: String) throws -> [PrecisionName] {
        let names = try argument.split(separator: ",").map { try PrecisionName(parsing: String($0)) }
        guard !names.isEmpty else { throw ValidationError("--precisions: give at least one precision") }
        return names
    }
}

/// `--accumulation separate|fma|wider`: how linear and conv2d accumulate.
typealias AccumulationOption = Checked<AccumulationParser>
enum AccumulationParser: OptionParser {
    static func parse(_ argument: String) throws -> ArithmeticModel.Accumulation {
        guard let kind = ArithmeticModel.Accumulation(rawValue: argument) else {
            throw ValidationError("--accumulation must be separate, fma or wider, found '\(argument)'")
        }
        return kind
    }
}

/// `--fail-on flagged|kink-error=TOL`: when a flagged precision makes the exit status 1.
typealias FailOn = Checked<FailOnParser>
enum FailOnParser: OptionParser {
    static func parse(_ argument: String) throws -> FlagRule {
        if argument == "flagged" { return .kinkExceedsRounding }
        if argument.hasPrefix("kink-error="), let t = Double(argument.dropFirst("kink-error=".count)), t >= 0 { return .kinkTolerance(t) }
        throw ValidationError("--fail-on must be 'flagged' or 'kink-error=TOL' with TOL ≥ 0, found '\(argument)'")
    }
}

/// `--reference double-double|mpfr:N`: where the reference's ladder starts — double-double
/// balls, then MPFR intervals from 256 bits (the default), or MPFR intervals only, from N bits.
typealias ReferenceStart = Checked<ReferenceStartParser>
enum ReferenceStartParser: OptionParser {
    static func parse(_ argument: String) throws -> (rung: ReferenceFirstRung, bits: Int) {
        if argument == "double-double" || argument == "dd" { return (.doubleDouble, ReferenceOptions().initialBits) }
        guard let name = try? PrecisionName(parsing: argument), case .mpfr(let bits) = name else {
            throw ValidationError("--reference must be double-double or mpfr:N, found '\(argument)'")
        }
        return (.mpfr, bits)
    }
}

/// `--reference-memory SIZE`: the most memory R's forward values may take before R streams
/// chunk by chunk of samples (`ReferenceOptions.streamingBytes`): bytes, or with a binary
/// suffix K, M, G (`512M`, `4G`).
typealias ByteSize = Checked<ByteSizeParser>
enum ByteSizeParser: OptionParser {
    static func parse(_ argument: String) throws -> Int {
        let units: [Character: Int] = ["K": 1 << 10, "M": 1 << 20, "G": 1 << 30]
        let unit = argument.last.flatMap { units[Character($0.uppercased())] }
        let digits = unit == nil ? Substring(argument) : argument.dropLast()
        guard let n = Int(digits), n >= 1, case let (bytes, overflow) = n.multipliedReportingOverflow(by: unit ?? 1), !overflow else {
            throw ValidationError("--reference-memory must be a size in bytes, or with K, M or G (e.g. 4G), at least 1, found '\(argument)'")
        }
        return bytes
    }
}

/// `--convention pytorch|alternative`: the convention C (C′ is C flipped).
typealias ConventionPreset = Checked<ConventionPresetParser>
enum ConventionPresetParser: OptionParser {
    static func parse(_ argument: String) throws -> DerivativeConvention {
        switch argument {
        case "pytorch": return .pytorch
        case "alternative": return .alternative
        default: throw ValidationError("--convention must be pytorch or alternative, found '\(argument)'")
        }
    }
}

/// `--derivative CHOICE=VALUE` (and every `--<choice>` option, rewritten to it): one value of
/// the convention table.
typealias ConventionEntry = Checked<ConventionEntryParser>
enum ConventionEntryParser: OptionParser {
    static func parse(_ argument: String) throws -> (ConventionChoice, ConventionValue) {
        do { return try ConventionFlags.entry(argument) } catch let e as ConventionError { throw ValidationError(e.message) }
    }
}
