/// `maxpool2d` (a nonsmooth primitive: ties) and `avgpool2d`, with their backward passes.
///
/// Windows are visited in output order `(s, c, oy, ox)`, and inside a window positions are
/// numbered row-major `p = i·kw + j` (padded positions included in the numbering, never
/// selected: padding is −∞ for max-pooling).
public enum PoolKernels {
    /// Max-pooling forward. Records, per site, the arg-max set (every position equal to the
    /// maximum). With `forced`, each site's arg-max set is taken from `forced` and the output is
    /// the maximum, in this precision, over that set: the selected smooth piece.
    /// A window holding a NaN outputs NaN and records no decision (first = −1).
    /// `same(p, q)`, when given, proves two input elements (flat indices) equal over ℝ where
    /// the arithmetic cannot (identical computations, `TieProver`): such a pair is a tie.
    @inlinable
    public static func maxForward<A: ScalarArithmetic>(_ a: A, _ g: Conv2DShape, x: UnsafeMutablePointer<A.Slot>,
                                                       y: UnsafeMutablePointer<A.Slot>, forced: ArgmaxSets?,
                                                       same: ((Int, Int) -> Bool)? = nil) -> ArgmaxSets {
        let sites = g.n * g.c * g.oh * g.ow
        var first = [Int32](repeating: -1, count: sites)
        // Planes (s, c) are independent: split across the pass's threads, each chunk with its
        // own tied sets — except with a tie prover (`same`), which memoises and spends a budget
        // in call order: then every plane in order on this thread.
        let planes = g.n &* g.c
        let work = sites.multipliedReportingOverflow(by: g.kh &* g.kw)
        let threaded = same == nil && (work.overflow || work.partialValue >= PassThreads.threadedElements)
        let chunkTies = first.withUnsafeMutableBufferPointer { first in
            PassThreads.eachChunk(threaded ? planes : 1, initial: [Int: [Int32]]()) { chunk in
                maxForwardPlanes(a, g, threaded ? chunk : 0..<planes, x: x, y: y, forced: forced, same: same, first: first)
            }
        }
        if forced != nil { return forced! }
        var ties: [Int: [Int32]] = [:]
        for t in chunkTies { ties.merge(t) { old, _ in old } }
        return ArgmaxSets(first: first, ties: ties)
    }

    /// `maxForward` on the planes `(s, c)` with `s·C + c` in `planes`: their outputs and first
    /// arg-maxes written, their tied sets returned.
    @inlinable
    static func maxForwardPlanes<A: ScalarArithmetic>(_ a: A, _ g: Conv2DShape, _ planes: Range<Int>, x: UnsafeMutablePointer<A.Slot>,
                                                      y: UnsafeMutablePointer<A.Slot>, forced: ArgmaxSets?, same: ((Int, Int) -> Bool)?,
                                                      first: UnsafeMutableBufferPointer<Int32>) -> [Int: [Int32]] {
        var ties: [Int: [Int32]] = [:]
        var tied: [Int32] = []
        for sc in planes {
            let s = sc / g.c, c = sc % g.c
            do {
                let plane = x + (s &* g.c &+ c) &* g.h &* g.w
                for oy in 0..<g.oh {
                    for ox in 0..<g.ow {
                        let site = ((s &* g.c &+ c) &* g.oh &+ oy) &* g.ow &+ ox
                        func slot(_ p: Int32) -> UnsafeMutablePointer<A.Slot> { plane + g.windowOffset(oy, ox, Int(p))! }
                        if let forced, !forced.set(site).isEmpty {
                            let set = forced.set(site)
                            var best = set[0]
                            for p in set.dropFirst() where a.compare(slot(p), slot(best)) == 1 { best = p }
                            a.copy(y + site, slot(best))
                            continue
                        }
                        var best: Int32 = -1
                        var nan: Int32 = -1
                        var undecided = false
                        tied.removeAll(keepingCapacity: true)
                        for q in 0..<(g.kh &* g.kw) where g.windowOffset(oy, ox, q) != nil {
                            let p = Int32(q)
                            if a.classify(slot(p)) == .nan {  // not `sign == nil`: an interval meeting 0 is not NaN
                                if nan < 0 { nan = p }
                                continue
                            }
                            if best < 0 {
                                best = p
                                tied.append(p)
                                continue
                            }
                            switch a.compare(slot(p), slot(best)) {
                            case 1?: best = p; tied.removeAll(keepingCapacity: true); tied.append(p)
                            case 0?: tied.append(p)
                            case .some(-1): break
                            default: undecided = true  // not proven: an interval arithmetic
                            }
                        }
                        if nan >= 0 {
                            a.copy(y + site, slot(nan))  // NaN in, NaN out; no decision
                            continue
                        }
                        if undecided {
                            // The arithmetic left an order open: the maximum is still proven when the
                            // entries no other entry is proven above are all proven equal (by the
                            // arithmetic, or by `same`: identical computations).
                            let entries = (0..<(g.kh &* g.kw)).filter { g.windowOffset(oy, ox, $0) != nil }.map { Int32($0) }
                            let base = (s &* g.c &+ c) &* g.h &* g.w
                            func equal(_ p: Int32, _ q: Int32) -> Bool {
                                if a.compare(slot(p), slot(q)) == 0 { return true }
                                guard let same else { return false }
                                return same(base + g.windowOffset(oy, ox, Int(p))!, base + g.windowOffset(oy, ox, Int(q))!)
                            }
                            let candidates = entries.filter { e in !entries.contains { f in f != e && a.compare(slot(f), slot(e)) == 1 } }
                            if let c0 = candidates.first, candidates.dropFirst().allSatisfy({ equal($0, c0) }) {
                                best = c0
                                tied = candidates
                                undecided = false
                            }
                        }
                        if undecided {
                            // Enclose the maximum: the hull of the window's values.
                            a.copy(y + site, slot(best))
                            for q in 0..<(g.kh &* g.kw) where g.windowOffset(oy, ox, q) != nil {
                                a.hull(y + site, y + site, slot(Int32(q)))
                            }
                            first[site] = -2
                            continue
                        }
                        a.copy(y + site, slot(best))
                        first[site] = best
                        if tied.count > 1 { ties[site] = tied }
                    }
                }
            }
        }
        return ties
    }

