import AD
import Testing
import Analyzer
import BPCheck
import Precision
import Workloads
import TestSupport

/// R streamed chunk by chunk of samples (`StreamingPlan`, `LadderedReference.streamed`) against
/// R computed whole and against the MPFR-only reference: the same decisions bit for bit, the
/// same climbed samples, the same rung, gradients that agree with MPFR's to 1e-25 relative; and
/// a whole analysis whose sites, certified values and verdicts are the unstreamed analysis'.
@Suite struct StreamedReferenceTests {
    /// The gradients of `r` with respect to `ids`, midpoints as `Double`s, in order.
    static func midpoints<R: PointReference>(_ r: R, _ ids: [NodeID], alternative: Bool = false) -> [[Double]] {
        ids.map { ((alternative ? r.alternativeGradient : r.gradient)![$0]!).doubles(r.arithmetic) }
    }

    static func agree(_ u: [[Double]], _ v: [[Double]], tolerance: Double, _ what: String) {
        #expect(u.count == v.count, "\(what)")
        for (a, b) in zip(u, v) {
            #expect(a.count == b.count && zip(a, b).allSatisfy { abs($0 - $1) <= tolerance * max(abs($0), 1e-300) }, "\(what): \(a) vs \(b)")
        }
    }

    @Test func theBatchStreamsOnlyAboveTheBudgetInChunksThatFitIt() throws {
        // PerSampleEscalationTests' graph on 4 samples holds 11 values per sample with a batch
        // axis (x: 3; avg, flat, h, t, v, relu, out, target: 1 each): 440 bytes in quad-double
        // balls, 1760 for the batch.
        let (g, _, _, _) = try PerSampleEscalationTests.graph([0.25, 0.25, 0.25, 0.25])
        let loss = g.node(named: "loss")!.id
        func chunks(_ bytes: Int, _ rung: ReferenceFirstRung = .doubleDouble) -> [Range<Int>]? {
            StreamingPlan(graph: g, loss: loss, options: ReferenceOptions(firstRung: rung, streamingBytes: bytes))?.chunks
        }
        #expect(chunks(ReferenceOptions().streamingBytes) == nil)
        #expect(chunks(1760) == nil)
        #expect(chunks(1759) == [0..<3, 3..<4])
        #expect(chunks(880) == [0..<2, 2..<4])
        #expect(chunks(1) == [0..<1, 1..<2, 2..<3, 3..<4])
        #expect(chunks(1, .mpfr) == nil)  // R in MPFR intervals only: not streamed
        // Batch norm in training mode ties the samples together: never streamed.
        var b = Graph()
        let x = try b.input("x", shape: [4, 1, 1, 3])
        let roles = try ["gamma", "beta", "mean", "variance"].map { try b.parameter($0, shape: [1]) }
        let bn = try b.apply("bn", .batchNorm(eps: 1e-5, training: true), [x] + roles)
        let r = try b.apply("r", .relu, [bn])
        let t = try b.input("t", shape: [4, 1, 1, 3])
        try b.apply("loss", .mse, [r, t])
        #expect(StreamingPlan(graph: b, loss: b.node(named: "loss")!.id, options: ReferenceOptions(streamingBytes: 1)) == nil)
    }

