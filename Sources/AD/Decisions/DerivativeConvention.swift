/// How backward treats a kink hit: the derivative each nonsmooth primitive uses on a
/// breakpoint, as a table of the choices the primitives declare (`NonsmoothPrimitive.choices`).
///
/// Off the breakpoints every derivative is the smooth piece's. On them the choice is arbitrary
/// (any element of the Clarke subdifferential, or a conservative-field choice), and frameworks
/// disagree: PyTorch gives a tied max-pool's gradient to the first maximum, JAX and tinygrad
/// split a tied `maximum` evenly. The convention is data, so one forward pass can be
/// differentiated under several.
///
/// A convention holds one value per `ConventionChoice` of `ConventionChoice.all`; a new kinked
/// primitive adds its choice by declaring it, and the command line, the JSON report and the
/// Markdown report list it from that declaration.
public struct DerivativeConvention: Sendable, Hashable, Codable, CustomStringConvertible {
    /// How a tie among maxima shares the gradient.
    public enum TieRule: String, Sendable, Hashable, CaseIterable, Codable {
        /// All to the first tied position (row-major in the window; operand a for maximum/minimum).
        case first
        /// All to the last tied position (operand b for maximum/minimum).
        case last
        /// Evenly: each of the k tied positions gets the gradient ÷ k (rounded).
        case split
    }

    /// The value of every choice, by key.
    public private(set) var values: [String: ConventionValue]

    /// A convention with each choice at `value(choice)`.
    public init(_ value: (ConventionChoice) -> ConventionValue) {
        values = Dictionary(uniqueKeysWithValues: ConventionChoice.all.map { ($0.key, value($0)) })
    }

    /// The value of `choice`.
    public subscript(_ choice: ConventionChoice) -> ConventionValue {
        get { values[choice.key] ?? choice.pytorch }
        set { values[choice.key] = newValue }
    }

    /// A numeric choice's derivative; `standard` (the piece's own, such as leaky_relu's slope)
    /// reads as `standard`.
    public func derivative(_ choice: ConventionChoice, standard: Double = .nan) -> Double {
        switch self[choice] {
        case .number(let d): d
        case .standard: standard
        case .tie: standard
        }
    }

    /// A tie choice's rule (`first` for a value of another kind).
    public func tieRule(_ choice: ConventionChoice) -> TieRule {
        if case .tie(let t) = self[choice] { return t }
        return .first
    }

    /// PyTorch's choices, bpcheck's default C: each choice's `pytorch` value (its declaration
    /// cites the source).
    public static let pytorch = DerivativeConvention { $0.pytorch }

    /// The alternative convention C′: each of `pytorch`'s choices flipped.
    public static let alternative = pytorch.flipped

    /// Each choice flipped by its `FlipRule`. `pytorch.flipped == alternative`.
    public var flipped: DerivativeConvention {
        DerivativeConvention { $0.flip.apply(self[$0]) }
    }

    /// Checks every value against its choice's domain; a message naming the choice otherwise.
    public func validate() throws {
        for choice in ConventionChoice.all { try choice.check(self[choice]) }
    }

    /// `label=value` for each choice, in table order.
    public var description: String {
        ConventionChoice.all.map { $0.label + $0.render(self[$0]) }.joined(separator: ", ")
    }
}

/// A value of one convention choice.
public enum ConventionValue: Sendable, Hashable, Codable {
    /// A derivative at the kink.
    case number(Double)
    /// The piece's own value (leaky_relu's slope, elu's α): what the choice's `standardName` says.
    case standard
    /// How a tie shares the gradient.
    case tie(DerivativeConvention.TieRule)
}

/// One arbitrary choice a kinked primitive makes on its kink, declared by the primitive.
public struct ConventionChoice: Sendable, Hashable {
    /// What values the choice takes.
    public enum Domain: Sendable, Hashable {
        /// A derivative in a closed range.
        case range(ClosedRange<Double>)
        /// A derivative in a closed range, or `standard` (spelled `standardName`).
        case rangeOrStandard(ClosedRange<Double>, standardName: String)
        /// A tie rule.
        case tie
    }

    /// How `flipped` changes a value: to the other end of its range, so C and C′ disagree at
    /// every kink hit.
    public enum FlipRule: Sendable, Hashable {
        /// `d → 1 − d` (relu, hardtanh).
        case complement
        /// `0 → 1`, `d → −d` otherwise (abs).
        case negateOrOne
        /// `standard → 1`, anything else → `standard` (leaky_relu's slope, elu's α).
        case standardOrOne
        /// `first ↔ last`, `split → first`.
        case tie

