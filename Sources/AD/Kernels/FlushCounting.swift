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
        if !a.traits.canUnderflow { return 0 }
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

    /// Whether `fl(min|u| · min|v|)` underflows to zero, the minima over the nonzero finite values
    /// of `u` and `v`: if not, no product of a value of `u` with one of `v` does (rounding is
    /// monotone), and a pass needs no product-by-product count.
    @inlinable
    static func mayFlush<A: ScalarArithmetic>(_ a: A, _ u: UnsafeMutablePointer<A.Slot>, _ nu: Int,
                                             _ v: UnsafeMutablePointer<A.Slot>, _ nv: Int) -> Bool {
        let tmp = a.makeStorage(count: 3)
        let minU = tmp.base, minV = tmp.base + 1, p = tmp.base + 2
        guard smallest(a, u, 1, nu, into: minU, scratch: p), smallest(a, v, 1, nv, into: minV, scratch: p) else { return false }
        a.multiply(p, minU, minV)
        return a.sign(p) == 0
    }

    /// The flushed products of a conv2d pass, over exactly the products its kernels form:
    /// forward (`gy == nil`) `x·W`; backward `gy·x` (when `weight`) and `gy·W` (when `input`).
    @inlinable
    public static func conv2d<A: ScalarArithmetic>(_ a: A, _ g: Conv2DShape, x: UnsafeMutablePointer<A.Slot>, w: UnsafeMutablePointer<A.Slot>,
                                                   gy: UnsafeMutablePointer<A.Slot>? = nil, weight: Bool = false, input: Bool = false) -> Int {
        if !a.traits.canUnderflow { return 0 }
        let xCount = g.n * g.c * g.h * g.w, wCount = g.o * g.cg * g.kh * g.kw, gyCount = g.n * g.o * g.oh * g.ow
        let forward = gy == nil
        let countWeight = !forward && weight && mayFlush(a, gy!, gyCount, x, xCount)
        let countInput = !forward && input && mayFlush(a, gy!, gyCount, w, wCount)
        guard forward ? mayFlush(a, x, xCount, w, wCount) : (countWeight || countInput) else { return 0 }
        var count = 0
        for s in 0..<g.n {
            for oc in 0..<g.o {
                let group = oc / g.og
                let gyo = gy.map { $0 + (s * g.o + oc) * g.oh * g.ow }
                for cl in 0..<g.cg {
                    let plane = x + (s * g.c + group * g.cg + cl) * g.h * g.w
                    for i in 0..<g.kh {
                        for j in 0..<g.kw {
                            let wv = w + (((oc * g.cg + cl) * g.kh + i) * g.kw + j)
                            let cols = g.columns(j)
                            guard !cols.isEmpty else { continue }
                            for oy in g.rows(i) {
                                let iy = oy * g.sh - g.ph + i * g.dh
                                let xRun = plane + (iy * g.w + cols.lowerBound * g.sw - g.pw + j * g.dw)
                                guard let gyo else {
                                    count += a.flushedProducts(wv, xRun, g.sw, cols.count)
                                    continue
                                }
                                let gyRun = gyo + (oy * g.ow + cols.lowerBound)
                                if countWeight { count += a.flushedPairs(gyRun, 1, xRun, g.sw, cols.count) }
                                if countInput { count += a.flushedProducts(wv, gyRun, 1, cols.count) }
                            }
                        }
                    }
                }
            }
        }
        return count
    }
}
