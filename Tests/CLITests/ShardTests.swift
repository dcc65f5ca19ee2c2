import Foundation
import Testing

/// Sharded runs (`--shard K/N --results DIR`, `bpcheck merge`): whatever the number of shards,
/// their order, a task killed mid-batch and rerun, the merged report is the unsharded run's
/// (apart from the command line and the figures' file names); results of another run are
/// refused naming the file.
@Suite(.serialized) struct ShardTests {
    static let model = BPCheckProcess.repositoryRoot.appendingPathComponent("examples/digits-mlp/model.json").path
    static let common = [model, "--batch-size", "16", "--batches", "6", "--precisions", "f16,f32"]

    static func directory(_ name: String) throws -> URL {
        let d = FileManager.default.temporaryDirectory.appendingPathComponent("bpcheck-shards-\(getpid())-\(name)")
        try? FileManager.default.removeItem(at: d)
        try FileManager.default.createDirectory(at: d, withIntermediateDirectories: true)
        return d
    }

    /// The JSON report without its command line.
    static func report(_ url: URL) throws -> NSDictionary {
        let json = try JSONSerialization.jsonObject(with: Data(contentsOf: url)) as! [String: Any]
        return json.filter { $0.key != "command" } as NSDictionary
    }

    @Test func mergedShardsEqualTheUnshardedRun() throws {
        let d = try Self.directory("equal")
        let whole = try BPCheckProcess.run(Self.common + ["--report", d.appendingPathComponent("whole.md").path])
        #expect(whole.status == 0, "\(whole.stderr)")
        let expected = try Self.report(d.appendingPathComponent("whole.json"))
        for n in [1, 3, 7] {
            let results = d.appendingPathComponent("r\(n)")
            // Out of order: the last shard first.
            for k in (0..<n).reversed() {
                let r = try BPCheckProcess.run(Self.common + ["--shard", "\(k)/\(n)", "--results", results.path, "--report", d.appendingPathComponent("s.md").path])
                #expect(r.status == 0, "\(n) shards, shard \(k): \(r.stderr)")
            }
            if n == 3 {
                // Shard 1 killed while writing its last batch (4): the file gone, a temporary one
                // left; rerun, it redoes that batch only.
                try FileManager.default.removeItem(at: results.appendingPathComponent("batch-000004.json"))
                try Data("{\"partial".utf8).write(to: results.appendingPathComponent(".batch-000004.json.4242.tmp"))
                let rerun = try BPCheckProcess.run(Self.common + ["--shard", "1/3", "--results", results.path])
                #expect(rerun.status == 0 && rerun.stdout.contains("1 batch analysed, 1 already done"), "\(rerun.stdout)\(rerun.stderr)")
            }
            let merged = try BPCheckProcess.run(["merge", results.path, "--report", d.appendingPathComponent("m\(n).md").path])
            #expect(merged.status == 0, "\(merged.stderr)")
            #expect(try Self.report(d.appendingPathComponent("m\(n).json")) == expected, "\(n) shards")
            #expect(FileManager.default.fileExists(atPath: d.appendingPathComponent("m\(n)-dataset.svg").path))
            let markdown = try String(contentsOf: d.appendingPathComponent("m\(n).md"), encoding: .utf8)
            let wholeMarkdown = try String(contentsOf: d.appendingPathComponent("whole.md"), encoding: .utf8)
            let differing = zip(markdown.split(separator: "\n"), wholeMarkdown.split(separator: "\n")).filter { $0 != $1 }
            // The three figures' names follow the report's; the command line has no --report.
            #expect(differing.count == 4 && differing.allSatisfy { $0.0.contains("m\(n)-") || $0.0.hasPrefix("bpcheck ") }, "\(differing)")
        }
    }

    @Test func aKilledTaskResumesAndLosesAtMostItsBatchInFlight() throws {
        let d = try Self.directory("resume")
        let results = d.appendingPathComponent("r")
        let first = try BPCheckProcess.run(Self.common + ["--shard", "0/2", "--results", results.path])
        #expect(first.status == 0 && first.stdout.contains("3 batches analysed, 0 already done"), "\(first.stdout)\(first.stderr)")
        // As if killed while writing batch 2: its file gone, a temporary file left behind.
        try FileManager.default.removeItem(at: results.appendingPathComponent("batch-000002.json"))
        try Data("{\"trunc".utf8).write(to: results.appendingPathComponent(".batch-000002.json.999.tmp"))
        let rerun = try BPCheckProcess.run(Self.common + ["--shard", "0/2", "--results", results.path])
        #expect(rerun.status == 0 && rerun.stdout.contains("1 batch analysed, 2 already done"), "\(rerun.stdout)\(rerun.stderr)")
        // The other shard missing: merge refuses, listing the batches, unless --allow-partial.
        let partial = try BPCheckProcess.run(["merge", results.path, "--report", d.appendingPathComponent("p.md").path])
        #expect(partial.status == 2 && partial.stderr.contains("batches 1, 3, 5 of the 6 have no result file"), "\(partial.stderr)")
        let allowed = try BPCheckProcess.run(["merge", results.path, "--allow-partial", "--report", d.appendingPathComponent("p.md").path])
        #expect(allowed.status == 0, "\(allowed.stderr)")
        let text = try String(contentsOf: d.appendingPathComponent("p.md"), encoding: .utf8)
        #expect(text.contains("> **Partial: 3 of 6 batches; batches 1, 3, 5 have no result"), "\(text.prefix(400))")
    }

