/// The geometry of one conv2d or pooling application, with the index maps its kernels share.
public struct Conv2DShape: Sendable, Equatable {
    public var n, c, h, w: Int          // input [N, C, H, W]
    public var o, kh, kw: Int           // weight [O, C/groups, kh, kw] (pooling: o = c)
    public var oh, ow: Int              // output [N, O, oh, ow]
    public var sh, sw, ph, pw, dh, dw: Int
    public var groups: Int

    public init(n: Int, c: Int, h: Int, w: Int, o: Int, kh: Int, kw: Int,
                sh: Int, sw: Int, ph: Int, pw: Int, dh: Int, dw: Int, groups: Int) {
        self.n = n; self.c = c; self.h = h; self.w = w
        self.o = o; self.kh = kh; self.kw = kw
        self.sh = sh; self.sw = sw; self.ph = ph; self.pw = pw; self.dh = dh; self.dw = dw
        self.groups = groups
        oh = ConvGeometry.outputExtent(h, kernel: kh, stride: sh, padding: ph, dilation: dh)
        ow = ConvGeometry.outputExtent(w, kernel: kw, stride: sw, padding: pw, dilation: dw)
    }

    /// Input channels per group.
    @inlinable public var cg: Int { c / groups }
    /// Output channels per group.
    @inlinable public var og: Int { o / groups }

    /// The output columns `ox` whose input column `ox·sw − pw + j·dw` lies inside `[0, w)`.
    @inlinable public func columns(_ j: Int) -> Range<Int> {
        let offset = j &* dw &- pw
        let lo = Conv2DShape.ceilDiv(-offset, sw)
        let hi = Conv2DShape.floorDiv(w &- 1 &- offset, sw) &+ 1
        return Swift.max(lo, 0)..<Swift.max(Swift.min(hi, ow), Swift.max(lo, 0))
    }
    /// The output rows `oy` whose input row `oy·sh − ph + i·dh` lies inside `[0, h)`.
    @inlinable public func rows(_ i: Int) -> Range<Int> {
        let offset = i &* dh &- ph
        let lo = Conv2DShape.ceilDiv(-offset, sh)
        let hi = Conv2DShape.floorDiv(h &- 1 &- offset, sh) &+ 1
        return Swift.max(lo, 0)..<Swift.max(Swift.min(hi, oh), Swift.max(lo, 0))
    }

    /// The in-plane input offset of window position `p` (row-major in the `kh × kw` window) of
    /// output `(oy, ox)`, or nil where the window lies on padding.
    @inlinable public func windowOffset(_ oy: Int, _ ox: Int, _ p: Int) -> Int? {
        let iy = oy &* sh &- ph &+ (p / kw) &* dh, ix = ox &* sw &- pw &+ (p % kw) &* dw
        guard iy >= 0 && iy < h && ix >= 0 && ix < w else { return nil }
        return iy &* w &+ ix
    }

    /// The unfolding (im2col) of one group's input: for every tap `(cl, i, j)` of the filter
    /// (`tap = (cl·kh + i)·kw + j`) and every output position (row-major), the offset of the
    /// input it meets within the group's `cg` consecutive channel planes, nil on padding; taps
    /// outermost. The walk shared by the unfolded kernels.
    @inlinable public func forEachTap(_ body: (_ tap: Int, _ position: Int, _ input: Int?) -> Void) {
        let plane = h &* w
        for cl in 0..<cg {
            for i in 0..<kh {
                for j in 0..<kw {
                    let tap = (cl &* kh &+ i) &* kw &+ j
                    for oy in 0..<oh {
                        let iy = oy &* sh &- ph &+ i &* dh
                        for ox in 0..<ow {
                            let ix = ox &* sw &- pw &+ j &* dw
                            let inside = iy >= 0 && iy < h && ix >= 0 && ix < w
                            body(tap, oy &* ow &+ ox, inside ? cl &* plane &+ iy &* w &+ ix : nil)
                        }
                    }
                }
            }
        }
    }

