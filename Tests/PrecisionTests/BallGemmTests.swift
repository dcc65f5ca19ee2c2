import CNativeKernels
import Testing
import TestSupport
import Precision

/// The balls' register-blocked matrix products (`ball_gemm.c`) against the row kernels they
/// stand for (`matrixAccumulateByRows`: `bp_ball_axpy` per row of `c` and per `k`), bit for bit
/// in every slot of `c` — the entries and the padding between rows, which must stay untouched.
/// Every compilation this machine can run is checked (the portable one, which has the AVX-512
/// one's tile shape, everywhere), and `matrixAccumulate` itself.
///
/// The draws are chosen so that every part of the kernels' argument is exercised, and the
/// mutation each family is there to catch is named: random balls with the specials (NaN, ±∞,
/// overflow: the unknown ball and its propagation, the settling deferred to the end of a
/// k-block); tiny points (products within 2⁵³ of the underflow threshold: the slack); small
/// integers (exact sums, so points stay points and only `al·xl` spreads a radius); huge balls
/// whose `|xh| + |xl| + rad` overflows under point multipliers (the one term in which
/// `accumulate_fma` differs from `accumulate_point`). Multipliers are all points (the point
/// tiles), all balls, or mixed (the fma tiles with points among their multipliers). Shapes
/// straddle the tiles (1–2 rows, 8 columns) and the k-blocks (128); layouts are the callers'.
@Suite struct BallGemmTests {
    /// The families of values, as above.
    enum Family: CaseIterable { case random, tiny, exact, huge }
    /// Which multipliers are one-double points.
    enum Multipliers: CaseIterable { case points, mixed, balls }

    static func signed(_ g: inout SeededGenerator) -> Double { g.next() % 2 == 0 ? 1 : -1 }
    static func scaled(_ x: Double, _ e: Int) -> Double { Double(sign: .plus, exponent: e, significand: x) }

    /// A double, with the specials one time in eight when asked.
    static func double(_ g: inout SeededGenerator, specials: Bool) -> Double {
        guard specials && g.next() % 8 == 0 else { return g.uniform(-1, 1) }
        switch g.next() % 8 {
        case 0: return 0
        case 1: return -0.0
        case 2: return scaled(g.uniform(-1, 1), 1000 + Int(g.next() % 24))  // products overflow
        case 3: return scaled(g.uniform(-1, 1), -1000 - Int(g.next() % 70))  // tiny, subnormal
        case 4: return .nan
        case 5: return signed(&g) * .infinity
        default: return scaled(g.uniform(-1, 1), -460 - Int(g.next() % 20))
        }
    }

    /// A double-double `(h + l)` normalised, with `l` about `2⁻⁵⁴·h` (or `2^shift` below it).
    static func doubleDouble(_ h: Double, _ g: inout SeededGenerator, shift: Int = 0) -> (Double, Double) {
        let l = scaled(h * g.uniform(-1, 1), -54 - shift)
        let s = h + l
        return (s, l - (s - h))
    }

    static func ball(_ family: Family, _ g: inout SeededGenerator, specials: Bool) -> bp_ball {
        switch family {
        case .random:
            let h = double(&g, specials: specials)
            switch g.next() % 5 {
            case 0: return bp_ball(hi: h, lo: 0, rad: 0)
            case 1:
                let (s, l) = doubleDouble(h, &g)
                return bp_ball(hi: s, lo: l, rad: 0)
            case 2:
                let (s, l) = doubleDouble(h, &g)
                return bp_ball(hi: s, lo: l, rad: abs(h) * 0x1p-100 * g.uniform(1, 2))
            case 3: return bp_ball(hi: h, lo: 0, rad: specials && g.next() % 4 == 0 ? abs(double(&g, specials: true)) : abs(h) * g.uniform(1, 2))
            default:
                let (s, l) = doubleDouble(h, &g)
                return bp_ball(hi: s, lo: l, rad: specials && g.next() % 3 == 0 ? 0x1p1020 : 0)
            }
        case .tiny:
            // Exponents from 2²⁰ down past the subnormals, low parts from just below the high
            // part down to nothing: products whose TwoProduct is inexact.
            let h = g.next() % 6 == 0 ? 0 : scaled(g.uniform(-1, 1), 20 - Int(g.next() % 1100))
            let l = g.next() % 3 == 0 ? scaled(h * g.uniform(-1, 1), -54 - Int(g.next() % 1000)) : 0
            return bp_ball(hi: h, lo: l, rad: g.next() % 5 == 0 ? abs(h) * 0x1p-80 : 0)
        case .exact:
            func small(_ g: inout SeededGenerator) -> Double { Double(Int(g.next() % 17) - 8) }
            let h = small(&g)
            let l = g.next() % 3 == 0 ? scaled(small(&g), -60 - Int(g.next() % 20)) : 0
            return bp_ball(hi: h, lo: l, rad: g.next() % 7 == 0 ? 0x1p-70 : 0)
        case .huge:
            return bp_ball(hi: signed(&g) * scaled(1 + 0.9 * abs(g.uniform(-1, 1)), 1023),
                           lo: g.next() % 2 == 0 ? scaled(g.uniform(-1, 1), 960) : 0,
                           rad: scaled(1 + 0.9 * abs(g.uniform(-1, 1)), 1023))
        }
    }