    @Test func resultsOfAnotherRunAreRefusedNamingTheFile() throws {
        let d = try Self.directory("mismatch")
        let a = d.appendingPathComponent("a"), b = d.appendingPathComponent("b")
        #expect(try BPCheckProcess.run(Self.common + ["--shard", "0/2", "--results", a.path]).status == 0)
        // Other precisions into the same directory: refused before anything is analysed.
        let other = [Self.model, "--batch-size", "16", "--batches", "6", "--precisions", "f16,f64"]
        let refused = try BPCheckProcess.run(other + ["--shard", "0/2", "--results", a.path])
        #expect(refused.status == 2 && refused.stderr.contains("batch-000000.json: is a result of another run: precisions (f16,f32 vs f16,f64)"), "\(refused.stderr)")
        // Another batch size in another directory, merged with the first: refused naming a file of b.
        #expect(try BPCheckProcess.run([Self.model, "--batch-size", "8", "--batches", "6", "--precisions", "f16,f32", "--shard", "1/2", "--results", b.path]).status == 0)
        let merged = try BPCheckProcess.run(["merge", a.path, b.path])
        #expect(merged.status == 2 && merged.stderr.contains("/b/batch-00000") && merged.stderr.contains("batch size (8 vs 16)"), "\(merged.stderr)")
        // Other weights (the same file name, one byte changed): refused naming the weights file.
        let copy = d.appendingPathComponent("model")
        try FileManager.default.copyItem(at: URL(fileURLWithPath: Self.model).deletingLastPathComponent(), to: copy)
        let weights = copy.appendingPathComponent("weights.safetensors")
        var bytes = [UInt8](try Data(contentsOf: weights))
        bytes[bytes.count - 1] ^= 1  // the last weight's lowest bit
        try Data(bytes).write(to: weights)
        let otherWeights = try BPCheckProcess.run([copy.appendingPathComponent("model.json").path] + Array(Self.common.dropFirst()) + ["--shard", "0/2", "--results", a.path])
        #expect(otherWeights.status == 2 && otherWeights.stderr.contains("is a result of another run: files' SHA-256 (weights.safetensors)"), "\(otherWeights.stderr)")
        // A batch result that is not one.
        try Data("not json".utf8).write(to: a.appendingPathComponent("batch-000009.json"))
        let broken = try BPCheckProcess.run(["merge", a.path])
        #expect(broken.status == 2 && broken.stderr.contains("batch-000009.json: is not a bpcheck batch result"), "\(broken.stderr)")
        // --shard without --results, and a shard that is not one.
        #expect(try BPCheckProcess.run(Self.common + ["--shard", "0/2"]).status == 2)
        #expect(try BPCheckProcess.run(Self.common + ["--shard", "2/2", "--results", a.path]).status == 2)
    }

    @Test func autoReadsTheJobEnginesEnvironment() throws {
        let d = try Self.directory("auto")
        let results = d.appendingPathComponent("r")
        let slurm = try BPCheckProcess.run(Self.common + ["--shard", "auto", "--results", results.path],
                                           environment: ["SLURM_ARRAY_TASK_ID": "5", "SLURM_ARRAY_TASK_MIN": "4", "SLURM_ARRAY_TASK_COUNT": "3"])
        #expect(slurm.status == 0 && slurm.stdout.contains("shard 1/3: 2 batches analysed"), "\(slurm.stdout)\(slurm.stderr)")
        let kubernetes = try BPCheckProcess.run(Self.common + ["--shard", "auto/3", "--results", results.path], environment: ["JOB_COMPLETION_INDEX": "2"])
        #expect(kubernetes.status == 0 && kubernetes.stdout.contains("shard 2/3: 2 batches analysed"), "\(kubernetes.stdout)\(kubernetes.stderr)")
        let none = try BPCheckProcess.run(Self.common + ["--shard", "auto", "--results", results.path], environment: [:])
        #expect(none.status == 2 && none.stderr.contains("neither SLURM_ARRAY_TASK_ID nor JOB_COMPLETION_INDEX"), "\(none.stderr)")
    }
}
