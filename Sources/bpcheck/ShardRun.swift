import ArgumentParser
import BPCheck
import Foundation

/// `--shard` and `--results`: a share of a data set's batches, each written as one result
/// file (docs/cluster.md). A rerun skips the batches whose files are already there for the
/// same run; `bpcheck merge` joins the directories into the dataset report.
struct ShardOption: ExpressibleByArgument {
    enum Kind { case fixed(Shard), auto(count: Int?) }
    let kind: Kind
    let argument: String

    init?(argument: String) {
        self.argument = argument
        if argument == "auto" { kind = .auto(count: nil); return }
        let parts = argument.split(separator: "/", omittingEmptySubsequences: false).map(String.init)
        guard parts.count == 2 else { return nil }
        if parts[0] == "auto" {
            guard let n = Int(parts[1]), n >= 1 else { return nil }
            kind = .auto(count: n)
            return
        }
        guard let k = Int(parts[0]), let n = Int(parts[1]), let s = Shard(index: k, count: n) else { return nil }
        kind = .fixed(s)
    }

    static var defaultCompletionKind: CompletionKind { .default }

    /// The shard: given, or from the job engine's environment — Slurm's job arrays
    /// (`SLURM_ARRAY_TASK_ID` − `SLURM_ARRAY_TASK_MIN` of `SLURM_ARRAY_TASK_COUNT`), Kubernetes'
    /// Indexed Jobs (`JOB_COMPLETION_INDEX` of the count in `auto/N`).
    func resolve(_ environment: [String: String] = ProcessInfo.processInfo.environment) throws -> Shard {
        switch kind {
        case .fixed(let s): return s
        case .auto(let count):
            func int(_ key: String) throws -> Int? {
                guard let v = environment[key] else { return nil }
                guard let i = Int(v) else { throw ValidationError("--shard \(argument): \(key) is '\(v)', not an integer") }
                return i
            }
            if let id = try int("SLURM_ARRAY_TASK_ID") {
                guard let n = try count ?? int("SLURM_ARRAY_TASK_COUNT") else {
                    throw ValidationError("--shard \(argument): SLURM_ARRAY_TASK_ID is set but SLURM_ARRAY_TASK_COUNT is not (give the count: --shard auto/N)")
                }
                let k = id - (try int("SLURM_ARRAY_TASK_MIN") ?? 0)
                guard let s = Shard(index: k, count: n) else {
                    throw ValidationError("--shard \(argument): task \(id) (from \(try int("SLURM_ARRAY_TASK_MIN") ?? 0)) is not one of \(n) shards")
                }
                return s
            }
            if let k = try int("JOB_COMPLETION_INDEX") {
                guard let n = count else { throw ValidationError("--shard \(argument): Kubernetes' JOB_COMPLETION_INDEX needs the count: --shard auto/N") }
                guard let s = Shard(index: k, count: n) else { throw ValidationError("--shard \(argument): JOB_COMPLETION_INDEX \(k) is not one of \(n) shards") }
                return s
            }
            throw ValidationError("--shard \(argument): neither SLURM_ARRAY_TASK_ID nor JOB_COMPLETION_INDEX is set (not in a job array?)")
        }
    }
}

/// The batches of one shard, analysed and written one file each, resuming past those done.
struct ShardRun {
    let directory: URL
    let manifest: RunManifest
    let command: String

    /// Analyses `shard`'s batches that `directory` does not hold yet; returns how many it did
    /// and how many it found done.
    func run(_ dataset: DatasetAnalysis, shard: Shard, progress: Progress) throws -> (analysed: Int, skipped: Int) {
        do {
            try FileManager.default.createDirectory(at: directory, withIntermediateDirectories: true)
        } catch {
            throw ValidationError("--results \(directory.path): cannot create the directory (\(error.localizedDescription))")
        }
        let mine = shard.batches(of: manifest.batches)
        var todo: [Int] = []
        for b in mine {
            let url = BatchResultFile.url(directory, batch: b)
            guard FileManager.default.fileExists(atPath: url.path) else { todo.append(b); continue }
            let file = try BatchResultFile.read(url)
            let differences = file.manifest.differences(from: manifest) + (file.batch == b ? [] : ["batch index (\(file.batch))"])
            guard differences.isEmpty else {
                throw BatchResultError(file: url.path, message: "is a result of another run: \(differences.joined(separator: "; ")) differ (use another --results directory)")
            }
        }
        var done = 0
        try dataset.run(batches: todo) { b, result in
            _ = try BatchResultFile(manifest: manifest, batch: b, command: command, result: result).write(to: directory)
            done += 1
            progress.batch(done, todo.count)
        }
        progress.finish()
        return (todo.count, mine.count - todo.count)
    }
}

/// The batch result files of one run, gathered from directories: every file of the same run
/// (equal manifests), each batch once (a duplicate must be the same result).
struct ResultSet {
    let manifest: RunManifest
    /// By batch index.
    let files: [Int: BatchResultFile]
    let first: URL

