/// Counting products of nonzero finite operands that underflow to zero (range event `flushed`).
///
/// Rounding is monotone, so if the product of the two smallest magnitudes sharing an index does
/// not underflow, none of that index's products does: most indices are settled by one multiply,
/// and only the others are counted product by product. MPFR never underflows here: skipped.
public enum FlushCounting {
    /// Which products of a backward pass a kernel should count flushes of while it forms them
    /// (`input`: the input gradient's, `weight`: the weight gradient's).
    public struct Wanted: Sendable, Equatable {
        public var input: Bool, weight: Bool
        @inlinable public init(input: Bool, weight: Bool) {
            self.input = input
            self.weight = weight
        }
        public static let none = Wanted(input: false, weight: false)
    }

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
            guard a.smallestNonzeroFiniteMagnitude(ub, ur, nu, into: minU), a.smallestNonzeroFiniteMagnitude(vb, vc, nv, into: minV) else { continue }
            a.multiply(p, minU, minV)
            guard a.sign(p) == 0 else { continue }
            for r in 0..<nu { count += a.flushedProducts(ub + r &* ur, vb, vc, nv) }
        }
        withExtendedLifetime(tmp) {}
        return count
    }

    /// Whether `fl(min|u| · min|v|)` underflows to zero, the minima over the nonzero finite values
    /// of `u` and `v`: if not, no product of a value of `u` with one of `v` does (rounding is
    /// monotone), and a pass needs no product-by-product count.
    @inlinable
    public static func mayFlush<A: ScalarArithmetic>(_ a: A, _ u: UnsafeMutablePointer<A.Slot>, _ nu: Int,
                                                    _ v: UnsafeMutablePointer<A.Slot>, _ nv: Int) -> Bool {
        if !a.traits.canUnderflow { return false }
        let tmp = a.makeStorage(count: 3)
        let minU = tmp.base, minV = tmp.base + 1, p = tmp.base + 2
        guard smallestNonzeroFiniteMagnitude(a, u, nu, into: minU), smallestNonzeroFiniteMagnitude(a, v, nv, into: minV) else { return false }
        a.multiply(p, minU, minV)
        return a.sign(p) == 0
    }

    /// `smallestNonzeroFiniteMagnitude` over `x[0..<n]`, in chunks on the pass's threads for
    /// fixed-width arithmetics and large tensors (whole weight tensors are scanned every pass):
    /// each chunk's minimum (or +0 when it has none, which the last scan skips) then the minimum
    /// of those — the same value for any split.
    @inlinable
    public static func smallestNonzeroFiniteMagnitude<A: ScalarArithmetic>(_ a: A, _ x: UnsafeMutablePointer<A.Slot>, _ n: Int,
                                                                          into m: UnsafeMutablePointer<A.Slot>) -> Bool {
        let chunks = PassThreads.chunks(n >> 16)
        guard chunks > 1 && a.traits.isFixedWidth else { return a.smallestNonzeroFiniteMagnitude(x, 1, n, into: m) }
        let minima = a.makeStorage(count: chunks)
        let zero = a.makeStorage([0.0])
        let found = UncheckedPointer(base: minima.base)
        PassThreads.forEachChunk(chunks) { range in
            for k in range {
                let lo = n &* k / chunks, hi = n &* (k &+ 1) / chunks
                if !a.smallestNonzeroFiniteMagnitude(x + lo, 1, hi &- lo, into: found.base + k) { a.copy(found.base + k, zero.base) }
            }
        }
        let any = a.smallestNonzeroFiniteMagnitude(minima.base, 1, chunks, into: m)
        withExtendedLifetime((minima, zero)) {}
        return any
    }

    /// `conv2d`'s count over the unfolded operands (`Conv2DShape.unfold…`), as `pairs` over
    /// each sample's and group's matrix product: the products are those of the loop form plus
    /// products with a +0 factor, which are not counted, and `pairs`' bound per shared index
    /// (the product of the two smallest magnitudes) settles most of them with one multiply.
    /// Samples split across the pass's threads; the count is an integer sum, the same for any
    /// split.
    @inlinable
    static func unfoldedConv2d<A: ScalarArithmetic>(_ a: A, _ g: Conv2DShape, x: UnsafeMutablePointer<A.Slot>, w: UnsafeMutablePointer<A.Slot>,
                                                    gy: UnsafeMutablePointer<A.Slot>?, weight: Bool, input: Bool) -> Int {
        let taps = g.cg &* g.kh &* g.kw, positions = g.oh &* g.ow, planeIn = g.h &* g.w, depth = g.og &* g.kh &* g.kw
        let transposed = gy != nil && input ? a.makeStorage(count: g.groups &* g.cg &* depth) : a.makeStorage(count: 0)
        if gy != nil && input {
            for group in 0..<g.groups { g.transposeWeights(a, w, group: group, into: transposed.base + group &* g.cg &* depth) }
        }
        let count = PassThreads.sum(g.n) { samples in
            let a = a.independentCopy()
            let cols = a.makeStorage(count: taps &* positions &+ 1)
            let gcolStorage = gy != nil && input ? a.makeStorage(count: depth &* planeIn) : a.makeStorage(count: 0)
            let col = cols.base, zero = cols.base + taps &* positions, gcol = gcolStorage.base
            var count = 0
            for s in samples {
                for group in 0..<g.groups {
                    let xg = x + (s &* g.c &+ group &* g.cg) &* planeIn
                    let oc0 = group &* g.og
                    guard let gy else {  // forward: W[oc, tap] · col[tap, position]
                        g.unfold(a, xg, into: col, zero: zero)
                        count += pairs(a, shared: taps, u: w + oc0 &* taps, uk: 1, ur: taps, nu: g.og,
                                       v: col, vk: positions, vc: 1, nv: positions)
                        continue
                    }
                    let gyg = gy + (s &* g.o &+ oc0) &* positions
                    if weight {  // gy[oc, position] · colT[position, tap]
                        g.unfoldTransposed(a, xg, into: col, zero: zero)
                        count += pairs(a, shared: positions, u: gyg, uk: 1, ur: positions, nu: g.og,
                                       v: col, vk: taps, vc: 1, nv: taps)
                    }
                    if input {  // Wᵀ[c, (oc, i, j)] · gcol[(oc, i, j), input position]
                        g.unfoldGradient(a, gyg, into: gcol)
                        count += pairs(a, shared: depth, u: transposed.base + group &* g.cg &* depth, uk: 1, ur: depth, nu: g.cg,
                                       v: gcol, vk: planeIn, vc: 1, nv: planeIn)
                    }
                }
            }
            withExtendedLifetime((cols, gcolStorage)) {}
            return count
        }
        withExtendedLifetime(transposed) {}
        return count
    }

    /// Which products of a conv2d pass may flush (`mayFlush` over the whole operands): forward
    /// (`gy == nil`) `x·W`, reported as `input`; backward `gy·x` (`weight`, when asked) and `gy·W`
    /// (`input`, when asked). The others have no flushed product: no count is needed.
    @inlinable
    public static func conv2dMayFlush<A: ScalarArithmetic>(_ a: A, _ g: Conv2DShape, x: UnsafeMutablePointer<A.Slot>, w: UnsafeMutablePointer<A.Slot>,
                                                           gy: UnsafeMutablePointer<A.Slot>? = nil, weight: Bool = false, input: Bool = false) -> Wanted {
        let xCount = g.n * g.c * g.h * g.w, wCount = g.o * g.cg * g.kh * g.kw, gyCount = g.n * g.o * g.oh * g.ow
        guard let gy else { return Wanted(input: mayFlush(a, x, xCount, w, wCount), weight: false) }
        return Wanted(input: input && mayFlush(a, gy, gyCount, w, wCount), weight: weight && mayFlush(a, gy, gyCount, x, xCount))
    }

    /// The flushed products of a conv2d pass, over exactly the products its kernels form:
    /// forward (`gy == nil`) `x·W`; backward `gy·x` (when `weight`) and `gy·W` (when `input`).
    @inlinable
    public static func conv2d<A: ScalarArithmetic>(_ a: A, _ g: Conv2DShape, x: UnsafeMutablePointer<A.Slot>, w: UnsafeMutablePointer<A.Slot>,
                                                   gy: UnsafeMutablePointer<A.Slot>? = nil, weight: Bool = false, input: Bool = false) -> Int {
        if !a.traits.canUnderflow { return 0 }
        let may = conv2dMayFlush(a, g, x: x, w: w, gy: gy, weight: weight, input: input)
        let countWeight = may.weight, countInput = may.input
        guard countWeight || countInput else { return 0 }
        if a.traits.isFixedWidth {
            return unfoldedConv2d(a, g, x: x, w: w, gy: gy, weight: countWeight, input: countInput)
        }
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
