/// `linear`: `y = x Wᵀ + b` with `x [N, in]`, `W [out, in]`, `b [out]`, and its backward.
///
/// Arithmetic model (default): `y[s,o]` starts from +0, adds `fl(x[s,i]·W[o,i])` for
/// `i = 0, 1, …`, then adds `b[o]`. The loops run `i` outside `o` over a transposed copy of `W`,
/// so each output's sum stays sequential in `i` while the inner loop runs across outputs.
public enum LinearKernels {
    public typealias Options = ArithmeticModel.Accumulation

    /// With `countingFlushes`, returns the number of products `x[s,i]·W[o,i]` that flush when
    /// the matrix product counted them (`Gemm`), else `nil` (count them with `FlushCounting`).
    @inlinable @discardableResult
    public static func forward<A: ScalarArithmetic>(_ a: A, _ accumulation: Options,
                                                    x: UnsafeMutablePointer<A.Slot>, w: UnsafeMutablePointer<A.Slot>,
                                                    b: UnsafeMutablePointer<A.Slot>?, y: UnsafeMutablePointer<A.Slot>,
                                                    n: Int, inputs: Int, outputs: Int, countingFlushes: Bool = false) -> Int? {
        if accumulation == .widerAccumulator {
            wideForward(a, x: x, w: w, b: b, y: y, n: n, inputs: inputs, outputs: outputs)
            return nil
        }
        let fused = accumulation == .fusedMultiplyAdd
        if a.traits.isEnclosure && a.traits.isFixedWidth {
            transposedForward(a, fused, x: x, w: w, b: b, y: y, n: n, inputs: inputs, outputs: outputs)
            return nil
        }
        let wt = a.makeStorage(count: inputs * outputs)  // Wᵀ: [in, out]
        let t = wt.base
        for o in 0..<outputs {
            for i in 0..<inputs { a.copy(t + (i &* outputs &+ o), w + (o &* inputs &+ i)) }
        }
        // y[s, ·] += x[s, i] · Wᵀ[i, ·] for i increasing: one matrix product, samples split
        // across the pass's threads.
        let flushed = Gemm.accumulate(a, y, outputs, x, inputs, 1, t, outputs, rows: n, cols: outputs, depth: inputs, fused: fused,
                                      countingFlushes: countingFlushes)
        if let b {
            for s in 0..<n {
                let ys = y + s &* outputs
                for o in 0..<outputs { a.add(ys + o, ys + o, b + o) }
            }
        }
        withExtendedLifetime(wt) {}
        return flushed
    }

    /// The forward for fixed-width enclosures (the reference's double-double balls), in the
    /// same order per output, with the samples innermost: `yᵀ[o, ·] += W[o, i] · xᵀ[i, ·]`, one
    /// matrix product whose multipliers are the weights (points: the balls' cheaper tiles) and
    /// whose rows are as long as the batch (a layer's outputs can be few).
    @inlinable
    static func transposedForward<A: ScalarArithmetic>(_ a: A, _ fused: Bool, x: UnsafeMutablePointer<A.Slot>, w: UnsafeMutablePointer<A.Slot>,
                                                       b: UnsafeMutablePointer<A.Slot>?, y: UnsafeMutablePointer<A.Slot>,
                                                       n: Int, inputs: Int, outputs: Int) {
        let xStorage = a.makeStorage(count: inputs &* n), yStorage = a.makeStorage(count: outputs &* n)
        let xT = xStorage.base, yT = yStorage.base  // xᵀ [in, n], yᵀ [out, n] (+0)
        for s in 0..<n {
            for i in 0..<inputs { a.copy(xT + (i &* n &+ s), x + (s &* inputs &+ i)) }
        }
        a.matrixAccumulate(yT, n, w, inputs, 1, xT, n, rows: outputs, cols: n, depth: inputs, fused: fused)
        for s in 0..<n {
            for o in 0..<outputs {
                a.copy(y + (s &* outputs &+ o), yT + (o &* n &+ s))
                if let b { a.add(y + (s &* outputs &+ o), y + (s &* outputs &+ o), b + o) }
            }
        }
        withExtendedLifetime((xStorage, yStorage)) {}
    }