    init(directories: [URL]) throws {
        var manifest: RunManifest?, first: URL?
        var files: [Int: (URL, BatchResultFile)] = [:]
        for directory in directories {
            for url in try BatchResultFile.files(in: directory) {
                let file = try BatchResultFile.read(url)
                if let m = manifest, let f = first {
                    let differences = file.manifest.differences(from: m)
                    guard differences.isEmpty else {
                        throw BatchResultError(file: url.path, message: "is a result of another run than \(f.path): \(differences.joined(separator: "; ")) differ")
                    }
                } else {
                    manifest = file.manifest
                    first = url
                }
                guard (0..<file.manifest.batches).contains(file.batch) else {
                    throw BatchResultError(file: url.path, message: "holds batch \(file.batch), outside the run's \(file.manifest.batches) batches")
                }
                if let (other, known) = files[file.batch] {
                    guard known.result == file.result else {
                        throw BatchResultError(file: url.path, message: "disagrees with \(other.path) on batch \(file.batch)")
                    }
                } else {
                    files[file.batch] = (url, file)
                }
            }
        }
        guard let manifest, let first else {
            throw ValidationError("no batch result files (batch-*.json) in \(directories.map(\.path).joined(separator: ", "))")
        }
        self.manifest = manifest
        self.first = first
        self.files = files.mapValues(\.1)
    }

    /// The batches of the run with no result file.
    var missing: [Int] { (0..<manifest.batches).filter { files[$0] == nil } }

    /// `0, 2–5, 9` for people.
    static func ranges(_ batches: [Int]) -> String {
        var parts: [String] = [], start: Int?, last = -2
        for b in batches + [Int.min] {
            if b == last + 1 { last = b; continue }
            if let s = start { parts.append(s == last ? "\(s)" : "\(s)–\(last)") }
            start = b
            last = b
        }
        return parts.joined(separator: ", ")
    }

    /// The dataset's report from these files (`allowPartial`: without the missing batches, said
    /// at the top of the report).
    func writeReport(report: String?, json: String?, allowPartial: Bool, failOn: Bool) throws {
        let missing = self.missing
        guard missing.isEmpty || allowPartial else {
            throw ValidationError("batches \(Self.ranges(missing)) of the \(manifest.batches) have no result file (rerun their shards, or --allow-partial to report the others)")
        }
        let results = (0..<manifest.batches).compactMap { files[$0]?.result }
        let summaries = manifest.precisions.map { p in PrecisionSummary(p, results.map { $0[p] }) }
        var context = ReportContext(modelName: manifest.model, command: files.values.min { $0.batch < $1.batch }!.command,
                                    bpcheckVersion: manifest.bpcheckVersion, hashes: manifest.hashes, reference: manifest.reference,
                                    convention: manifest.convention, alternative: manifest.alternative,
                                    arithmeticModel: manifest.arithmeticModel, flagRule: manifest.flagRule)
        context.policyNotes = PolicyNotes.lines(manifest.precisions, policies: [:])  // nothing for the standard precisions
        if !missing.isEmpty {
            context.notes.append("Partial: \(results.count) of \(manifest.batches) batches; batches \(Self.ranges(missing)) have no result and are not counted.")
        }
        let written: ReportBundle.Written
        do {
            written = try ReportBundle.write(context, summaries, reportPath: report ?? "reports/\(manifest.model).md", jsonPath: json)
        } catch let e as CocoaError {
            throw ValidationError("cannot write the report: \(e.userInfo[NSFilePathErrorKey] ?? "") — \(e.localizedDescription)")
        }
        for note in context.notes { print("note: \(note)") }
        for s in summaries { print(ReportMarkdown.verdict(s).replacingOccurrences(of: "**", with: "")) }
        print("report: \(written.report), \(written.json), \(written.figures.errors), \(written.figures.kinks)")
        if failOn && summaries.contains(where: \.flagged) { throw ExitCode(1) }
    }
}

/// `bpcheck merge DIR…`: the dataset report of a sharded run.
struct MergeCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "merge",
        abstract: "Join the per-batch results of a sharded run (bpcheck … --shard K/N --results DIR) into its dataset report.",
        discussion: """
            Refuses (exit 2, naming the file) results of another model, data or option set, \
            duplicates that disagree, and missing batches unless --allow-partial. The merged \
            numbers are those of one unsharded run, bit for bit. docs/cluster.md.
            """)

    @Argument(help: "Directories holding batch-*.json files (each shard's --results).")
    var directories: [String]
    @Option(help: "Markdown report path (default reports/<model name>.md); figures are written beside it.")
    var report: String?
    @Option(help: "JSON report path (default: the report's path with .json).")
    var json: String?
    @Flag(help: "Report the batches present when some are missing (said at the top of the report).")
    var allowPartial = false
    @Flag(help: "Exit 1 when a precision is flagged (by the run's flag rule).")
    var failOnFlagged = false

    func run() throws {
        let set = try ResultSet(directories: directories.map { URL(fileURLWithPath: $0) })
        try set.writeReport(report: report, json: json, allowPartial: allowPartial, failOn: failOnFlagged)
    }
}
