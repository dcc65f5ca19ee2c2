import AD
import Testing
import TestSupport
import Analyzer
import Precision
import Reports

/// R's backward passes are checked after every pass, retries included: a network deep enough
/// that 128-bit intervals (or double-double balls) are too wide climbs until the widths meet
/// 2⁻⁸⁰, and where the cap stops it first the width reached is reported as failing — never the
/// claim that it held.
@Suite struct GradientWidthTests {
    /// `depth` steps of the logistic map `h ← (4h)·(1 − h)` (two linear layers and a product)
    /// and an MSE loss: the map is chaotic (it doubles distances on average) and interval
    /// multiplication of two enclosures that depend on the same `h` overestimates, so the
    /// relative widths of the forward and backward enclosures grow by more than a bit per step.
    static func deep(_ depth: Int) throws -> (Graph, Feed, [NodeID]) {
        var g = Graph(), feed = Feed()
        var rng = SeededGenerator(seed: 31)
        let x = try g.input("x", shape: [2, 3])
        feed.values["x"] = (0..<6).map { _ in rng.uniform(0.1, 0.9) }
        let (h, params) = try logisticSteps(depth, from: x, &g, &feed)
        let t = try g.parameter("target", shape: [2, 3])
        feed.values["target"] = [Double](repeating: 0.25, count: 6)
        try g.apply("loss", .mse, [h, t])
        return (g, feed, params)
    }

    /// `depth` steps of the logistic map from `x` (`[n, 3]`) in `g`, their parameters fed in
    /// `feed`: the last step's output and the linear layers' weights.
    static func logisticSteps(_ depth: Int, from x: NodeID, _ g: inout Graph, _ feed: inout Feed) throws -> (NodeID, [NodeID]) {
        var h = x, params: [NodeID] = []
        for k in 0..<depth {
            let w4 = try g.parameter("four\(k)", shape: [3, 3]), z = try g.parameter("zero\(k)", shape: [3])
            let wm = try g.parameter("minus\(k)", shape: [3, 3]), one = try g.parameter("one\(k)", shape: [3])
            feed.values["four\(k)"] = (0..<9).map { $0 % 4 == 0 ? 4 : 0 }
            feed.values["zero\(k)"] = [0, 0, 0]
            feed.values["minus\(k)"] = (0..<9).map { $0 % 4 == 0 ? -1 : 0 }
            feed.values["one\(k)"] = [1, 1, 1]
            params += [w4, wm]
            let a = try g.apply("a\(k)", .linear(hasBias: true), [h, w4, z])
            let c = try g.apply("c\(k)", .linear(hasBias: true), [h, wm, one])
            h = try g.apply("h\(k)", .mul, [a, c])
        }
        return (h, params)
    }

    @Test func theWidthIsCheckedAfterTheRetryAndAFailureIsReported() throws {
        let (g, feed, params) = try Self.deep(60)
        // 128-bit backward first: too wide, so it climbs; the width then meets the bound.
        let climbed = try ReferenceRun.run(graph: g, feed: feed, options: ReferenceOptions(initialBits: 256, capBits: 1024, gradientBits: 128), wrt: params)
        print("deep: backward at \(climbed.gradientBits) bits, widest relative enclosure \(climbed.gradientWidth)")
        #expect(climbed.gradientBits > 128)
        #expect(climbed.gradientWidth <= ReferenceRun.requiredGradientWidth)
        // A forward at 128 bits: the backward climbs above it, the forward re-run up the ladder.
        let above = try ReferenceRun.run(graph: g, feed: feed, options: ReferenceOptions(initialBits: 128, capBits: 1024, gradientBits: 128), wrt: params)
        print("deep, forward at 128: backward at \(above.gradientBits) bits, widest relative enclosure \(above.gradientWidth)")
        #expect(above.bits == 128 && above.gradientBits > 128 && above.gradientWidth <= ReferenceRun.requiredGradientWidth)
        // The same g_R, whichever way it was reached (midpoints to 1e-25 relative).
        for id in params {
            let u = climbed.gradient![id]!.doubles(climbed.execution.arithmetic), v = above.gradient![id]!.doubles(above.execution.arithmetic)
            #expect(zip(u, v).allSatisfy { abs($0 - $1) <= 1e-25 * max(abs($0), 1e-300) }, "\(g.nodes[id].name)")
        }
        // A cap of 128 bits: nothing to climb to; the width reached is kept and reported.
        let capped = try ReferenceRun.run(graph: g, feed: feed, options: ReferenceOptions(initialBits: 128, capBits: 128, gradientBits: 128), wrt: params)
        print("deep, capped: backward at \(capped.gradientBits) bits, widest relative enclosure \(capped.gradientWidth)")
        #expect(capped.gradientBits == 128)
        #expect(capped.gradientWidth > ReferenceRun.requiredGradientWidth)
        let statement = ReportMarkdown.gradientWidthStatement([capped.gradientWidth])
        #expect(statement.contains("wider than 2⁻⁸⁰") && !statement.contains("each enclosure narrower"), "\(statement)")
        #expect(ReportMarkdown.gradientWidthStatement([climbed.gradientWidth]).contains("each enclosure narrower"))
    }

