/// The losses, each a scalar mean.
///
/// - `cross_entropy` of logits `z [N, K]` and labels `t`: per sample
///   `ℓ = (m + log Σ_j e^(z_j − m)) − z_t` with `m = max_j z_j` (a stabiliser, not a decision:
///   the function is smooth), sums over `j` in order; `loss = (Σ_s ℓ_s) ÷ N`, samples in order.
///   Backward: `gz_j = (e^(z_j − m) ÷ Σ − [j = t])·(g ÷ N)`.
/// - `mse` of `y` and target `t` (`P` values): `loss = (Σ (y − t)²) ÷ P`; backward
///   `gy = (y − t)·((2·g) ÷ P)`, `gt = −gy`.
public enum LossKernels {
    @inlinable
    static func logSumExp<A: ScalarArithmetic>(_ a: A, _ z: UnsafeMutablePointer<A.Slot>, _ k: Int,
                                               max m: UnsafeMutablePointer<A.Slot>, sum: UnsafeMutablePointer<A.Slot>,
                                               scratch t: UnsafeMutablePointer<A.Slot>) {
        a.copy(m, z)
        for j in 1..<max(k, 1) where a.compare(z + j, m) == 1 || a.sign(z + j) == nil { a.copy(m, z + j) }
        a.set(sum, 0)
        for j in 0..<k {
            a.subtract(t, z + j, m); a.exp(t, t); a.add(sum, sum, t)
        }
    }

    @inlinable
    public static func crossEntropyForward<A: ScalarArithmetic>(_ a: A, z: UnsafeMutablePointer<A.Slot>, labels: [Int],
                                                                classes k: Int, loss: UnsafeMutablePointer<A.Slot>) {
        let n = labels.count
        let tmp = a.makeStorage([0, 0, 0, 0, Double(n)])
        let m = tmp.base, sum = tmp.base + 1, t = tmp.base + 2, acc = tmp.base + 3, count = tmp.base + 4
        for s in 0..<n {
            let zs = z + s * k
            logSumExp(a, zs, k, max: m, sum: sum, scratch: t)
            a.log(sum, sum); a.add(sum, m, sum)          // lse
            a.subtract(sum, sum, zs + labels[s])         // ℓ
            a.add(acc, acc, sum)
        }
        a.divide(loss, acc, count)
        withExtendedLifetime(tmp) {}
    }

    @inlinable
    public static func crossEntropyBackward<A: ScalarArithmetic>(_ a: A, z: UnsafeMutablePointer<A.Slot>, labels: [Int], classes k: Int,
                                                                 gloss: UnsafeMutablePointer<A.Slot>, gz: UnsafeMutablePointer<A.Slot>) {
        let n = labels.count
        let tmp = a.makeStorage([0, 0, 0, 0, Double(n), 1])
        let m = tmp.base, sum = tmp.base + 1, t = tmp.base + 2, scale = tmp.base + 3, count = tmp.base + 4, one = tmp.base + 5
        a.divide(scale, gloss, count)
        for s in 0..<n {
            let zs = z + s * k, gs = gz + s * k
            logSumExp(a, zs, k, max: m, sum: sum, scratch: t)
            for j in 0..<k {
                a.subtract(t, zs + j, m); a.exp(t, t); a.divide(t, t, sum)
                if j == labels[s] { a.subtract(t, t, one) }
                a.multiply(gs + j, t, scale)
            }
        }
        withExtendedLifetime(tmp) {}
    }

    @inlinable
    public static func mseForward<A: ScalarArithmetic>(_ a: A, y: UnsafeMutablePointer<A.Slot>, target: UnsafeMutablePointer<A.Slot>,
                                                       count: Int, loss: UnsafeMutablePointer<A.Slot>) {
        let tmp = a.makeStorage([0, 0, Double(count)])
        let d = tmp.base, acc = tmp.base + 1, p = tmp.base + 2
        for i in 0..<count {
            a.subtract(d, y + i, target + i)
            a.multiplyAccumulate(acc, d, d)
        }
        a.divide(loss, acc, p)
        withExtendedLifetime(tmp) {}
    }

    @inlinable
    public static func mseBackward<A: ScalarArithmetic>(_ a: A, y: UnsafeMutablePointer<A.Slot>, target: UnsafeMutablePointer<A.Slot>, count: Int,
                                                        gloss: UnsafeMutablePointer<A.Slot>, gy: UnsafeMutablePointer<A.Slot>,
                                                        gtarget: UnsafeMutablePointer<A.Slot>) {
        let tmp = a.makeStorage([2, Double(count)])
        let c = tmp.base, p = tmp.base + 1
        a.multiply(c, c, gloss); a.divide(c, c, p)
        for i in 0..<count {
            a.subtract(gy + i, y + i, target + i)
            a.multiply(gy + i, gy + i, c)
            a.negate(gtarget + i, gy + i)
        }
        withExtendedLifetime(tmp) {}
    }
}
