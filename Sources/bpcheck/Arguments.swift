import ArgumentParser
import BPCheck

// The analysis's typed options. Each parses when the command line does (`ExpressibleByArgument`)
// and keeps what went wrong; `AnalyzeCommand.validate()` throws it, in the words bpcheck has
// always used (a bare `nil` would make swift-argument-parser write its own message instead).

/// `--precisions f16,bf16,f32,f64`: one or more precision names, comma-separated.
struct PrecisionList: ExpressibleByArgument {
    let argument: String
    let parsed: Result<[PrecisionName], any Error>

    init(argument: String) {
        self.argument = argument
        parsed = Result {
            let names = try argument.split(separator: ",").map { try PrecisionName(parsing: String($0)) }
            guard !names.isEmpty else { throw ValidationError("--precisions: give at least one precision") }
            return names
        }
    }

    var defaultValueDescription: String { argument }
}

/// `--accumulation separate|fma|wider`: how linear and conv2d accumulate.
struct AccumulationOption: ExpressibleByArgument {
    let argument: String
    let parsed: Result<ArithmeticModel.Accumulation, any Error>

    init(argument: String) {
        self.argument = argument
        parsed = Result {
            guard let kind = ArithmeticModel.Accumulation(rawValue: argument) else {
                throw ValidationError("--accumulation must be separate, fma or wider, found '\(argument)'")
            }
            return kind
        }
    }

    var defaultValueDescription: String { argument }
}

/// `--fail-on flagged|kink-error=TOL`: when a flagged precision makes the exit status 1.
struct FailOn: ExpressibleByArgument {
    let argument: String
    let parsed: Result<FlagRule, any Error>

    init(argument: String) {
        self.argument = argument
        parsed = Result {
            if argument == "flagged" { return .kinkExceedsRounding }
            if argument.hasPrefix("kink-error="), let t = Double(argument.dropFirst("kink-error=".count)), t >= 0 { return .kinkTolerance(t) }
            throw ValidationError("--fail-on must be 'flagged' or 'kink-error=TOL' with TOL ≥ 0, found '\(argument)'")
        }
    }

    var defaultValueDescription: String { argument }
}

/// `--reference mpfr:N`: the reference's starting precision.
struct ReferenceStart: ExpressibleByArgument {
    let argument: String
    let parsed: Result<Int, any Error>

    init(argument: String) {
        self.argument = argument
        parsed = Result {
            guard case .mpfr(let bits) = try PrecisionName(parsing: argument) else {
                throw ValidationError("--reference must be mpfr:N, found '\(argument)'")
            }
            return bits
        }
    }

    var defaultValueDescription: String { argument }
}

/// `--convention pytorch|alternative`: the convention C (C′ is C flipped).
struct ConventionPreset: ExpressibleByArgument {
    let argument: String
    let parsed: Result<DerivativeConvention, any Error>

    init(argument: String) {
        self.argument = argument
        parsed = Result {
            switch argument {
            case "pytorch": return .pytorch
            case "alternative": return .alternative
            default: throw ValidationError("--convention must be pytorch or alternative, found '\(argument)'")
            }
        }
    }

    var defaultValueDescription: String { argument }
}

/// `--derivative CHOICE=VALUE` (and every `--<choice>` option, rewritten to it): one value of
/// the convention table.
struct ConventionEntry: ExpressibleByArgument {
    let argument: String
    let parsed: Result<(ConventionChoice, ConventionValue), any Error>

    init(argument: String) {
        self.argument = argument
        parsed = Result {
            do { return try ConventionFlags.entry(argument) } catch let e as ConventionError { throw ValidationError(e.message) }
        }
    }
}
