// bpcheck's benchmark (performance.md), in release:
//
//     make bench          (swift run -c release BPCheckBench [--quick] [--no-analysis])
//
// 1. Micro: nanoseconds per multiply-add for every precision.
// 2. Whole passes of W1 and W2 (forward + backward) per precision, MPFR-256 per multiply-add.
// 3. Scaling with the batch and with MPFR's precision.
// 4. The whole default analysis of W2 (batch 128) on 1 and 2 threads: wall time, peak memory.
//
// For profilers: `--profile-w1` runs one pass (PROFILE_WORKLOAD=w1|w2, PROFILE_PRECISION=f32|f16|bf16);
// `--profile-analysis` runs the whole W2 analysis once (THREADS=1 by default; TRACE=1 prints each stage; PROFILE_WORKLOAD and
// BATCH for another) and prints seconds and peak memory;
// `--reference-passes` prints only the certified reference's passes against our f64 pass.
//
// Micro kernels:
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
import Workloads

if CommandLine.arguments.contains("--profile-w1") {
    // One pass for profilers: PROFILE_WORKLOAD=w1|w2|w3|w4 (default w1), PROFILE_PRECISION
    // (any precision name, default f32), BATCH (default 128), RUNS (default 1), PASS_THREADS
    // (default 1). Prints the median forward and backward seconds apart.
    let env = ProcessInfo.processInfo.environment
    let which = env["PROFILE_PRECISION"] ?? "f32"
    let workload = ["w1": Workload.w1, "w2": .w2, "w3": .w3, "w4": .w4][env["PROFILE_WORKLOAD"] ?? "w1"] ?? .w1
    let batch = Int(env["BATCH"] ?? "") ?? 128, runs = Int(env["RUNS"] ?? "") ?? 1
    PassThreads.count = Int(env["PASS_THREADS"] ?? "") ?? 1
    struct Pass: ArithmeticVisitor {
        let workload: Workload, batch: Int, runs: Int
        func visit<A: ScalarArithmetic>(_ a: A) throws -> String {
            let t = try PassBenchmark.passes(workload, a, batch: batch, runs: runs)
            return "forward \(fmt(t.forward * 1e3, 1)) ms, backward \(fmt(t.backward * 1e3, 1)) ms"
        }
    }
    print(try PrecisionName(parsing: which).withArithmetic(Pass(workload: workload, batch: batch, runs: runs)))
    exit(0)
}

if CommandLine.arguments.contains("--profile-analysis") {
    // The whole default W2 analysis on THREADS threads (default 1; PASS_THREADS inside each pass,
    // default THREADS), for profilers (perf record).
    // PROFILE_WORKLOAD=w1|w2|w3|w4 (default w2) and BATCH (default 128) choose another analysis.
    let env = ProcessInfo.processInfo.environment
    let workload = ["w1": Workload.w1, "w2": .w2, "w3": .w3, "w4": .w4][env["PROFILE_WORKLOAD"] ?? "w2"] ?? .w2
    let threads = Int(env["THREADS"] ?? "") ?? 1
    PassThreads.count = Int(env["PASS_THREADS"] ?? "") ?? threads  // as bpcheck --threads sets both
    // REFERENCE_MEMORY: R's streaming threshold in bytes (`--reference-memory`; default 1 GiB).
    var reference = ReferenceOptions()
    if let bytes = Int(env["REFERENCE_MEMORY"] ?? "") { reference.streamingBytes = bytes }
    let seconds = try PassBenchmark.analysis(workload, batch: Int(env["BATCH"] ?? "") ?? 128, threads: threads, reference: reference)
    print("\(seconds) s, peak \(fmt(PassBenchmark.peakResidentMB(), 0)) MB")
    exit(0)
}

