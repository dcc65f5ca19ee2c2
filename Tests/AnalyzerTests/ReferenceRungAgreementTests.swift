import AD
import Foundation
import Testing
import BPCheck
import TestSupport
import Workloads

/// The analysis with the default reference (double-double balls, MPFR where needed) against the
/// MPFR-only reference (`--reference mpfr:256`) on bundled examples: the same site classes,
/// counts, bifurcation flags and undecided counts at every precision, and g_R, g_R′ equal to
/// 1e-13 relative of each tensor's largest component (the fast-reference issue's acceptance),
/// on bundled examples and on the benchmark's W1 and W2.
@Suite struct ReferenceRungAgreementTests {
    @Test(arguments: ["digits-cnn", "lenet5-init"]) func ballsAndMPFRAgree(_ example: String) throws {
        let model = try Model(contentsOf: TestFiles.examples.appendingPathComponent("\(example)/model.json"))
        let balls = try Analysis(model: model).run()
        let mpfr = try Analysis(model: model, reference: ReferenceOptions(firstRung: .mpfr)).run()
        Self.expectAgreement(balls, mpfr)
    }

    /// The same on W1 (MLP 784-256-256-10) and W2 (LeNet-5) of performance.md at batch 128.
    @Test(arguments: [Workload.w1, .w2]) func ballsAndMPFRAgreeOnTheBenchmarkWorkloads(_ workload: Workload) throws {
        try MemoryHeavyTests.exclusively {
            let (built, feed, _, _) = try workload.build(batch: 128)
            func run(_ firstRung: ReferenceFirstRung) throws -> AnalysisResult {
                var a = Analysis(graph: built, feed: feed, name: workload.rawValue)
                a.reference = ReferenceOptions(firstRung: firstRung)
                a.threads = 2
                return try a.run()
            }
            let balls = try run(.doubleDouble), mpfr = try run(.mpfr)
            Self.expectAgreement(balls, mpfr)
            #expect(balls[.f16].classifiedSites.count > 0, "the comparison has sites to compare")
        }
    }

    static func expectAgreement(_ balls: AnalysisResult, _ mpfr: AnalysisResult) {
        for p in PrecisionName.standard {
            let b = balls[p], m = mpfr[p]
            #expect(b.referenceArithmetic == "double-double" && m.referenceArithmetic == "mpfr")
            #expect(b.counts == m.counts && b.perLayer == m.perLayer, "\(p)")
            #expect(b.classifiedSites.map(\.siteClass) == m.classifiedSites.map(\.siteClass), "\(p)")
            #expect(b.bifurcation == m.bifurcation && b.referenceBifurcation.changed == m.referenceBifurcation.changed, "\(p)")
            #expect(b.flagged == m.flagged, "\(p)")
            for (name, gb) in b.gradients {
                let gm = m.gradients[name]!
                for (u, v) in [(gb.r, gm.r), (gb.rAlternative, gm.rAlternative)] {
                    let scale = v.map(abs).max() ?? 0
                    #expect(zip(u, v).allSatisfy { abs($0 - $1) <= 1e-13 * scale }, "\(p) \(name)")
                }
            }
        }
    }
}
