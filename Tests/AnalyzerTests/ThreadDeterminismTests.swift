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
