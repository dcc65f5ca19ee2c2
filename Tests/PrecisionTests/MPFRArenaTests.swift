import Foundation
import CMPFR
import Testing
import Precision

/// The arena: a million values in two allocations, each value independent of its neighbours.
@Suite struct MPFRArenaTests {
    @Test func aMillionValuesLiveInOneArena() {
        let m = MPFRArithmetic(bits: 256)
        let n = 1_000_000
        let arena = m.makeStorage(count: n)
        #expect(arena.count == n && arena.bits == 256)
        // Limbs are laid out back to back: value i's significand is i strides after value 0's.
        let stride = mpfr_custom_get_size(256)
        let first = UnsafeRawPointer(arena.base.pointee._mpfr_d)!
        let last = UnsafeRawPointer((arena.base + (n - 1)).pointee._mpfr_d)!
        let distance: Int = last - first
        let expected: Int = (n - 1) * stride
        #expect(distance == expected)
        // Every value starts at +0 and holds what is written, independently of its neighbours.
        #expect(m.sign(arena.base) == 0 && m.sign(arena.base + (n - 1)) == 0)
        for i in 0..<n { m.set(arena.base + i, Double(i) + 0.25) }
        let third = m.makeStorage([1.0 / 3.0])
        m.multiplyAccumulate(arena.base + 12345, third.base, third.base)  // full 256-bit result
        var wrong = 0
        for i in 0..<n where i != 12345 {
            if m.double(arena.base + i) != Double(i) + 0.25 { wrong += 1 }
        }
        #expect(wrong == 0)
        #expect(mpfr_get_prec(arena.base + 12345) == 256)
        #expect(m.double(arena.base + 12345) == 12345.25 + (1.0 / 3.0) * (1.0 / 3.0))
    }

    @Test func precisionIsTheArenas() {
        for bits in [2, 24, 53, 64, 65, 256, 1024, 65536] {
            let m = MPFRArithmetic(bits: bits)
            let s = m.makeStorage([1, 3, 0])
            m.divide(s.base + 2, s.base, s.base + 1)
            #expect(mpfr_get_prec(s.base + 2) == bits)
            #expect(m.precision == .mpfr(bits: bits))
        }
        // 1/3 at 65536 bits agrees with 1/3 at 64 bits to 64 bits.
        let big = MPFRArithmetic(bits: 65536)
        let s = big.makeStorage([1, 3, 0])
        #expect(!big.isExact { big.divide(s.base + 2, s.base, s.base + 1) })
        #expect(big.double(s.base + 2) == 1.0 / 3.0)
    }

    /// Two threads share one arithmetic and accumulate products at once: were the product of
    /// `multiplyAccumulate` kept in shared scratch, one thread's product would land in the
    /// other's sum.
    @Test func oneArithmeticCanRunOnTwoThreads() {
        let m = MPFRArithmetic(bits: 128)
        nonisolated(unsafe) let totals = UnsafeMutableBufferPointer<Double>.allocate(capacity: 2)
        defer { totals.deallocate() }
        DispatchQueue.concurrentPerform(iterations: 2) { t in
            let s = m.makeStorage([Double(t + 2), Double(t + 3), 0])
            for _ in 0..<200_000 { m.multiplyAccumulate(s.base + 2, s.base, s.base + 1) }
            totals[t] = m.double(s.base + 2)
        }
        #expect(totals[0] == 200_000 * 6 && totals[1] == 200_000 * 12)
    }

    /// bpcheck's exactness checks rely on per-thread flags (MPFR built with TLS).
    @Test func flagsArePerThread() {
        #expect(MPFRLibrary.flagsArePerThread)
    }
}
