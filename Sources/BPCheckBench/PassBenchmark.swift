import AD
import Analyzer
import Foundation
import Workloads

enum PassBenchmark {
    /// Median seconds of `body` over `runs` runs after one warm-up.
    static func median(runs: Int, _ body: () throws -> Void) rethrows -> Double {
        try body()
        var samples: [Double] = []
        let clock = ContinuousClock()
        for _ in 0..<runs {
            let d = try clock.measure(body)
            samples.append(Double(d.components.seconds) + Double(d.components.attoseconds) * 1e-18)
        }
        return samples.sorted()[samples.count / 2]
    }

    /// Median seconds of one forward + backward (gradient of the mean loss w.r.t. every parameter).
    static func pass<A: ScalarArithmetic>(_ workload: Workload, _ a: A, batch: Int, runs: Int) throws -> (seconds: Double, multiplyAdds: Int) {
        let (built, feed, parameters, madds) = try workload.build(batch: batch)
        let seconds = try median(runs: runs) {
            let e = try Execution(graph: built.graph, arithmetic: a, feed: feed)
            _ = try e.backward(wrt: parameters)
        }
        return (seconds, madds)
    }

    /// Median seconds of one forward pass and of one backward pass (from that forward) apart.
    static func passes<A: ScalarArithmetic>(_ workload: Workload, _ a: A, batch: Int, runs: Int) throws -> (forward: Double, backward: Double) {
        let (built, feed, parameters, _) = try workload.build(batch: batch)
        let forward = try median(runs: runs) { _ = try Execution(graph: built.graph, arithmetic: a, feed: feed) }
        let e = try Execution(graph: built.graph, arithmetic: a, feed: feed)
        let backward = try median(runs: runs) { _ = try e.backward(wrt: parameters) }
        return (forward, backward)
    }

    /// Wall seconds of the whole default analysis (four precisions, reference, alternative
    /// convention, aligned replays) on `threads` threads.
    static func analysis(_ workload: Workload, batch: Int, threads: Int, reference: ReferenceOptions = ReferenceOptions()) throws -> Double {
        let (built, feed, _, _) = try workload.build(batch: batch)
        var a = Analysis(graph: built, feed: feed, name: workload.rawValue)
        a.reference = reference
        a.threads = threads
        a.keepsGradients = false  // as `bpcheck` runs it (it keeps the five gradients only for --save-gradients)
        if let method = ProcessInfo.processInfo.environment["ATTRIBUTION"].flatMap(AttributionMethod.init(rawValue:)) {
            a.attribution = method  // ATTRIBUTION=batch: the whole-batch replays, to compare
        }
        if ProcessInfo.processInfo.environment["TRACE"] == "1" {
            // Each stage's start and end on stderr: seconds since the start, resident MB now.
            let start = Date()
            a.trace = { line in
                let text = String(format: "%8.1f s %6.0f MB  %@\n", Date().timeIntervalSince(start), residentMB(), line)
                FileHandle.standardError.write(Data(text.utf8))
            }
        }
        let clock = ContinuousClock()
        let d = try clock.measure { _ = try a.run() }
        return Double(d.components.seconds) + Double(d.components.attoseconds) * 1e-18
    }

    /// The resident set now (/proc/self/statm's second field, in pages), MB.
    static func residentMB() -> Double {
        guard let text = try? String(contentsOfFile: "/proc/self/statm", encoding: .utf8) else { return .nan }
        let fields = text.split(separator: " ")
        guard fields.count > 1, let pages = Double(fields[1]) else { return .nan }
        return pages * Double(sysconf(Int32(_SC_PAGESIZE))) / 1_048_576
    }

    static func peakResidentMB() -> Double {
        var usage = rusage()
        getrusage(RUSAGE_SELF.rawValue, &usage)
        return Double(usage.ru_maxrss) / 1024
    }
}
