/// Batch normalisation over axis 1 of `[N, C]` or `[N, C, H, W]` (`hw = H·W`, 1 for 2-D).
///
/// Eval: `inv = 1 ÷ √(running_var + eps)`, `y = ((x − running_mean)·inv)·weight + bias`.
/// Train: `mean = (Σ x) ÷ M`, `var = (Σ (x − mean)²) ÷ M` (biased, as PyTorch normalises),
/// `M = N·hw`, sums over samples then positions in order; then as eval with the batch's
/// statistics. Running statistics are buffers: nothing flows back to them (as in PyTorch), and
/// a train-mode pass does not update them (the analysis is deterministic).
public enum BatchNormKernels {
    /// Per-channel `mean` and `inv` in `stats` (slots `2c`, `2c+1`).
    @inlinable
    static func statistics<A: ScalarArithmetic>(_ a: A, training: Bool, eps: UnsafeMutablePointer<A.Slot>,
                                                x: UnsafeMutablePointer<A.Slot>, mean: UnsafeMutablePointer<A.Slot>,
                                                variance: UnsafeMutablePointer<A.Slot>, n: Int, c: Int, hw: Int) -> A.Storage {
        let stats = a.makeStorage(count: 2 * c)
        let s = stats.base
        // Channels are independent (each channel's sums stay in order on one thread).
        PassThreads.forEachElementChunk(c, grain: training ? 2 &* n &* hw : 1) { channels in
            let tmp = a.makeStorage([0, Double(n * hw)]), t = tmp.base, m = tmp.base + 1
            for ch in channels {
                let mu = s + 2 * ch, inv = s + 2 * ch + 1
                if training {
                    for smp in 0..<n { for q in 0..<hw { a.add(mu, mu, x + ((smp * c + ch) * hw + q)) } }
                    a.divide(mu, mu, m)
                    for smp in 0..<n {
                        for q in 0..<hw {
                            a.subtract(t, x + ((smp * c + ch) * hw + q), mu)
                            a.multiplyAccumulate(inv, t, t)
                        }
                    }
                    a.divide(inv, inv, m)
                } else {
                    a.copy(mu, mean + ch)
                    a.copy(inv, variance + ch)
                }
                a.add(inv, inv, eps)
                a.squareRoot(inv, inv)
                a.set(t, 1)
                a.divide(inv, t, inv)
            }
            withExtendedLifetime(tmp) {}
        }
        return stats
    }

    @inlinable
    public static func forward<A: ScalarArithmetic>(_ a: A, training: Bool, eps: Double, x: UnsafeMutablePointer<A.Slot>,
                                                    weight: UnsafeMutablePointer<A.Slot>, bias: UnsafeMutablePointer<A.Slot>,
                                                    mean: UnsafeMutablePointer<A.Slot>, variance: UnsafeMutablePointer<A.Slot>,
                                                    y: UnsafeMutablePointer<A.Slot>, n: Int, c: Int, hw: Int) {
        let e = a.makeStorage([eps])
        let stats = statistics(a, training: training, eps: e.base, x: x, mean: mean, variance: variance, n: n, c: c, hw: hw)
        let s = stats.base
        // Every output alone from its own input and its channel's constants: planes (s, c)
        // split across the pass's threads.
        PassThreads.forEachElementChunk(n &* c, grain: hw) { planes in
            for sc in planes {
                let smp = sc / c, ch = sc % c
                for q in 0..<hw {
                    let i = (smp * c + ch) * hw + q
                    a.subtract(y + i, x + i, s + 2 * ch)
                    a.multiply(y + i, y + i, s + 2 * ch + 1)
                    a.multiply(y + i, y + i, weight + ch)
                    a.add(y + i, y + i, bias + ch)
                }
            }
        }
        withExtendedLifetime((e, stats)) {}
    }

    /// Gradients (outputs +0 on entry, nil ones skipped), with `x̂ = (x − mean)·inv` and
    /// `g = gy·weight`:
    /// - `gweight[c] = Σ gy·x̂`, `gbias[c] = Σ gy` (samples outermost, positions in order);
    /// - eval: `gx = g·inv`;
    /// - train: `gx = ((g − Σg ÷ M) − x̂·(Σ g·x̂ ÷ M))·inv`.
    @inlinable
    public static func backward<A: ScalarArithmetic>(_ a: A, training: Bool, eps: Double, x: UnsafeMutablePointer<A.Slot>,
                                                     weight: UnsafeMutablePointer<A.Slot>,
                                                     mean: UnsafeMutablePointer<A.Slot>, variance: UnsafeMutablePointer<A.Slot>,
                                                     gy: UnsafeMutablePointer<A.Slot>, gx: UnsafeMutablePointer<A.Slot>?,
                                                     gweight: UnsafeMutablePointer<A.Slot>?, gbias: UnsafeMutablePointer<A.Slot>?,
                                                     n: Int, c: Int, hw: Int) {
        let e = a.makeStorage([eps])
        let stats = statistics(a, training: training, eps: e.base, x: x, mean: mean, variance: variance, n: n, c: c, hw: hw)
        let s = stats.base
        // Channels are independent (each channel's sums stay in order on one thread): split
        // across the pass's threads, each chunk with its own scratch.
        PassThreads.forEachElementChunk(c, grain: 2 &* n &* hw) { channels in
            let tmp = a.makeStorage([0, 0, 0, 0, Double(n * hw)])
            let xhat = tmp.base, g = tmp.base + 1, sumG = tmp.base + 2, sumGX = tmp.base + 3, m = tmp.base + 4
            for ch in channels {
                let mu = s + 2 * ch, inv = s + 2 * ch + 1
                a.set(sumG, 0); a.set(sumGX, 0)
                for smp in 0..<n {
                    for q in 0..<hw {
                        let i = (smp * c + ch) * hw + q
                        a.subtract(xhat, x + i, mu); a.multiply(xhat, xhat, inv)
                        if let gweight { a.multiplyAccumulate(gweight + ch, gy + i, xhat) }
                        if let gbias { a.add(gbias + ch, gbias + ch, gy + i) }
                        if training {
                            a.multiply(g, gy + i, weight + ch)
                            a.add(sumG, sumG, g)
                            a.multiplyAccumulate(sumGX, g, xhat)
                        }
                    }
                }
                guard let gx else { continue }
                if training {
                    a.divide(sumG, sumG, m)
                    a.divide(sumGX, sumGX, m)
                }
                for smp in 0..<n {
                    for q in 0..<hw {
                        let i = (smp * c + ch) * hw + q
                        a.multiply(g, gy + i, weight + ch)
                        if training {
                            a.subtract(xhat, x + i, mu); a.multiply(xhat, xhat, inv)
                            a.subtract(g, g, sumG)
                            a.multiply(xhat, xhat, sumGX)
                            a.subtract(g, g, xhat)
                        }
                        a.multiply(gx + i, g, inv)
                    }
                }
            }
            withExtendedLifetime(tmp) {}
        }
        withExtendedLifetime((e, stats)) {}
    }
}
