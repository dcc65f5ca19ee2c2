/// The piecewise-linear primitives — `relu`, `leaky_relu`, `abs`, `hardtanh`/`relu6`,
/// `maximum`, `minimum` — following the design rule: forward records a decision per site (a
/// `Piece` code), backward turns it into a local derivative through a `DerivativeConvention`.
///
/// On a breakpoint the output is the op's value *at* the breakpoint (relu, leaky_relu, abs: +0;
/// hardtanh: the bound), so a replay forced onto a breakpoint by another precision's decision
/// outputs the exact kink value, and forcing a run's own decisions reproduces it bit for bit.
public enum PiecewiseKernels {
    /// Which single-input primitive.
    public enum Kind: Sendable, Equatable {
        case relu
        case leakyReLU(slope: Double)
        case abs
        case hardtanh(min: Double, max: Double)
    }

    /// Constants of a kind in one precision: slots 0: +0, 1: slope, 2: min, 3: max.
    @inlinable
    static func constants<A: ScalarArithmetic>(_ a: A, _ kind: Kind) -> A.Storage {
        switch kind {
        case .relu, .abs: a.makeStorage([0, 0, 0, 0])
        case .leakyReLU(let slope): a.makeStorage([0, slope, 0, 0])
        case .hardtanh(let lo, let hi): a.makeStorage([0, 0, lo, hi])
        }
    }

    /// Forward over `count` sites. Returns the piece codes: computed here, or `forced`
    /// (followed: the output is the forced piece evaluated at this precision's input).
    @inlinable
    public static func forward<A: ScalarArithmetic>(_ a: A, _ kind: Kind, x: UnsafeMutablePointer<A.Slot>, y: UnsafeMutablePointer<A.Slot>,
                                                    count: Int, forced: PieceCodes?) -> PieceCodes {
        let k = constants(a, kind)
        let zero = k.base, slope = k.base + 1, lo = k.base + 2, hi = k.base + 3
        var codes = forced?.codes ?? [UInt8](repeating: 0, count: count)
        let isHardtanh: Bool
        if case .hardtanh = kind { isHardtanh = true } else { isHardtanh = false }
        // Every site alone from its own input: split across the pass's threads.
        codes.withUnsafeMutableBufferPointer { code in PassThreads.forEachElementChunk(count) { sites in
            for i in sites {
                let xi = x + i, yi = y + i
                if forced == nil {
                    if isHardtanh {
                        if let toLower = a.compare(xi, lo), let toUpper = a.compare(xi, hi) {
                            code[i] = toLower < 0 ? Piece.below : toLower == 0 ? Piece.onLower
                                : toUpper < 0 ? Piece.between : toUpper == 0 ? Piece.onUpper : Piece.above
                        } else {
                            code[i] = a.classify(xi) == .nan ? Piece.undefined : Piece.undecided
                        }
                    } else {
                        switch a.sign(xi) {
                        case nil: code[i] = a.classify(xi) == .nan ? Piece.undefined : Piece.undecided
                        case .some(-1): code[i] = 0
                        case .some(0): code[i] = 1
                        default: code[i] = 2
                        }
                    }
                }
                let c = code[i]
                if c == Piece.undefined { a.copy(yi, xi); continue }
                if c == Piece.undecided {
                    // Enclose every piece the input may be on.
                    switch kind {
                    case .relu: a.hull(yi, xi, zero)
                    case .leakyReLU: a.multiply(yi, slope, xi); a.hull(yi, yi, xi)
                    case .abs: a.negate(yi, xi); a.hull(yi, yi, xi)
                    case .hardtanh(let l, let h):
                        // An absent (infinite) bound of clip is never reached: not in the hull.
                        a.copy(yi, xi)
                        if l.isFinite { a.hull(yi, yi, lo) }
                        if h.isFinite { a.hull(yi, yi, hi) }
                    }
                    continue
                }
                switch kind {
                case .relu: if c == 2 { a.copy(yi, xi) } else { a.copy(yi, zero) }
                case .leakyReLU: if c == 2 { a.copy(yi, xi) } else if c == 1 { a.copy(yi, zero) } else { a.multiply(yi, slope, xi) }
                case .abs: if c == 2 { a.copy(yi, xi) } else if c == 1 { a.copy(yi, zero) } else { a.negate(yi, xi) }
                case .hardtanh: if c <= 1 { a.copy(yi, lo) } else if c == 2 { a.copy(yi, xi) } else { a.copy(yi, hi) }
                }
            }
        } }
        withExtendedLifetime(k) {}
        return PieceCodes(codes)
    }

