/// A dense tensor of one precision: a shape and contiguous row-major storage.
///
/// Value semantics: copies share storage until one of them is mutated through
/// `withMutableSlots`, which copies first when the storage is shared. For MPFR the storage is
/// one `MPFRArena`, so a tensor of a million values is two allocations.
public struct Tensor<A: ScalarArithmetic> {
    /// The extent of each axis; `[]` is a scalar.
    public let shape: [Int]
    /// The values, row-major. Read through `slots`; write through `withMutableSlots`.
    public private(set) var storage: A.Storage

    /// A tensor of `shape` filled with `+0`.
    public init(zeros shape: [Int], _ arithmetic: A) {
        self.shape = shape
        self.storage = arithmetic.makeStorage(count: Tensor.count(of: shape))
    }

    /// A tensor over existing storage (whose count must match the shape).
    public init(shape: [Int], storage: A.Storage) {
        precondition(storage.count == Tensor.count(of: shape), "storage of \(storage.count) values for shape \(shape)")
        self.shape = shape
        self.storage = storage
    }

    /// A tensor of `shape` holding `values` rounded to the arithmetic's precision.
    public init(shape: [Int], _ values: [Double], _ arithmetic: A) {
        precondition(values.count == Tensor.count(of: shape), "\(values.count) values for shape \(shape)")
        self.shape = shape
        self.storage = arithmetic.makeStorage(values)
    }

    /// The number of values.
    @inlinable public var count: Int { storage.count }
    /// A pointer to the first value, for reading. Do not write through it: use
    /// `withMutableSlots`, which keeps copies independent.
    @inlinable public var slots: UnsafeMutablePointer<A.Slot> { storage.base }

    /// Runs `body` with a pointer to the values for writing, copying the storage first if it is
    /// shared with another tensor.
    public mutating func withMutableSlots<R>(_ body: (UnsafeMutablePointer<A.Slot>) throws -> R) rethrows -> R {
        if !isKnownUniquelyReferenced(&storage) { storage = storage.clone() }
        return try body(storage.base)
    }

    /// The same values under another shape with the same count (no copy).
    public func reshaped(_ newShape: [Int]) -> Tensor {
        Tensor(shape: newShape, storage: storage)
    }

    /// The values as the nearest `Double`s.
    public func doubles(_ arithmetic: A) -> [Double] { arithmetic.doubles(storage) }

    /// The product of the extents (1 for a scalar).
    public static func count(of shape: [Int]) -> Int { shape.reduce(1, *) }
}
