// Bit-level rounding into the emulated 16-bit formats.
//
// Why software: Swift's native `Float16` makes every operation a library call on the default
// x86-64 target (~130× slower than Float), its fused multiply-add rounds twice, and there is no
// native bfloat16. These routines round exactly (round-to-nearest-even, gradual underflow,
// overflow to ±∞) with integer and Float operations only, and are checked exhaustively or on
// millions of cases against MPFR in the tests.

/// Rounds a `Float` to the nearest binary16, ties to even, and returns its bit pattern.
///
/// Subnormal results are exact multiples of 2⁻²⁴; magnitudes from `65520` up overflow to ∞.
/// A NaN keeps its sign and the leading 10 bits of its payload (a NaN whose payload lives only
/// in the dropped bits becomes the quiet NaN), so every binary16 NaN survives a round trip
/// through `Float`.
///
/// Written without branches (every case is computed, then selected) so that loops over it
/// vectorise without CPU-specific flags.
@inlinable @inline(__always)
public func binary16Bits(roundingFloat f: Float) -> UInt16 {
    let x = f.bitPattern
    let sign = (x >> 16) & 0x8000
    let a = x & 0x7FFF_FFFF
    // Normal: rebias the exponent (127 → 15) and round the 13 dropped bits to nearest even. A
    // carry out of the significand increments the exponent, and from 65520 on yields 0x7C00 (∞).
    let normal = (a &- 0x3800_0000 &+ 0x0FFF &+ ((a >> 13) & 1)) >> 13
    // Below 2^-14: 0.5 has a Float ulp of 2^-24, the binary16 subnormal quantum, so the hardware
    // addition rounds |f| to that grid (ties to even); the low bits are then the binary16
    // encoding (0x0400, the least normal, included).
    let subnormal = (Float(bitPattern: a) + 0.5).bitPattern &- 0x3F00_0000
    let payload = (a >> 13) & 0x03FF
    let nan = 0x7C00 | (payload == 0 ? 0x0200 : payload)
    var r = a < 0x3880_0000 ? subnormal : normal
    r = a >= 0x4780_0000 ? 0x7C00 : r  // |f| ≥ 2^16 and ∞
    r = a > 0x7F80_0000 ? nan : r
    return UInt16(truncatingIfNeeded: r | sign)
}

/// The exact `Float` value of a binary16 bit pattern (NaN payloads kept bit for bit).
/// Branch-free, like `binary16Bits(roundingFloat:)`.
@inlinable @inline(__always)
public func floatFromBinary16Bits(_ h: UInt16) -> Float {
    let sign = UInt32(h & 0x8000) << 16
    let magnitude = UInt32(h & 0x7FFF) << 13
    let exponentBits = h & 0x7C00
    // Normal: rebias 15 → 127. ∞/NaN: rebias twice, so the exponent field is all ones.
    let normal = magnitude &+ (exponentBits == 0x7C00 ? 0x7000_0000 : 0x3800_0000)
    // Zero or subnormal m·2^-24: read m as the fraction of 2^-14·(1 + m/2^10), then subtract
    // 2^-14 (exact).
    let subnormal = (Float(bitPattern: magnitude &+ 0x3880_0000) - 0x1p-14).bitPattern
    return Float(bitPattern: sign | (exponentBits == 0 ? subnormal : normal))
}

/// Rounds a `Float` to the nearest bfloat16, ties to even, and returns its bit pattern.
///
/// bfloat16 is the top half of a binary32, so rounding is an integer add on the low 16 bits;
/// subnormals and the overflow to ∞ come out of the carry. NaNs keep sign and leading payload.
@inlinable @inline(__always)
public func bfloat16Bits(roundingFloat f: Float) -> UInt16 {
    let x = f.bitPattern
    if x & 0x7FFF_FFFF > 0x7F80_0000 {
        var top = UInt16(truncatingIfNeeded: x >> 16)
        if top & 0x007F == 0 { top |= 0x0040 }
        return top
    }
    return UInt16(truncatingIfNeeded: (x &+ 0x7FFF &+ ((x >> 16) & 1)) >> 16)
}