    /// Pooling (`o == c`): the flat input index of window position `p` of pooled output `site`
    /// (flat over `[N, C, oh, ow]`), nil where the window lies on padding.
    public func poolInput(_ site: Int, _ p: Int) -> Int? {
        let ox = site % ow, oy = (site / ow) % oh, plane = site / (ow * oh)
        return windowOffset(oy, ox, p).map { plane * h * w + $0 }
    }

    @inlinable static func floorDiv(_ a: Int, _ b: Int) -> Int { a >= 0 ? a / b : -((-a + b - 1) / b) }
    @inlinable static func ceilDiv(_ a: Int, _ b: Int) -> Int { -floorDiv(-a, b) }
}

/// `conv2d` (PyTorch semantics, zero padding, stride, dilation, groups) and its backward.
///
/// Arithmetic model (default): `y[s,oc,oy,ox]` starts from +0, adds `fl(x·W[oc,c,i,j])` over the
/// weight's `(c, i, j)` in row-major order, skipping padded positions, then adds `b[oc]`. The
/// loops put `(c, i, j)` outside the output positions, so each output's sum stays in that order
/// while the inner loop runs along an output row.
public enum Conv2DKernels {
    /// With `countingFlushes`, returns the number of products `x·W` that flush when the
    /// unfolded matrix products counted them (`FlushCounting.conv2d`'s count: the products
    /// with a padded +0 are never flushes), else `nil`.
    @inlinable @discardableResult
    public static func forward<A: ScalarArithmetic>(_ a: A, _ accumulation: ArithmeticModel.Accumulation, _ g: Conv2DShape,
                                                    x: UnsafeMutablePointer<A.Slot>, w: UnsafeMutablePointer<A.Slot>,
                                                    b: UnsafeMutablePointer<A.Slot>?, y: UnsafeMutablePointer<A.Slot>,
                                                    countingFlushes: Bool = false) -> Int? {
        if accumulation == .widerAccumulator {
            wideForward(a, g, x: x, w: w, b: b, y: y)
            return nil
        }
        let fused = accumulation == .fusedMultiplyAdd
        if a.traits.isFixedWidth && allFinite(a, w, g.o &* g.cg &* g.kh &* g.kw) {
            return unfoldedForward(a, fused, g, x: x, w: w, b: b, y: y, countingFlushes: countingFlushes)
        }
        let planeIn = g.h &* g.w, planeOut = g.oh &* g.ow
        for s in 0..<g.n {
            for oc in 0..<g.o {
                let group = oc / g.og
                let yo = y + (s &* g.o &+ oc) &* planeOut
                for cl in 0..<g.cg {
                    let xc = x + (s &* g.c &+ group &* g.cg &+ cl) &* planeIn
                    for i in 0..<g.kh {
                        let rows = g.rows(i)
                        for j in 0..<g.kw {
                            let wv = w + (((oc &* g.cg &+ cl) &* g.kh &+ i) &* g.kw &+ j)
                            let cols = g.columns(j)
                            for oy in rows {
                                let iy: Int = oy &* g.sh &- g.ph &+ i &* g.dh
                                // Offsets stay integers until they are in bounds.
                                let rowStart: Int = iy &* g.w &+ (j &* g.dw &- g.pw)
                                let yrow = yo + oy &* g.ow
                                if !cols.isEmpty {
                                    a.axpy(yrow + cols.lowerBound, 1, wv, xc + (rowStart &+ cols.lowerBound &* g.sw), g.sw, cols.count, fused: fused)
                                }
                            }
                        }
                    }
                }
                if let b {
                    for q in 0..<planeOut { a.add(yo + q, yo + q, b + oc) }
                }
            }
        }
        return nil
    }

    @inlinable
    static func allFinite<A: ScalarArithmetic>(_ a: A, _ p: UnsafeMutablePointer<A.Slot>, _ n: Int) -> Bool {
        for k in 0..<n {
            let c = a.classify(p + k)
            if c == .nan || c == .infinite { return false }
        }
        return true
    }