    /// A multiplier of the family (for `.huge`: below 1, so that products stay finite).
    static func multiplier(_ family: Family, _ g: inout SeededGenerator, specials: Bool, point: Bool) -> bp_ball {
        var m: bp_ball
        if family == .huge {
            let h = scaled(g.uniform(-1, 1), -1 - Int(g.next() % 12))
            m = bp_ball(hi: h, lo: g.next() % 4 == 0 ? scaled(h * g.uniform(-1, 1), -60) : 0, rad: 0)
        } else {
            m = ball(family, &g, specials: specials)
        }
        if point {
            // Signed zeros count as points (axpy's test is lo == 0 && rad == 0).
            m.lo = g.next() % 7 == 0 ? -0.0 : 0
            m.rad = g.next() % 7 == 0 ? -0.0 : 0
        }
        return m
    }

    static func same(_ x: bp_ball, _ y: bp_ball) -> Bool {
        x.hi.bitPattern == y.hi.bitPattern && x.lo.bitPattern == y.lo.bitPattern && x.rad.bitPattern == y.rad.bitPattern
    }

    /// What one comparison covered.
    struct Tally {
        var mismatches = 0, slots = 0, unknown = 0, points = 0, balls = 0
        var ran: Set<Int32> = []
        mutating func add(_ o: Tally) {
            mismatches += o.mismatches; slots += o.slots; unknown += o.unknown; points += o.points; balls += o.balls
            ran.formUnion(o.ran)
        }
    }

    static let shapes = [(1, 1, 1), (2, 8, 128), (3, 9, 129), (5, 17, 300), (4, 33, 7), (1, 4, 257), (7, 3, 2), (2, 16, 256), (9, 21, 40)]