/// The exact `Float` value of a bfloat16 bit pattern.
@inlinable @inline(__always)
public func floatFromBFloat16Bits(_ b: UInt16) -> Float {
    Float(bitPattern: UInt32(b) << 16)
}

/// Rounds a `Double` to the nearest value of a binary format with `p` significand bits, normal
/// exponents `emin...emax` and subnormals, ties to even; returns the format's bit pattern laid
/// out as sign | exponent (biased by `emax`) | `p − 1` fraction bits, the sign at bit
/// `signBit`.
///
/// One rounding, straight from the `Double`: going through `Float` first would round twice.
/// Used for `Double` → binary16/bfloat16 conversions and for the once-rounded results of fused
/// and elementary operations computed in `Double`.
@inlinable
public func roundDoubleToBinaryFormat(_ d: Double, p: Int, emin: Int, emax: Int, signBit: Int) -> UInt64 {
    let bits = d.bitPattern
    let sign = (bits >> 63) << UInt64(signBit)
    let fractionBits = p - 1
    let exponentField = Int((bits >> 52) & 0x7FF)
    let fraction = bits & 0x000F_FFFF_FFFF_FFFF
    let infinityBits = UInt64(2 * emax + 1) << UInt64(fractionBits)
    if exponentField == 0x7FF {
        if fraction == 0 { return sign | infinityBits }
        var payload = fraction >> UInt64(52 - fractionBits)
        if payload == 0 { payload = 1 << UInt64(fractionBits - 1) }
        return sign | infinityBits | payload
    }
    if exponentField == 0 && fraction == 0 { return sign }
    // d = significand · 2^scale with an integer significand; top = exponent of its leading bit.
    let significand: UInt64
    let scale: Int
    let top: Int
    if exponentField == 0 {
        significand = fraction
        scale = -1074
        top = -1074 + 63 - fraction.leadingZeroBitCount
    } else {
        significand = fraction | (1 << 52)
        scale = exponentField - 1075
        top = exponentField - 1023
    }
    // The result is n · 2^quantum: the format's grid at this magnitude.
    let quantum = max(top, emin) - fractionBits
    let shift = quantum - scale
    var n: UInt64
    if shift <= 0 {
        n = significand << UInt64(-shift)  // exact (only for formats finer than the input)
    } else if shift > 54 {
        n = 0  // below half the smallest subnormal
    } else {
        n = significand >> UInt64(shift)
        let remainder = significand & ((1 << UInt64(shift)) - 1)
        let half: UInt64 = 1 << UInt64(shift - 1)
        if remainder > half || (remainder == half && n & 1 == 1) { n += 1 }
    }
    var encoded: UInt64
    if top < emin {
        encoded = n  // subnormal; n = 2^(p−1) is the least normal's encoding
    } else {
        // n includes the implicit bit, so adding it to (biased exponent − 1) yields the encoding,
        // and a rounding carry (n = 2^p) moves to the next exponent by itself.
        encoded = (UInt64(top + emax - 1) << UInt64(fractionBits)) + n
    }
    if encoded >= infinityBits { encoded = infinityBits }
    return sign | encoded
}

/// Rounds `p + c`, both exact in `Double`, so that a later rounding to a format of at most 51
/// bits rounds once: the result is the `Double` nearest `p + c` when exact, otherwise the
/// neighbour of the two bracketing it whose last bit is odd ("round to odd").
///
/// Round-to-odd at `q ≥ p + 2` bits followed by round-to-nearest at `p` bits equals one
/// round-to-nearest (Boldo & Melquiond, 2008). Used by the fused multiply-add of the 16-bit
/// formats, whose products are exact in `Double`.
@inlinable @inline(__always)
public func sumRoundedToOdd(_ p: Double, _ c: Double) -> Double {
    let s = p + c
    // Knuth's TwoSum: s + e == p + c exactly (no overflow is possible for 16-bit operands).
    let bp = s - p
    let ap = s - bp
    let e = (p - ap) + (c - bp)
    if e != 0 && s.isFinite && s.bitPattern & 1 == 0 {
        return e > 0 ? s.nextUp : s.nextDown
    }
    return s
}
