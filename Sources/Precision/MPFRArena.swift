import CMPFR

/// `count` MPFR values of one precision in one arena: a block of `mpfr_t` headers and one
/// block of limbs, set up with MPFR's custom-allocation interface.
///
/// Two allocations for any number of values, none per operation: a tensor of a million
/// 256-bit values costs 64 MB and a few milliseconds to create. Values are `+0` initially.
/// The precision of a slot must never change (`mpfr_set_prec` would reallocate its limbs);
/// MPFR operations write results in place, rounded to the destination's precision.
public final class MPFRArena: ScalarStorage, @unchecked Sendable {
    public let count: Int
    /// The significand bits of every value.
    public let bits: Int
    /// The `mpfr_t` headers; `base + i` is value `i`, usable as an `mpfr_ptr`.
    public let base: UnsafeMutablePointer<__mpfr_struct>
    private let limbs: UnsafeMutableRawPointer

    /// `count` values of `bits` significand bits, each `+0`.
    public init(count: Int, bits: Int) {
        precondition(count >= 0, "negative arena size")
        precondition(bits >= PrecisionName.mpfrMinBits && bits <= PrecisionName.mpfrMaxBits, "MPFR precision \(bits) out of range")
        self.count = count
        self.bits = bits
        let limbBytes = mpfr_custom_get_size(mpfr_prec_t(bits))
        base = .allocate(capacity: Swift.max(count, 1))
        limbs = .allocate(byteCount: Swift.max(count * limbBytes, 1), alignment: 16)
        for i in 0..<count { MPFRLibrary.initializeZero(base + i, limbs: limbs + i * limbBytes, bits: bits) }
    }

    /// A new arena of the same precision holding the same values (exactly: same precision).
    public func clone() -> MPFRArena {
        let copy = MPFRArena(count: count, bits: bits)
        for i in 0..<count { mpfr_set(copy.base + i, base + i, MPFR_RNDN) }
        return copy
    }

    deinit {
        // Custom-allocated values need no mpfr_clear: the memory is ours.
        base.deallocate()
        limbs.deallocate()
    }
}