    /// Every shape in every layout: a row-major with padding; a transposed (`lda = 1`,
    /// `ak > 1`, as linear's weight gradient); `b` and `c` padded.
    static func compare(_ family: Family, _ multipliers: Multipliers, specials: Bool, seed: UInt64) -> Tally {
        var g = SeededGenerator(seed: seed)
        let dd = DoubleDoubleBallArithmetic()
        var tally = Tally()
        for (rows, cols, shapeDepth) in shapes {
            // Huge balls overflow after a few terms; keep them short so that results stay finite.
            let depth = family == .huge ? min(shapeDepth, 3) : shapeDepth
            for layout in 0..<3 {
                let lda = layout == 1 ? 1 : depth + (layout == 0 ? 3 : 0)
                let ak = layout == 1 ? rows + 2 : 1
                let ldb = cols + (layout == 2 ? 5 : 0), ldc = cols + (layout == 2 ? 9 : 0)
                let aCount = layout == 1 ? (depth - 1) * ak + rows : (rows - 1) * lda + depth
                var a = (0..<aCount).map { _ in
                    multiplier(family, &g, specials: specials,
                               point: multipliers == .points || (multipliers == .mixed && g.next() % 2 == 0))
                }
                var b = (0..<(depth * ldb)).map { _ in ball(family, &g, specials: specials) }
                // c starts at +0 (as the engine's outputs do) except for random balls, where it
                // may start anywhere, the unknown ball included.
                let c = (0..<(rows * ldc)).map { _ in family == .random ? ball(.random, &g, specials: specials) : bp_ball(hi: 0, lo: 0, rad: 0) }
                var expected = c
                a.withUnsafeMutableBufferPointer { ab in b.withUnsafeMutableBufferPointer { bb in expected.withUnsafeMutableBufferPointer { eb in
                    dd.matrixAccumulateByRows(eb.baseAddress!, ldc, ab.baseAddress!, lda, ak, bb.baseAddress!, ldb,
                                              rows: rows, cols: cols, depth: depth, fused: false)
                } } }
                for e in expected {
                    if e.hi.isNaN { tally.unknown += 1 } else if e.rad == 0 { tally.points += 1 } else { tally.balls += 1 }
                }
                // -2: matrixAccumulate itself; 0–3: each compilation (−1 when not on this machine).
                for variant: Int32 in [-2, 0, 1, 2, 3] {
                    var got = c
                    var ran: Int32 = variant
                    a.withUnsafeMutableBufferPointer { ab in b.withUnsafeMutableBufferPointer { bb in got.withUnsafeMutableBufferPointer { gb in
                        if variant == -2 {
                            dd.matrixAccumulate(gb.baseAddress!, ldc, ab.baseAddress!, lda, ak, bb.baseAddress!, ldb,
                                                rows: rows, cols: cols, depth: depth, fused: false)
                        } else {
                            ran = bp_ball_matrix_accumulate_variant(variant, gb.baseAddress!, ldc, ab.baseAddress!, lda, ak,
                                                                    bb.baseAddress!, ldb, rows, cols, depth)
                        }
                    } } }
                    guard ran >= -2 && ran != -1 else { continue }
                    tally.ran.insert(ran)
                    for i in got.indices {
                        tally.slots += 1
                        if !same(got[i], expected[i]) { tally.mismatches += 1 }
                    }
                }
            }
        }
        return tally
    }

    @Test func tilesGiveTheRowKernelsBits() {
        var total = Tally()
        var seed: UInt64 = 100
        for family in Family.allCases {
            for multipliers in Multipliers.allCases {
                for specials in family == .random ? [false, true] : [false] {
                    seed += 1
                    let t = Self.compare(family, multipliers, specials: specials, seed: seed)
                    #expect(t.mismatches == 0, "\(family), \(multipliers) multipliers, specials \(specials): \(t.mismatches) of \(t.slots) slots differ")
                    total.add(t)
                }
            }
        }
        // The draws reach every kind of result, and at least the portable tile and the row
        // kernels ran (the AVX2 and AVX-512 tiles where the machine has them).
        #expect(total.unknown > 1000 && total.points > 1000 && total.balls > 1000, "\(total)")
        #expect(total.ran.isSuperset(of: [-2, 0, 1]), "\(total.ran)")
    }

    /// The case for which the fma tiles select accumulate_point's radius term: with a point
    /// multiplier below 1 and a ball whose `|xh| + |xl| + rad` overflows, accumulate_fma's term
    /// `rad(a)·(|xh| + |xl| + rad)` is `0·∞`, where accumulate_point's `|ah|·rad` is finite.
    @Test func pointMultipliersKeepThePointStepsRadius() {
        let dd = DoubleDoubleBallArithmetic()
        var a = [bp_ball(hi: 0.5, lo: 0, rad: 0), bp_ball(hi: 0.25, lo: 0x1p-60, rad: 0)]
        var b = [bp_ball(hi: 0x1.8p1023, lo: 0, rad: 0x1.8p1023)]
        for k in 0..<2 {  // the point, then the ball (a mixed tile when both are in one product)
            var viaRows = bp_ball(hi: 0, lo: 0, rad: 0), viaTile = viaRows, viaFMA = viaRows
            a.withUnsafeMutableBufferPointer { ab in b.withUnsafeMutableBufferPointer { bb in
                dd.matrixAccumulateByRows(&viaRows, 1, ab.baseAddress! + k, 1, 1, bb.baseAddress!, 1, rows: 1, cols: 1, depth: 1, fused: false)
                dd.matrixAccumulate(&viaTile, 1, ab.baseAddress! + k, 1, 1, bb.baseAddress!, 1, rows: 1, cols: 1, depth: 1, fused: false)
                bp_ball_mul_acc(&viaFMA, ab.baseAddress! + k, bb.baseAddress!)
            } }
            #expect(Self.same(viaRows, viaTile))
            // The point's product is finite through the row kernels; the ball's is unknown.
            #expect(viaRows.hi.isNaN == (k == 1))
            #expect(viaFMA.hi.isNaN)  // accumulate_fma's term overflows for both
        }
        // And in one product, c = a[0]·b[0] + a[1]·1: one row with a point and a ball among its
        // multipliers, so the tile takes the fma steps and must select for the point.
        var c = [bp_ball(hi: 0, lo: 0, rad: 0)], expected = c
        b.append(bp_ball(hi: 1, lo: 0, rad: 0))
        a.withUnsafeMutableBufferPointer { ab in b.withUnsafeMutableBufferPointer { bb in
            dd.matrixAccumulateByRows(&expected, 1, ab.baseAddress!, 2, 1, bb.baseAddress!, 1, rows: 1, cols: 1, depth: 2, fused: false)
            dd.matrixAccumulate(&c, 1, ab.baseAddress!, 2, 1, bb.baseAddress!, 1, rows: 1, cols: 1, depth: 2, fused: false)
        } }
        #expect(Self.same(c[0], expected[0]) && !c[0].hi.isNaN)
    }
}

