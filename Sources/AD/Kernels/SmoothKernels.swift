/// The smooth elementwise primitives and their derivatives, each step rounded to the
/// precision. The formulas (and so the roundings) are:
/// - `tanh`: `y = tanh x`; `gx = gy·(1 − y·y)`.
/// - `sigmoid`: `y = 1 / (1 + e^(−x))`; `gx = gy·(y·(1 − y))`.
/// - `softplus`: `y = max(x, 0) + log1p(e^(−|x|))` (never overflows; equal to `log(1 + eˣ)`);
///   `gx = gy·σ(x)` with `σ(x) = 1/(1 + e^(−x))` for x ≥ 0 and `e^x/(1 + e^x)` below.
/// - `softsign`: `y = x ÷ (1 + |x|)`; `gx = gy·(1 ÷ (1 + |x|)²)` (smooth: the derivative is
///   continuous at 0, where PyTorch's composite also gives 1).
/// - `gelu` (erf): `y = (x·½)·(1 + erf(x·c))`, `c = 1 ÷ √2` in this precision;
///   `gx = gy·(½(1 + erf(c·x)) + x·(c ÷ √π)·e^(−(c·x)²))`.
/// - `gelu` (tanh): `y = (x·½)·(1 + tanh(k·(x + a·x³)))`, `k = √(2 ÷ π)`, `a = 0.044715`;
///   `gx = gy·(½(1 + t) + (x·½)·(1 − t²)·k·(1 + 3a·x²))`.
/// Constants are computed in the precision itself (π by MPFR to full precision), so the
/// reference evaluates the same functions to its own accuracy.
public enum SmoothKernels {
    public enum Kind: Sendable, Equatable {
        case tanh, sigmoid, softplus, softsign
        case gelu(approximate: Bool)
    }

    // Constant slots: 0: 0, 1: 1, 2: ½, 3: c or k, 4: c/√π, 5: a, 6: 3a, 7: π scratch.
    @inlinable
    static func constants<A: ScalarArithmetic>(_ a: A, _ kind: Kind) -> A.Storage {
        let k = a.makeStorage([0, 1, 0.5, 0, 0, 0.044715, 0, 0])
        let b = k.base
        a.setPi(b + 7)
        if case .gelu(let approximate) = kind {
            let two = a.makeStorage([2])
            if approximate {
                a.divide(b + 3, two.base, b + 7)       // 2/π
                a.squareRoot(b + 3, b + 3)             // k = √(2/π)
                let three = a.makeStorage([3])
                a.multiply(b + 6, three.base, b + 5)   // 3a
            } else {
                a.squareRoot(b + 3, two.base)          // √2
                a.divide(b + 3, b + 1, b + 3)          // c = 1/√2
                a.squareRoot(b + 4, b + 7)             // √π
                a.divide(b + 4, b + 3, b + 4)          // c/√π
            }
        }
        return k
    }

    @inlinable
    public static func forward<A: ScalarArithmetic>(_ a: A, _ kind: Kind, x: UnsafeMutablePointer<A.Slot>, y: UnsafeMutablePointer<A.Slot>, count: Int) {
        let k = constants(a, kind), c = k.base
        let one = c + 1, half = c + 2
        let tmp = a.makeStorage(count: 2), t = tmp.base, u = tmp.base + 1
        for i in 0..<count {
            let xi = x + i, yi = y + i
            switch kind {
            case .tanh:
                a.tanh(yi, xi)
            case .sigmoid:
                a.negate(t, xi); a.exp(t, t); a.add(t, one, t); a.divide(yi, one, t)
            case .softplus:
                a.magnitude(t, xi); a.negate(t, t); a.exp(t, t); a.logOnePlus(t, t)
                switch a.sign(xi) {
                case 1?: a.add(yi, xi, t)
                case nil where a.classify(xi) != .nan:
                    // An interval meeting 0: max(x, 0) is somewhere in hull(0, x), so the
                    // output lies in hull(t, x + t) (the branch is a value choice, not a kink).
                    a.add(u, xi, t); a.hull(yi, t, u)
                default: a.copy(yi, t)
                }
            case .softsign:
                a.magnitude(t, xi); a.add(t, one, t); a.divide(yi, xi, t)
            case .gelu(let approximate):
                if approximate {
                    a.multiply(t, xi, xi); a.multiply(t, t, xi)      // x³
                    a.multiply(t, c + 5, t); a.add(t, xi, t)         // x + a·x³
                    a.multiply(t, c + 3, t); a.tanh(t, t)            // tanh(k·(…))
                } else {
                    a.multiply(t, xi, c + 3); a.erf(t, t)            // erf(x·c)
                }
                a.add(t, one, t)
                a.multiply(u, xi, half)
                a.multiply(yi, u, t)
            }
        }
        withExtendedLifetime((k, tmp)) {}
    }

    /// `gx = gy · f′(x)` (using the forward output `y` where the formula does). `gx` may not
    /// alias `gy`.
    @inlinable
    public static func backward<A: ScalarArithmetic>(_ a: A, _ kind: Kind, x: UnsafeMutablePointer<A.Slot>, y: UnsafeMutablePointer<A.Slot>,
                                                     gy: UnsafeMutablePointer<A.Slot>, gx: UnsafeMutablePointer<A.Slot>, count: Int) {
        let k = constants(a, kind), c = k.base
        let one = c + 1, half = c + 2
        let tmp = a.makeStorage(count: 3), t = tmp.base, u = tmp.base + 1, v = tmp.base + 2
        for i in 0..<count {
            let xi = x + i, yi = y + i
            switch kind {
            case .tanh:
                a.multiply(t, yi, yi); a.subtract(t, one, t)
            case .sigmoid:
                a.subtract(t, one, yi); a.multiply(t, yi, t)
            case .softplus:
                if a.sign(xi) == -1 {
                    a.exp(u, xi); a.add(v, one, u); a.divide(t, u, v)
                } else {
                    a.negate(u, xi); a.exp(u, u); a.add(u, one, u); a.divide(t, one, u)
                }
            case .softsign:
                a.magnitude(u, xi); a.add(u, one, u); a.multiply(u, u, u); a.divide(t, one, u)
            case .gelu(let approximate):
                if approximate {
                    a.multiply(u, xi, xi); a.multiply(u, u, xi)      // x³
                    a.multiply(u, c + 5, u); a.add(u, xi, u)
                    a.multiply(u, c + 3, u); a.tanh(u, u)            // t = tanh(…)
                    a.add(t, one, u); a.multiply(t, half, t)         // ½(1 + t)
                    a.multiply(u, u, u); a.subtract(u, one, u)       // 1 − t²
                    a.multiply(v, xi, xi); a.multiply(v, c + 6, v); a.add(v, one, v)  // 1 + 3a·x²
                    a.multiply(u, u, v); a.multiply(u, u, c + 3)     // (1 − t²)·(1 + 3a x²)·k
                    a.multiply(v, xi, half); a.multiply(u, v, u)     // (x·½)·…
                    a.add(t, t, u)
                } else {
                    a.multiply(u, xi, c + 3)                          // c·x
                    a.erf(t, u); a.add(t, one, t); a.multiply(t, half, t)  // ½(1 + erf(cx))
                    a.multiply(u, u, u); a.negate(u, u); a.exp(u, u)  // e^(−(cx)²)
                    a.multiply(u, c + 4, u); a.multiply(u, xi, u)     // x·(c/√π)·e^…
                    a.add(t, t, u)
                }
            }
            a.multiply(gx + i, gy + i, t)
        }
        withExtendedLifetime((k, tmp)) {}
    }
}