    @Test func doubleDoubleBallsTooWideFallBackToMPFRAndAreCheckedThere() throws {
        let (g, feed, params) = try Self.deep(60)
        let options = ReferenceOptions(initialBits: 256, capBits: 1024, gradientBits: 128)
        // The balls decide every site (there are none) but their backward is too wide.
        let balls = try CertifiedReference.run(graph: g, feed: feed, start: DoubleDoubleBallArithmetic(), gradientBits: 128, wrt: params)
        print("deep, double-double: widest relative enclosure \(balls.gradientWidth)")
        #expect(balls.gradientWidth > ReferenceRun.requiredGradientWidth)
        // The ladder: decided in balls, differentiated in MPFR intervals after them, checked there.
        let laddered = try LadderedReference.decide(graph: g, feed: feed, options: options)
            .differentiated(options: options, conventions: [.pytorch, .alternative], wrt: params)
        guard case .mpfr(let r) = laddered else { Issue.record("expected the MPFR rungs"); return }
        #expect(r.escalations.first == LadderedReference.doubleDoubleBits && r.gradientWidth <= ReferenceRun.requiredGradientWidth)
        // The MPFR backward's precision was chosen from the balls' width (about 2²⁴⁹ relative:
        // 106 + 249 + 80 + 8 bits, in whole limbs), not tried at 128 bits first.
        print("deep, laddered: backward at \(r.gradientBits) bits, widest relative enclosure \(r.gradientWidth)")
        #expect(r.gradientBits == 448 && r.bits == 448)
        // Its g_R is the MPFR-only reference's (midpoints to 1e-25 relative).
        let mpfrOnly = try ReferenceRun.run(graph: g, feed: feed, options: options, wrt: params)
        for id in params {
            let u = r.gradient![id]!.doubles(r.execution.arithmetic), v = mpfrOnly.gradient![id]!.doubles(mpfrOnly.execution.arithmetic)
            #expect(zip(u, v).allSatisfy { abs($0 - $1) <= 1e-25 * max(abs($0), 1e-300) }, "\(g.nodes[id].name)")
        }
    }

    /// The laddered reference on `deep(depth)`: the double-double width it starts from, and the
    /// rung it ends on, checked against the MPFR-only reference (midpoints to 1e-25 relative).
    func ladderAgainstMPFR(depth: Int) throws -> (doubleDoubleWidth: Double, laddered: LadderedReference) {
        let (g, feed, params) = try Self.deep(depth)
        let options = ReferenceOptions(initialBits: 256, capBits: 1024, gradientBits: 128)
        let balls = try CertifiedReference.run(graph: g, feed: feed, start: DoubleDoubleBallArithmetic(), gradientBits: 128, wrt: params)
        let laddered = try LadderedReference.decide(graph: g, feed: feed, options: options)
            .differentiated(options: options, conventions: [.pytorch, .alternative], wrt: params)
        print("deep(\(depth)): double-double width \(balls.gradientWidth); laddered backward at \(laddered.gradientBits) bits, width \(laddered.gradientWidth)")
        let mpfrOnly = try ReferenceRun.run(graph: g, feed: feed, options: options, convention: .pytorch, alternative: .alternative, wrt: params)
        func agree<E: EnclosingArithmetic>(_ r: CertifiedReference<E>) {
            for id in params {
                for (q, m) in [(r.gradient!, mpfrOnly.gradient!), (r.alternativeGradient!, mpfrOnly.alternativeGradient!)] {
                    let u = q[id]!.doubles(r.execution.arithmetic), v = m[id]!.doubles(mpfrOnly.execution.arithmetic)
                    #expect(zip(u, v).allSatisfy { abs($0 - $1) <= 1e-25 * max(abs($0), 1e-300) }, "deep(\(depth)) \(g.nodes[id].name)")
                }
            }
        }
        switch laddered {
        case .doubleDouble(let r): agree(r)
        case .tripleDouble(let r): agree(r)
        case .quadDouble(let r): agree(r)
        case .mpfr, .streamed: break
        }
        return (balls.gradientWidth, laddered)
    }