    @Test func aStreamedReferenceHasTheWholeOnesDecisionsAndTheMPFRGradients() throws {
        // Samples 1 and 3 sit 2⁻³⁰⁰ from the kink: undecided in balls, climbed alone to 512-bit
        // intervals inside their chunk and stitched back, as when R runs whole.
        let (g, feed, relu, params) = try PerSampleEscalationTests.graph([0.25, 0x1p-300, -0.25, -0x1p-300])
        let loss = g.node(named: "loss")!.id
        let options = ReferenceOptions(streamingBytes: 880)
        let plan = try #require(StreamingPlan(graph: g, loss: loss, options: options))
        let conventions: [DerivativeConvention] = [.pytorch, .alternative]
        let streamed = try #require(try LadderedReference.streamed(graph: g, feed: feed, loss: loss, plan: plan, options: options,
                                                                    conventions: conventions, wrt: params))
        guard case .streamed = streamed else { Issue.record("expected a streamed reference"); return }
        let whole = try LadderedReference.decide(graph: g, feed: feed, options: options)
            .differentiated(options: options, conventions: conventions, wrt: params)
        #expect(streamed.decisions == whole.decisions)
        #expect(streamed.decisions[relu] == .pieces([Piece.aboveSingle, Piece.aboveSingle, Piece.below, Piece.below]))
        #expect(streamed.climbedSamples == 2 && streamed.escalations == [256, 512] && streamed.undecidedSites == 0)
        #expect(streamed.arithmetic == whole.arithmetic && streamed.gradientBits == whole.gradientBits)
        #expect(streamed.gradientWidth <= ReferenceRun.requiredGradientWidth)
        let mpfrOnly = try ReferenceRun.run(graph: g, feed: feed, options: ReferenceOptions(firstRung: .mpfr), convention: .pytorch,
                                            alternative: .alternative, wrt: params)
        Self.agree(Self.midpoints(streamed.point, params), Self.midpoints(mpfrOnly, params), tolerance: 1e-25, "g_R")
        Self.agree(Self.midpoints(streamed.point, params, alternative: true), Self.midpoints(mpfrOnly, params, alternative: true),
                   tolerance: 1e-25, "g_R′")
        // Chunks of one sample cannot climb a sample alone (the chunk is the sample): R then
        // says so, and the analysis runs it whole.
        let single = try #require(StreamingPlan(graph: g, loss: loss, options: ReferenceOptions(streamingBytes: 1)))
        #expect(try LadderedReference.streamed(graph: g, feed: feed, loss: loss, plan: single, options: options,
                                               conventions: conventions, wrt: params) == nil)
    }

    /// `depth` steps of the logistic map (`GradientWidthTests.deep`) on a batch of `n` samples
    /// fed as an input, the MSE's target an input too (so that samples are independent).
    static func deepBatch(_ depth: Int, samples n: Int) throws -> (Graph, Feed, NodeID, [NodeID]) {
        var g = Graph(), feed = Feed()
        var rng = SeededGenerator(seed: 37)
        let x = try g.input("x", shape: [n, 3])
        feed.values["x"] = (0..<(3 * n)).map { _ in rng.uniform(0.1, 0.9) }
        let (h, params) = try GradientWidthTests.logisticSteps(depth, from: x, &g, &feed)
        let r = try g.apply("r", .relu, [h])
        let t = try g.input("target", shape: [n, 3])
        feed.values["target"] = [Double](repeating: 0.25, count: 3 * n)
        let loss = try g.apply("loss", .mse, [r, t])
        return (g, feed, loss, params)
    }

    @Test(arguments: [(15, 159), (28, 212)])
    func aStreamedReferenceClimbsToTheRungTheWholeOneTakes(depth: Int, bits: Int) throws {
        // deep(15): double-double misses 2⁻⁸⁰, triple-double meets it; deep(28): quad-double.
        let (g, feed, loss, params) = try Self.deepBatch(depth, samples: 5)
        let options = ReferenceOptions(initialBits: 256, capBits: 1024, gradientBits: 128, streamingBytes: 1)
        let plan = try #require(StreamingPlan(graph: g, loss: loss, options: options))
        #expect(plan.chunks.count == 5)
        let conventions: [DerivativeConvention] = [.pytorch, .alternative]
        let streamed = try #require(try LadderedReference.streamed(graph: g, feed: feed, loss: loss, plan: plan, options: options,
                                                                    conventions: conventions, wrt: params))
        let whole = try LadderedReference.decide(graph: g, feed: feed, options: options)
            .differentiated(options: options, conventions: conventions, wrt: params)
        print("deepBatch(\(depth)): streamed backward at \(streamed.gradientBits) bits, width \(streamed.gradientWidth); whole at \(whole.gradientBits), \(whole.gradientWidth)")
        #expect(streamed.gradientBits == bits && whole.gradientBits == bits)
        // Streamed, the chunks' forwards ran on that rung and proved every decision there.
        #expect(streamed.gradientWidth <= ReferenceRun.requiredGradientWidth && streamed.bits == bits)
        #expect(whole.bits == LadderedReference.doubleDoubleBits)
        #expect(streamed.decisions == whole.decisions)
        let mpfrOnly = try ReferenceRun.run(graph: g, feed: feed, options: ReferenceOptions(initialBits: 256, capBits: 1024, gradientBits: 128, firstRung: .mpfr),
                                            convention: .pytorch, alternative: .alternative, wrt: params)
        Self.agree(Self.midpoints(streamed.point, params), Self.midpoints(mpfrOnly, params), tolerance: 1e-25, "deepBatch(\(depth)) g_R")
    }

    @Test func aChunkItsRungCannotDecideIsDecidedAsOnDoubleDoubleAndReRunThere() throws {
        // deepBatch(15)'s chain (triple-double) fed by relu(3·avg(1, 0, 0) − 1 + t): sample 1's
        // t = 2⁻³⁰⁰ sits inside any ball's radius of 3·(1/3) − 1. Its chunk (samples 0–1) is
        // decided on the double-double rung, sample 1 climbed alone to MPFR, and the
        // triple-double forward re-run forced onto it; the other chunks decide in triple-double.
        // (Inputs off the map's exact orbits: 0.5 → 1 → 0 would put every sample after on the final relu's kink.)
        let n = 5, t: [Double] = [0.3, 0x1p-300, 0.37, 0.61, 0.43]
        var g = Graph(), feed = Feed()
        let x = try g.input("x", shape: [n, 3, 1, 3])
        feed.values["x"] = [Double]((0..<(3 * n)).flatMap { _ in [1.0, 0, 0] })
        let flat = try g.apply("flat", .flatten, [try g.apply("avg", .avgPool2d(PoolAttributes(kernel: [1, 3])), [x])])
        let w = try g.parameter("w", shape: [3, 3]), b = try g.parameter("b", shape: [3])
        feed.values["w"] = [3, 0, 0, 0, 3, 0, 0, 0, 3]
        feed.values["b"] = [-1, -1, -1]
        let shift = try g.input("t", shape: [n, 3])
        feed.values["t"] = t.flatMap { [$0, $0, $0] }
        let gate = try g.apply("gate", .relu, [try g.apply("v", .add, [try g.apply("h", .linear(hasBias: true), [flat, w, b]), shift])])
        let (h, chain) = try GradientWidthTests.logisticSteps(15, from: gate, &g, &feed)
        let r = try g.apply("r", .relu, [h])
        let target = try g.input("target", shape: [n, 3])
        feed.values["target"] = [Double](repeating: 0.25, count: 3 * n)
        let loss = try g.apply("loss", .mse, [r, target])
        let params = [w, b] + chain
        let perSample = g.nodes.filter { $0.shape.first == n }.reduce(0) { $0 + $1.shape.reduce(1, *) / n }
        let options = ReferenceOptions(initialBits: 256, capBits: 1024, gradientBits: 128, streamingBytes: 2 * perSample * 40)
        let plan = try #require(StreamingPlan(graph: g, loss: loss, options: options))
        #expect(plan.chunks == [0..<2, 2..<4, 4..<5])
        let conventions: [DerivativeConvention] = [.pytorch, .alternative]
        let streamed = try #require(try LadderedReference.streamed(graph: g, feed: feed, loss: loss, plan: plan, options: options,
                                                                    conventions: conventions, wrt: params))
        let whole = try LadderedReference.decide(graph: g, feed: feed, options: options)
            .differentiated(options: options, conventions: conventions, wrt: params)
        print("fallback: streamed bits \(streamed.bits) \(streamed.escalations) climbed \(streamed.climbedSamples) undecided \(streamed.undecidedSites) backward \(streamed.gradientBits) width \(streamed.gradientWidth); whole bits \(whole.bits) \(whole.escalations) climbed \(whole.climbedSamples) undecided \(whole.undecidedSites) backward \(whole.gradientBits) width \(whole.gradientWidth)")
        #expect(streamed.decisions == whole.decisions)
        #expect(streamed.decisions[gate]?.state(4).isDecided == true && streamed.undecidedSites == 0)
        #expect(streamed.climbedSamples == 1 && whole.climbedSamples == 1 && streamed.escalations == whole.escalations)
        #expect(streamed.gradientBits == 159 && whole.gradientBits == 159 && streamed.bits == LadderedReference.doubleDoubleBits)
        #expect(streamed.gradientWidth <= ReferenceRun.requiredGradientWidth)
        let mpfrOnly = try ReferenceRun.run(graph: g, feed: feed, options: ReferenceOptions(initialBits: 256, capBits: 1024, gradientBits: 128, firstRung: .mpfr),
                                            convention: .pytorch, alternative: .alternative, wrt: params)
        #expect(mpfrOnly.decisions == whole.decisions)
        Self.agree(Self.midpoints(streamed.point, params), Self.midpoints(mpfrOnly, params), tolerance: 1e-25, "g_R")
        Self.agree(Self.midpoints(streamed.point, params, alternative: true), Self.midpoints(mpfrOnly, params, alternative: true),
                   tolerance: 1e-25, "g_R′")
    }

    @Test func aStreamedAnalysisReportsWhatTheWholeOneReports() throws {
        // LeNet-5 (W2) on 8 samples, R in chunks of 3, 3 and 2 samples, at four precisions.
        let (built, feed, _, _) = try Workload.w2.build(batch: 8)
        let precisions: [PrecisionName] = [.f32, .f64, .f16, .bf16]
        var whole = Analysis(graph: built, feed: feed, precisions: precisions)
        whole.threads = 2
        let plain = try whole.run()
        var streaming = whole
        let values = built.graph.nodes.filter { $0.shape.first == 8 }.reduce(0) { $0 + $1.shape.reduce(1, *) / 8 }
        streaming.reference.streamingBytes = 3 * values * 40 + 1
        let streamed = try streaming.run()
        for p in precisions {
            let a = plain[p], b = streamed[p]
            #expect(a.referenceChunks == nil && b.referenceChunks == 3, "\(p)")
            #expect(a.classifiedSites == b.classifiedSites && a.counts == b.counts && a.perLayer == b.perLayer
                    && a.siteCount == b.siteCount && a.samplesAffected == b.samplesAffected, "\(p)")
            #expect(a.kinkDistances == b.kinkDistances && a.rangeEvents == b.rangeEvents && a.flagged == b.flagged, "\(p)")
            #expect(a.referenceArithmetic == b.referenceArithmetic && a.referenceBits == b.referenceBits
                    && a.referenceGradientBits == b.referenceGradientBits && a.referenceEscalations == b.referenceEscalations, "\(p)")
            #expect((b.referenceGradientWidth ?? .infinity) <= b.referenceGradientBound, "\(p)")
            // R's sums are formed in another order: its midpoints agree far below any error measured.
            for (x, y) in [(a.error.total, b.error.total), (a.error.kink, b.error.kink), (a.error.rounding, b.error.rounding)] {
                #expect(abs((x ?? 0) - (y ?? 0)) <= 1e-9 * abs(x ?? 0), "\(p): \(String(describing: x)) vs \(String(describing: y))")
            }
            for (name, g) in a.gradients {
                let h = b.gradients[name]!, largest = g.r.map(abs).max() ?? 0
                #expect(zip(g.r, h.r).allSatisfy { abs($0 - $1) <= 0x1p-60 * largest }, "\(p) \(name)")
                #expect(g.p.map(\.bitPattern) == h.p.map(\.bitPattern) && g.aligned.map(\.bitPattern) == h.aligned.map(\.bitPattern), "\(p) \(name)")
            }
        }
    }
}
