/// A contiguous run of scalar slots owned by one object: the memory behind a tensor.
///
/// A reference type so that a tensor can share it and copy on write. For the fixed-width
/// formats a slot is the value itself; for MPFR a slot is an `mpfr_t` header whose limbs live
/// in the same arena, so a million MPFR values are two allocations, not a million.
public protocol ScalarStorage: AnyObject {
    /// What one slot holds (`Float`, `Half`, …, or MPFR's `__mpfr_struct`).
    associatedtype Slot
    /// The number of slots.
    var count: Int { get }
    /// The first slot; slots are contiguous, `base + i` is slot `i`.
    var base: UnsafeMutablePointer<Slot> { get }
    /// A new storage holding the same values (what a tensor copies on write).
    func clone() -> Self
}

/// A slot value that fixed-width storage starts from: the format's `+0` (for the reference's
/// double-double balls, the point `+0`).
public protocol ZeroSlot {
    static var zeroSlot: Self { get }
}

extension FloatingScalar {
    @inlinable public static var zeroSlot: Self { .zero }
}

/// Storage for a fixed-width slot (a format's value, a double-double ball): `count` values in
/// one allocation, zero-initialised.
public final class FixedStorage<S: ZeroSlot>: ScalarStorage, @unchecked Sendable {
    public let count: Int
    public let base: UnsafeMutablePointer<S>

    /// `count` slots holding `+0`.
    public init(count: Int) {
        precondition(count >= 0, "negative storage size")
        self.count = count
        base = .allocate(capacity: Swift.max(count, 1))
        base.initialize(repeating: S.zeroSlot, count: count)
    }

    public func clone() -> FixedStorage<S> {
        let copy = FixedStorage(count: count)
        copy.base.update(from: base, count: count)
        return copy
    }

    deinit { base.deallocate() }
}