    @Test func tripleDoubleBallsTakeTheBackwardWhereDoubleDoubleIsTooWide() throws {
        // 15 steps: the double-double backward misses 2⁻⁸⁰ (by ~17 bits), 159-bit midpoints do not.
        let (width, laddered) = try ladderAgainstMPFR(depth: 15)
        #expect(width > ReferenceRun.requiredGradientWidth)
        guard case .tripleDouble(let r) = laddered else { Issue.record("expected the triple-double backward, got \(laddered.gradientBits) bits"); return }
        #expect(r.gradientBits == 159 && r.bits == LadderedReference.doubleDoubleBits && r.gradientWidth <= ReferenceRun.requiredGradientWidth)
        #expect(laddered.arithmetic == "double-double" && laddered.gradientBits == 159)
    }

    @Test func quadDoubleBallsTakeItWhereTripleDoubleWouldNotDo() throws {
        // 28 steps: the double-double width is past 2⁻³¹ (53 − 4 bits above 2⁻⁸⁰: 159 bits would
        // land short of 2⁻⁸⁴), within 2²² (212 bits land there): the ladder goes straight to
        // quad-double balls.
        let (width, laddered) = try ladderAgainstMPFR(depth: 28)
        #expect(width > 0x1p-31 && width < 0x1p22, "double-double width \(width)")
        guard case .quadDouble(let r) = laddered else { Issue.record("expected the quad-double backward, got \(laddered.gradientBits) bits"); return }
        #expect(r.gradientBits == 212 && r.bits == LadderedReference.doubleDoubleBits && r.gradientWidth <= ReferenceRun.requiredGradientWidth)
    }

    @Test func eachPointIsBoundedFromItsFinestPrecision() throws {
        // deep(15): the double-double backward reaches ~2⁻⁶³ — short of f64's 2⁻⁸⁰, within f16's
        // 2⁻³⁸ (2⁻²⁷ × 2⁻¹¹): the f16 point stays in balls, the f64 point climbs.
        let (g, feed, params) = try Self.deep(15)
        #expect(ReferenceRun.requiredGradientWidth(unitRoundoff: 0x1p-53) == ReferenceRun.requiredGradientWidth)
        let options = ReferenceOptions(initialBits: 256, capBits: 1024, gradientBits: 128)
        let decided = try LadderedReference.decide(graph: g, feed: feed, options: options)
        let coarse = try decided.differentiated(options: options, conventions: [.pytorch, .alternative], wrt: params, requiredWidth: 0x1p-38)
        let fine = try decided.differentiated(options: options, conventions: [.pytorch, .alternative], wrt: params)
        guard case .doubleDouble(let dd) = coarse, case .tripleDouble(let td) = fine else {
            Issue.record("expected balls for 2⁻³⁸ and triple-double for 2⁻⁸⁰, got \(coarse.gradientBits) and \(fine.gradientBits)"); return
        }
        #expect(dd.gradientWidth <= 0x1p-38 && dd.gradientWidth > 0x1p-80 && dd.requiredWidth == 0x1p-38)
        #expect(td.gradientWidth <= 0x1p-80 && td.requiredWidth == 0x1p-80)
        // The looser enclosures hold the finer ones' midpoints: the bound is a width, not a guess.
        for id in params {
            let a = DoubleDoubleBallArithmetic(), t = TripleDoubleBallArithmetic()
            let coarseTensor = dd.gradient![id]!, fineValues = td.gradient![id]!.doubles(t)
            let largest = fineValues.map(abs).max() ?? 0
            for i in 0..<coarseTensor.count {
                #expect(abs(a.double(coarseTensor.slots + i) - fineValues[i]) <= 0x1p-38 * largest + a.width(coarseTensor.slots + i),
                        "\(g.nodes[id].name)[\(i)]")
            }
        }
        // Through the analysis: f16's point is held to 2⁻³⁸ in balls, f64's to 2⁻⁸⁰ in triple-double
        // balls, and the report's statement names both bounds.
        let result = try Analysis(graph: ModelGraph(graph: g, input: g.node(named: "x")!.id,
                                                    parameters: Dictionary(uniqueKeysWithValues: params.map { (g.nodes[$0].name, $0) }),
                                                    output: g.node(named: "loss")!.id, loss: g.node(named: "loss")!.id),
                                  feed: feed, precisions: [.f16, .f64]).run()
        let f16 = result[.f16], f64 = result[.f64]
        #expect(f16.referenceGradientBound == 0x1p-38 && f16.referenceGradientBits == 106)
        #expect(f64.referenceGradientBound == 0x1p-80 && f64.referenceGradientBits == 159)
        let statement = ReportMarkdown.gradientWidthStatement([f16.referenceGradientWidth, f64.referenceGradientWidth],
                                                              bounds: [f16.referenceGradientBound, f64.referenceGradientBound])
        #expect(statement.contains("each enclosure narrower than its point's bound") && statement.contains("2⁻³⁸, 2⁻⁸⁰"), "\(statement)")
    }
}