    /// The default forward through unfolded rows (im2col): for each sample and group, row
    /// `k = (c, i, j)` holds the input each output position meets at that kernel offset (+0 at
    /// padded positions), and each output channel is `Σ_k w[oc, k] · row_k`, one long axpy per
    /// `k`, in the documented order. Bit-identical to skipping padded positions: a term
    /// `fl(0·w) = ±0` (w finite, checked by the caller) leaves an accumulator unchanged, because
    /// a sum started at +0 under round-to-nearest is never −0.
    @inlinable
    static func unfoldedForward<A: ScalarArithmetic>(_ a: A, _ fused: Bool, _ g: Conv2DShape, x: UnsafeMutablePointer<A.Slot>,
                                                     w: UnsafeMutablePointer<A.Slot>, b: UnsafeMutablePointer<A.Slot>?,
                                                     y: UnsafeMutablePointer<A.Slot>, countingFlushes: Bool) -> Int? {
        let k = g.cg &* g.kh &* g.kw, positions = g.oh &* g.ow, planeIn = g.h &* g.w
        // Samples are independent: split across the pass's threads (`PassThreads`), each with
        // its own unfolded rows.
        return PassThreads.sumIfCounted(g.n) { samples in
            let a = a.independentCopy()
            let rows = a.makeStorage(count: k &* positions + 1)
            let col = rows.base, zero = rows.base + k &* positions
            var flushed: Int? = countingFlushes ? 0 : nil
            for s in samples {
                for group in 0..<g.groups {
                    g.unfold(a, x + (s &* g.c &+ group &* g.cg) &* planeIn, into: col, zero: zero)
                    // y[oc, ·] += W[oc, q] · row_q for q increasing, every output channel of
                    // the group at once (register-blocked for the formats that have it).
                    let oc0 = group &* g.og
                    let counted = Gemm.product(a, y + (s &* g.o &+ oc0) &* positions, positions, w + oc0 &* k, k, 1, col, positions,
                                               rows: g.og, cols: positions, depth: k, fused: fused, counting: flushed != nil)
                    flushed = counted.flatMap { c in flushed.map { $0 &+ c } }
                    if let b {
                        for oc in oc0..<(oc0 &+ g.og) {
                            let yo = y + (s &* g.o &+ oc) &* positions
                            for q in 0..<positions { a.add(yo + q, yo + q, b + oc) }
                        }
                    }
                }
            }
            withExtendedLifetime(rows) {}
            return flushed
        }
    }


    @inlinable
    static func wideForward<A: ScalarArithmetic>(_ a: A, _ g: Conv2DShape, x: UnsafeMutablePointer<A.Slot>, w: UnsafeMutablePointer<A.Slot>,
                                                 b: UnsafeMutablePointer<A.Slot>?, y: UnsafeMutablePointer<A.Slot>) {
        let format = a.traits.widerAccumulator!
        let xd = Accumulate.exactDoubles(a, x, g.n * g.c * g.h * g.w)
        let wd = Accumulate.exactDoubles(a, w, g.o * g.cg * g.kh * g.kw)
        let bd = b.map { Accumulate.exactDoubles(a, $0, g.o) }
        for s in 0..<g.n {
            for oc in 0..<g.o {
                let group = oc / g.og
                for oy in 0..<g.oh {
                    for ox in 0..<g.ow {
                        var acc = WideSum(format)
                        for cl in 0..<g.cg {
                            let c = group * g.cg + cl
                            for i in 0..<g.kh {
                                let iy = oy * g.sh - g.ph + i * g.dh
                                guard iy >= 0 && iy < g.h else { continue }
                                for j in 0..<g.kw {
                                    let ix = ox * g.sw - g.pw + j * g.dw
                                    guard ix >= 0 && ix < g.w else { continue }
                                    acc.add(xd[((s * g.c + c) * g.h + iy) * g.w + ix] * wd[((oc * g.cg + cl) * g.kh + i) * g.kw + j])
                                }
                            }
                        }
                        if let bd { acc.add(bd[oc]) }
                        a.set(y + (((s * g.o + oc) * g.oh + oy) * g.ow + ox), acc.value)
                    }
                }
            }
        }
    }

