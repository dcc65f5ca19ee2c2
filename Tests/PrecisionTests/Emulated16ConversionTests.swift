import TestSupport
import Testing
import Precision

/// Conversions of the emulated 16-bit formats, against closed forms and against MPFR.
@Suite struct Emulated16ConversionTests {
    /// The value of an encoding by the textbook formula, in `Double` arithmetic (independent of
    /// the bit tricks under test): (−1)^s · 2^(e−bias) · (1 + f/2^t), or f · 2^(emin−t).
    static func closedForm<S: Emulated16BitFloat>(_: S.Type, _ bits: UInt16) -> Double {
        let t = S.format.significandBits - 1
        let bias = S.format.maxExponent
        let e = Int(bits & 0x7FFF) >> t
        let f = Double(Int(bits) & ((1 << t) - 1))
        let s: Double = bits & 0x8000 == 0 ? 1 : -1
        let scale = Double(sign: .plus, exponent: -t, significand: 1)
        if e == 2 * bias + 1 { return f == 0 ? s * .infinity : .nan }
        if e == 0 { return s * f * scale * Double(sign: .plus, exponent: S.format.minExponent, significand: 1) }
        return s * (1 + f * scale) * Double(sign: .plus, exponent: e - bias, significand: 1)
    }

    static func everyEncodingRoundTrips<S: Emulated16BitFloat>(_: S.Type) {
        var failures = 0
        for raw in 0...UInt16.max {
            let x = S(bitPattern: raw)
            let expected = closedForm(S.self, raw)
            let f = x.float, d = x.exactDouble
            // The decoded value is the closed form (NaN for NaN; zeros keep their sign).
            if !(sameResult(Double(f), expected) || (expected.isNaN && f.isNaN)) { failures += 1 }
            if !(sameResult(d, expected) || (expected.isNaN && d.isNaN)) { failures += 1 }
            // And both conversions come back to the same encoding, NaN payloads included.
            if S(f).bitPattern != raw { failures += 1 }
            if S(d).bitPattern != raw { failures += 1 }
        }
        #expect(failures == 0, "\(S.self): \(failures) encodings failed to decode or round-trip")
    }

    @Test func everyHalfEncodingRoundTripsThroughFloatAndDouble() { Self.everyEncodingRoundTrips(Half.self) }
    @Test func everyBFloat16EncodingRoundTripsThroughFloatAndDouble() { Self.everyEncodingRoundTrips(BFloat16.self) }

    /// Float → format, exhaustive over the Float encodings next to every power of two that
    /// matters (each binade edge of the format, from below its smallest subnormal to beyond
    /// overflow) and over every midpoint between neighbouring format values (±1 Float ulp).
    static func floatConversionIsCorrectlyRounded<S: Emulated16BitFloat>(_: S.Type, window: Int) -> (checked: Int, failures: Int) {
        let oracle = FormatOracle(S.format)
        var checked = 0, failures = 0
        func check(_ fbits: UInt32) {
            let f = Float(bitPattern: fbits)
            checked += 1
            if !sameResult(S(f).exactDouble, oracle.round(Double(f))) { failures += 1 }
        }
        let lowest = max(S.format.leastNonzeroExponent - 3, -149)
        let highest = min(S.format.maxExponent + 3, 127)
        for e in lowest...highest {
            let edge = Float(sign: .plus, exponent: e, significand: 1).bitPattern
            for offset in -window...window {
                let bits = UInt32(truncatingIfNeeded: Int64(edge) + Int64(offset))
                check(bits)
                check(bits | 0x8000_0000)
            }
        }
        // Midpoints between consecutive finite values (and the one past the largest, where
        // rounding to ∞ starts): exactly representable in Float, so test mid−1, mid, mid+1.
        for raw in UInt16(0)..<S.infinity.bitPattern {
            let lo = S(bitPattern: raw).exactDouble
            let hi = S(bitPattern: raw + 1).exactDouble
            let mid = Float((lo + hi) / 2).bitPattern  // exact: p + 1 bits
            for bits in [mid &- 1, mid, mid &+ 1] {
                check(bits)
                check(bits ^ 0x8000_0000)
            }
        }
        return (checked, failures)
    }

    @Test func halfFromFloatIsCorrectlyRounded() {
        let (checked, failures) = Self.floatConversionIsCorrectlyRounded(Half.self, window: 4096)
        #expect(checked > 700_000)
        #expect(failures == 0, "\(failures) of \(checked) Float → binary16 conversions misrounded")
    }

