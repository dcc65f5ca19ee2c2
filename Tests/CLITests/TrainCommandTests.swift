import Foundation
import Testing

/// `bpcheck train`: a short run writes the whole report, and every malformed input or option
/// exits with 2 and a message naming the file, key or option.
@Suite struct TrainCommandTests {
    static let root = BPCheckProcess.repositoryRoot
    static let model = root.appendingPathComponent("examples/digits-cnn/model.json").path
    static let fixtures = root.appendingPathComponent("Tests/CLITests/Fixtures/train")

    @Test func aShortRunWritesTheReportFiguresJSONAndWeights() throws {
        let directory = FileManager.default.temporaryDirectory.appendingPathComponent("bpcheck-train-\(UUID().uuidString)")
        defer { try? FileManager.default.removeItem(at: directory) }
        let report = directory.appendingPathComponent("run.md").path
        let r = try BPCheckProcess.run(["train", Self.model, "--data", Self.root.appendingPathComponent("examples/digits-cnn/dataset.npz").path,
                                        "--eval-data", Self.root.appendingPathComponent("examples/digits-cnn/data.npz").path,
                                        "--batch-size", "32", "--steps", "6", "--optimizer", "adam", "--lr", "0.01", "--reinit", "3",
                                        "--eval-every", "3", "--precisions", "f16,f64", "--master-weights", "f32", "--report", report])
        #expect(r.status == 0, "\(r.stderr)")
        #expect(r.stdout.contains("f16: first bifurcation at step"), "\(r.stdout)")
        #expect(r.stderr.contains("f16: step 6/6"), "progress lines: \(r.stderr)")
        for file in ["run.md", "run.json", "run-divergence.svg", "run-curves.svg", "run-weights/f16-C.safetensors",
                     "run-weights/f16-Cprime.safetensors", "run-weights/f64-C.safetensors", "run-weights/f64-Cprime.safetensors"] {
            #expect(FileManager.default.fileExists(atPath: directory.appendingPathComponent(file).path), "\(file)")
        }
        let json = try JSONSerialization.jsonObject(with: Data(contentsOf: directory.appendingPathComponent("run.json"))) as! [String: Any]
        #expect(json["schema"] as? String == "bpcheck-training/1")
        let precisions = json["precisions"] as! [[String: Any]]
        #expect(precisions.map { $0["precision"] as! String } == ["f16", "f64"])
        #expect(precisions[0]["weights_precision"] as? String == "f32", "master weights for f16")
        #expect(precisions[1]["weights_precision"] as? String == "f64")
        #expect((precisions[0]["evaluations"] as! [Any]).count == 3, "steps 0, 3, 6")
        let markdown = try String(contentsOfFile: report, encoding: .utf8)
        #expect(markdown.contains("## Summary") && markdown.contains("run-divergence.svg"))
    }

    /// `--alternative-derivative maxpool-tie=first`: C′ differs from C in relu'(0) only.
    @Test func alternativeDerivativeSetsOneChoiceOfCPrime() throws {
        let directory = FileManager.default.temporaryDirectory.appendingPathComponent("bpcheck-train-\(UUID().uuidString)")
        defer { try? FileManager.default.removeItem(at: directory) }
        let r = try BPCheckProcess.run(["train", Self.model, "--steps", "2", "--batch-size", "16", "--precisions", "f32",
                                        "--alternative-derivative", "maxpool-tie=first", "--report", directory.appendingPathComponent("r.md").path])
        #expect(r.status == 0, "\(r.stderr)")
        let markdown = try String(contentsOf: directory.appendingPathComponent("r.md"), encoding: .utf8)
        #expect(markdown.contains("**C′** under C′ (relu'(0)=1.0, maxpool ties: first)"), "\(markdown.prefix(600))")
    }

    @Test(arguments: [
        (["--data", "no-targets.npz"], "no-targets.npz: needs members x and y"),
        (["--data", "bad-label.npz"], "bad-label.npz: key 'data.targets': label 12 of sample 5 is outside 0..<10"),
        (["--data", "wrong-shape.npz"], "wrong-shape.npz: key 'data.inputs': expected shape [N] + [1, 8, 8], found [32, 64]"),
        (["--data", "not-a-zip.npz"], "not-a-zip.npz: not an .npz file"),
        (["--data", "missing.npz"], "missing.npz: cannot be read"),
        (["--eval-data", "bad-label.npz", "--eval-every", "2"], "bad-label.npz: key 'data.targets': label 12"),
        (["--optimizer", "rmsprop"], "--optimizer must be sgd or adam, found 'rmsprop'"),
        (["--steps", "0"], "--steps must be at least 1, found 0"),
        (["--eval-every", "5"], "--eval-every needs held-out data"),
        (["--batch-size", "1000"], "--batch-size 1000 does not fit the 128 training samples"),
        (["--nesterov", "--lr", "0.1"], "--nesterov requires a momentum > 0"),
        (["--optimizer", "adam", "--beta1", "1"], "invalid --beta1 1.0"),
        (["--precisions", "f16,mpfr:64"], "mpfr:64 is not offered"),
        (["--master-weights", "f16"], "--master-weights must be f32"),
        (["--relu-prime", "2"], "relu'(0) = 2.0 is outside [0.0, 1.0]"),
    ])
    func badInputExitsWithTwoAndANamedError(_ arguments: [String], _ message: String) throws {
        let resolved = arguments.map { $0.hasSuffix(".npz") ? Self.fixtures.appendingPathComponent($0).path : $0 }
        let steps = arguments.contains("--steps") ? [] : ["--steps", "2"]
        let r = try BPCheckProcess.run(["train", Self.model] + resolved + steps + ["--report", "/dev/null/never.md"])
        #expect(r.status == 2, "\(arguments): exit \(r.status), \(r.stderr)")
        #expect(r.stderr.contains(message), "\(arguments): \(r.stderr)")
    }
}