    /// Gradients (outputs +0 on entry, nil ones skipped):
    /// - `gW[oc,c,i,j] = Σ_s Σ_(oy,ox) gy·x` — samples outermost, positions row-major;
    /// - `gb[oc] = Σ_s Σ_(oy,ox) gy`;
    /// - `gx[s,c,iy,ix] = Σ_oc Σ_(i,j) gy·W` — over `(oc, i, j)` increasing.
    ///
    /// With `countingFlushes`, returns the numbers of products `gy·x` (weight) and `gy·W`
    /// (input) that flush where the unfolded matrix products counted them, else `nil`.
    @inlinable @discardableResult
    public static func backward<A: ScalarArithmetic>(_ a: A, _ accumulation: ArithmeticModel.Accumulation, _ g: Conv2DShape,
                                                     x: UnsafeMutablePointer<A.Slot>, w: UnsafeMutablePointer<A.Slot>,
                                                     gy: UnsafeMutablePointer<A.Slot>,
                                                     gx: UnsafeMutablePointer<A.Slot>?, gw: UnsafeMutablePointer<A.Slot>?,
                                                     gb: UnsafeMutablePointer<A.Slot>?,
                                                     countingFlushes: FlushCounting.Wanted = .none) -> (input: Int?, weight: Int?) {
        if accumulation == .widerAccumulator {
            wideBackward(a, g, x: x, w: w, gy: gy, gx: gx, gw: gw, gb: gb)
            return (nil, nil)
        }
        var flushed: (input: Int?, weight: Int?) = (nil, nil)
        let fused = accumulation == .fusedMultiplyAdd
        // MPFR keeps the row-by-row dot products (its operations cost far more than a call); the
        // fixed-width arithmetics take the unfolded kernels, or the weight gradient across output
        // channels where a non-finite gy rules the unfolding out.
        // The formats take the unfolded kernels (matrix products in the documented order) when
        // the zeros they put at padded positions add nothing: `fl(0·v)` is ±0, which leaves a
        // sum started at +0 unchanged, only when `v` is finite — `gy` for the weight gradient,
        // `W` for the input gradient. Otherwise the loops that skip padded terms.
        let point = a.traits.isFixedWidth && !a.traits.isEnclosure
        let unfoldedGradient = gw != nil && a.traits.isFixedWidth
            && (a.traits.isEnclosure || allFinite(a, gy, g.n &* g.o &* g.oh &* g.ow))
        let acrossChannels = gw != nil && a.traits.isFixedWidth && !unfoldedGradient
        if unfoldedGradient, let gw {
            flushed.weight = weightGradientUnfolded(a, g, x: x, gy: gy, gw: gw, fused: fused, countingFlushes: countingFlushes.weight)
        }
        let unfoldedInputGradient = gx != nil && a.traits.isFixedWidth
            && (a.traits.isEnclosure || allFinite(a, w, g.o &* g.cg &* g.kh &* g.kw))
        if unfoldedInputGradient, let gx {
            if point {
                flushed.input = inputGradientInOrder(a, g, w: w, gy: gy, gx: gx, fused: fused, countingFlushes: countingFlushes.input)
            } else {
                inputGradientUnfolded(a, g, w: w, gy: gy, gx: gx, fused: fused)
            }
        }
        if acrossChannels, let gw { weightGradientAcrossChannels(a, g, x: x, gy: gy, gw: gw, fused: fused) }
        let planeIn = g.h &* g.w, planeOut = g.oh &* g.ow
        if let gb {
            for s in 0..<g.n {
                for oc in 0..<g.o {
                    let gyo = gy + (s &* g.o &+ oc) &* planeOut
                    for q in 0..<planeOut { a.add(gb + oc, gb + oc, gyo + q) }
                }
            }
        }
        let dots = gw != nil && !acrossChannels && !unfoldedGradient
        guard dots || (gx != nil && !unfoldedInputGradient) else { return flushed }
        // Samples are independent for gx; the row-by-row dot products of gW (MPFR) sum over
        // samples, so with them the loop stays on this thread.
        PassThreads.forEachChunk(dots ? 1 : g.n) { chunk in
            let a = a.independentCopy()
            for s in (dots ? 0..<g.n : chunk) {
                for oc in 0..<g.o {
                    let group = oc / g.og
                    let gyo = gy + (s &* g.o &+ oc) &* planeOut
                    for cl in 0..<g.cg {
                        let plane = (s &* g.c &+ group &* g.cg &+ cl) &* planeIn
                        for i in 0..<g.kh {
                            let rows = g.rows(i)
                            for j in 0..<g.kw {
                                let wi = ((oc &* g.cg &+ cl) &* g.kh &+ i) &* g.kw &+ j
                                let cols = g.columns(j)
                                for oy in rows {
                                    let iy: Int = oy &* g.sh &- g.ph &+ i &* g.dh
                                    let inRow: Int = plane &+ iy &* g.w &+ (j &* g.dw &- g.pw)
                                    let gyrow = gyo + oy &* g.ow
                                    guard !cols.isEmpty else { continue }
                                    let first = inRow &+ cols.lowerBound &* g.sw
                                    if let gw, !acrossChannels && !unfoldedGradient {
                                        a.dotAccumulate(gw + wi, gyrow + cols.lowerBound, 1, x + first, g.sw, cols.count, fused: fused)
                                    }
                                    if let gx, !unfoldedInputGradient {
                                        a.axpy(gx + first, g.sw, w + wi, gyrow + cols.lowerBound, 1, cols.count, fused: fused)
                                    }
                                }
                            }
                        }
                    }
                }
            }
        }
        return flushed
    }