/// The triple- and quad-double balls' tiles (`tball_gemm.c`, `qball_gemm.c`) against their row
/// kernels (`bp_?ball_axpy` per row and `k`), bit for bit, as `BallGemmTests` does for the
/// double-double balls: the same families, shapes and layouts; multipliers with one component
/// (the row kernel's `accumulate_single`, whatever their radius), with several, or mixed.
@Suite struct MultiDoubleBallGemmTests {
    typealias D = BallGemmTests

    /// A multi-double of the family: a double-double draw, continued by components each about
    /// 2⁻⁵⁴ of the one before (or none).
    static func ball<S: MultiDoubleSlot>(_: S.Type, _ family: D.Family, _ g: inout SeededGenerator, specials: Bool) -> S {
        let b = D.ball(family, &g, specials: specials)
        var c = [b.hi, b.lo] + [Double](repeating: 0, count: S.componentCount - 2)
        var rad = b.rad
        if family != .exact && family != .huge && g.next() % 2 == 0 {
            for q in 2..<S.componentCount { c[q] = D.scaled(c[q - 1] * g.uniform(-1, 1), -54) }
        } else if family == .exact && g.next() % 4 == 0 {
            c[2] = D.scaled(Double(Int(g.next() % 17) - 8), -120 - Int(g.next() % 20))
        }
        if b.rad != 0 && family != .huge && g.next() % 2 == 0 { rad = abs(b.hi) * 0x1p-200 }  // a radius near the last bits
        return S(components: c, rad: rad)
    }

    static func multiplier<S: MultiDoubleSlot>(_: S.Type, _ family: D.Family, _ g: inout SeededGenerator, specials: Bool,
                                               single: Bool) -> S {
        var m: S
        if family == .huge {
            let h = D.scaled(g.uniform(-1, 1), -1 - Int(g.next() % 12))
            var c = [Double](repeating: 0, count: S.componentCount)
            c[0] = h
            c[1] = g.next() % 4 == 0 ? D.scaled(h * g.uniform(-1, 1), -60) : 0
            m = S(components: c, rad: 0)
        } else {
            m = ball(S.self, family, &g, specials: specials)
            // Unnormalised multipliers too: the last component alone below c0 is not single.
            if g.next() % 16 == 0 {
                var c = [Double](repeating: 0, count: S.componentCount)
                c[0] = m.components[0]
                c[S.componentCount - 1] = D.scaled(c[0] * g.uniform(-1, 1), -160)
                m = S(components: c, rad: m.rad)
            }
        }
        if single {
            var c = [Double](repeating: 0, count: S.componentCount)
            c[0] = m.components[0]
            c[1] = g.next() % 7 == 0 ? -0.0 : 0
            m = S(components: c, rad: m.rad)
        }
        return m
    }

    static func same<S: MultiDoubleSlot>(_ x: S, _ y: S) -> Bool {
        zip(x.components, y.components).allSatisfy { $0.bitPattern == $1.bitPattern } && x.rad.bitPattern == y.rad.bitPattern
    }

