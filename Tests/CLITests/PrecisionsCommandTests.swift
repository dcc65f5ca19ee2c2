import Foundation
import Testing
import Precision

@Suite struct PrecisionsCommandTests {
    /// The row of the Markdown table whose first cell is `name`, split into cells.
    static func row(_ table: String, _ name: String) -> [String]? {
        for line in table.split(separator: "\n") {
            let cells = line.split(separator: "|").map { $0.trimmingCharacters(in: .whitespaces) }
            if cells.first == name { return cells }
        }
        return nil
    }

    @Test func listsEveryStandardPrecisionWithItsParameters() throws {
        let r = try BPCheckProcess.run(["precisions"])
        #expect(r.status == 0)
        // Expected values from the standard library's constants and closed forms, not from bpcheck.
        let expectations: [(String, Int, Double, Double, Double)] = [
            ("f16", 11, 0x1p-10, 0x1p-24, 65504),
            ("bf16", 8, 0x1p-7, 0x1p-133, 0x1.FEp127),
            ("f32", 24, Double(Float.ulpOfOne), Double(Float.leastNonzeroMagnitude), Double(Float.greatestFiniteMagnitude)),
            ("f64", 53, Double.ulpOfOne, Double.leastNonzeroMagnitude, Double.greatestFiniteMagnitude),
        ]
        for (name, bits, eps, tiny, huge) in expectations {
            let cells = try #require(Self.row(r.stdout, name), "no row for \(name) in:\n\(r.stdout)")
            #expect(cells[2] == "\(bits)")
            #expect(cells[4].hasSuffix(String(format: "%.2e", eps)))
            #expect(cells[5].hasSuffix(String(format: "%.2e", tiny)))
            #expect(cells[6].hasSuffix(String(format: "%.2e", huge)))
        }
        #expect(Self.row(r.stdout, "mpfr:256")?[2] == "256")
    }

    @Test func listsRequestedMPFRPrecisions() throws {
        let r = try BPCheckProcess.run(["precisions", "--mpfr", "2,4096"])
        #expect(r.status == 0)
        #expect(Self.row(r.stdout, "mpfr:2")?[2] == "2")
        #expect(Self.row(r.stdout, "mpfr:4096")?[4].hasPrefix("2^-4095") == true)
    }

    /// A wrong command line is exit code 2 with a message naming what was wrong.
    @Test func badInputExitsWithTwo() throws {
        let bad = try BPCheckProcess.run(["precisions", "--mpfr", "1"])
        #expect(bad.status == 2)
        #expect(bad.stderr.contains("mpfr:1"))
        let unknown = try BPCheckProcess.run(["no-such-command"])
        #expect(unknown.status == 2)
        #expect(unknown.stderr.contains("no-such-command"))
    }

    @Test func versionNamesTheLinkedLibraries() throws {
        let r = try BPCheckProcess.run(["--version"])
        #expect(r.status == 0)
        #expect(r.stdout.contains("MPFR \(MPFRLibrary.mpfrVersion)"))
        #expect(r.stdout.contains("GMP \(MPFRLibrary.gmpVersion)"))
        let help = try BPCheckProcess.run(["--help"])
        #expect(help.status == 0 && help.stdout.contains("precisions"))
    }
}