    /// `gW` (+0 on entry) with the terms of every entry in the documented order — samples, then
    /// output positions row-major — but with the output channels innermost: at each position,
    /// `gWᵀ[tap, oc] += x[position + tap] · gy[position, oc]` for every `oc` of the group is one
    /// `axpy` over a transposed copy of `gy`. Each entry is still one sequential sum (the same
    /// bits as the row-by-row dot products; the product is commutative), but the arithmetic now
    /// advances many independent sums per instruction instead of waiting on one: a sequential
    /// sum is latency-bound, most of all in the emulated formats (three conversions per term).
    @inlinable
    static func weightGradientAcrossChannels<A: ScalarArithmetic>(_ a: A, _ g: Conv2DShape, x: UnsafeMutablePointer<A.Slot>,
                                                                  gy: UnsafeMutablePointer<A.Slot>, gw: UnsafeMutablePointer<A.Slot>,
                                                                  fused: Bool) {
        let planeIn = g.h &* g.w, planeOut = g.oh &* g.ow, taps = g.cg &* g.kh &* g.kw
        let transposed = a.makeStorage(count: g.n &* planeOut &* g.o), accumulators = a.makeStorage(count: taps &* g.o)
        let gyT = transposed.base, gwT = accumulators.base  // gyT [n, oh·ow, o], gwT [tap, o], +0
        for s in 0..<g.n {
            for oc in 0..<g.o {
                let fromOffset: Int = (s &* g.o &+ oc) &* planeOut, toOffset: Int = s &* planeOut &* g.o &+ oc
                let from = gy + fromOffset, to = gyT + toOffset
                for q in 0..<planeOut { a.copy(to + q &* g.o, from + q) }
            }
        }
        // Output channels are independent: split across the pass's threads, each advancing its
        // channels' sums (the same terms in the same order: an axpy is elementwise).
        PassThreads.forEachChunk(g.o) { channels in
            let a = a.independentCopy()
            for s in 0..<g.n {
                for group in 0..<g.groups {
                    let oc0 = Swift.max(group &* g.og, channels.lowerBound), oc1 = Swift.min((group &+ 1) &* g.og, channels.upperBound)
                    guard oc0 < oc1 else { continue }
                    for cl in 0..<g.cg {
                        let planeOffset: Int = (s &* g.c &+ group &* g.cg &+ cl) &* planeIn
                        let plane = x + planeOffset
                        for i in 0..<g.kh {
                            for j in 0..<g.kw {
                                let tapOffset: Int = ((cl &* g.kh &+ i) &* g.kw &+ j) &* g.o &+ oc0
                                let r = gwT + tapOffset
                                let cols = g.columns(j)
                                guard !cols.isEmpty else { continue }
                                for oy in g.rows(i) {
                                    let iy: Int = oy &* g.sh &- g.ph &+ i &* g.dh
                                    let rowOffset: Int = iy &* g.w &+ (j &* g.dw &- g.pw)
                                    let gyOffset: Int = (s &* planeOut &+ oy &* g.ow) &* g.o &+ oc0
                                    let inRow = plane + rowOffset, gyRow = gyT + gyOffset
                                    for ox in cols {
                                        a.axpy(r, 1, inRow + ox &* g.sw, gyRow + ox &* g.o, 1, oc1 &- oc0, fused: fused)
                                    }
                                }
                            }
                        }
                    }
                }
            }
        }
        for oc in 0..<g.o {
            for tap in 0..<taps { a.copy(gw + (oc &* taps &+ tap), gwT + (tap &* g.o &+ oc)) }
        }
        withExtendedLifetime((transposed, accumulators)) {}
    }

