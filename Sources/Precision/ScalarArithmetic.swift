/// The arithmetic of one precision, as the AD engine sees it: the protocol all engine code is
/// generic over.
///
/// An arithmetic is a small value (empty for `Float`; the bit count, rounding direction and a
/// scratch slot for MPFR) that performs each elementary operation *in place on slots*:
/// `add(r, a, b)` stores the rounded `a + b` into slot `r`. Working on slots rather than on
/// returned values is what lets MPFR values live in arenas with no allocation per operation,
/// while for the fixed-width formats the calls inline (`@inlinable`, specialised) to the plain
/// loads, operation and store a hand-written loop would have.
///
/// Every operation is rounded once to the precision (round to nearest, ties to even, unless an
/// MPFR arithmetic is given another direction). Operands and result may be the same slot.
///
/// Thread safety: the arithmetics of this module hold no mutable state and may be shared by
/// threads; an arithmetic that needs scratch space must say so and give each thread its own
/// copy through `independentCopy()`.
public protocol ScalarArithmetic: Sendable {
    /// What one storage slot holds.
    associatedtype Slot
    /// The storage type for tensors of this precision.
    associatedtype Storage: ScalarStorage where Storage.Slot == Slot
    /// A pointer to one slot.
    typealias Ref = UnsafeMutablePointer<Slot>

    /// The precision this arithmetic computes in.
    var precision: PrecisionName { get }
    /// What this arithmetic can do (declared: no default, so a new arithmetic must say).
    var traits: ArithmeticTraits { get }
    /// Storage for `count` slots, each `+0`.
    func makeStorage(count: Int) -> Storage
    /// A copy that shares no mutable scratch state with `self` (for another thread).
    func independentCopy() -> Self

    /// `r ← a` (exact).
    func copy(_ r: Ref, _ a: Ref)
    /// `r ← d` rounded to the precision.
    func set(_ r: Ref, _ d: Double)
    /// The `Double` nearest to slot `a` (exact for f16, bf16, f32, f64).
    func double(_ a: Ref) -> Double
    /// `r ← π` rounded to the precision (MPFR computes it to the full precision).
    func setPi(_ r: Ref)
    /// Runs `body` and says whether every operation in it was exact, when this arithmetic
    /// can know (MPFR); `nil` when it cannot (the fixed-width formats).
    func checkingExactness(_ body: () throws -> Void) rethrows -> Bool?

    /// `r ← a + b`.
    func add(_ r: Ref, _ a: Ref, _ b: Ref)
    /// `r ← a − b`.
    func subtract(_ r: Ref, _ a: Ref, _ b: Ref)
    /// `r ← a × b`.
    func multiply(_ r: Ref, _ a: Ref, _ b: Ref)
    /// `r ← a ÷ b`.
    func divide(_ r: Ref, _ a: Ref, _ b: Ref)
    /// `r ← r + a × b` with **two** roundings (the product, then the sum): the default
    /// arithmetic model's multiply-accumulate.
    func multiplyAccumulate(_ r: Ref, _ a: Ref, _ b: Ref)
    /// `r ← a × b + c` with **one** rounding (fused multiply-add, the FMA option).
    func fusedMultiplyAdd(_ r: Ref, _ a: Ref, _ b: Ref, _ c: Ref)
    /// The row update of matrix products: `r[k·rs] ← r[k·rs] + a·x[k·xs]` for `k < n`, each
    /// exactly as `multiplyAccumulate` (or `fusedMultiplyAdd` when `fused`). `r` must not
    /// overlap `a` or `x`. Fixed formats run it as one vectorisable loop.
    func axpy(_ r: Ref, _ rs: Int, _ a: Ref, _ x: Ref, _ xs: Int, _ n: Int, fused: Bool)
    /// How many of the products `a·x[k·xs]`, `k < n`, round to zero although `a` and `x[k·xs]`
    /// are nonzero and finite (underflow: the range event "flushed").
    func flushedProducts(_ a: Ref, _ x: Ref, _ xs: Int, _ n: Int) -> Int
    /// How many of the products `u[k·us]·v[k·vs]`, `k < n`, underflow to zero from nonzero
    /// finite operands.
    func flushedPairs(_ u: Ref, _ us: Int, _ v: Ref, _ vs: Int, _ n: Int) -> Int
    /// The sequential dot product: `r ← (…((r + a[0]·b[0]) + a[1]·b[bs]) + …)`, `n` terms
    /// in order, each as `multiplyAccumulate` (or fused). `r` must not overlap `a` or `b`.
    func dotAccumulate(_ r: Ref, _ a: Ref, _ as: Int, _ b: Ref, _ bs: Int, _ n: Int, fused: Bool)
    /// The block update of matrix products: for every `m < rows`, `n < cols`,
    /// `c[m·ldc + n] ← c[m·ldc + n] + a[m·lda + k·ak]·b[k·ldb + n]` for `k = 0, 1, …, depth − 1`
    /// in that order, each term as `multiplyAccumulate` (or fused): every entry of `c` is one
    /// sequential sum, exactly as `depth` calls of `axpy` per row. `c` must not overlap `a` or
    /// `b`. Fixed formats run it as register-blocked tiles (many sums per instruction, operands
    /// reused from registers); the others as those `axpy` calls.
    func matrixAccumulate(_ c: Ref, _ ldc: Int, _ a: Ref, _ lda: Int, _ ak: Int, _ b: Ref, _ ldb: Int,
                          rows: Int, cols: Int, depth: Int, fused: Bool)
    /// `matrixAccumulate`, and the number of its products `a[m·lda + k·ak]·b[k·ldb + n]` that
    /// round to zero although both factors are nonzero and finite (the range event "flushed",
    /// as `flushedPairs` counts them) when the kernel counted them while forming them; `nil`
    /// when it did not (the product is computed either way: count with `flushedPairs`).
    func matrixAccumulateCountingFlushes(_ c: Ref, _ ldc: Int, _ a: Ref, _ lda: Int, _ ak: Int, _ b: Ref, _ ldb: Int,
                                         rows: Int, cols: Int, depth: Int, fused: Bool) -> Int?
    /// Sets `m` to the smallest magnitude among the nonzero finite values `base[r·stride]`,
    /// `r < count`, and returns true; false (and `m` untouched) when there is none. (The range
    /// events' underflow check: if the product of two such minima does not round to zero, no
    /// product of the two tensors does.)
    func smallestNonzeroFiniteMagnitude(_ base: Ref, _ stride: Int, _ count: Int, into m: Ref) -> Bool
    /// `r ← −a` (exact).
    func negate(_ r: Ref, _ a: Ref)
    /// `r ← |a|` (exact).
    func magnitude(_ r: Ref, _ a: Ref)
    /// `r ← √a`.
    func squareRoot(_ r: Ref, _ a: Ref)

