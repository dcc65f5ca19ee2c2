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
    /// The sign bit (set for −0 and for negative values; meaningless for NaN, as in MPFR).
    @inlinable @inline(__always) static func signBit(_ x: UnsafePointer<__mpfr_struct>) -> Bool { x.pointee._mpfr_sign < 0 }

    /// `mpfr_equal_p`: the same number (`+0 = −0`, NaN
    /// equals nothing), comparing exponent, sign and significand limbs directly.
    @inlinable @inline(__always) static func equal(_ x: UnsafePointer<__mpfr_struct>, _ y: UnsafePointer<__mpfr_struct>) -> Bool {
        let e = x.pointee._mpfr_exp
        guard e == y.pointee._mpfr_exp else { return false }
        if e <= infExponent {
            // Singular: zeros are equal whatever their signs, infinities when the signs agree.
            if e == zeroExponent { return true }
            if e == nanExponent { return false }
            return x.pointee._mpfr_sign == y.pointee._mpfr_sign
        }
        guard x.pointee._mpfr_sign == y.pointee._mpfr_sign else { return false }
        // Same precision or not, compare the limbs of the narrower value's significand (MPFR
        // keeps the bits below a value's precision zero, so a wider equal value has zeros beyond).
        let px = Int(x.pointee._mpfr_prec), py = Int(y.pointee._mpfr_prec)
        let nx = limbCount(bits: px), ny = limbCount(bits: py)
        let a = x.pointee._mpfr_d! + (nx - min(nx, ny)), b = y.pointee._mpfr_d! + (ny - min(nx, ny))
        if nx != ny {
            // The wider value's low limbs must be zero.
            let (w, extra) = nx > ny ? (x.pointee._mpfr_d!, nx - ny) : (y.pointee._mpfr_d!, ny - nx)
            for k in 0..<extra where w[k] != 0 { return false }
        }
        let limbs = min(nx, ny)
        // Most significant limb first: unequal values usually differ there.
        var k = limbs - 1
        while k >= 0 {
            if a[k] != b[k] { return false }
            k -= 1
        }
        return true
    }

    /// Whether `x` and `y` are the same encoding: value and sign (so `+0` and
    /// `−0` differ; NaNs of one sign agree — MPFR's NaNs carry no payload).
    @inlinable @inline(__always) static func identical(_ x: UnsafePointer<__mpfr_struct>, _ y: UnsafePointer<__mpfr_struct>) -> Bool {
        let e = x.pointee._mpfr_exp
        guard e == y.pointee._mpfr_exp, x.pointee._mpfr_sign == y.pointee._mpfr_sign else { return false }
        if e <= infExponent { return true }
        // Same precision or not, compare the limbs of the narrower value's significand (MPFR
        // keeps the bits below a value's precision zero, so a wider equal value has zeros beyond).
        let px = Int(x.pointee._mpfr_prec), py = Int(y.pointee._mpfr_prec)
        let nx = limbCount(bits: px), ny = limbCount(bits: py)
        let a = x.pointee._mpfr_d! + (nx - min(nx, ny)), b = y.pointee._mpfr_d! + (ny - min(nx, ny))
        if nx != ny {
            // The wider value's low limbs must be zero.
            let (w, extra) = nx > ny ? (x.pointee._mpfr_d!, nx - ny) : (y.pointee._mpfr_d!, ny - nx)
            for k in 0..<extra where w[k] != 0 { return false }
        }
        let limbs = min(nx, ny)
        var k = limbs - 1
        while k >= 0 {
            if a[k] != b[k] { return false }
            k -= 1
        }
        return true
    }

    /// Limbs of a significand of `bits` bits.
    @inlinable static func limbCount(bits: Int) -> Int { (bits + 63) / 64 }
}