    @Test func bfloat16FromFloatIsCorrectlyRounded() {
        let (checked, failures) = Self.floatConversionIsCorrectlyRounded(BFloat16.self, window: 1024)
        #expect(checked > 1_000_000)
        #expect(failures == 0, "\(failures) of \(checked) Float → bfloat16 conversions misrounded")
    }

    /// Double → format on 10⁶ random Doubles (exponents over the format's range and beyond,
    /// plus uniform encodings) and on every midpoint ± 1 Double ulp.
    static func doubleConversionIsCorrectlyRounded<S: Emulated16BitFloat>(_: S.Type, seed: UInt64) -> (checked: Int, failures: Int) {
        let oracle = FormatOracle(S.format)
        var g = SeededGenerator(seed: seed)
        var checked = 0, failures = 0
        func check(_ d: Double) {
            checked += 1
            if !sameResult(S(d).exactDouble, oracle.round(d)) { failures += 1 }
        }
        let lowest = S.format.leastNonzeroExponent - 4
        let highest = S.format.maxExponent + 4
        for i in 0..<1_000_000 {
            if i % 8 == 0 {
                check(Double(bitPattern: g.next()))
            } else {
                let e = lowest + Int(g.next() % UInt64(highest - lowest + 1))
                let fraction = g.next() & 0x000F_FFFF_FFFF_FFFF
                // Sometimes keep only a few low bits, to land on and next to ties.
                let f = i % 3 == 0 ? fraction & ~((1 << 40) - 1) : fraction
                let magnitude = Double(sign: .plus, exponent: e, significand: Double(bitPattern: 0x3FF0_0000_0000_0000 | f))
                check(g.next() & 1 == 0 ? magnitude : -magnitude)
            }
        }
        for raw in UInt16(0)..<S.infinity.bitPattern {
            let mid = (S(bitPattern: raw).exactDouble + S(bitPattern: raw + 1).exactDouble) / 2
            for d in [mid.nextDown, mid, mid.nextUp] { check(d); check(-d) }
        }
        return (checked, failures)
    }

    @Test func halfFromDoubleIsCorrectlyRounded() {
        let (checked, failures) = Self.doubleConversionIsCorrectlyRounded(Half.self, seed: 0x5EED_0016)
        #expect(checked >= 1_000_000)
        #expect(failures == 0, "\(failures) of \(checked) Double → binary16 conversions misrounded")
    }

    @Test func bfloat16FromDoubleIsCorrectlyRounded() {
        let (checked, failures) = Self.doubleConversionIsCorrectlyRounded(BFloat16.self, seed: 0x5EED_0B16)
        #expect(checked >= 1_000_000)
        #expect(failures == 0, "\(failures) of \(checked) Double → bfloat16 conversions misrounded")
    }

    /// Hand-checked cases with known answers (the edges a reader would ask about).
    @Test func knownConversions() {
        #expect(Half(65504.0).bitPattern == 0x7BFF)       // largest finite
        #expect(Half(65519.99).bitPattern == 0x7BFF)      // just below the overflow midpoint
        #expect(Half(65520.0).bitPattern == 0x7C00)       // the midpoint ties to even: ∞
        #expect(Half(Float(0x1p-25)).bitPattern == 0)     // half the least subnormal ties to +0
        #expect(Half(Float(0x1.8p-25)).bitPattern == 1)   // three quarters rounds up to it
        #expect(Half(Float(-0.0)).bitPattern == 0x8000)   // −0 keeps its sign
        #expect(Half(Float(1 + 0x1p-11)).bitPattern == 0x3C00)  // tie to even (down)
        #expect(Half(Float(1 + 0x3p-11)).bitPattern == 0x3C02)  // tie to even (up)
        #expect(BFloat16(Float(1 + 0x1p-8)).bitPattern == 0x3F80)
        #expect(BFloat16(Float(1 + 0x3p-8)).bitPattern == 0x3F82)
        #expect(BFloat16(Float.greatestFiniteMagnitude).bitPattern == 0x7F80)  // rounds to ∞
        #expect(BFloat16(0x1p-134).bitPattern == 0)       // half the least bf16 subnormal: +0
        #expect(BFloat16(0x1.0000001p-134).bitPattern == 1)
        #expect(Half.leastNonzeroMagnitude.exactDouble == 0x1p-24)
        #expect(BFloat16.leastNonzeroMagnitude.exactDouble == 0x1p-133)
        #expect(Half.greatestFiniteMagnitude.exactDouble == 65504)
        #expect(BFloat16.nan.isNaN && Half.nan.isNaN && !Half.infinity.isNaN && Half.infinity.isInfinite)
    }
}
