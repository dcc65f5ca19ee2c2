import CMPFR

/// The rounding direction of an MPFR arithmetic.
///
/// bpcheck's precisions all round to nearest; the directed modes let the certified reference
/// enclose a value it cannot compute exactly (a lower bound rounded down, an upper bound
/// rounded up).
public enum MPFRRounding: Sendable, Hashable, CaseIterable {
    /// To nearest, ties to even (`MPFR_RNDN`).
    case nearest
    /// Toward −∞ (`MPFR_RNDD`).
    case down
    /// Toward +∞ (`MPFR_RNDU`).
    case up
    /// Toward zero (`MPFR_RNDZ`).
    case towardZero
    /// Away from zero (`MPFR_RNDA`).
    case awayFromZero

    /// MPFR's constant for this direction.
    @inlinable public var mode: mpfr_rnd_t {
        switch self {
        case .nearest: MPFR_RNDN
        case .down: MPFR_RNDD
        case .up: MPFR_RNDU
        case .towardZero: MPFR_RNDZ
        case .awayFromZero: MPFR_RNDA
        }
    }
}
