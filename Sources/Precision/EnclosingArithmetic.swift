/// An arithmetic of **enclosures**: what the certified reference R needs of the arithmetic it
/// runs in, beyond what the engine needs (`ScalarArithmetic`).
///
/// Every slot holds a set `[a] ⊂ ℝ` (for intervals, `[lo, hi]`) that contains the exact value
/// the computation would have over ℝ at every point of its operands' sets. The engine's
/// operations keep that invariant (outward rounding); `compare` and `sign` answer only when the
/// answer holds for every pair of points of the sets (`nil` otherwise, an undecided site), and
/// `hull` covers an undecided site's pieces. `double(a)` is the midpoint of `[a]` rounded to the
/// nearest `Double`: the value R reports as `g_R`.
///
/// Precision is a ladder: R runs at one rung and, while a decision is unproven, climbs to
/// `nextRung` (more bits, narrower enclosures) until every site is decided or the ladder ends.
///
/// Whatever reads a slot's representation (its bounds) belongs to the conformance: code generic
/// over this protocol — the analyzer — sees enclosures only through these requirements.
public protocol EnclosingArithmetic: ScalarArithmetic {
    /// The working precision in significand bits (what reports print as R's precision).
    var bits: Int { get }
    /// The same arithmetic at `bits` bits, on the same ladder (R's backward passes run at a
    /// lower rung than its forward pass: `Execution.converted(to:)`).
    func withPrecision(bits: Int) -> Self
    /// The next rung of the escalation ladder — a strictly higher precision (for MPFR
    /// intervals: the bits doubled, clamped to the ladder's cap) — or `nil` at the top.
    var nextRung: Self? { get }

    /// Whether `[a]` is a single real number `{x}` (the value is then exact: no enclosure width).
    func isPoint(_ a: Ref) -> Bool
    /// The width `sup[a] − inf[a]`, rounded up to a `Double` (`+∞` when unbounded; NaN bounds
    /// give NaN).
    func width(_ a: Ref) -> Double
    /// Whether `[b] ⊆ [a]`. False when either holds a NaN.
    func encloses(_ a: Ref, _ b: Ref) -> Bool
    /// Whether `[a] ∩ [b] = ∅`: every value `a` may stand for differs from every value `b` may
    /// stand for, so the exact values differ over ℝ. False when either holds a NaN, and false
    /// for overlapping enclosures however far apart their midpoints are.
    func provenDifferent(_ a: Ref, _ b: Ref) -> Bool
    /// `mid[a] − mid[b]`, with `mid[x] = (inf[x] + sup[x]) / 2`, formed at a precision above this
    /// arithmetic's (exact when the bounds are of at most `bits` bits and of similar magnitude)
    /// and then rounded to the nearest `Double`: a difference far below the enclosures' own
    /// magnitude is measured, not drowned by rounding each midpoint to `Double` first.
    func midpointDifference(_ a: Ref, _ b: Ref) -> Double
    /// `p − mid[a]` formed as `midpointDifference(_:_:)` forms it, then rounded to the nearest
    /// `Double`: a precision's value `p` against R's.
    func midpointDifference(_ p: Double, _ a: Ref) -> Double
    /// `[a]` for people, as reports print R's values.
    func render(_ a: Ref) -> String
}

extension EnclosingArithmetic {
    /// The ladder from this rung up: `self`, `nextRung`, its `nextRung`, … to the top.
    public var ladder: [Self] {
        var rungs = [self]
        while let next = rungs.last!.nextRung { rungs.append(next) }
        return rungs
    }
}
