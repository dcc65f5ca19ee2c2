/// The numbering of pieces and breakpoints in a `PieceCodes` record.
///
/// Codes count the pieces and breakpoints from below: an even code is the inside of a piece,
/// an odd code is *on* a breakpoint (a kink hit).
/// - one breakpoint (`relu`, `leaky_relu`, `abs`, `elu`): 0 below, 1 on it, 2 above.
/// - two breakpoints (`hardtanh`, `relu6`): 0 below min, 1 on min, 2 between, 3 on max, 4 above.
/// - `maximum`, `minimum` of (a, b): 0 when a < b, 1 when a = b, 2 when a > b.
/// - `undefined` (255): the input was NaN; no piece applies.
/// - `undecided` (254): an interval arithmetic could not prove which piece.
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
    /// Not proven (interval arithmetic).
    public static let undecided: UInt8 = 254

    /// The state a code stands for.
    @inlinable public static func state(_ code: UInt8) -> SiteState {
        code == undefined ? .undefined : code == undecided ? .undecided : code & 1 == 1 ? .kink : .smooth
    }
    /// Whether a code is a kink hit.
    @inlinable public static func isKink(_ code: UInt8) -> Bool { state(code) == .kink }
    /// Whether a code is a decision (neither NaN nor undecided).
    @inlinable public static func isDecided(_ code: UInt8) -> Bool { state(code).isDecided }
}

/// The decisions of a breakpoint op: one `Piece` code per site (a byte a site; the site is the
/// op's input element, flat over the batch).
public struct PieceCodes: SiteRecord, ExpressibleByArrayLiteral, RandomAccessCollection, MutableCollection {
    /// The codes, by site.
    public var codes: [UInt8]

    public init(_ codes: [UInt8]) { self.codes = codes }
    public init(arrayLiteral elements: UInt8...) { codes = elements }

    public var startIndex: Int { 0 }
    public var endIndex: Int { codes.count }
    public subscript(_ site: Int) -> UInt8 {
        get { codes[site] }
        set { codes[site] = newValue }
    }

    public var siteCount: Int { codes.count }
    public func state(_ site: Int) -> SiteState { Piece.state(codes[site]) }
    public func sameDecision(_ site: Int, as other: PieceCodes) -> Bool { codes[site] == other.codes[site] }
    public mutating func fillUndecided(from other: PieceCodes) {
        for i in codes.indices where !Piece.isDecided(codes[i]) { codes[i] = other.codes[i] }
    }
    public mutating func replace(_ site: Int, from other: PieceCodes) { codes[site] = other.codes[site] }
    public func samples(_ samples: Range<Int>, of batch: Int) -> PieceCodes {
        let per = codes.count / Swift.max(batch, 1)
        return PieceCodes(Array(codes[(samples.lowerBound * per)..<(samples.upperBound * per)]))
    }
    public var decisionRecord: DecisionRecord { .pieces(self) }
    public init?(_ record: DecisionRecord) {
        guard case .pieces(let p) = record else { return nil }
        self = p
    }
    public static func stitch(_ parts: [PieceCodes]) -> PieceCodes { PieceCodes(parts.flatMap(\.codes)) }
}

extension PieceCodes {
    /// How a report names `code`: `names[code]` for a decision, `NaN`, or `undecided`.
    public static func label(_ code: UInt8, _ names: [String]) -> String {
        if code == Piece.undefined { return "NaN" }
        if code == Piece.undecided { return "undecided" }
        return Int(code) < names.count ? names[Int(code)] : "code \(code)"
    }

    /// Names of the three codes of a single breakpoint at 0.
    public static let singleBreakpointNames = ["below 0", "at 0", "above 0"]
    /// Names of the five codes of two breakpoints.
    public static let boundsNames = ["below min", "at min", "between", "at max", "above max"]
}