        public func apply(_ v: ConventionValue) -> ConventionValue {
            switch (self, v) {
            case (.complement, .number(let d)): .number(1 - d)
            case (.negateOrOne, .number(let d)): .number(d == 0 ? 1 : -d)
            case (.standardOrOne, .standard): .number(1)
            case (.standardOrOne, _): .standard
            case (.tie, .tie(let t)): .tie(t == .first ? .last : .first)
            default: v
            }
        }
    }

    /// The key in reports (`relu_prime_at_0`): stable, part of `bpcheck-report/1`.
    public let key: String
    /// The command-line option (`relu-prime`, used as `--relu-prime`).
    public let flag: String
    /// How reports write it, with its separator (`relu'(0)=`, `maxpool ties: `).
    public let label: String
    /// What values it takes.
    public let domain: Domain
    /// PyTorch's value: bpcheck's default C.
    public let pytorch: ConventionValue
    /// Where PyTorch's value comes from (the derivative formula or kernel).
    public let source: String
    /// How the alternative C′ flips it.
    public let flip: FlipRule
    /// One line for `--help` and the docs.
    public let doc: String

    public init(key: String, flag: String, label: String, domain: Domain, pytorch: ConventionValue, source: String, flip: FlipRule, doc: String) {
        self.key = key
        self.flag = flag
        self.label = label
        self.domain = domain
        self.pytorch = pytorch
        self.source = source
        self.flip = flip
        self.doc = doc
    }

    public static func == (l: ConventionChoice, r: ConventionChoice) -> Bool { l.key == r.key }
    public func hash(into h: inout Hasher) { h.combine(key) }

    /// Every choice, in table order: the declared choices of `Op.primitiveTypes`' nonsmooth
    /// primitives, in that order, each once (hardtanh and relu6 share one, as do maximum and
    /// minimum).
    public static let all: [ConventionChoice] = {
        var seen = Set<String>(), out: [ConventionChoice] = []
        for type in Op.primitiveTypes {
            guard let kinked = type as? any NonsmoothPrimitive.Type else { continue }
            for c in kinked.choices where seen.insert(c.key).inserted { out.append(c) }
        }
        return out
    }()

    /// The choice with this key or flag.
    public static func named(_ name: String) -> ConventionChoice? {
        all.first { $0.key == name || $0.flag == name }
    }

    /// The value in reports: a number as Swift prints a `Double`, `standard` by its name, a rule by name.
    public func render(_ v: ConventionValue) -> String {
        switch v {
        case .number(let d): "\(d)"
        case .standard: if case .rangeOrStandard(_, let name) = domain { name } else { "standard" }
        case .tie(let t): t.rawValue
        }
    }

    /// Parses a value as the command line writes it (`0.5`, `slope`, `split`).
    public func parse(_ text: String) throws -> ConventionValue {
        let v: ConventionValue
        switch domain {
        case .tie:
            guard let t = DerivativeConvention.TieRule(rawValue: text) else {
                throw ConventionError(message: "--\(flag) must be first, last or split, found '\(text)'")
            }
            v = .tie(t)
        case .rangeOrStandard(_, let name) where text == name:
            v = .standard
        case .range, .rangeOrStandard:
            guard let d = Double(text) else { throw ConventionError(message: "--\(flag): expected a number, found '\(text)'") }
            v = .number(d)
        }
        try check(v)
        return v
    }

    /// Throws when `v` is outside the domain.
    public func check(_ v: ConventionValue) throws {
        let name = label.hasSuffix("=") ? String(label.dropLast()) : key
        switch (domain, v) {
        case (.tie, .tie), (.rangeOrStandard, .standard):
            return
        case (.range(let r), .number(let d)), (.rangeOrStandard(let r, _), .number(let d)):
            guard r.contains(d) else { throw ConventionError(message: "\(name) = \(d) is outside [\(r.lowerBound), \(r.upperBound)]") }
        default:
            throw ConventionError(message: "\(name): a value of the wrong kind")
        }
    }
}

/// A convention with a value outside its range.
public struct ConventionError: Error, CustomStringConvertible, Equatable {
    public let message: String
    public init(message: String) { self.message = message }
    public var description: String { message }
}