    /// Max-pooling backward: each site's gradient goes to its arg-max set through the tie rule
    /// (`first`, `last`, or ÷ k to each of k); sites without a decision (NaN) pass NaN to their
    /// whole window. `gx` must be +0 on entry.
    @inlinable
    public static func maxBackward<A: ScalarArithmetic>(_ a: A, _ g: Conv2DShape, decisions: ArgmaxSets,
                                                        tie: DerivativeConvention.TieRule,
                                                        gy: UnsafeMutablePointer<A.Slot>, gx: UnsafeMutablePointer<A.Slot>) {
        let unitStorage = a.makeStorage([0, 1])
        let unit = unitStorage.base
        a.hull(unit, unit, unit + 1)  // [0, 1], read by every chunk
        // The tied sets by site in a dense table, read only by the `last` and `split` rules (the
        // first arg-max is `first[site]`, tied or not): no hashing and no array per site.
        var tiedSets: [[Int32]] = [], tiedIndex: [Int32] = []
        if tie != .first && !decisions.ties.isEmpty {
            tiedIndex = [Int32](repeating: -1, count: decisions.count)
            for (site, set) in decisions.ties {
                tiedIndex[site] = Int32(tiedSets.count)
                tiedSets.append(set)
            }
        }
        // Planes (s, c) are independent (a window never leaves its plane): split across the
        // pass's threads, each chunk with its own scratch.
        PassThreads.forEachElementChunk(g.n &* g.c, grain: g.oh &* g.ow) { planes in
            let scratch = a.makeStorage([0, 0])
            let share = scratch.base, divisor = scratch.base + 1
            for sc in planes {
                let s = sc / g.c, c = sc % g.c
                let plane = gx + (s &* g.c &+ c) &* g.h &* g.w
                for oy in 0..<g.oh {
                    for ox in 0..<g.ow {
                        let site = ((s &* g.c &+ c) &* g.oh &+ oy) &* g.ow &+ ox
                        func slot(_ p: Int) -> UnsafeMutablePointer<A.Slot>? { g.windowOffset(oy, ox, p).map { plane + $0 } }
                        let first = decisions.first[site]
                        if first >= 0 && (tie == .first || tiedIndex.isEmpty || tiedIndex[site] < 0) {
                            // One arg-max, or the first of a tie under the `first` rule.
                            let t = slot(Int(first))!
                            a.add(t, t, gy + site)
                            continue
                        }
                        let set = first >= 0 ? tiedSets[Int(tiedIndex[site])] : decisions.set(site)
                        if decisions.isUndecided(site) {
                            // Any position may be the maximum: each gets an enclosure of gy·[0, 1].
                            a.multiply(share, gy + site, unit)
                            for p in 0..<(g.kh * g.kw) { if let t = slot(p) { a.add(t, t, share) } }
                            continue
                        }
                        if set.isEmpty {
                            a.set(share, .nan)
                            for p in 0..<(g.kh * g.kw) { if let t = slot(p) { a.add(t, t, share) } }
                            continue
                        }
                        if set.count == 1 || tie == .first {
                            let t = slot(Int(set[0]))!
                            a.add(t, t, gy + site)
                        } else if tie == .last {
                            let t = slot(Int(set[set.count - 1]))!
                            a.add(t, t, gy + site)
                        } else {
                            a.set(divisor, Double(set.count))
                            a.divide(share, gy + site, divisor)
                            for p in set { let t = slot(Int(p))!; a.add(t, t, share) }
                        }
                    }
                }
            }
            withExtendedLifetime(scratch) {}
        }
        withExtendedLifetime(unitStorage) {}
    }