    /// `r ← eᵃ`.
    func exp(_ r: Ref, _ a: Ref)
    /// `r ← eᵃ − 1`.
    func expMinusOne(_ r: Ref, _ a: Ref)
    /// `r ← log a`.
    func log(_ r: Ref, _ a: Ref)
    /// `r ← log(1 + a)`.
    func logOnePlus(_ r: Ref, _ a: Ref)
    /// `r ← tanh a`.
    func tanh(_ r: Ref, _ a: Ref)
    /// `r ← erf a`.
    func erf(_ r: Ref, _ a: Ref)

    /// The order of `a` and `b`: −1, 0 (equal, `+0 = −0`) or +1; `nil` when either is NaN.
    func compare(_ a: Ref, _ b: Ref) -> Int?
    /// The sign of `a`: −1, 0 (for ±0) or +1; `nil` for NaN. Decides a ReLU.
    func sign(_ a: Ref) -> Int?
    /// The kind of value in `a`, for range events.
    func classify(_ a: Ref) -> ValueClass
    /// `r ←` a value enclosing both `a` and `b`: for interval arithmetics their hull; for point
    /// arithmetics `a` (or `b` when `b` is NaN, so NaN propagates). Nonsmooth kernels use it to
    /// keep an undecided site's output an enclosure of every piece it might be on.
    func hull(_ r: Ref, _ a: Ref, _ b: Ref)
    /// Whether `a` and `b` hold the same encoding (so every later operation gives the same bits:
    /// `+0` and `−0` differ, two NaNs of one sign agree). Backward uses it to share the work of
    /// two conventions wherever their gradients coincide.
    func identical(_ a: Ref, _ b: Ref) -> Bool
}

/// The kind of a value, as range events count them.
public enum ValueClass: Sendable, Hashable {
    case zero, subnormal, normal, infinite, nan
}

extension ScalarArithmetic {
    /// Point arithmetics: `a`, or `b` when `b` is NaN.
    @inlinable
    public func hull(_ r: Ref, _ a: Ref, _ b: Ref) {
        if classify(b) == .nan { copy(r, b) } else { copy(r, a) }
    }

    /// The element-by-element `axpy`, for arithmetics without a faster one (MPFR).
    @inlinable
    public func axpy(_ r: Ref, _ rs: Int, _ a: Ref, _ x: Ref, _ xs: Int, _ n: Int, fused: Bool) {
        for k in 0..<n {
            if fused { fusedMultiplyAdd(r + k &* rs, a, x + k &* xs, r + k &* rs) } else { multiplyAccumulate(r + k &* rs, a, x + k &* xs) }
        }
    }

