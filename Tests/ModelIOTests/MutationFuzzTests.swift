import Foundation
import Testing
import TestSupport
import ModelIO

/// A seeded mutation fuzzer over the bundled examples' files: ≥ 10⁴ mutants of model.json,
/// safetensors and .npz bytes. Each must load or fail with a `ModelError`/`TensorFileError` —
/// no crash (it would kill the test process), no other error, no hang, and no allocation
/// beyond a bound proportional to the input (checked on the process's peak resident memory).
@Suite struct MutationFuzzTests {
    static func mutate(_ input: [UInt8], _ g: inout SeededGenerator) -> [UInt8] {
        var b = input
        for _ in 0..<(Int(g.next() % 4) + 1) {
            guard !b.isEmpty else { return b }
            let i = Int(g.next() % UInt64(b.count))
            switch g.next() % 9 {
            case 0: b[i] ^= UInt8(1) << UInt8(g.next() % 8)                        // bit flip
            case 1: b[i] = [0, 0xFF, 0x7F, 0x80, 0x30, 0x39, 0x22, 0x2C][Int(g.next() % 8)]  // interesting byte
            case 2: b.removeSubrange(i..<min(b.count, i + Int(g.next() % 16) + 1))   // delete a run
            case 3: b.insert(contentsOf: (0..<Int(g.next() % 8 + 1)).map { _ in UInt8(truncatingIfNeeded: g.next()) }, at: i)
            case 4: b = Array(b.prefix(i))                                          // truncate
            case 5:                                                                  // duplicate a chunk
                let end = min(b.count, i + Int(g.next() % 64) + 1)
                b.insert(contentsOf: b[i..<end], at: Int(g.next() % UInt64(b.count)))
            case 6:                                                                  // a digit becomes another
                if b[i] >= 0x30 && b[i] <= 0x39 { b[i] = 0x30 + UInt8(g.next() % 10) } else { b[i] = 0x39 }
            case 7:                                                                  // a little-endian word set to an extreme
                if i + 8 <= b.count { for k in 0..<8 { b[i + k] = g.next() % 2 == 0 ? 0xFF : UInt8(truncatingIfNeeded: g.next()) } }
            default: b[i] = UInt8(truncatingIfNeeded: g.next())
            }
        }
        return b
    }

    /// The process's peak resident memory (Linux's VmHWM, which `resetPeak` lowers to the
    /// current size; getrusage's never-reset maximum elsewhere).
    static func peakResidentKB() -> Int {
        if let status = try? String(contentsOfFile: "/proc/self/status", encoding: .utf8),
           let line = status.split(separator: "\n").first(where: { $0.hasPrefix("VmHWM:") }),
           let kb = Int(line.split(separator: " ", omittingEmptySubsequences: true).dropFirst().first ?? "") {
            return kb
        }
        var usage = rusage()
        getrusage(RUSAGE_SELF.rawValue, &usage)
        return usage.ru_maxrss
    }

    /// Starts a new peak-memory window (Linux: writing 5 to /proc/self/clear_refs resets VmHWM),
    /// so the growth measured is this test's, not that of whatever ran before.
    static func resetPeak() {
        try? "5".write(toFile: "/proc/self/clear_refs", atomically: false, encoding: .utf8)
    }

    /// Runs `body` on `count` mutants of `input`; returns (loaded, rejected).
    static func fuzz(_ input: [UInt8], count: Int, seed: UInt64, _ body: ([UInt8]) throws -> Void) -> (Int, Int, [String]) {
        var g = SeededGenerator(seed: seed)
        var loaded = 0, rejected = 0
        var problems: [String] = []
        for n in 0..<count {
            let mutant = mutate(input, &g)
            let start = Date()
            do {
                try body(mutant)
                loaded += 1
            } catch is ModelError {
                rejected += 1
            } catch is TensorFileError {
                rejected += 1
            } catch {
                problems.append("mutant \(n): unexpected error \(type(of: error)): \(error)")
            }
            if Date().timeIntervalSince(start) > 2 { problems.append("mutant \(n) took \(Date().timeIntervalSince(start)) s") }
        }
        return (loaded, rejected, problems)
    }

    /// ONNX files (protobuf, external data) under the same mutations: every mutant loads or is a
    /// `ModelError`, none crashes or hangs, peak memory stays bounded.
    @Test func onnxMutantsNeitherCrashNorHang() throws {
        try MemoryHeavyTests.exclusively {
            Self.resetPeak()
            let before = Self.peakResidentKB()
            let directory = URL(fileURLWithPath: #filePath).deletingLastPathComponent().appendingPathComponent("Fixtures/onnx")
            var problems: [String] = [], outcomes = (loaded: 0, rejected: 0)
            for (k, name) in ["lenet5-legacy.onnx", "act-legacy.onnx", "vgg-dynamo.onnx", "bn-legacy.onnx"].enumerated() {
                let bytes = try TestFiles.bytes(directory.appendingPathComponent(name))
                let (l, r, p) = Self.fuzz(bytes, count: 1000, seed: 400 + UInt64(k)) {
                    _ = try ONNXReader(file: name, directory: directory).read($0)
                }
                outcomes.loaded += l
                outcomes.rejected += r
                problems += p
            }
            #expect(outcomes.rejected > 0 && outcomes.loaded + outcomes.rejected == 4000)
            #expect(problems.isEmpty, "\(problems.prefix(10))")
            let grownMB = (Self.peakResidentKB() - before) / 1024
            #expect(grownMB < 256, "peak resident memory grew by \(grownMB) MB while fuzzing ONNX")
        }
    }

    @Test func tenThousandMutantsNeitherCrashNorHang() throws {
        // Peak memory is the process's: measured while the W2 analysis is not running.
        try MemoryHeavyTests.exclusively {
            Self.resetPeak()
            let before = Self.peakResidentKB()
            var total = 0
            var problems: [String] = []
            for (k, example) in ["digits-mlp", "digits-cnn"].enumerated() {
                let directory = TestFiles.examples.appendingPathComponent(example)
                let json = try TestFiles.bytes(directory.appendingPathComponent("model.json"))
                let (l1, r1, p1) = Self.fuzz(json, count: 2500, seed: 100 + UInt64(k)) {
                    _ = try Model(json: $0, file: "model.json", directory: directory)
                }
                let weights = try TestFiles.bytes(directory.appendingPathComponent("weights.safetensors"))
                let (l2, r2, p2) = Self.fuzz(weights, count: 1500, seed: 200 + UInt64(k)) {
                    _ = try Safetensors.read($0, file: "weights.safetensors")
                }
                let data = try TestFiles.bytes(directory.appendingPathComponent("data.npz"))
                let (l3, r3, p3) = Self.fuzz(data, count: 1000, seed: 300 + UInt64(k)) {
                    _ = try NumpyFile.readNPZ($0, file: "data.npz")
                }
                total += l1 + r1 + l2 + r2 + l3 + r3
                problems += p1 + p2 + p3
                #expect(r1 > 0 && r2 > 0 && r3 > 0 && l1 > 0)  // the mutants exercise both outcomes
            }
            #expect(total >= 10_000)
            #expect(problems.isEmpty, "\(problems.prefix(10))")
            // Inputs are at most ~40 KB; a bound of 256 MB on the growth of peak memory catches any
            // allocation sized from a forged header.
            let grownMB = (Self.peakResidentKB() - before) / 1024
            #expect(grownMB < 256, "peak resident memory grew by \(grownMB) MB while fuzzing")
        }
    }
}