    static func compare<S: MultiDoubleSlot>(_: S.Type, _ family: D.Family, _ multipliers: D.Multipliers, specials: Bool,
                                            seed: UInt64) -> D.Tally {
        var g = SeededGenerator(seed: seed)
        let arithmetic = S.arithmetic
        var tally = D.Tally()
        for (rows, cols, shapeDepth) in D.shapes {
            let depth = family == .huge ? min(shapeDepth, 3) : min(shapeDepth, 140)  // k-blocks of 64
            for layout in 0..<3 {
                let lda = layout == 1 ? 1 : depth + (layout == 0 ? 3 : 0)
                let ak = layout == 1 ? rows + 2 : 1
                let ldb = cols + (layout == 2 ? 5 : 0), ldc = cols + (layout == 2 ? 9 : 0)
                let aCount = layout == 1 ? (depth - 1) * ak + rows : (rows - 1) * lda + depth
                var a = (0..<aCount).map { _ in
                    multiplier(S.self, family, &g, specials: specials,
                               single: multipliers == .points || (multipliers == .mixed && g.next() % 2 == 0))
                }
                var b = (0..<(depth * ldb)).map { _ in ball(S.self, family, &g, specials: specials) }
                let zero = S(components: [Double](repeating: 0, count: S.componentCount), rad: 0)
                let c = (0..<(rows * ldc)).map { _ in family == .random ? ball(S.self, .random, &g, specials: specials) : zero }
                var expected = c
                a.withUnsafeMutableBufferPointer { ab in b.withUnsafeMutableBufferPointer { bb in expected.withUnsafeMutableBufferPointer { eb in
                    arithmetic.matrixAccumulateByRows(eb.baseAddress!, ldc, ab.baseAddress!, lda, ak, bb.baseAddress!, ldb,
                                                      rows: rows, cols: cols, depth: depth, fused: false)
                } } }
                for e in expected {
                    if e.components[0].isNaN { tally.unknown += 1 } else if e.rad == 0 { tally.points += 1 } else { tally.balls += 1 }
                }
                for variant: Int32 in [-2, 0, 1, 2, 3] {
                    var got = c
                    var ran: Int32 = variant
                    a.withUnsafeMutableBufferPointer { ab in b.withUnsafeMutableBufferPointer { bb in got.withUnsafeMutableBufferPointer { gb in
                        if variant == -2 {
                            arithmetic.matrixAccumulate(gb.baseAddress!, ldc, ab.baseAddress!, lda, ak, bb.baseAddress!, ldb,
                                                        rows: rows, cols: cols, depth: depth, fused: false)
                        } else {
                            ran = S.variant(variant, gb.baseAddress!, ldc, ab.baseAddress!, lda, ak, bb.baseAddress!, ldb, rows, cols, depth)
                        }
                    } } }
                    guard ran >= -2 && ran != -1 else { continue }
                    tally.ran.insert(ran)
                    for i in got.indices {
                        tally.slots += 1
                        if !same(got[i], expected[i]) { tally.mismatches += 1 }
                    }
                }
            }
        }
        return tally
    }

    func tilesGiveTheRowKernelsBits<S: MultiDoubleSlot>(_: S.Type) {
        var total = D.Tally()
        var seed: UInt64 = 200
        for family in D.Family.allCases {
            for multipliers in D.Multipliers.allCases {
                for specials in family == .random ? [false, true] : [false] {
                    seed += 1
                    let t = Self.compare(S.self, family, multipliers, specials: specials, seed: seed)
                    #expect(t.mismatches == 0, "\(S.name) \(family), \(multipliers) multipliers, specials \(specials): \(t.mismatches) of \(t.slots) slots differ")
                    total.add(t)
                }
            }
        }
        #expect(total.unknown > 500 && total.points > 500 && total.balls > 1000, "\(S.name): \(total)")
        #expect(total.ran.isSuperset(of: [-2, 0, 1]), "\(S.name): \(total.ran)")
    }

    @Test func tripleDoubleTilesGiveTheRowKernelsBits() { tilesGiveTheRowKernelsBits(bp_tball.self) }
    @Test func quadDoubleTilesGiveTheRowKernelsBits() { tilesGiveTheRowKernelsBits(bp_qball.self) }
}
