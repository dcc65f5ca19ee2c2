/// Counting products of nonzero finite operands that underflow to zero (range event `flushed`).
///
/// Rounding is monotone, so if the product of the two smallest magnitudes sharing an index does
/// not underflow, none of that index's products does: most indices are settled by one multiply,
/// and only the others are counted product by product. MPFR never underflows here: skipped.
public enum FlushCounting {
    /// Σ over `k < shared` of the number of pairs `(u[k·uk + r·ur], v[k·vk + c·vc])`, `r < nu`,
    /// `c < nv`, whose rounded product is zero although both are nonzero and finite.
    @inlinable
    public static func pairs<A: ScalarArithmetic>(_ a: A, shared: Int,
                                                  u: UnsafeMutablePointer<A.Slot>, uk: Int, ur: Int, nu: Int,
                                                  v: UnsafeMutablePointer<A.Slot>, vk: Int, vc: Int, nv: Int) -> Int {
        if a.precision.isMPFR { return 0 }
        let tmp = a.makeStorage(count: 3)
        let p = tmp.base, minU = tmp.base + 1, minV = tmp.base + 2
        var count = 0
        for k in 0..<shared {
            let ub = u + k &* uk, vb = v + k &* vk
            guard smallest(a, ub, ur, nu, into: minU, scratch: p), smallest(a, vb, vc, nv, into: minV, scratch: p) else { continue }
            a.multiply(p, minU, minV)
            guard a.sign(p) == 0 else { continue }
            for r in 0..<nu { count += a.flushedProducts(ub + r &* ur, vb, vc, nv) }
        }
        withExtendedLifetime(tmp) {}
        return count
    }

    /// Sets `m` to the smallest magnitude among the nonzero finite values `base[r·stride]`,
    /// `r < n`; false when there is none.
    @inlinable
    static func smallest<A: ScalarArithmetic>(_ a: A, _ base: UnsafeMutablePointer<A.Slot>, _ stride: Int, _ n: Int,
                                              into m: UnsafeMutablePointer<A.Slot>, scratch p: UnsafeMutablePointer<A.Slot>) -> Bool {
        var found = false
        for r in 0..<n {
            let e = base + r &* stride
            let kind = a.classify(e)
            guard kind == .normal || kind == .subnormal else { continue }
            a.magnitude(p, e)
            if !found || a.compare(p, m) == -1 { a.copy(m, p); found = true }
        }
        return found
    }

    /// The flushed products of a conv2d forward pass: per input channel, a cheap bound, and the
    /// exact count (over the products the convolution forms) only where the bound allows one.
    @inlinable
    public static func conv2d<A: ScalarArithmetic>(_ a: A, _ g: Conv2DShape, x: UnsafeMutablePointer<A.Slot>, w: UnsafeMutablePointer<A.Slot>) -> Int {
        if a.precision.isMPFR { return 0 }
        var count = 0
        let tmp = a.makeStorage(count: 4)
        let p = tmp.base, minX = tmp.base + 1, minW = tmp.base + 2, m = tmp.base + 3
        for c in 0..<g.c {
            let group = c / g.cg, cl = c % g.cg
            // Bound: the smallest |x| of channel c (all samples) times the smallest |w| meeting it.
            var haveX = false, haveW = false
            for s in 0..<g.n where smallest(a, x + (s * g.c + c) * g.h * g.w, 1, g.h * g.w, into: m, scratch: p) {
                if !haveX || a.compare(m, minX) == -1 { a.copy(minX, m) }
                haveX = true
            }
            for oc in (group * g.og)..<((group + 1) * g.og) where smallest(a, w + (oc * g.cg + cl) * g.kh * g.kw, 1, g.kh * g.kw, into: m, scratch: p) {
                if !haveW || a.compare(m, minW) == -1 { a.copy(minW, m) }
                haveW = true
            }
            guard haveX && haveW else { continue }
            a.multiply(p, minX, minW)
            let possible = a.sign(p) == 0
            guard possible else { continue }
            for s in 0..<g.n {
                let plane = x + (s * g.c + c) * g.h * g.w
                for oc in (group * g.og)..<((group + 1) * g.og) {
                    for i in 0..<g.kh {
                        for j in 0..<g.kw {
                            let wv = w + (((oc * g.cg + cl) * g.kh + i) * g.kw + j)
                            let cols = g.columns(j)
                            guard !cols.isEmpty else { continue }
                            for oy in g.rows(i) {
                                let iy = oy * g.sh - g.ph + i * g.dh
                                let first = plane + (iy * g.w + cols.lowerBound * g.sw - g.pw + j * g.dw)
                                count += a.flushedProducts(wv, first, g.sw, cols.count)
                            }
                        }
                    }
                }
            }
        }
        withExtendedLifetime(tmp) {}
        return count
    }

    /// The flushed products of a conv2d backward pass: `gy·x` (weight gradient) and `gy·W`
    /// (input gradient), each counted only when requested, over exactly the products the
    /// backward kernel forms.
    @inlinable
    public static func conv2dBackward<A: ScalarArithmetic>(_ a: A, _ g: Conv2DShape, x: UnsafeMutablePointer<A.Slot>, w: UnsafeMutablePointer<A.Slot>,
                                                           gy: UnsafeMutablePointer<A.Slot>, weight: Bool, input: Bool) -> Int {
        if a.precision.isMPFR || !(weight || input) { return 0 }
        // Bound first: if the smallest |gy| times the smallest |x| (or |w|) does not underflow,
        // no product of the pass does (rounding is monotone), and nothing needs counting.
        let bound = a.makeStorage(count: 4)
        let gMin = bound.base, other = bound.base + 1, p = bound.base + 2, t = bound.base + 3
        guard smallest(a, gy, 1, g.n * g.o * g.oh * g.ow, into: gMin, scratch: t) else { return 0 }
        var possible = false
        if weight && smallest(a, x, 1, g.n * g.c * g.h * g.w, into: other, scratch: t) {
            a.multiply(p, gMin, other)
            possible = possible || a.sign(p) == 0
        }
        if input && smallest(a, w, 1, g.o * g.cg * g.kh * g.kw, into: other, scratch: t) {
            a.multiply(p, gMin, other)
            possible = possible || a.sign(p) == 0
        }
        guard possible else { return 0 }
        var count = 0
        for s in 0..<g.n {
            for oc in 0..<g.o {
                let group = oc / g.og
                let gyo = gy + (s * g.o + oc) * g.oh * g.ow
                for cl in 0..<g.cg {
                    let plane = x + (s * g.c + group * g.cg + cl) * g.h * g.w
                    for i in 0..<g.kh {
                        for j in 0..<g.kw {
                            let wv = w + (((oc * g.cg + cl) * g.kh + i) * g.kw + j)
                            let cols = g.columns(j)
                            guard !cols.isEmpty else { continue }
                            for oy in g.rows(i) {
                                let iy = oy * g.sh - g.ph + i * g.dh
                                let gyrow = gyo + (oy * g.ow + cols.lowerBound)
                                if weight {
                                    count += a.flushedPairs(gyrow, 1, plane + (iy * g.w + cols.lowerBound * g.sw - g.pw + j * g.dw), g.sw, cols.count)
                                }
                                if input { count += a.flushedProducts(wv, gyrow, 1, cols.count) }
                            }
                        }
                    }
                }
            }
        }
        return count
    }
}
