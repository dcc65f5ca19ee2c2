/// Which smooth piece a piecewise op selected at one site, as a small code.
///
/// Codes count the pieces and breakpoints from below: an even code is the inside of a piece,
/// an odd code is *on* a breakpoint (a kink hit).
/// - `relu`, `leaky_relu`, `abs`: 0 below 0, 1 on 0, 2 above.
/// - `hardtanh`, `relu6`: 0 below min, 1 on min, 2 between, 3 on max, 4 above max.
/// - `maximum`, `minimum` of (a, b): 0 when a < b, 1 when a = b, 2 when a > b.
/// - `undefined` (255): the input was NaN; no piece applies.
/// - `undecided` (254): an interval arithmetic could not prove which piece (its enclosure of
///   the input meets a breakpoint without being it); the output encloses every piece.
public enum Piece {
    public static let below: UInt8 = 0
    public static let onLower: UInt8 = 1
    public static let between: UInt8 = 2
    public static let onUpper: UInt8 = 3
    public static let above: UInt8 = 4
    /// For single-breakpoint ops and maximum/minimum: above (or a > b).
    public static let aboveSingle: UInt8 = 2
    /// NaN input: no decision.
    public static let undefined: UInt8 = 255
    /// Not proven (interval arithmetic): see the type's documentation.
    public static let undecided: UInt8 = 254

    /// Whether a code is a kink hit.
    @inlinable public static func isKink(_ code: UInt8) -> Bool { code < undecided && code & 1 == 1 }
    /// Whether a code is a decision (neither NaN nor undecided).
    @inlinable public static func isDecided(_ code: UInt8) -> Bool { code < undecided }
}

/// The decisions of one max-pool node: for each site (a pooled output, batch-major), the set of
/// arg-max positions of its window, numbered row-major inside the window.
///
/// Stored as the first arg-max per site, plus the whole set only for sites with a tie (ties are
/// rare, except by structure), so the record costs 4 bytes a site.
public struct ArgmaxSets: Sendable, Equatable {
    /// The first (row-major) arg-max of each site; −1 when the window held a NaN, −2 when an
    /// interval arithmetic could not prove the maximum.
    public var first: [Int32]
    /// The full sorted arg-max set of each tied site.
    public var ties: [Int: [Int32]]

    public init(first: [Int32], ties: [Int: [Int32]] = [:]) {
        self.first = first
        self.ties = ties
    }

    /// The arg-max set at `site`.
    @inlinable public func set(_ site: Int) -> [Int32] {
        if let t = ties[site] { return t }
        return first[site] < 0 ? [] : [first[site]]
    }
    /// Whether `site` is tied (a kink hit).
    @inlinable public func isTied(_ site: Int) -> Bool { ties[site] != nil }
    /// Whether `site` has a proven decision.
    @inlinable public func isDecided(_ site: Int) -> Bool { first[site] >= 0 }
    /// Whether `site` was left undecided by an interval arithmetic.
    @inlinable public func isUndecided(_ site: Int) -> Bool { first[site] == -2 }
    /// The number of sites.
    public var count: Int { first.count }
}

/// What a nonsmooth node decided at each of its sites during a forward pass.
public enum DecisionRecord: Sendable, Equatable {
    /// Relu-like ops and maximum/minimum: one `Piece` code per site (flat over the batch).
    case pieces([UInt8])
    /// Max-pool: the arg-max set per site.
    case argmax(ArgmaxSets)

    /// The number of sites.
    public var siteCount: Int {
        switch self {
        case .pieces(let p): p.count
        case .argmax(let a): a.count
        }
    }

    /// The number of kink hits (codes on a breakpoint; tied windows).
    public var kinkCount: Int {
        switch self {
        case .pieces(let p): p.reduce(0) { $0 + (Piece.isKink($1) ? 1 : 0) }
        case .argmax(let a): a.ties.count
        }
    }
}

/// The decisions of every nonsmooth node of an execution, by node id: what a forced replay
/// follows.
public typealias DecisionSet = [NodeID: DecisionRecord]