// The certified reference's rungs against our own f64 pass (performance.md: forward ≤ 4×,
// backward ≤ 6×): double-double balls, triple- and quad-double balls (the deep networks'
// backward), and the MPFR intervals (256 forward, 128 backward).
func referenceTable(runs: Int) throws {
print("")
print("The reference's passes, batch 128, median ms (ratio to our f64 pass); FMA hardware for the balls: \(DoubleDoubleBallArithmetic.usesFMAHardware)")
print("")
print("| workload | f64 forward | f64 backward | double-double forward | double-double backward | triple-double forward | triple-double backward | quad-double forward | quad-double backward | MPFR-256 forward | MPFR-128 backward |")
print("|---|---|---|---|---|---|---|---|---|---|---|")
for w in Workload.small {
    let f64 = try PassBenchmark.passes(w, FixedArithmetic<Double>(), batch: 128, runs: runs)
    let dd = try PassBenchmark.passes(w, DoubleDoubleBallArithmetic(), batch: 128, runs: max(1, runs / 3))
    let td = try PassBenchmark.passes(w, TripleDoubleBallArithmetic(), batch: 128, runs: max(1, runs / 3))
    let qd = try PassBenchmark.passes(w, QuadDoubleBallArithmetic(), batch: 128, runs: max(1, runs / 3))
    let forward = try PassBenchmark.passes(w, MPFRIntervalArithmetic(bits: 256), batch: 128, runs: 1).forward
    let backward = try PassBenchmark.passes(w, MPFRIntervalArithmetic(bits: 128), batch: 128, runs: 1).backward
    func cell(_ t: Double, _ base: Double) -> String { "\(fmt(t * 1e3, 1)) (\(fmt(t / base, 1))×)" }
    let rungs = [dd, td, qd].flatMap { [cell($0.forward, f64.forward), cell($0.backward, f64.backward)] }
    let cells = [fmt(f64.forward * 1e3, 1), fmt(f64.backward * 1e3, 1)] + rungs + [cell(forward, f64.forward), cell(backward, f64.backward)]
    print("| \(w.rawValue) | \(cells.joined(separator: " | ")) |")
}
}

if CommandLine.arguments.contains("--profile-reference-forward") {
    // The double-double forward pass of PROFILE_WORKLOAD (default w2), BATCH (default 128), RUNS
    // times (default 20), PASS_THREADS (default 1), for profilers; PROFILE_BACKWARD=1: the
    // backward pass instead.
    let env = ProcessInfo.processInfo.environment
    let workload = ["w1": Workload.w1, "w2": .w2, "w3": .w3, "w4": .w4][env["PROFILE_WORKLOAD"] ?? "w2"] ?? .w2
    let (built, feed, parameters, _) = try workload.build(batch: Int(env["BATCH"] ?? "") ?? 128)
    PassThreads.count = Int(env["PASS_THREADS"] ?? "") ?? 1
    let runs = Int(env["RUNS"] ?? "") ?? 20
    if env["PROFILE_BACKWARD"] == "1" {  // the backward instead (from one forward)
        let e = try Execution(graph: built.graph, arithmetic: DoubleDoubleBallArithmetic(), feed: feed)
        for _ in 0..<runs { _ = try e.backward(wrt: parameters) }
        exit(0)
    }
    for _ in 0..<runs { _ = try Execution(graph: built.graph, arithmetic: DoubleDoubleBallArithmetic(), feed: feed) }
    exit(0)
}

if CommandLine.arguments.contains("--profile-f32-passes") {
    // RUNS (default 5) f32 forward + backward passes of PROFILE_WORKLOAD (default w2) at BATCH
    // (default 128), PASS_THREADS (default 1), each pass's seconds printed: to see what another
    // process (a ball pass beside it) does to a precision's passes.
    let env = ProcessInfo.processInfo.environment
    let workload = ["w1": Workload.w1, "w2": .w2, "w3": .w3, "w4": .w4][env["PROFILE_WORKLOAD"] ?? "w2"] ?? .w2
    let (built, feed, parameters, _) = try workload.build(batch: Int(env["BATCH"] ?? "") ?? 128)
    PassThreads.count = Int(env["PASS_THREADS"] ?? "") ?? 1
    let clock = ContinuousClock()
    for _ in 0..<(Int(env["RUNS"] ?? "") ?? 5) {
        var e: Execution<FixedArithmetic<Float>>?
        let f = try clock.measure { e = try Execution(graph: built.graph, arithmetic: FixedArithmetic<Float>(), feed: feed) }
        let b = try clock.measure { _ = try e!.backward(wrt: parameters) }
        print("forward \(f), backward \(b)")
    }
    exit(0)
}

