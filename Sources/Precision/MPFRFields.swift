import CMPFR

/// Inline readers of an MPFR value's fields, for the hot loops of the interval reference.
///
/// `mpfr_nan_p`, `mpfr_zero_p`, `mpfr_signbit` are macros in C; Swift reaches the library's
/// function forms instead, one call each. And `mpfr_equal_p` goes through the general
/// `mpfr_cmp3`: the profile of the whole W2 analysis showed the point test of every interval
/// product (two bounds equal?) costing 12% of the run. These read the documented layout of
/// `__mpfr_struct` (mpfr.h: the singular values are encoded by reserved exponents).
@usableFromInline enum MPFRFields {
    /// mpfr.h's `__MPFR_EXP_ZERO`, `__MPFR_EXP_NAN`, `__MPFR_EXP_INF` (`mpfr_exp_t` is `long`).
    /// (Computed, not stored: a stored static would be a lazily initialised global.)
    @inlinable static var zeroExponent: Int { 0 - Int.max }
    @inlinable static var nanExponent: Int { 1 - Int.max }
    @inlinable static var infExponent: Int { 2 - Int.max }

    @inlinable @inline(__always) static func isNaN(_ x: UnsafePointer<__mpfr_struct>) -> Bool { x.pointee._mpfr_exp == nanExponent }
    @inlinable @inline(__always) static func isZero(_ x: UnsafePointer<__mpfr_struct>) -> Bool { x.pointee._mpfr_exp == zeroExponent }
    @inlinable @inline(__always) static func isInfinite(_ x: UnsafePointer<__mpfr_struct>) -> Bool { x.pointee._mpfr_exp == infExponent }
    /// Whether `x` is a nonzero finite number (the singular exponents are the lowest three).
    @inlinable @inline(__always) static func isRegular(_ x: UnsafePointer<__mpfr_struct>) -> Bool { x.pointee._mpfr_exp > infExponent }
    /// The sign bit (set for −0 and for negative values; meaningless for NaN, as in MPFR).
    @inlinable @inline(__always) static func signBit(_ x: UnsafePointer<__mpfr_struct>) -> Bool { x.pointee._mpfr_sign < 0 }
    /// `mpfr_sgn` (a macro Swift cannot see): −1, 0 or +1 for a number (0 for ±0).
    @inlinable @inline(__always) static func sign(_ x: UnsafePointer<__mpfr_struct>) -> Int {
        isZero(x) ? 0 : (signBit(x) ? -1 : 1)
    }

    /// `mpfr_equal_p`: the same number (`+0 = −0`, NaN equals nothing), comparing exponent,
    /// sign and significand limbs directly.
    @inlinable @inline(__always) static func equal(_ x: UnsafePointer<__mpfr_struct>, _ y: UnsafePointer<__mpfr_struct>) -> Bool {
        let e = x.pointee._mpfr_exp
        guard e == y.pointee._mpfr_exp else { return false }
        if e <= infExponent {
            // Singular: zeros are equal whatever their signs, infinities when the signs agree.
            if e == zeroExponent { return true }
            if e == nanExponent { return false }
            return x.pointee._mpfr_sign == y.pointee._mpfr_sign
        }
        return x.pointee._mpfr_sign == y.pointee._mpfr_sign && sameSignificand(x, y)
    }

    /// Whether `x` and `y` are the same encoding: value and sign (so `+0` and `−0` differ; NaNs
    /// of one sign agree — MPFR's NaNs carry no payload).
    @inlinable @inline(__always) static func identical(_ x: UnsafePointer<__mpfr_struct>, _ y: UnsafePointer<__mpfr_struct>) -> Bool {
        let e = x.pointee._mpfr_exp
        guard e == y.pointee._mpfr_exp, x.pointee._mpfr_sign == y.pointee._mpfr_sign else { return false }
        return e <= infExponent || sameSignificand(x, y)
    }

    /// Whether two regular values have the same significand.
    @inlinable @inline(__always) static func sameSignificand(_ x: UnsafePointer<__mpfr_struct>, _ y: UnsafePointer<__mpfr_struct>) -> Bool {
        let px = Int(x.pointee._mpfr_prec)
        guard px == Int(y.pointee._mpfr_prec) else { return sameSignificandMixed(x, y) }
        let a = x.pointee._mpfr_d!, b = y.pointee._mpfr_d!
        // Most significant limb first: unequal values usually differ there.
        var k = limbCount(bits: px) - 1
        while k >= 0 {
            if a[k] != b[k] { return false }
            k -= 1
        }
        return true
    }

    /// `sameSignificand` across precisions: the top limbs align (significands are normalised
    /// to the most significant limb) and MPFR keeps the bits below a value's precision zero, so
    /// the wider value's extra low limbs must be zero.
    @usableFromInline static func sameSignificandMixed(_ x: UnsafePointer<__mpfr_struct>, _ y: UnsafePointer<__mpfr_struct>) -> Bool {
        let nx = limbCount(bits: Int(x.pointee._mpfr_prec)), ny = limbCount(bits: Int(y.pointee._mpfr_prec))
        let n = min(nx, ny)
        let a = x.pointee._mpfr_d! + (nx - n), b = y.pointee._mpfr_d! + (ny - n)
        let (wide, extra) = nx > ny ? (x.pointee._mpfr_d!, nx - n) : (y.pointee._mpfr_d!, ny - n)
        for k in 0..<extra where wide[k] != 0 { return false }
        for k in 0..<n where a[k] != b[k] { return false }
        return true
    }

    /// Limbs of a significand of `bits` bits.
    @inlinable static func limbCount(bits: Int) -> Int { (bits + 63) / 64 }
}
