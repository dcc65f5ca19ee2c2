import AD
import Foundation
import Testing
import BPCheck

/// The analysis with the default reference (double-double balls, MPFR where needed) against the
/// MPFR-only reference (`--reference mpfr:256`) on bundled examples: the same site classes,
/// counts, bifurcation flags and undecided counts at every precision, and g_R, g_R′ equal to
/// 1e-13 relative of each tensor's largest component (the fast-reference issue's acceptance).
@Suite struct ReferenceRungAgreementTests {
    @Test(arguments: ["digits-cnn", "lenet5-init"]) func ballsAndMPFRAgree(_ example: String) throws {
        let model = try Model(contentsOf: TestFiles.examples.appendingPathComponent("\(example)/model.json"))
        let balls = try Analysis(model: model).run()
        let mpfr = try Analysis(model: model, reference: ReferenceOptions(firstRung: .mpfr)).run()
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
