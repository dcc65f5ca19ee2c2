import AD

/// How a site's decision at a precision P relates to the certified reference R's
/// (analysis.md, "Site classes").
public enum SiteClass: String, CaseIterable, Sendable, Codable, CodingKeyRepresentable {
    /// P and R both on a kink: the network really sits there (bifurcation zone over ℝ).
    case genuine
    /// P on a kink, R off it: rounding put the computation on the kink (compensation zone).
    case spurious
    /// R on a kink, P off it: rounding moved a real kink away.
    case masked
    /// Both off kinks, on different pieces: rounding chose the other piece.
    case flipped
    /// R could not prove its decision within the precision cap (or P's input was NaN).
    case undecided

    /// The class of site `i`, nil when ok (analysis.md's site classes), from P's record `p` and
    /// R's `r` of one nonsmooth node.
    static func of(_ p: DecisionRecord, _ r: DecisionRecord, _ i: Int) -> SiteClass? {
        let sp = p.state(i), sr = r.state(i)
        if !sr.isDecided || !sp.isDecided { return .undecided }
        switch (sp == .kink, sr == .kink) {
        case (true, true): return .genuine
        case (true, false): return .spurious
        case (false, true): return .masked
        case (false, false): return p.sameDecision(i, as: r) ? nil : .flipped
        }
    }
}

/// One classified site: where, what P and R decided, and their values.
public struct Site: Sendable, Equatable, Codable {
    /// The nonsmooth node's name.
    public let layer: String
    /// The sample within the batch.
    public let sample: Int
    /// The flat per-sample index: of the op's input for relu-like ops and maximum/minimum, of
    /// the pooled output `(c, oy, ox)` for max-pooling.
    public let index: Int
    public let siteClass: SiteClass
    /// P's decision and the value it was made on (decimal).
    public let decisionAtP: String
    public let valueAtP: String
    /// R's decision and the certified value (a decimal, or `[lo, hi]` when not a point).
    public let decisionInR: String
    public let certifiedValue: String
    /// How much of the gradient error this site carries: `‖g_P − g_P^(site)‖ / ‖g_R‖`, where
    /// `g_P^(site)` is P's backprop with only this site's decision forced to R's. Computed for
    /// the few most severe sites of each precision (`Analysis.attributedSites`); nil otherwise.
    public var errorShare: Double?
}
