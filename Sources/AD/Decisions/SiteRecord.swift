/// What a nonsmooth primitive decided at one site, as the analyzer compares it.
public enum SiteState: Sendable, Hashable {
    /// Decided, inside one smooth piece (off every breakpoint, an untied maximum).
    case smooth
    /// Decided, exactly on a kink: a breakpoint hit or a tie among maxima. Here the derivative
    /// is the convention's choice.
    case kink
    /// The input was NaN: no piece applies and no decision was made.
    case undefined
    /// An interval arithmetic could not prove which piece (its enclosure meets a breakpoint
    /// without being it); the output encloses every piece the site may be on.
    case undecided

    /// Whether a decision was made (neither NaN nor undecided).
    @inlinable public var isDecided: Bool { self == .smooth || self == .kink }
}

/// The decisions of one nonsmooth node, site by site (sites are flat over the batch,
/// batch-major, so a record of `N` samples is `N` equal runs of `siteCount / N` sites).
///
/// Both record kinds conform — `PieceCodes` for breakpoint ops and `ArgmaxSets` for max-pool —
/// so everything the analyzer does with decisions (classify, merge R's with P's, force one site,
/// cut a batch into samples and stitch it back) is written once.
public protocol SiteRecord: Sendable, Equatable {
    /// The number of sites.
    var siteCount: Int { get }
    /// The state of `site`.
    func state(_ site: Int) -> SiteState
    /// Whether `site` took the same decision here and in `other` (same piece, same arg-max set).
    func sameDecision(_ site: Int, as other: Self) -> Bool
    /// Takes `other`'s decision at every site not decided here (NaN or undecided).
    mutating func fillUndecided(from other: Self)
    /// Takes `other`'s decision at `site`.
    mutating func replace(_ site: Int, from other: Self)
    /// The sites of samples `samples` of a batch of `batch` samples, renumbered from 0.
    func samples(_ samples: Range<Int>, of batch: Int) -> Self
    /// Records of consecutive sample ranges joined back into one (the inverse of `samples`).
    static func stitch(_ parts: [Self]) -> Self
    /// This record as a `DecisionRecord` (what an execution stores).
    var decisionRecord: DecisionRecord { get }
    /// The record of this kind inside `record`, nil for another kind.
    init?(_ record: DecisionRecord)
}

extension SiteRecord {
    /// The number of kink hits.
    public var kinkCount: Int { (0..<siteCount).reduce(0) { $0 + (state($1) == .kink ? 1 : 0) } }
    /// The number of sites an interval arithmetic left undecided.
    public var undecidedCount: Int { (0..<siteCount).reduce(0) { $0 + (state($1) == .undecided ? 1 : 0) } }
}