    @inlinable
    static func wideForward<A: ScalarArithmetic>(_ a: A, x: UnsafeMutablePointer<A.Slot>, w: UnsafeMutablePointer<A.Slot>,
                                                 b: UnsafeMutablePointer<A.Slot>?, y: UnsafeMutablePointer<A.Slot>,
                                                 n: Int, inputs: Int, outputs: Int) {
        let format = a.traits.widerAccumulator!
        let xd = Accumulate.exactDoubles(a, x, n * inputs), wd = Accumulate.exactDoubles(a, w, outputs * inputs)
        let bd = b.map { Accumulate.exactDoubles(a, $0, outputs) }
        for s in 0..<n {
            for o in 0..<outputs {
                var acc = WideSum(format)
                for i in 0..<inputs { acc.add(xd[s * inputs + i] * wd[o * inputs + i]) }
                if let bd { acc.add(bd[o]) }
                a.set(y + (s * outputs + o), acc.value)
            }
        }
    }

    /// Gradients: `gx[s,i] = Σ_o gy[s,o]·W[o,i]` (o increasing), `gW[o,i] = Σ_s gy[s,o]·x[s,i]`
    /// (s increasing), `gb[o] = Σ_s gy[s,o]`. Outputs must be +0 on entry; a nil output is skipped.
    /// With `countingFlushes`, returns the numbers of products `gy·W` (input) and `gy·x`
    /// (weight) that flush where the matrix products counted them, else `nil`.
    @inlinable @discardableResult
    public static func backward<A: ScalarArithmetic>(_ a: A, _ accumulation: Options,
                                                     x: UnsafeMutablePointer<A.Slot>, w: UnsafeMutablePointer<A.Slot>,
                                                     gy: UnsafeMutablePointer<A.Slot>,
                                                     gx: UnsafeMutablePointer<A.Slot>?, gw: UnsafeMutablePointer<A.Slot>?,
                                                     gb: UnsafeMutablePointer<A.Slot>?,
                                                     n: Int, inputs: Int, outputs: Int,
                                                     countingFlushes: FlushCounting.Wanted = .none) -> (input: Int?, weight: Int?) {
        if accumulation == .widerAccumulator {
            wideBackward(a, x: x, w: w, gy: gy, gx: gx, gw: gw, gb: gb, n: n, inputs: inputs, outputs: outputs)
            return (nil, nil)
        }
        let fused = accumulation == .fusedMultiplyAdd
        var flushed: (input: Int?, weight: Int?) = (nil, nil)
        // Each as one matrix product (`Gemm`), every entry's sum in the order above.
        if let gx {  // gx[s, ·] += gy[s, o] · W[o, ·], o increasing
            flushed.input = Gemm.accumulate(a, gx, inputs, gy, outputs, 1, w, inputs, rows: n, cols: inputs, depth: outputs, fused: fused,
                                            countingFlushes: countingFlushes.input)
        }
        if let gw {  // gW[o, ·] += gy[s, o] · x[s, ·], s increasing
            flushed.weight = Gemm.accumulate(a, gw, inputs, gy, 1, outputs, x, inputs, rows: outputs, cols: inputs, depth: n, fused: fused,
                                             countingFlushes: countingFlushes.weight)
        }
        if let gb {
            for s in 0..<n {
                let gys = gy + s &* outputs
                for o in 0..<outputs { a.add(gb + o, gb + o, gys + o) }
            }
        }
        return flushed
    }

    @inlinable
    static func wideBackward<A: ScalarArithmetic>(_ a: A, x: UnsafeMutablePointer<A.Slot>, w: UnsafeMutablePointer<A.Slot>,
                                                  gy: UnsafeMutablePointer<A.Slot>,
                                                  gx: UnsafeMutablePointer<A.Slot>?, gw: UnsafeMutablePointer<A.Slot>?,
                                                  gb: UnsafeMutablePointer<A.Slot>?, n: Int, inputs: Int, outputs: Int) {
        let format = a.traits.widerAccumulator!
        let xd = Accumulate.exactDoubles(a, x, n * inputs), wd = Accumulate.exactDoubles(a, w, outputs * inputs)
        let gd = Accumulate.exactDoubles(a, gy, n * outputs)
        if let gx {
            for s in 0..<n {
                for i in 0..<inputs {
                    var acc = WideSum(format)
                    for o in 0..<outputs { acc.add(gd[s * outputs + o] * wd[o * inputs + i]) }
                    a.set(gx + (s * inputs + i), acc.value)
                }
            }
        }
        if let gw {
            for o in 0..<outputs {
                for i in 0..<inputs {
                    var acc = WideSum(format)
                    for s in 0..<n { acc.add(gd[s * outputs + o] * xd[s * inputs + i]) }
                    a.set(gw + (o * inputs + i), acc.value)
                }
            }
        }
        if let gb {
            for o in 0..<outputs {
                var acc = WideSum(format)
                for s in 0..<n { acc.add(gd[s * outputs + o]) }
                a.set(gb + o, acc.value)
            }
        }
    }
}
