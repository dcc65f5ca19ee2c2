import AD
import Analyzer
import Foundation
import Precision

/// What makes the numbers of a run: the files (by SHA-256) and every option that changes a
/// number. Batches analysed apart — shards of a cluster job, a resumed run — merge only when
/// their manifests are equal (`differences(from:)` names what is not).
public struct RunManifest: Codable, Equatable, Sendable {
    public struct File: Codable, Equatable, Sendable {
        public var path: String
        public var sha256: String
    }
    public var model: String
    public var files: [File]
    public var loss: String?
    public var precisions: [PrecisionName]
    public var referenceInitialBits: Int
    public var referenceCapBits: Int
    public var referenceGradientBits: Int
    /// R's first rung; nil in files written before double-double balls (MPFR intervals only).
    public var referenceFirstRung: ReferenceFirstRung?
    /// R's streaming budget (`ReferenceOptions.streamingBytes`); nil for the default (and in
    /// files written before R streamed), so that such files keep their bytes.
    public var referenceStreamingBytes: Int?
    public var convention: DerivativeConvention
    public var alternative: DerivativeConvention
    public var arithmeticModel: ArithmeticModel
    public var flagRule: FlagRule
    public var batchSize: Int
    /// The batches of the whole run (every shard's together).
    public var batches: Int
    public var bpcheckVersion: String

    public init(model: String, hashes: [(file: String, sha256: String)], loss: String?, precisions: [PrecisionName], reference: ReferenceOptions,
                convention: DerivativeConvention, alternative: DerivativeConvention, arithmeticModel: ArithmeticModel, flagRule: FlagRule,
                batchSize: Int, batches: Int, bpcheckVersion: String) {
        self.model = model
        files = hashes.map { File(path: $0.file, sha256: $0.sha256) }
        self.loss = loss
        self.precisions = precisions
        referenceInitialBits = reference.initialBits
        referenceCapBits = reference.capBits
        referenceGradientBits = reference.gradientBits
        referenceFirstRung = reference.firstRung
        referenceStreamingBytes = reference.streamingBytes == ReferenceOptions().streamingBytes ? nil : reference.streamingBytes
        self.convention = convention
        self.alternative = alternative
        self.arithmeticModel = arithmeticModel
        self.flagRule = flagRule
        self.batchSize = batchSize
        self.batches = batches
        self.bpcheckVersion = bpcheckVersion
    }

    public var reference: ReferenceOptions {
        ReferenceOptions(initialBits: referenceInitialBits, capBits: referenceCapBits, gradientBits: referenceGradientBits,
                         firstRung: referenceFirstRung ?? .mpfr, streamingBytes: referenceStreamingBytes ?? ReferenceOptions().streamingBytes)
    }
    public var hashes: [(file: String, sha256: String)] { files.map { ($0.path, $0.sha256) } }

    /// The keys whose values differ from `other`'s (empty when the runs are the same run). A
    /// file differs by its SHA-256 (the weights or the data changed), not by its path.
    public func differences(from other: RunManifest) -> [String] {
        var out: [String] = []
        if model != other.model { out.append("model (\(model) vs \(other.model))") }
        if files.map(\.sha256) != other.files.map(\.sha256) {
            let which = zip(files, other.files).filter { $0.sha256 != $1.sha256 }.map(\.0.path)
            out.append("files' SHA-256 (\(which.isEmpty ? "another set of files" : which.joined(separator: ", ")))")
        }
        if loss != other.loss { out.append("loss") }
        if precisions != other.precisions { out.append("precisions (\(precisions.map(\.description).joined(separator: ",")) vs \(other.precisions.map(\.description).joined(separator: ",")))") }
        if reference.streamingBytes != other.reference.streamingBytes {
            out.append("reference memory (\(reference.streamingBytes) vs \(other.reference.streamingBytes) bytes: R streams differently)")
        }
        var same = other.reference
        same.streamingBytes = reference.streamingBytes
        if reference != same { out.append("reference precision") }
        if convention != other.convention || alternative != other.alternative { out.append("convention") }
        if arithmeticModel != other.arithmeticModel { out.append("arithmetic model") }
        if flagRule != other.flagRule { out.append("flag rule") }
        if batchSize != other.batchSize { out.append("batch size (\(batchSize) vs \(other.batchSize))") }
        if batches != other.batches { out.append("number of batches (\(batches) vs \(other.batches))") }
        if bpcheckVersion != other.bpcheckVersion { out.append("bpcheck version (\(bpcheckVersion) vs \(other.bpcheckVersion))") }
        return out
    }
}

