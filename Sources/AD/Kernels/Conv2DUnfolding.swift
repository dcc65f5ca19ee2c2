/// The unfoldings (im2col) the conv2d kernels and the flushed-product count share. Each writes
/// one sample's group into rows where every entry a window does not reach holds +0, so a matrix
/// product over them forms exactly the products of the loop form plus products with a +0 factor
/// (which add nothing to a sum of finite terms and are no flushed products).
extension Conv2DShape {
    /// `col[tap, position] = x[group's channels][input the tap meets at that output position]`,
    /// `tap = (c, i, j)` row-major, positions row-major; `zero` (a +0 slot) at padding. `xg`
    /// points at the group's first channel plane of the sample.
    @inlinable
    public func unfold<A: ScalarArithmetic>(_ a: A, _ xg: UnsafeMutablePointer<A.Slot>, into col: UnsafeMutablePointer<A.Slot>,
                                            zero: UnsafeMutablePointer<A.Slot>) {
        let positions = oh &* ow
        forEachTap { tap, position, input in
            a.copy(col + (tap &* positions &+ position), input.map { xg + $0 } ?? zero)
        }
    }

    /// The transpose of `unfold`: `colT[position, tap]`.
    @inlinable
    public func unfoldTransposed<A: ScalarArithmetic>(_ a: A, _ xg: UnsafeMutablePointer<A.Slot>, into colT: UnsafeMutablePointer<A.Slot>,
                                                      zero: UnsafeMutablePointer<A.Slot>) {
        let taps = cg &* kh &* kw
        forEachTap { tap, position, input in
            a.copy(colT + (position &* taps &+ tap), input.map { xg + $0 } ?? zero)
        }
    }

    /// For the input gradient: `gcol[(oc, i, j), input position] = gy[oc, oy, ox]` where the
    /// window of output `(oy, ox)` puts tap `(i, j)` on that input, over the group's `og`
    /// output channels (`gyg` points at the first one's plane). Entries no window reaches are
    /// not written: they are +0 from the storage's creation, the same for every sample.
    @inlinable
    public func unfoldGradient<A: ScalarArithmetic>(_ a: A, _ gyg: UnsafeMutablePointer<A.Slot>, into gcol: UnsafeMutablePointer<A.Slot>) {
        let positions = oh &* ow, planeIn = h &* w
        for ocl in 0..<og {
            let gyo = gyg + ocl &* positions
            for i in 0..<kh {
                for j in 0..<kw {
                    let rowOffset: Int = ((ocl &* kh &+ i) &* kw &+ j) &* planeIn
                    let row = gcol + rowOffset
                    let cols = columns(j)
                    guard !cols.isEmpty else { continue }
                    for oy in rows(i) {
                        let iy: Int = oy &* sh &- ph &+ i &* dh
                        let start: Int = iy &* w &+ (j &* dw &- pw)
                        let gyRow = gyo + oy &* ow
                        for ox in cols { a.copy(row + (start &+ ox &* sw), gyRow + ox) }
                    }
                }
            }
        }
    }

    /// `wT[c, (oc, i, j)] = W[group·og + oc, c, i, j]` for one group (`wT`: `cg` rows of
    /// `og·kh·kw`).
    @inlinable
    public func transposeWeights<A: ScalarArithmetic>(_ a: A, _ w: UnsafeMutablePointer<A.Slot>, group: Int, into wT: UnsafeMutablePointer<A.Slot>) {
        let window = kh &* kw, depth = og &* window
        for ocl in 0..<og {
            for cl in 0..<cg {
                let fromOffset: Int = ((group &* og &+ ocl) &* cg &+ cl) &* window
                let toOffset: Int = cl &* depth &+ ocl &* window
                let from = w + fromOffset, to = wT + toOffset
                for t in 0..<window { a.copy(to + t, from + t) }
            }
        }
    }
}