    /// `gx` (+0 on entry) for the formats, in the documented order — `(oc, i, j)` increasing —
    /// as one matrix product per sample and group: `gcol[(oc, i, j), input position]` holds the
    /// `gy[s, oc, oy, ox]` whose window puts tap `(i, j)` on that input (+0 where none does), and
    /// `gx[c, ·] += W[oc, c, i, j] · gcol[(oc, i, j), ·]` over `(oc, i, j)` increasing. The terms
    /// the loop form skips are `fl(0·W) = ±0` here, which leave a sum started at +0 unchanged
    /// (`W` finite: checked by the caller).
    @inlinable
    static func inputGradientInOrder<A: ScalarArithmetic>(_ a: A, _ g: Conv2DShape, w: UnsafeMutablePointer<A.Slot>,
                                                          gy: UnsafeMutablePointer<A.Slot>, gx: UnsafeMutablePointer<A.Slot>,
                                                          fused: Bool, countingFlushes: Bool) -> Int? {
        let depth = g.og &* g.kh &* g.kw, positions = g.oh &* g.ow, planeIn = g.h &* g.w
        // Wᵀ per group: wT[group][c, (oc, i, j)] = W[group·og + oc, c, i, j].
        let transposed = a.makeStorage(count: g.groups &* g.cg &* depth)
        let wT = transposed.base
        for group in 0..<g.groups { g.transposeWeights(a, w, group: group, into: wT + group &* g.cg &* depth) }
        let flushed = PassThreads.sumIfCounted(g.n) { samples in  // samples are independent
            let a = a.independentCopy()
            // Entries no window reaches are the same for every sample: +0 once, never written.
            let rows = a.makeStorage(count: depth &* planeIn)
            let gcol = rows.base
            var flushed: Int? = countingFlushes ? 0 : nil
            for s in samples {
                for group in 0..<g.groups {
                    g.unfoldGradient(a, gy + (s &* g.o &+ group &* g.og) &* positions, into: gcol)
                    let gxOffset: Int = (s &* g.c &+ group &* g.cg) &* planeIn, wOffset: Int = group &* g.cg &* depth
                    let counted = Gemm.product(a, gx + gxOffset, planeIn, wT + wOffset, depth, 1, gcol, planeIn,
                                               rows: g.cg, cols: planeIn, depth: depth, fused: fused, counting: flushed != nil)
                    flushed = counted.flatMap { c in flushed.map { $0 &+ c } }
                }
            }
            withExtendedLifetime(rows) {}
            return flushed
        }
        withExtendedLifetime(transposed) {}
        return flushed
    }