    /// The element-by-element `flushedProducts`.
    @inlinable
    public func flushedProducts(_ a: Ref, _ x: Ref, _ xs: Int, _ n: Int) -> Int {
        guard classify(a) == .normal || classify(a) == .subnormal else { return 0 }
        let product = makeStorage(count: 1)
        var count = 0
        for k in 0..<n {
            let v = x + k &* xs
            guard classify(v) == .normal || classify(v) == .subnormal else { continue }
            multiply(product.base, a, v)
            if sign(product.base) == 0 { count += 1 }
        }
        return count
    }

    /// The element-by-element `flushedPairs`.
    @inlinable
    public func flushedPairs(_ u: Ref, _ us: Int, _ v: Ref, _ vs: Int, _ n: Int) -> Int {
        var count = 0
        for k in 0..<n { count += flushedProducts(u + k &* us, v + k &* vs, 0, 1) }
        return count
    }

    /// `matrixAccumulate` as `axpy` along each row of `c`, `k` increasing: the order it names.
    @inlinable
    public func matrixAccumulate(_ c: Ref, _ ldc: Int, _ a: Ref, _ lda: Int, _ ak: Int, _ b: Ref, _ ldb: Int,
                                 rows: Int, cols: Int, depth: Int, fused: Bool) {
        matrixAccumulateByRows(c, ldc, a, lda, ak, b, ldb, rows: rows, cols: cols, depth: depth, fused: fused)
    }

    /// `matrixAccumulate`, counting nothing.
    @inlinable
    public func matrixAccumulateCountingFlushes(_ c: Ref, _ ldc: Int, _ a: Ref, _ lda: Int, _ ak: Int, _ b: Ref, _ ldb: Int,
                                                rows: Int, cols: Int, depth: Int, fused: Bool) -> Int? {
        matrixAccumulate(c, ldc, a, lda, ak, b, ldb, rows: rows, cols: cols, depth: depth, fused: fused)
        return nil
    }

    /// The element-by-element `matrixAccumulate`: `depth` calls of `axpy` per row of `c`.
    @inlinable
    public func matrixAccumulateByRows(_ c: Ref, _ ldc: Int, _ a: Ref, _ lda: Int, _ ak: Int, _ b: Ref, _ ldb: Int,
                                       rows: Int, cols: Int, depth: Int, fused: Bool) {
        for m in 0..<rows {
            let cm = c + m &* ldc, am = a + m &* lda
            for k in 0..<depth { axpy(cm, 1, am + k &* ak, b + k &* ldb, 1, cols, fused: fused) }
        }
    }

    /// The element-by-element minimum, through `classify`, `magnitude` and `compare`.
    @inlinable
    public func smallestNonzeroFiniteMagnitude(_ base: Ref, _ stride: Int, _ count: Int, into m: Ref) -> Bool {
        let scratch = makeStorage(count: 1)
        let p = scratch.base
        var found = false
        for r in 0..<count {
            let e = base + r &* stride
            let kind = classify(e)
            guard kind == .normal || kind == .subnormal else { continue }
            magnitude(p, e)
            if !found || compare(p, m) == -1 { copy(m, p); found = true }
        }
        withExtendedLifetime(scratch) {}
        return found
    }

    /// The element-by-element `dotAccumulate`, for arithmetics without a faster one (MPFR).
    @inlinable
    public func dotAccumulate(_ r: Ref, _ a: Ref, _ as: Int, _ b: Ref, _ bs: Int, _ n: Int, fused: Bool) {
        for k in 0..<n {
            if fused { fusedMultiplyAdd(r, a + k &* `as`, b + k &* bs, r) } else { multiplyAccumulate(r, a + k &* `as`, b + k &* bs) }
        }
    }

    /// Storage holding `values`, each rounded to the precision.
    @inlinable
    public func makeStorage(_ values: [Double]) -> Storage {
        let s = makeStorage(count: values.count)
        let base = s.base
        for i in values.indices { set(base + i, values[i]) }
        return s
    }

    /// The slots of `storage` as the nearest `Double`s.
    @inlinable
    public func doubles(_ storage: Storage) -> [Double] {
        // One loop over a base pointer read once: called from unspecialised generic code (the
        // analysis), a closure per slot cost a metadata lookup per slot.
        let base = storage.base, count = storage.count
        return [Double](unsafeUninitializedCapacity: count) { buffer, initialized in
            for i in 0..<count { buffer[i] = double(base + i) }
            initialized = count
        }
    }
}