/// One batch's result on disk (`bpcheck --results DIR`): `DIR/batch-NNNNNN.json`, written
/// atomically (a temporary file renamed), with the run's manifest and the command that made it.
/// Every count is kept, but of the classified sites only the first `sitesPerClass` of each class
/// per precision (what a report lists), so a file's size does not grow with the network's sites.
public struct BatchResultFile: Codable, Equatable, Sendable {
    public var format = "bpcheck-batch-result"
    public var version = 1
    public var manifest: RunManifest
    /// The batch's index in the whole run.
    public var batch: Int
    /// The command line that analysed it (for the merged report's Reproduce section).
    public var command: String
    public var result: AnalysisResult

    /// Sites of each class kept per precision: the JSON report lists at most 50 in all.
    public static let sitesPerClass = 50

    public init(manifest: RunManifest, batch: Int, command: String, result: AnalysisResult) {
        self.manifest = manifest
        self.batch = batch
        self.command = command
        self.result = result.keepingSites(perClass: Self.sitesPerClass)
    }

    /// `DIR/batch-NNNNNN.json`.
    public static func url(_ directory: URL, batch: Int) -> URL {
        directory.appendingPathComponent("batch-" + String(format: "%06d", batch) + ".json")
    }

    static func encoder() -> JSONEncoder {
        let e = JSONEncoder()
        e.outputFormatting = [.sortedKeys]
        e.nonConformingFloatEncodingStrategy = .convertToString(positiveInfinity: "inf", negativeInfinity: "-inf", nan: "nan")
        return e
    }

    static func decoder() -> JSONDecoder {
        let d = JSONDecoder()
        d.nonConformingFloatDecodingStrategy = .convertFromString(positiveInfinity: "inf", negativeInfinity: "-inf", nan: "nan")
        return d
    }

    /// Writes this file into `directory` atomically: killed at any moment, the directory holds
    /// the whole file or none of it.
    public func write(to directory: URL) throws -> URL {
        let url = Self.url(directory, batch: batch)
        let temporary = directory.appendingPathComponent(".\(url.lastPathComponent).\(getpid()).tmp")
        try Self.encoder().encode(self).write(to: temporary)
        // rename(2) replaces the name atomically: readers see the old file or the new one.
        guard rename(temporary.path, url.path) == 0 else {
            let code = errno
            try? FileManager.default.removeItem(at: temporary)
            throw BatchResultError(file: url.path, message: "cannot be written (\(String(cString: strerror(code))))")
        }
        return url
    }

    /// The file at `url`; an error naming it when it is not one.
    public static func read(_ url: URL) throws -> BatchResultFile {
        let data: Data
        do { data = try Data(contentsOf: url) } catch { throw BatchResultError(file: url.path, message: "cannot be read") }
        do {
            let file = try decoder().decode(BatchResultFile.self, from: data)
            guard file.format == "bpcheck-batch-result", file.version == 1 else {
                throw BatchResultError(file: url.path, message: "is \(file.format) version \(file.version), expected bpcheck-batch-result version 1")
            }
            return file
        } catch let e as BatchResultError {
            throw e
        } catch {
            throw BatchResultError(file: url.path, message: "is not a bpcheck batch result (\(error))")
        }
    }

    /// The batch result files of `directory` (`batch-*.json`; temporary files left by a killed
    /// task are not among them), in batch order.
    public static func files(in directory: URL) throws -> [URL] {
        let names: [String]
        do { names = try FileManager.default.contentsOfDirectory(atPath: directory.path) } catch {
            throw BatchResultError(file: directory.path, message: "is not a readable directory")
        }
        return names.filter { $0.hasPrefix("batch-") && $0.hasSuffix(".json") }.sorted().map { directory.appendingPathComponent($0) }
    }
}

/// A batch result file that cannot be used: unreadable, of another run, a disagreeing duplicate.
public struct BatchResultError: Error, CustomStringConvertible, Equatable {
    public let file: String
    public let message: String
    public init(file: String, message: String) {
        self.file = file
        self.message = message
    }
    public var description: String { "\(file): \(message)" }
}

/// Shard `index` of `count` (0-based): the batches `b` with `b mod count == index`, so shards
/// interleave and take equal shares of a data set whatever its order.
public struct Shard: Equatable, Sendable, CustomStringConvertible {
    public let index: Int
    public let count: Int

    public init?(index: Int, count: Int) {
        guard count >= 1, (0..<count).contains(index) else { return nil }
        self.index = index
        self.count = count
    }

    /// The batches of this shard among `total`.
    public func batches(of total: Int) -> [Int] { Array(stride(from: index, to: total, by: count)) }

    public var description: String { "\(index)/\(count)" }
}
