/// The decisions of one max-pool node: for each site (a pooled output, batch-major), the set of
/// arg-max positions of its window, numbered row-major inside the window.
///
/// Stored as the first arg-max per site, plus the whole set only for sites with a tie (ties are
/// rare, except by structure), so the record costs 4 bytes a site. A negative first arg-max is
/// not a position: `noDecision` (the window held a NaN) or `undecidedSite`; read them through
/// `state(_:)`.
public struct ArgmaxSets: SiteRecord {
    /// The first (row-major) arg-max of each site, or `noDecision` / `undecidedSite`.
    public var first: [Int32]
    /// The full sorted arg-max set of each tied site.
    public var ties: [Int: [Int32]]

    /// `first` of a window that held a NaN.
    public static let noDecision: Int32 = -1
    /// `first` of a site an interval arithmetic could not decide.
    public static let undecidedSite: Int32 = -2

    public init(first: [Int32], ties: [Int: [Int32]] = [:]) {
        self.first = first
        self.ties = ties
    }

    /// The arg-max set at `site` (empty without a decision).
    @inlinable public func set(_ site: Int) -> [Int32] {
        if let t = ties[site] { return t }
        return first[site] < 0 ? [] : [first[site]]
    }
    /// Whether `site` is tied (a kink hit).
    @inlinable public func isTied(_ site: Int) -> Bool { ties[site] != nil }
    /// Whether `site` has a proven decision.
    @inlinable public func isDecided(_ site: Int) -> Bool { first[site] >= 0 }
    /// Whether `site` was left undecided by an interval arithmetic.
    @inlinable public func isUndecided(_ site: Int) -> Bool { first[site] == Self.undecidedSite }
    /// The number of sites.
    public var count: Int { first.count }

    public var siteCount: Int { first.count }
    public func state(_ site: Int) -> SiteState {
        switch first[site] {
        case Self.undecidedSite: .undecided
        case ..<0: .undefined
        default: ties[site] != nil ? .kink : .smooth
        }
    }
    /// Same first arg-max and same tied set (no array is built: classification calls this for
    /// every untied site).
    public func sameDecision(_ site: Int, as other: ArgmaxSets) -> Bool { first[site] == other.first[site] && ties[site] == other.ties[site] }
    public mutating func fillUndecided(from other: ArgmaxSets) {
        for site in 0..<count where !isDecided(site) { replace(site, from: other) }
    }
    public mutating func replace(_ site: Int, from other: ArgmaxSets) {
        first[site] = other.first[site]
        ties[site] = other.ties[site]
    }
    public func samples(_ samples: Range<Int>, of batch: Int) -> ArgmaxSets {
        let per = first.count / Swift.max(batch, 1)
        let lo = samples.lowerBound * per, hi = samples.upperBound * per
        var t: [Int: [Int32]] = [:]
        for (site, set) in ties where site >= lo && site < hi { t[site - lo] = set }
        return ArgmaxSets(first: Array(first[lo..<hi]), ties: t)
    }
    public var decisionRecord: DecisionRecord { .argmax(self) }
    public init?(_ record: DecisionRecord) {
        guard case .argmax(let a) = record else { return nil }
        self = a
    }
    public static func stitch(_ parts: [ArgmaxSets]) -> ArgmaxSets {
        var out = ArgmaxSets(first: [])
        for part in parts {
            let offset = out.first.count
            out.first += part.first
            for (site, set) in part.ties { out.ties[site + offset] = set }
        }
        return out
    }
}
