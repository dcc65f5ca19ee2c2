// bpcheck's micro-benchmark: nanoseconds per multiply-add for every precision, in release.
//
//     swift run -c release BPCheckBench            (or: make bench)
//
// Two kernels over contiguous buffers of 10⁶ values, both through `ScalarArithmetic` exactly
// as the engine calls it (generic, specialised):
//   - elementwise  y[i] ← y[i] + x[i]·w[i]   (independent outputs: vectorisable)
//   - dot          s ← s + x[i]·w[i]          (one sequential accumulation, as a linear output)
// Each figure is the median of several runs; ratios are to Float in the same run. Timings
// never appear in tests.

import AD
import Analyzer
import Foundation
import Precision

if let i = CommandLine.arguments.firstIndex(of: "--dataset-shares"), CommandLine.arguments.count >= i + 4 {
    // Developer mode until the CLI's dataset options land:
    //   BPCheckBench --dataset-shares examples/lenet5-init/model.json BATCH_SIZE BATCHES
    let a = CommandLine.arguments
    let model = try Model(contentsOf: URL(fileURLWithPath: a[i + 1]))
    let data = try NumpyFile.readNPZ(url: URL(fileURLWithPath: a[i + 1]).deletingLastPathComponent().appendingPathComponent("dataset.npz"), file: "dataset.npz")
    let start = Date()
    let result = try DatasetAnalysis(Analysis(model: model), inputs: data["x"]!, targets: data["y"]!,
                                     batchSize: Int(a[i + 2])!, batches: Int(a[i + 3])!).run { done, total in
        FileHandle.standardError.write(Data("batch \(done)/\(total), \(Int(Date().timeIntervalSince(start))) s\n".utf8))
    }
    print(result.summary)
    for p in PrecisionName.standard {
        let counts = result.batches.map { $0[p].counts }
        let total = SiteClass.allCases.map { c in "\(c.rawValue) \(counts.reduce(0) { $0 + ($1[c] ?? 0) })" }.joined(separator: ", ")
        print("\(p): sites over all batches: \(total); flagged in \(result.batches.filter { $0[p].flagged }.count) batches")
    }
    exit(0)
}

if CommandLine.arguments.contains("--profile-w1") {
    // One f32 W1 pass, for profilers.
    let which = ProcessInfo.processInfo.environment["PROFILE_PRECISION"] ?? "f32"
    if which == "f16" { print(try PassBenchmark.time(FixedArithmetic<Half>(), batch: 128, runs: 1)) } else { print(try PassBenchmark.time(FixedArithmetic<Float>(), batch: 128, runs: 1)) }
    exit(0)
}

let count = Int(ProcessInfo.processInfo.environment["BENCH_COUNT"] ?? "") ?? 1_000_000
let runs = CommandLine.arguments.contains("--quick") ? 3 : 7

/// Fills `x` and `w` with seeded values in [−1, 1) and `y` with zeros.
func prepare<A: ScalarArithmetic>(_ a: A) -> (x: A.Storage, w: A.Storage, y: A.Storage, s: A.Storage) {
    var state: UInt64 = 0x00C0_FFEE
    func next() -> Double {
        state = state &* 6_364_136_223_846_793_005 &+ 1_442_695_040_888_963_407
        return Double(Int64(bitPattern: state) >> 11) * 0x1p-52
    }
    let x = a.makeStorage(count: count), w = a.makeStorage(count: count), y = a.makeStorage(count: count)
    for i in 0..<count {
        a.set(x.base + i, next())
        a.set(w.base + i, next())
    }
    return (x, w, y, a.makeStorage(count: 1))
}

@inline(never)
func elementwise<A: ScalarArithmetic>(_ a: A, _ x: A.Storage, _ w: A.Storage, _ y: A.Storage) {
    let xb = x.base, wb = w.base, yb = y.base
    for i in 0..<count { a.multiplyAccumulate(yb + i, xb + i, wb + i) }
}

@inline(never)
func dot<A: ScalarArithmetic>(_ a: A, _ x: A.Storage, _ w: A.Storage, _ s: A.Storage) {
    let xb = x.base, wb = w.base, sb = s.base
    for i in 0..<count { a.multiplyAccumulate(sb, xb + i, wb + i) }
}

/// Median nanoseconds per multiply-add of `kernel` over `runs` runs (after one warm-up).
func measure(_ kernel: () -> Void) -> Double {
    kernel()
    var samples: [Double] = []
    let clock = ContinuousClock()
    for _ in 0..<runs {
        let d = clock.measure(kernel)
        let ns = Double(d.components.seconds) * 1e9 + Double(d.components.attoseconds) * 1e-9
        samples.append(ns / Double(count))
    }
    samples.sort()
    return samples[samples.count / 2]
}

func bench<A: ScalarArithmetic>(_ a: A) -> (String, Double, Double) {
    let (x, w, y, s) = prepare(a)
    let e = measure { elementwise(a, x, w, y) }
    let d = measure { dot(a, x, w, s) }
    // Keep the results alive so the work cannot be optimised away.
    if a.double(y.base) == 12345.678 || a.double(s.base) == 12345.678 { print("") }
    return (a.precision.description, e, d)
}

var rows: [(String, Double, Double)] = []
rows.append(bench(FixedArithmetic<Float>()))
rows.append(bench(FixedArithmetic<Double>()))
rows.append(bench(FixedArithmetic<Half>()))
rows.append(bench(FixedArithmetic<BFloat16>()))
for bits in [53, 256, 1024] { rows.append(bench(MPFRArithmetic(bits: bits))) }

let base = rows[0]
func fmt(_ x: Double, _ digits: Int) -> String { String(format: "%.\(digits)f", x) }
print("ns per multiply-add (r ← r + a·b, two roundings), buffers of \(count), median of \(runs) runs")
print("")
print("| precision | elementwise ns | × f32 | dot ns | × f32 |")
print("|---|---|---|---|---|")
for (name, e, d) in rows {
    print("| \(name) | \(fmt(e, 3)) | \(fmt(e / base.1, 1)) | \(fmt(d, 3)) | \(fmt(d / base.2, 1)) |")
}

print("")
print("W1 (784-256-256-10, batch 128) forward + backward, median ms; MPFR at batch 8, scaled ×16")
print("")
print("| precision | ms | × f32 |")
print("|---|---|---|")
let f32ms = try PassBenchmark.time(FixedArithmetic<Float>(), batch: 128, runs: runs)
for (name, ms) in [("f32", f32ms),
                   ("f64", try PassBenchmark.time(FixedArithmetic<Double>(), batch: 128, runs: runs)),
                   ("f16", try PassBenchmark.time(FixedArithmetic<Half>(), batch: 128, runs: runs)),
                   ("bf16", try PassBenchmark.time(FixedArithmetic<BFloat16>(), batch: 128, runs: runs)),
                   ("mpfr:256", 16 * (try PassBenchmark.time(MPFRArithmetic(bits: 256), batch: 8, runs: 1)))] {
    print("| \(name) | \(fmt(ms, 1)) | \(fmt(ms / f32ms, 1)) |")
}