    /// Backward: `gx = gy · d[code]` with the derivative of each piece code (0…4) given by the
    /// primitive from its convention choices (0 writes +0, 1 copies, −1 negates, anything else
    /// multiplies by `d` rounded to this precision). NaN sites give NaN; undecided sites the
    /// hull of every derivative.
    @inlinable
    public static func backward<A: ScalarArithmetic>(_ a: A, derivatives d: [Double], codes: PieceCodes,
                                                     gy: UnsafeMutablePointer<A.Slot>, gx: UnsafeMutablePointer<A.Slot>) {
        let k = a.makeStorage(d + [0, .nan, d.min()!, d.max()!])
        let zero = k.base + d.count, nan = k.base + d.count + 1, hull = k.base + d.count + 2
        a.hull(hull, hull, hull + 1)  // every derivative the undecided site might take
        PassThreads.forEachElementChunk(codes.count) { sites in
            for i in sites {
                let c = Int(codes[i])
                if c == Int(Piece.undecided) { a.multiply(gx + i, gy + i, hull); continue }
                if c >= d.count { a.copy(gx + i, nan); continue }
                let v = d[c]
                if v == 0 { a.copy(gx + i, zero) } else if v == 1 { a.copy(gx + i, gy + i) } else if v == -1 { a.negate(gx + i, gy + i) } else { a.multiply(gx + i, gy + i, k.base + c) }
            }
        }
        withExtendedLifetime(k) {}
    }

    /// `maximum` (or, with `isMaximum == false`, `minimum`) of two tensors: code 0 when a < b,
    /// 1 when equal, 2 when a > b. At a tie the output is `a` (equal to `b`); a forced tie
    /// outputs the larger (smaller) of this precision's two values.
    /// `same(i)`, when given, proves `a[i] = b[i]` over ℝ where the arithmetic cannot
    /// (identical computations, `TieProver`): a tie.
    @inlinable
    public static func binaryForward<A: ScalarArithmetic>(_ arith: A, isMaximum: Bool, a: UnsafeMutablePointer<A.Slot>, b: UnsafeMutablePointer<A.Slot>,
                                                          y: UnsafeMutablePointer<A.Slot>, count: Int, forced: PieceCodes?,
                                                          same: ((Int) -> Bool)? = nil) -> PieceCodes {
        var codes = forced?.codes ?? [UInt8](repeating: 0, count: count)
        let pickA: UInt8 = isMaximum ? 2 : 0
        codes.withUnsafeMutableBufferPointer { codes in
            func site(_ i: Int) {
                let order = arith.compare(a + i, b + i)
                if forced == nil {
                    codes[i] = order.map { UInt8($0 + 1) } ?? Piece.undefined
                }
                if forced == nil && order == nil && arith.classify(a + i) != .nan && arith.classify(b + i) != .nan {
                    codes[i] = same?(i) == true ? 1 : Piece.undecided
                }
                let c = codes[i]
                if c == Piece.undefined || c == Piece.undecided {
                    arith.hull(y + i, a + i, b + i)  // NaN propagates; an undecided order encloses both
                } else if c == 1 {
                    let bWins = isMaximum ? order == -1 : order == 1
                    arith.copy(y + i, bWins ? b + i : a + i)
                } else {
                    arith.copy(y + i, c == pickA ? a + i : b + i)
                }
            }
            // Sites are independent: split across the pass's threads — except with a tie prover
            // (`same`), which memoises and spends a budget in call order: then in order here.
            if same != nil {
                for i in 0..<count { site(i) }
            } else {
                PassThreads.forEachElementChunk(count) { sites in for i in sites { site(i) } }
            }
        }
        return PieceCodes(codes)
    }

    /// Backward of `maximum`/`minimum`: the selected operand gets `gy`, the other +0; a tie
    /// follows the convention's rule (`first`: a, `last`: b, `split`: `gy·½` each).
    @inlinable
    public static func binaryBackward<A: ScalarArithmetic>(_ arith: A, isMaximum: Bool, tie: DerivativeConvention.TieRule, codes: PieceCodes,
                                                           gy: UnsafeMutablePointer<A.Slot>, ga: UnsafeMutablePointer<A.Slot>, gb: UnsafeMutablePointer<A.Slot>) {
        let k = arith.makeStorage([0, 0.5, .nan, 0, 1])
        let zero = k.base, half = k.base + 1, nan = k.base + 2, unit = k.base + 3
        arith.hull(unit, unit, unit + 1)  // [0, 1]: the share an undecided operand may get
        let pickA: UInt8 = isMaximum ? 2 : 0
        PassThreads.forEachElementChunk(codes.count) { sites in for i in sites {
            let c = codes[i]
            if c == Piece.undecided {
                arith.multiply(ga + i, gy + i, unit); arith.copy(gb + i, ga + i)
            } else if c == Piece.undefined {
                arith.copy(ga + i, nan); arith.copy(gb + i, nan)
            } else if c == 1 {
                switch tie {
                case .first: arith.copy(ga + i, gy + i); arith.copy(gb + i, zero)
                case .last: arith.copy(ga + i, zero); arith.copy(gb + i, gy + i)
                case .split: arith.multiply(ga + i, gy + i, half); arith.copy(gb + i, ga + i)
                }
            } else if c == pickA {
                arith.copy(ga + i, gy + i); arith.copy(gb + i, zero)
            } else {
                arith.copy(ga + i, zero); arith.copy(gb + i, gy + i)
            }
        } }
        withExtendedLifetime(k) {}
    }
}
