import CNativeKernels
import Foundation
import Testing
import BPCheck
import Workloads
import TestSupport

/// The analysis gives the same bits on 1 and on 2 threads.
@Suite struct ThreadDeterminismTests {
    /// Everything an analysis reports, compared bit for bit.
    static func expectIdentical(_ one: AnalysisResult, _ two: AnalysisResult) {
        for p in one.precisions {
            let a = one[p], b = two[p]
            #expect(a.classifiedSites == b.classifiedSites && a.counts == b.counts, "\(p)")
            for (name, g) in a.gradients {
                let h = b.gradients[name]!
                for (x, y) in [(g.p, h.p), (g.pAlternative, h.pAlternative), (g.aligned, h.aligned), (g.r, h.r), (g.rAlternative, h.rAlternative)] {
                    #expect(x.map(\.bitPattern) == y.map(\.bitPattern), "\(p) \(name)")
                }
            }
            #expect(a.error == b.error && a.referenceBits == b.referenceBits && a.bifurcation == b.bifurcation
                    && a.referenceBifurcation == b.referenceBifurcation && a.rangeEvents == b.rangeEvents, "\(p)")
        }
    }

    /// One forward and backward pass of W2 (batch 16) and W4 (ResNet18, batch 2) split across 1,
    /// 2, 3 and 4 threads inside the pass (`PassThreads`): the same bits — forward values, the
    /// gradient of every parameter — at f32, f16 (the emulated format and its flushed-product
    /// counts) and in double-double balls (the reference's kernels).
    @Test func passesOnOneToFourThreadsAreBitIdentical() throws {
        try MemoryHeavyTests.exclusively {
            defer { PassThreads.count = 1 }
            for (workload, batch) in [(Workload.w2, 16), (Workload.w4, 2)] {
                let (built, feed, parameters, _) = try workload.build(batch: batch)
                func bits<A: ScalarArithmetic>(_ a: A, threads: Int) throws -> [UInt64] {
                    PassThreads.count = threads
                    let e = try Execution(graph: built.graph, arithmetic: a, feed: feed)
                    let g = try e.backward(wrt: parameters)
                    var out = e.value(built.output).doubles(a).map(\.bitPattern)
                    for id in parameters { out += g[id]!.doubles(a).map(\.bitPattern) }
                    if let b = a as? DoubleDoubleBallArithmetic {  // the radii too
                        for id in parameters {
                            let slots = UnsafeMutableRawPointer(g[id]!.slots).assumingMemoryBound(to: bp_ball.self)
                            out += (0..<g[id]!.count).map { b.width(slots + $0).bitPattern }
                        }
                    }
                    // Range events (flushed f16 products among them), forward and backward.
                    let events = "\(e.forwardEvents) \(g.events.sorted { $0.key < $1.key }.map(\.value))"
                    return out + events.utf8.map(UInt64.init)
                }
                for (name, one, rest) in [
                    ("f32", try bits(FixedArithmetic<Float>(), threads: 1), try (2...4).map { try bits(FixedArithmetic<Float>(), threads: $0) }),
                    ("f16", try bits(FixedArithmetic<Half>(), threads: 1), try (2...4).map { try bits(FixedArithmetic<Half>(), threads: $0) }),
                    ("double-double", try bits(DoubleDoubleBallArithmetic(), threads: 1), try (2...4).map { try bits(DoubleDoubleBallArithmetic(), threads: $0) }),
                ] {
                    for (k, r) in rest.enumerated() {
                        let first = (0..<max(r.count, one.count)).first { $0 >= r.count || $0 >= one.count || r[$0] != one[$0] }
                        #expect(first == nil, "\(workload.rawValue) \(name) on \(k + 2) threads: first difference at \(first ?? -1) of \(one.count)")
                    }
                }
            }
        }
    }

    /// W2 of performance.md (LeNet-5, batch 128), the whole default analysis: four precisions,
    /// three references (f32 and f64 share one), C and C′, aligned replays, attributions.
    @Test func w2OnOneAndTwoThreadsIsBitIdentical() throws {
        try MemoryHeavyTests.exclusively {
            let (built, feed, _, _) = try Workload.w2.build(batch: 128)
            func run(_ threads: Int) throws -> AnalysisResult {
                var a = Analysis(graph: built, feed: feed, name: "w2")
                a.threads = threads
                return try a.run()
            }
            let one = try run(1), two = try run(2)
            Self.expectIdentical(one, two)
            // The run did real work: W2 has kinks at f16 (not a comparison of two empty results).
            #expect(one[.f16].classifiedSites.count > 0 && one[.f32].gradients.count == 10)
            print("W2 batch 128: 1 and 2 threads bit-identical; f16 \(one[.f16].counts), f32 \(one[.f32].counts)")
        }
    }

    @Test func oneAndTwoThreadsAreBitIdentical() throws {
        var model = try Model(contentsOf: TestFiles.examples.appendingPathComponent("digits-cnn/model.json"))
        model.inputs = try model.inputs!.samples(0..<16)
        model.targets = try model.targets!.samples(0..<16)
        func run(_ threads: Int) throws -> AnalysisResult {
            var a = Analysis(model: model)
            a.threads = threads
            return try a.run()
        }
        let one = try run(1), two = try run(2)
        Self.expectIdentical(one, two)
    }
}
