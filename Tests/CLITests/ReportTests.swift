import Foundation
import Testing

/// `bpcheck model.json`: the report of a small fixed model against a committed expected file,
/// exit codes under --fail-on, and --save-gradients.
@Suite struct ReportTests {
    static let fixture = BPCheckProcess.repositoryRoot.appendingPathComponent("Tests/CLITests/Fixtures/worked-example")

    static func temporaryDirectory() throws -> URL {
        let url = FileManager.default.temporaryDirectory.appendingPathComponent("bpcheck-report-\(getpid())-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: url, withIntermediateDirectories: true)
        return url
    }

    /// Paths and the version line vary by machine; everything else must not.
    static func normalised(_ text: String, _ directory: URL) -> String {
        text.replacingOccurrences(of: directory.path, with: "<out>")
            .replacingOccurrences(of: BPCheckProcess.repositoryRoot.path, with: "<root>")
            .split(separator: "\n", omittingEmptySubsequences: false)
            .map { $0.hasPrefix("- bpcheck ") ? "- <versions>" : String($0) }
            .joined(separator: "\n")
    }

    @Test func reportOfTheWorkedExampleMatchesTheExpectedFile() throws {
        let out = try Self.temporaryDirectory()
        defer { try? FileManager.default.removeItem(at: out) }
        let r = try BPCheckProcess.run([Self.fixture.appendingPathComponent("model.json").path, "--report", out.appendingPathComponent("report.md").path])
        #expect(r.status == 0, "\(r.stderr)")
        let report = Self.normalised(try String(contentsOf: out.appendingPathComponent("report.md"), encoding: .utf8), out)
        let expectedURL = Self.fixture.appendingPathComponent("expected.md")
        if ProcessInfo.processInfo.environment["BPCHECK_UPDATE_GOLDEN"] == "1" {
            try report.write(to: expectedURL, atomically: true, encoding: .utf8)
        }
        #expect(report == (try String(contentsOf: expectedURL, encoding: .utf8)))
        for figure in ["report-errors.svg", "report-kinks.svg"] {
            let svg = try String(contentsOf: out.appendingPathComponent(figure), encoding: .utf8)
            #expect(svg.hasPrefix("<svg") && svg.hasSuffix("</svg>\n"))
        }
        // The JSON carries the contract's fields.
        let json = try JSONSerialization.jsonObject(with: Data(contentsOf: out.appendingPathComponent("report.json"))) as! [String: Any]
        #expect(json["schema"] as? String == "bpcheck-report/1" && json["model"] as? String == "worked-example" && json["batches"] as? Int == 1)
        let f32 = (json["precisions"] as! [String: Any])["f32"] as! [String: Any]
        #expect(f32["flagged"] as? Bool == true)
        #expect((f32["sites"] as! [String: Int])["spurious"] == 1)
        #expect(((f32["layers"] as! [String: Any])["relu"] as! [String: Any])["sites"] != nil)
        let bifurcation = f32["bifurcation"] as! [String: Any]
        #expect(bifurcation["changed"] as? Bool == true && bifurcation["share_of_batches"] as? Double == 1)
        let error = f32["error"] as! [String: Any]
        #expect(error["kink"] as? Double != nil && (error["per_tensor"] as! [String: Any])["w"] != nil)
        #expect((f32["range_events"] as! [String: Any])["fc"] != nil)
    }

    @Test func failOnGivesOneWhenFlaggedAndZeroWhenClean() throws {
        let out = try Self.temporaryDirectory()
        defer { try? FileManager.default.removeItem(at: out) }
        let model = Self.fixture.appendingPathComponent("model.json").path
        let report = out.appendingPathComponent("r.md").path
        #expect(try BPCheckProcess.run([model, "--report", report, "--fail-on", "flagged"]).status == 1)
        #expect(try BPCheckProcess.run([model, "--report", report, "--fail-on", "kink-error=1e-3"]).status == 1)
        #expect(try BPCheckProcess.run([model, "--report", report, "--fail-on", "kink-error=0.9"]).status == 0)
        #expect(try BPCheckProcess.run([model, "--report", report, "--precisions", "f64", "--fail-on", "flagged"]).status == 0)
        #expect(try BPCheckProcess.run([model, "--report", report]).status == 0)  // no --fail-on: never 1
        let bad = try BPCheckProcess.run([model, "--report", report, "--fail-on", "sometimes"])
        #expect(bad.status == 2 && bad.stderr.contains("--fail-on"))
        let badPrecision = try BPCheckProcess.run([model, "--report", report, "--precisions", "f8"])
        #expect(badPrecision.status == 2 && badPrecision.stderr.contains("'f8'"))
        let badTie = try BPCheckProcess.run([model, "--report", report, "--maxpool-tie", "middle"])
        #expect(badTie.status == 2 && badTie.stderr.contains("maxpool-tie"))
        let wider = try BPCheckProcess.run([model, "--report", report, "--accumulation", "wider"])
        #expect(wider.status == 2 && wider.stderr.contains("f64 has no wider format"))
        let otherData = BPCheckProcess.repositoryRoot.appendingPathComponent("examples/digits-cnn/data.npz").path
        let mismatch = try BPCheckProcess.run([model, "--report", report, "--data", otherData])
        #expect(mismatch.status == 2 && mismatch.stderr.contains("key 'data.inputs': expected shape [N] + [2]"), "\(mismatch.stderr)")
        let huge = try BPCheckProcess.run([model, "--report", report, "--batches", "9223372036854775807"])
        #expect(huge.status == 2 && huge.stderr.contains("--batches"), "\(huge.stderr)")  // no overflow trap
        let unwritable = try BPCheckProcess.run([model, "--report", "/proc/no-such-dir/r.md"])
        #expect(unwritable.status == 2 && unwritable.stderr.contains("cannot write the report"))
    }

    /// Every convention choice is an option, from its declaration: the values reach the JSON
    /// (C as given, C′ flipped), the Markdown, and wrong values are exit 2 naming the option.
    @Test func conventionChoicesAreOptionsFromTheTable() throws {
        let out = try Self.temporaryDirectory()
        defer { try? FileManager.default.removeItem(at: out) }
        let model = Self.fixture.appendingPathComponent("model.json").path
        let report = out.appendingPathComponent("r.md").path
        let r = try BPCheckProcess.run([model, "--report", report, "--elu-prime", "0.25", "--maxpool-tie=split", "--derivative", "abs-prime=-0.5"])
        #expect(r.status == 0, "\(r.stderr)")
        let json = try JSONSerialization.jsonObject(with: Data(contentsOf: out.appendingPathComponent("r.json"))) as! [String: Any]
        let c = json["convention"] as! [String: Any], alt = json["alternative_convention"] as! [String: Any]
        #expect(c["elu_prime_at_0"] as? Double == 0.25 && alt["elu_prime_at_0"] as? String == "alpha")
        #expect(c["maxpool_ties"] as? String == "split" && alt["maxpool_ties"] as? String == "first")
        #expect(c["abs_prime_at_0"] as? Double == -0.5 && alt["abs_prime_at_0"] as? Double == 0.5)
        #expect(c["relu_prime_at_0"] as? Double == 0 && alt["relu_prime_at_0"] as? Double == 1)
        let markdown = try String(contentsOfFile: report, encoding: .utf8)
        #expect(markdown.contains("elu'(0)=0.25") && markdown.contains("maxpool ties: split"))
        for (args, mention) in [(["--elu-prime", "soon"], "elu-prime"), (["--derivative", "nope=1"], "nope"), (["--hardtanh-prime", "1.5"], "hardtanh'(bound)")] {
            let bad = try BPCheckProcess.run([model, "--report", report] + args)
            #expect(bad.status == 2 && bad.stderr.contains(mention), "\(args): \(bad.stderr)")
        }
        let help = try BPCheckProcess.run(["help", "analyze"])
        for choice in ["--relu-prime", "--leaky-relu-prime", "--abs-prime", "--hardtanh-prime", "--maxpool-tie", "--maximum-tie", "--elu-prime"] {
            #expect(help.stdout.contains(choice), "help lists \(choice)")
        }
    }

    @Test func savedGradientsHoldTheNumbersTheJSONImplies() throws {
        let out = try Self.temporaryDirectory()
        defer { try? FileManager.default.removeItem(at: out) }
        let r = try BPCheckProcess.run([Self.fixture.appendingPathComponent("model.json").path, "--report", out.appendingPathComponent("r.md").path,
                                        "--save-gradients", out.appendingPathComponent("grads").path])
        #expect(r.status == 0, "\(r.stderr)")
        let json = try JSONSerialization.jsonObject(with: Data(contentsOf: out.appendingPathComponent("r.json"))) as! [String: Any]
        for p in ["f16", "bf16", "f32", "f64"] {
            let folder = out.appendingPathComponent("grads").appendingPathComponent(p)
            for name in ["g_P", "g_P_alt", "g_P_aligned", "g_R", "g_R_alt"] {
                #expect(FileManager.default.fileExists(atPath: folder.appendingPathComponent(name + ".safetensors").path), "\(p)/\(name)")
            }
            // ‖g_P − g_R‖ / ‖g_R‖ from the files equals the JSON's total error.
            func values(_ name: String) throws -> [Double] { try SafetensorsProbe.f64OrNarrower(folder.appendingPathComponent(name + ".safetensors"), tensor: "w") }
            let gP = try values("g_P"), gR = try values("g_R")
            let total = zip(gP, gR).map { ($0 - $1) * ($0 - $1) }.reduce(0, +).squareRoot() / gR.map { $0 * $0 }.reduce(0, +).squareRoot()
            let reported = ((json["precisions"] as! [String: Any])[p] as! [String: Any])["error"] as! [String: Any]
            let expected = reported["total"] as! Double
            #expect(abs(total - expected) <= 1e-9 * max(expected, 1e-300) + 1e-15, "\(p): files give \(total), JSON \(expected)")
        }
    }
}

/// A minimal safetensors reader for the test (independent of bpcheck's): header JSON via
/// Foundation, little-endian F16/BF16/F32/F64 decoded by hand.
enum SafetensorsProbe {
    static func f64OrNarrower(_ url: URL, tensor: String) throws -> [Double] {
        let data = [UInt8](try Data(contentsOf: url))
        let n = Int(data[0..<8].enumerated().reduce(UInt64(0)) { $0 | UInt64($1.element) << (8 * UInt64($1.offset)) })
        let header = try JSONSerialization.jsonObject(with: Data(data[8..<(8 + n)])) as! [String: Any]
        let entry = header[tensor] as! [String: Any]
        let offsets = entry["data_offsets"] as! [Int]
        let bytes = Array(data[(8 + n + offsets[0])..<(8 + n + offsets[1])])
        func word(_ i: Int, _ size: Int) -> UInt64 { (0..<size).reduce(0) { $0 | UInt64(bytes[i * size + $1]) << (8 * UInt64($1)) } }
        switch entry["dtype"] as! String {
        case "F64": return (0..<(bytes.count / 8)).map { Double(bitPattern: word($0, 8)) }
        case "F32": return (0..<(bytes.count / 4)).map { Double(Float(bitPattern: UInt32(word($0, 4)))) }
        case "BF16": return (0..<(bytes.count / 2)).map { Double(Float(bitPattern: UInt32(word($0, 2)) << 16)) }
        case "F16": return (0..<(bytes.count / 2)).map { Double(Float16(bitPattern: UInt16(word($0, 2)))) }
        default: return []
        }
    }
}

/// `--reference-memory`: a budget under the batch's reference makes R stream chunk by chunk of
/// samples; the verdicts and site counts are the whole run's, and the report says it streamed.
@Suite struct ReferenceMemoryTests {
    @Test func aSmallBudgetStreamsTheReferenceAndChangesNoVerdict() throws {
        let out = try ReportTests.temporaryDirectory()
        defer { try? FileManager.default.removeItem(at: out) }
        let model = BPCheckProcess.repositoryRoot.appendingPathComponent("examples/digits-mlp/model.json").path
        func run(_ extra: [String], _ name: String) throws -> [String: Any] {
            let r = try BPCheckProcess.run([model, "--precisions", "f32,f16", "--report", out.appendingPathComponent("\(name).md").path] + extra)
            #expect(r.status == 0, "\(r.stderr)")
            return try JSONSerialization.jsonObject(with: Data(contentsOf: out.appendingPathComponent("\(name).json"))) as! [String: Any]
        }
        let whole = try run([], "whole"), streamed = try run(["--reference-memory", "100K"], "streamed")
        let a = whole["precisions"] as! [String: [String: Any]], b = streamed["precisions"] as! [String: [String: Any]]
        for p in ["f32", "f16"] {
            #expect(NSDictionary(dictionary: a[p]!["sites"] as! [String: Any]) == NSDictionary(dictionary: b[p]!["sites"] as! [String: Any]), "\(p)")
            #expect(a[p]!["flagged"] as? Bool == b[p]!["flagged"] as? Bool, "\(p)")
            let wholeBatch = (a[p]!["per_batch"] as! [[String: Any]])[0], streamedBatch = (b[p]!["per_batch"] as! [[String: Any]])[0]
            #expect(wholeBatch["reference_chunks"] == nil && (streamedBatch["reference_chunks"] as? Int ?? 0) >= 2, "\(p)")
        }
        let markdown = try String(contentsOf: out.appendingPathComponent("streamed.md"), encoding: .utf8)
        #expect(markdown.contains("R streamed"))
        let bad = try BPCheckProcess.run([model, "--report", out.appendingPathComponent("bad.md").path, "--reference-memory", "lots"])
        #expect(bad.status == 2 && bad.stderr.contains("--reference-memory"))
    }
}
