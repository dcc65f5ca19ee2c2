import Foundation
import Testing
import Analyzer

/// The analysis gives the same bits on 1 and on 2 threads.
@Suite struct ThreadDeterminismTests {
    @Test func oneAndTwoThreadsAreBitIdentical() throws {
        var model = try Model(contentsOf: TestFiles.examples.appendingPathComponent("digits-cnn/model.json"))
        model.inputs = model.inputs!.samples(0..<16)
        model.targets = model.targets!.samples(0..<16)
        func run(_ threads: Int) throws -> AnalysisResult {
            var a = Analysis(model: model)
            a.threads = threads
            return try a.run()
        }
        let one = try run(1), two = try run(2)
        for p in one.precisions {
            let a = one[p], b = two[p]
            #expect(a.classifiedSites == b.classifiedSites && a.counts == b.counts, "\(p)")
            for (name, g) in a.gradients {
                let h = b.gradients[name]!
                for (x, y) in [(g.p, h.p), (g.pAlternative, h.pAlternative), (g.aligned, h.aligned), (g.r, h.r), (g.rAlternative, h.rAlternative)] {
                    #expect(x.map(\.bitPattern) == y.map(\.bitPattern), "\(p) \(name)")
                }
            }
            #expect(a.error == b.error && a.referenceBits == b.referenceBits, "\(p)")
        }
    }
}
