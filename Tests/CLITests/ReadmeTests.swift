import Foundation
import Testing

/// The README's promises about how to start: exactly two commands, and CI runs the test one.
@Suite struct ReadmeTests {
    static func text(_ path: String) throws -> String {
        try String(contentsOf: BPCheckProcess.repositoryRoot.appendingPathComponent(path), encoding: .utf8)
    }

    /// The commands of the first code block after "## Quick start", comments dropped.
    static func quickStartCommands() throws -> [String] {
        let readme = try text("README.md")
        let section = try #require(readme.range(of: "## Quick start")).upperBound
        let rest = readme[section...]
        let open = try #require(rest.range(of: "```sh\n"))
        let close = try #require(rest[open.upperBound...].range(of: "```"))
        return rest[open.upperBound..<close.lowerBound].split(separator: "\n")
            .map { $0.split(separator: "#", maxSplits: 1).first.map(String.init) ?? "" }
            .map { $0.trimmingCharacters(in: .whitespaces) }
            .filter { !$0.isEmpty }
    }

    @Test func quickStartIsTwoCommandsAndCIRunsTheTestOne() throws {
        let commands = try Self.quickStartCommands()
        #expect(commands.count == 2, "\(commands)")
        let testCommand = try #require(commands.last)
        let ci = try Self.text(".ci/run")
        #expect(ci.split(separator: "\n").contains { $0.trimmingCharacters(in: .whitespaces) == testCommand })
        // Both are Makefile targets that install what they need first.
        let makefile = try Self.text("Makefile")
        for command in commands {
            let target = try #require(command.split(separator: " ").last)
            #expect(makefile.contains("\n\(target): deps"), "make \(target) must depend on deps")
        }
    }

    @Test func buildFoldersAreIgnored() throws {
        let ignore = try Self.text(".gitignore").split(separator: "\n").map(String.init)
        for entry in [".build/", ".build-*/", "Package.resolved"] {
            #expect(ignore.contains(entry))
        }
    }
}
