/// What a nonsmooth node decided at each of its sites during a forward pass: one of the two
/// record kinds, behind the one `SiteRecord` interface.
public enum DecisionRecord: SiteRecord {
    public var decisionRecord: DecisionRecord { self }
    public init?(_ record: DecisionRecord) { self = record }

    /// Breakpoint ops (relu-like, maximum/minimum): one `Piece` code per site.
    case pieces(PieceCodes)
    /// Max-pool: the arg-max set per site.
    case argmax(ArgmaxSets)

    public var siteCount: Int {
        switch self {
        case .pieces(let p): p.siteCount
        case .argmax(let a): a.siteCount
        }
    }

    public func state(_ site: Int) -> SiteState {
        switch self {
        case .pieces(let p): p.state(site)
        case .argmax(let a): a.state(site)
        }
    }

    /// Records of different kinds never agree.
    public func sameDecision(_ site: Int, as other: DecisionRecord) -> Bool {
        switch (self, other) {
        case (.pieces(let p), .pieces(let q)): p.sameDecision(site, as: q)
        case (.argmax(let p), .argmax(let q)): p.sameDecision(site, as: q)
        default: false
        }
    }

    /// A record of another kind leaves this one unchanged.
    public mutating func fillUndecided(from other: DecisionRecord) {
        switch (self, other) {
        case (.pieces(var p), .pieces(let q)): p.fillUndecided(from: q); self = .pieces(p)
        case (.argmax(var p), .argmax(let q)): p.fillUndecided(from: q); self = .argmax(p)
        default: break
        }
    }

    /// A record of another kind leaves this one unchanged.
    public mutating func replace(_ site: Int, from other: DecisionRecord) {
        switch (self, other) {
        case (.pieces(var p), .pieces(let q)): p.replace(site, from: q); self = .pieces(p)
        case (.argmax(var p), .argmax(let q)): p.replace(site, from: q); self = .argmax(p)
        default: break
        }
    }

    public func samples(_ samples: Range<Int>, of batch: Int) -> DecisionRecord {
        switch self {
        case .pieces(let p): .pieces(p.samples(samples, of: batch))
        case .argmax(let a): .argmax(a.samples(samples, of: batch))
        }
    }

    /// Parts must all be of one kind (the first part's); others are skipped.
    public static func stitch(_ parts: [DecisionRecord]) -> DecisionRecord {
        if case .argmax = parts.first {
            return .argmax(ArgmaxSets.stitch(parts.compactMap { if case .argmax(let a) = $0 { a } else { nil } }))
        }
        return .pieces(PieceCodes.stitch(parts.compactMap { if case .pieces(let p) = $0 { p } else { nil } }))
    }
}

/// The decisions of every nonsmooth node of an execution, by node id: what a forced replay
/// follows.
public typealias DecisionSet = [NodeID: DecisionRecord]
