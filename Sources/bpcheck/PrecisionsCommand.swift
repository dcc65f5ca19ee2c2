import ArgumentParser
import BPCheck

/// `bpcheck precisions`: the precisions bpcheck can replay a network in, with their formats.
struct PrecisionsCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "precisions",
        abstract: "List the precisions bpcheck can analyse, with their significand bits, exponent range, epsilon, smallest subnormal, largest finite value (also exactly, e.g. 65504 for f16) and whether it has infinities."
    )

    @Option(name: .customLong("mpfr"), help: "MPFR precisions (bits) to list besides the four standard and the two 8-bit ones, comma-separated.")
    var mpfrBits: String = "53,256"

    func run() throws {
        var names = PrecisionName.standard + PrecisionName.eightBit + PrecisionName.policies
        for part in mpfrBits.split(separator: ",") {
            do {
                names.append(try PrecisionName(parsing: "mpfr:\(part)"))
            } catch {
                throw ValidationError("--mpfr: \(error)")
            }
        }
        print(PrecisionTable.render(names))
    }
}