    /// Average-pooling forward: the window's real values summed row-major from +0, divided by
    /// `kh·kw` (padding counts in the divisor, PyTorch's default) or, without
    /// `countIncludePad`, by the number of the window's positions on the input.
    @inlinable
    public static func avgForward<A: ScalarArithmetic>(_ a: A, _ g: Conv2DShape, x: UnsafeMutablePointer<A.Slot>, y: UnsafeMutablePointer<A.Slot>,
                                                       countIncludePad: Bool = true) {
        // Planes (s, c) are independent: split across the pass's threads.
        PassThreads.forEachElementChunk(g.n &* g.c, grain: g.oh &* g.ow &* g.kh &* g.kw) { planes in
            let scratch = a.makeStorage([Double(g.kh * g.kw)])
            let divisor = scratch.base
            for sc in planes {
                let s = sc / g.c, c = sc % g.c
                let plane = x + (s &* g.c &+ c) &* g.h &* g.w
                for oy in 0..<g.oh {
                    for ox in 0..<g.ow {
                        let out = y + (((s &* g.c &+ c) &* g.oh &+ oy) &* g.ow &+ ox)
                        var real = 0
                        for p in 0..<(g.kh &* g.kw) {
                            if let o = g.windowOffset(oy, ox, p) { a.add(out, out, plane + o); real &+= 1 }
                        }
                        if !countIncludePad { a.set(divisor, Double(real)) }
                        a.divide(out, out, divisor)
                    }
                }
            }
            withExtendedLifetime(scratch) {}
        }
    }

    /// Average-pooling backward: `q = gy ÷ d` (d as in forward) added to each real position of
    /// the window, windows in output order. `gx` must be +0 on entry.
    @inlinable
    public static func avgBackward<A: ScalarArithmetic>(_ a: A, _ g: Conv2DShape, gy: UnsafeMutablePointer<A.Slot>, gx: UnsafeMutablePointer<A.Slot>,
                                                        countIncludePad: Bool = true) {
        // Planes (s, c) are independent (a window never leaves its plane): split across the
        // pass's threads.
        PassThreads.forEachElementChunk(g.n &* g.c, grain: g.oh &* g.ow &* g.kh &* g.kw) { planes in
            let scratch = a.makeStorage([Double(g.kh * g.kw), 0])
            let divisor = scratch.base, q = scratch.base + 1
            for sc in planes {
                let s = sc / g.c, c = sc % g.c
                let plane = gx + (s &* g.c &+ c) &* g.h &* g.w
                for oy in 0..<g.oh {
                    for ox in 0..<g.ow {
                        if !countIncludePad {
                            var real = 0
                            for p in 0..<(g.kh &* g.kw) where g.windowOffset(oy, ox, p) != nil { real &+= 1 }
                            a.set(divisor, Double(real))
                        }
                        a.divide(q, gy + (((s &* g.c &+ c) &* g.oh &+ oy) &* g.ow &+ ox), divisor)
                        for p in 0..<(g.kh &* g.kw) {
                            if let o = g.windowOffset(oy, ox, p) { a.add(plane + o, plane + o, q) }
                        }
                    }
                }
            }
            withExtendedLifetime(scratch) {}
        }
    }
}