if CommandLine.arguments.contains("--pass-threads") {
    // One forward + backward on 1 and on 2 threads inside the pass (`PassThreads`): W2 at
    // batch 128, W3 and W4 at batch 8, at f32, f16 and (W2, W3) in double-double balls (the
    // same bits: tested).
    print("| workload | arithmetic | 1 thread ms | 2 threads ms | speed-up |")
    print("|---|---|---|---|---|")
    for (w, batch) in [(Workload.w2, 128), (Workload.w3, 8), (Workload.w4, 8)] {
        func row<A: ScalarArithmetic>(_ name: String, _ a: A) throws {
            PassThreads.count = 1
            let one = try PassBenchmark.pass(w, a, batch: batch, runs: 3).seconds
            PassThreads.count = 2
            let two = try PassBenchmark.pass(w, a, batch: batch, runs: 3).seconds
            print("| \(w.rawValue) (batch \(batch)) | \(name) | \(fmt(one * 1e3, 1)) | \(fmt(two * 1e3, 1)) | \(fmt(one / two, 2))× |")
        }
        try row("f32", FixedArithmetic<Float>())
        try row("f16", FixedArithmetic<Half>())
        if w != .w4 { try row("double-double", DoubleDoubleBallArithmetic()) }  // W4's: minutes per pass
    }
    exit(0)
}

if CommandLine.arguments.contains("--reference-passes") {
    // Only the reference's passes against our f64 pass (quick, for work on the reference).
    try referenceTable(runs: 3)
    exit(0)
}

