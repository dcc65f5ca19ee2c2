import ArgumentParser
import Foundation

/// The `bpcheck` command.
struct BPCheck: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "bpcheck",
        abstract: "Tells whether backpropagation through a network can be trusted at a given floating-point precision.",
        discussion: """
            Exit codes: 0 analysed and nothing flagged; 1 analysed and something flagged by \
            --fail-on; 2 the input or the command line is wrong.
            """,
        version: BPCheckVersion.full,
        subcommands: [AnalyzeCommand.self, InspectCommand.self, PrecisionsCommand.self, MergeCommand.self, TrainCommand.self],
        defaultSubcommand: AnalyzeCommand.self
    )
}

/// Entry point: runs the command and maps every outcome to bpcheck's exit codes.
///
/// swift-argument-parser exits with 64 on a usage error and 1 on any other thrown error; bpcheck
/// promises 2 for both (a wrong command line or a wrong input), keeping 1 for "analysed and
/// flagged", which commands signal by throwing `ExitCode(1)`.
@main
enum BPCheckMain {
    static func main() {
        do {
            var command = try BPCheck.parseAsRoot(ConventionFlags.rewrite(Array(CommandLine.arguments.dropFirst())))
            try command.run()
        } catch let code as ExitCode {
            exit(code.rawValue)
        } catch {
            let status = BPCheck.exitCode(for: error)
            if status == .success {
                BPCheck.exit(withError: error)  // --help, --version: prints and exits 0
            }
            let message = BPCheck.fullMessage(for: error)
            FileHandle.standardError.write(Data((message.hasPrefix("Error") ? message : "Error: \(message)").utf8 + [0x0A]))
            exit(2)
        }
    }
}