    /// `gx` (+0 on entry) for enclosures: per sample and group, the unfolded gradient
    /// `gcolT[position, ·] += gy[s, oc, position] · W[oc, ·]` over the group's output channels
    /// `oc` increasing — one matrix product (`matrixAccumulate`: the balls' register-blocked
    /// tiles), the bits of one `axpy` as long as a filter per output channel and position —
    /// then each entry added to the input it came from (col2im). Another order of summation
    /// than the documented one, which an enclosure may take: every order encloses the exact sum
    /// (only enclosures come here; the formats keep theirs).
    @inlinable
    static func inputGradientUnfolded<A: ScalarArithmetic>(_ a: A, _ g: Conv2DShape, w: UnsafeMutablePointer<A.Slot>,
                                                           gy: UnsafeMutablePointer<A.Slot>, gx: UnsafeMutablePointer<A.Slot>,
                                                           fused: Bool) {
        let taps = g.cg &* g.kh &* g.kw, positions = g.oh &* g.ow, planeIn = g.h &* g.w
        PassThreads.forEachChunk(g.n) { samples in  // samples are independent
            let a = a.independentCopy()
            for s in samples {
                for group in 0..<g.groups {
                    let rows = a.makeStorage(count: positions &* taps)  // gcolT [position, tap], +0
                    let gcolT = rows.base
                    // a[position, oc] = gy[s, group·og + oc, position]: lda 1, ak = positions.
                    let oc0 = group &* g.og
                    a.matrixAccumulate(gcolT, taps, gy + (s &* g.o &+ oc0) &* positions, 1, positions, w + oc0 &* taps, taps,
                                       rows: positions, cols: taps, depth: g.og, fused: fused)
                    let gxg = gx + (s &* g.c &+ group &* g.cg) &* planeIn
                    g.forEachTap { tap, position, input in
                        guard let input else { return }
                        a.add(gxg + input, gxg + input, gcolT + (position &* taps &+ tap))
                    }
                    withExtendedLifetime(rows) {}
                }
            }
        }
    }

    /// `gW` (+0 on entry) in the documented order — samples, then output positions row-major —
    /// through the unfolded input: per sample and group, `colT[position, tap]` holds the input
    /// each tap meets there (+0 at padded positions: it adds nothing to an enclosure, nor to a
    /// format's sum when `gy` is finite, which the caller checks), and `gW[oc, ·] += gy[s, oc,
    /// position] · colT[position, ·]` for every position in order is one matrix product per
    /// sample and group. The reference's vectorised row kernels need long rows (a group may
    /// have few output channels); the formats' register-blocked tiles need the product form.
    @inlinable
    static func weightGradientUnfolded<A: ScalarArithmetic>(_ a: A, _ g: Conv2DShape, x: UnsafeMutablePointer<A.Slot>,
                                                            gy: UnsafeMutablePointer<A.Slot>, gw: UnsafeMutablePointer<A.Slot>,
                                                            fused: Bool, countingFlushes: Bool) -> Int? {
        let taps = g.cg &* g.kh &* g.kw, positions = g.oh &* g.ow, planeIn = g.h &* g.w
        // Output channels are independent (each sums over every sample): split across the
        // pass's threads, each unfolding the groups its channels need.
        return PassThreads.sumIfCounted(g.o) { channels in
            let a = a.independentCopy()
            let rows = a.makeStorage(count: positions &* taps &+ 1)
            let colT = rows.base, zero = rows.base + positions &* taps
            let groups = (channels.lowerBound / g.og)..<((channels.upperBound &+ g.og &- 1) / g.og)
            var flushed: Int? = countingFlushes ? 0 : nil
            for s in 0..<g.n {
                for group in groups {
                    g.unfoldTransposed(a, x + (s &* g.c &+ group &* g.cg) &* planeIn, into: colT, zero: zero)
                    // gW[oc, ·] += gy[s, oc, p] · colT[p, ·] for p increasing: the group's
                    // channels in this chunk as one matrix product.
                    let oc0 = Swift.max(group &* g.og, channels.lowerBound), oc1 = Swift.min((group &+ 1) &* g.og, channels.upperBound)
                    guard oc0 < oc1 else { continue }
                    let counted = Gemm.product(a, gw + oc0 &* taps, taps, gy + (s &* g.o &+ oc0) &* positions, positions, 1, colT, taps,
                                               rows: oc1 &- oc0, cols: taps, depth: positions, fused: fused, counting: flushed != nil)
                    flushed = counted.flatMap { c in flushed.map { $0 &+ c } }
                }
            }
            withExtendedLifetime(rows) {}
            return flushed
        }
    }