if CommandLine.arguments.contains("--profile-balls") {
    // The double-double rung alone on PROFILE_WORKLOAD (default w4) at BATCH (default 2): what it
    // leaves undecided and how wide its g_R is (whether the analysis would climb); then R as the
    // analysis chains its rungs, timed.
    let env = ProcessInfo.processInfo.environment
    let workload = ["w1": Workload.w1, "w2": .w2, "w3": .w3, "w4": .w4][env["PROFILE_WORKLOAD"] ?? "w4"] ?? .w4
    let (built, feed, parameters, _) = try workload.build(batch: Int(env["BATCH"] ?? "") ?? 2)
    // What memory holds per arithmetic: every node's output (the forward's values) and the
    // parameters (each gradient tensor is one more copy of them).
    let values = built.graph.nodes.reduce(0) { $0 + $1.shape.reduce(1, *) }
    let parameterCount = parameters.reduce(0) { $0 + built.graph.nodes[$1].shape.reduce(1, *) }
    print("\(workload.rawValue): \(values) values in the forward, \(parameterCount) parameters (slots: double-double 24 B, triple-double 32 B, quad-double 40 B, f64 8 B)")
    let clock = ContinuousClock()
    var run: CertifiedReference<DoubleDoubleBallArithmetic>?
    let d = try clock.measure {
        run = try CertifiedReference.run(graph: built.graph, feed: feed, start: DoubleDoubleBallArithmetic(), gradientBits: 106, wrt: parameters)
    }
    var perNode: [String] = []
    for (id, record) in run!.execution.decisions.sorted(by: { $0.key < $1.key }) {
        let open = record.undecidedCount
        if open > 0 { perNode.append("\(built.graph.nodes[id].name): \(open)") }
    }
    let a = DoubleDoubleBallArithmetic()
    var widths: [(Double, String)] = []
    for (id, t) in run!.gradient!.tensors {
        var largest = 0.0, widest = 0.0
        for i in 0..<t.count { largest = max(largest, abs(a.double(t.slots + i))); widest = max(widest, a.width(t.slots + i)) }
        widths.append((largest == 0 ? (widest == 0 ? 0 : .infinity) : widest / largest, "\(built.graph.nodes[id].name) largest \(largest) widest \(widest)"))
    }
    for (w, name) in widths.sorted(by: { $0.0 > $1.0 }).prefix(6) { print("  \(w)  \(name)") }
    print("\(workload.rawValue): \(d), undecided \(run!.undecidedSites) (\(perNode.joined(separator: ", "))), gradient width \(run!.gradientWidth), peak \(fmt(PassBenchmark.peakResidentMB(), 0)) MB")
    run = nil
    // R as the analysis computes it (decided in balls; differentiated in balls, triple- or
    // quad-double balls or MPFR intervals, whichever meets the width bound): which, and how long.
    let options = ReferenceOptions()
    var laddered: LadderedReference?
    let t = try clock.measure {
        laddered = try LadderedReference.decide(graph: built.graph, feed: feed, options: options)
            .differentiated(options: options, conventions: [.pytorch, .alternative], wrt: parameters)
    }
    print("\(workload.rawValue) laddered: \(t), forward \(laddered!.arithmetic) at \(laddered!.bits) bits, backward at \(laddered!.gradientBits) bits, width \(laddered!.gradientWidth), peak \(fmt(PassBenchmark.peakResidentMB(), 0)) MB")
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

// Whole passes (performance.md, "What to measure" 1, 2, 3, 5).
let peer = Peer.run(runs: runs * 3)
print("")
print("Forward + backward, batch 128, median ms (ratio to our f32)" + (peer == nil ? " — JAX peer not set up (make peer)" : ""))
print("")
print("| workload | f32 | f64 | f16 | bf16 | MPFR-256 ns per multiply-add (batch 8) |" + (peer == nil ? "" : " JAX jit f32 ms | ours ÷ JAX f32 | JAX jit f64 ms | ours ÷ JAX f64 |"))
print("|---|---|---|---|---|---|" + (peer == nil ? "" : "---|---|---|---|"))
for w in Workload.small {
    let f32 = try PassBenchmark.pass(w, FixedArithmetic<Float>(), batch: 128, runs: runs)
    let others = [try PassBenchmark.pass(w, FixedArithmetic<Double>(), batch: 128, runs: runs),
                  try PassBenchmark.pass(w, FixedArithmetic<Half>(), batch: 128, runs: max(1, runs / 3)),
                  try PassBenchmark.pass(w, FixedArithmetic<BFloat16>(), batch: 128, runs: max(1, runs / 3))]
    let mpfr = try PassBenchmark.pass(w, MPFRArithmetic(bits: 256), batch: 8, runs: 1)
    let cells = others.map { "\(fmt($0.seconds * 1e3, 1)) (\(fmt($0.seconds / f32.seconds, 1))×)" }
    var row = "| \(w.rawValue) | \(fmt(f32.seconds * 1e3, 1)) | \(cells.joined(separator: " | ")) | \(fmt(mpfr.seconds / Double(mpfr.multiplyAdds) * 1e9, 1)) |"
    if let jax = peer?[w.rawValue], let j32 = jax["f32"], let j64 = jax["f64"] {
        row += " \(fmt(j32, 2)) | \(fmt(f32.seconds * 1e3 / j32, 1))× | \(fmt(j64, 2)) | \(fmt(others[0].seconds * 1e3 / j64, 1))× |"
    }
    print(row)
}

try referenceTable(runs: runs)

// The papers' networks at a small batch: f32, f64, f16 and bf16, ns per multiply-add beside
// f32's time, JAX's f32 and f64 beside ours when the peer is set up.
let papersBatch = Int(ProcessInfo.processInfo.environment["BENCH_PAPERS_BATCH"] ?? "") ?? 8
print("")
print("The papers' networks, forward + backward, batch \(papersBatch), one run (ms; ratios to our f32, or ours ÷ JAX)")
print("")
print("| workload | multiply-adds | f32 ms | f32 ns/madd | f64 ms | f16 ms | bf16 ms |" + (peer == nil ? "" : " JAX jit f32 ms | ours ÷ JAX f32 | JAX jit f64 ms | ours ÷ JAX f64 |"))
print("|---|---|---|---|---|---|---|" + (peer == nil ? "" : "---|---|---|---|"))
for w in Workload.papers {
    let f32 = try PassBenchmark.pass(w, FixedArithmetic<Float>(), batch: papersBatch, runs: 1)
    let f64 = try PassBenchmark.pass(w, FixedArithmetic<Double>(), batch: papersBatch, runs: 1)
    let f16 = try PassBenchmark.pass(w, FixedArithmetic<Half>(), batch: papersBatch, runs: 1)
    let bf16 = try PassBenchmark.pass(w, FixedArithmetic<BFloat16>(), batch: papersBatch, runs: 1)
    func cell(_ t: Double) -> String { "\(fmt(t * 1e3, 0)) (\(fmt(t / f32.seconds, 1))×)" }
    var row = "| \(w.rawValue) | \(f32.multiplyAdds) | \(fmt(f32.seconds * 1e3, 0)) | \(fmt(f32.seconds / Double(f32.multiplyAdds) * 1e9, 3)) | \(cell(f64.seconds)) | \(cell(f16.seconds)) | \(cell(bf16.seconds)) |"
    if papersBatch == 8, let jax = peer?[w.rawValue], let j32 = jax["f32"], let j64 = jax["f64"] {  // the peer runs batch 8
        row += " \(fmt(j32, 1)) | \(fmt(f32.seconds * 1e3 / j32, 2))× | \(fmt(j64, 1)) | \(fmt(f64.seconds * 1e3 / j64, 2))× |"
    }
    print(row)
}

print("")
print("Scaling: W2 f32 forward + backward by batch (ms; linear would double with the batch)")
print("")
print("| batch | 32 | 128 | 512 |")
print("|---|---|---|---|")
let scaling = try [32, 128, 512].map { try PassBenchmark.pass(.w2, FixedArithmetic<Float>(), batch: $0, runs: runs).seconds * 1e3 }
print("| ms | \(scaling.map { fmt($0, 1) }.joined(separator: " | ")) |")
print("")
print("Scaling: MPFR ns per multiply-add, W1 batch 4, by precision")
print("")
print("| bits | 64 | 256 | 1024 | 4096 |")
print("|---|---|---|---|---|")
let bits = try [64, 256, 1024, 4096].map { b -> Double in
    let r = try PassBenchmark.pass(.w1, MPFRArithmetic(bits: b), batch: 4, runs: 1)
    return r.seconds / Double(r.multiplyAdds) * 1e9
}
print("| ns | \(bits.map { fmt($0, 1) }.joined(separator: " | ")) |")

if !CommandLine.arguments.contains("--no-analysis") {
    print("")
    print("The whole default analysis of W2, batch 128 (f16, bf16, f32, f64; reference; C and C′; aligned replays)")
    print("")
    print("| threads | wall s | peak memory MB |")
    print("|---|---|---|")
    var walls: [Double] = []
    for t in [1, 2] {
        walls.append(try PassBenchmark.analysis(.w2, batch: 128, threads: t))
        print("| \(t) | \(fmt(walls.last!, 1)) | \(fmt(PassBenchmark.peakResidentMB(), 0)) |")
    }
    print("")
    print("2 threads: \(fmt(walls[0] / walls[1], 2))× faster than 1 (results bit-identical: ThreadDeterminismTests)")
    let mpfrOnly = try PassBenchmark.analysis(.w2, batch: 128, threads: 2, reference: ReferenceOptions(firstRung: .mpfr))
    print("The same on 2 threads with the MPFR-only reference (--reference mpfr:256): \(fmt(mpfrOnly, 1)) s")
}

/// The JAX peer (jax_peer.py) in `.venv-peer`, when it is set up: its medians in ms by workload.
enum Peer {
    static func run(runs: Int) -> [String: [String: Double]]? {
        let python = ".venv-peer/bin/python"
        guard FileManager.default.isExecutableFile(atPath: python) else { return nil }
        let process = Process()
        process.executableURL = URL(fileURLWithPath: python)
        process.arguments = ["Sources/BPCheckBench/jax_peer.py", String(runs)]
        let pipe = Pipe()
        process.standardOutput = pipe
        process.standardError = FileHandle.nullDevice
        guard (try? process.run()) != nil else { return nil }
        let data = pipe.fileHandleForReading.readDataToEndOfFile()
        process.waitUntilExit()
        guard process.terminationStatus == 0 else { return nil }
        return try? JSONDecoder().decode([String: [String: Double]].self, from: data)
    }
}