    @inlinable
    static func wideBackward<A: ScalarArithmetic>(_ a: A, _ g: Conv2DShape, x: UnsafeMutablePointer<A.Slot>, w: UnsafeMutablePointer<A.Slot>,
                                                  gy: UnsafeMutablePointer<A.Slot>, gx: UnsafeMutablePointer<A.Slot>?,
                                                  gw: UnsafeMutablePointer<A.Slot>?, gb: UnsafeMutablePointer<A.Slot>?) {
        let format = a.traits.widerAccumulator!
        let xd = Accumulate.exactDoubles(a, x, g.n * g.c * g.h * g.w)
        let wd = Accumulate.exactDoubles(a, w, g.o * g.cg * g.kh * g.kw)
        let gd = Accumulate.exactDoubles(a, gy, g.n * g.o * g.oh * g.ow)
        var gxAcc = [WideSum](repeating: WideSum(format), count: gx == nil ? 0 : xd.count)
        var gwAcc = [WideSum](repeating: WideSum(format), count: gw == nil ? 0 : wd.count)
        var gbAcc = [WideSum](repeating: WideSum(format), count: gb == nil ? 0 : g.o)
        // Same loop nest, hence the same order, as the default kernel.
        for s in 0..<g.n {
            for oc in 0..<g.o {
                let group = oc / g.og
                let gyo = (s * g.o + oc) * g.oh * g.ow
                if gb != nil { for q in 0..<(g.oh * g.ow) { gbAcc[oc].add(gd[gyo + q]) } }
                for cl in 0..<g.cg {
                    let plane = (s * g.c + group * g.cg + cl) * g.h * g.w
                    for i in 0..<g.kh {
                        for j in 0..<g.kw {
                            let wi = ((oc * g.cg + cl) * g.kh + i) * g.kw + j
                            for oy in g.rows(i) {
                                let iy: Int = oy * g.sh - g.ph + i * g.dh
                                let inRow: Int = plane + iy * g.w + (j * g.dw - g.pw)
                                for ox in g.columns(j) {
                                    let xi = inRow + ox * g.sw, gi = gyo + oy * g.ow + ox
                                    if gw != nil { gwAcc[wi].add(gd[gi] * xd[xi]) }
                                    if gx != nil { gxAcc[xi].add(gd[gi] * wd[wi]) }
                                }
                            }
                        }
                    }
                }
            }
        }
        if let gx { for k in gxAcc.indices { a.set(gx + k, gxAcc[k].value) } }
        if let gw { for k in gwAcc.indices { a.set(gw + k, gwAcc[k].value) } }
        if let gb { for k in gbAcc.indices { a.set(gb + k, gbAcc[k].value) } }
    }
}
