import Dispatch
import Synchronization

/// Threads inside one pass: the convolution kernels split a pass's independent outputs across
/// threads — samples for the forward and the input gradient, output channels for the weight
/// gradient — so one precision or one reference rung can use every core. Each output's sum
/// stays on one thread, in its documented order, so the bits do not depend on `count`.
///
/// Process-wide: set it before passes run, not while they run (`bpcheck` sets it to its
/// `--threads`; a library caller sets it as it likes, 1 by default). An analysis on several
/// threads shares them with its passes (`sharing`): while k of its tasks run, each kernel call
/// splits across `count / k` threads, so two tasks on two cores each run on one, and when one
/// long task is left (the last reference of a deep network) its passes take every core.
/// Splitting on top of busy threads instead oversubscribes the cores: the W2 analysis on 2
/// threads took 23 s with 2 pass threads a task against 16 s with 1.
public enum PassThreads {
    /// How many threads one kernel call may use (default 1: the caller's thread only).
    nonisolated(unsafe) public static var count = 1

    /// How many callers inside `sharing` are running now.
    @usableFromInline static let sharers = Atomic<Int>(0)

    /// `body`, counted as one of the callers sharing the pass threads while it runs (an
    /// analysis' task): each kernel call splits across `count ÷ sharers` threads. The number
    /// of threads never changes a bit of a result, only how fast it comes.
    public static func sharing<T>(_ body: () throws -> T) rethrows -> T {
        sharers.add(1, ordering: .relaxed)
        defer { sharers.subtract(1, ordering: .relaxed) }
        return try body()
    }

    /// The chunks a kernel call on `n` outputs splits into: at most `count` shared among the
    /// callers running now (`sharing`), at most `n`, at least 1.
    @inlinable
    public static func chunks(_ n: Int) -> Int {
        let share = count / Swift.max(1, sharers.load(ordering: .relaxed))
        return Swift.max(1, Swift.min(share, n))
    }

    /// Runs `body` on contiguous chunks covering `0..<n` — `min(count, n)` of them, concurrently
    /// — and returns when all are done. With one chunk, `body(0..<n)` on this thread.
    @inlinable
    public static func forEachChunk(_ n: Int, _ body: (Range<Int>) -> Void) {
        let chunks = chunks(n)
        if chunks == 1 { body(0..<n); return }
        withoutActuallyEscaping(body) { body in
            let box = ChunkBody(body: body)
            DispatchQueue.concurrentPerform(iterations: chunks) { k in
                box.body((n &* k / chunks)..<(n &* (k &+ 1) / chunks))
            }
        }
    }

    /// Element-wise work on fewer values than this stays on the caller's thread: handing a
    /// chunk to another thread costs a few microseconds, the time of ~10⁴ cheap operations.
    public static let threadedElements = 1 << 15

    /// `forEachChunk` for element-wise work — activations, pooling, batch norm, element-wise
    /// arithmetic, whose every output is computed alone from its own operands: on the caller's
    /// thread below `threadedElements` values (`n` counts them, or `n` chunks of `grain` values
    /// each), split across the pass's threads above. Each output is still one computation on
    /// one thread, so the bits do not depend on `count`.
    @inlinable
    public static func forEachElementChunk(_ n: Int, grain: Int = 1, _ body: (Range<Int>) -> Void) {
        let work = n.multipliedReportingOverflow(by: Swift.max(grain, 1))
        if chunks(n) == 1 || (!work.overflow && work.partialValue < threadedElements) {
            body(0..<n)
            return
        }
        forEachChunk(n, body)
    }

    /// `forEachChunk` for bodies that count: the sum of `body`'s results over the chunks (an
    /// integer sum, the same for any number of chunks).
    @inlinable
    public static func sum(_ n: Int, _ body: (Range<Int>) -> Int) -> Int {
        let chunks = chunks(n)
        if chunks == 1 { return body(0..<n) }
        var results = [Int](repeating: 0, count: chunks)
        results.withUnsafeMutableBufferPointer { results in
            let out = ChunkResults(base: results.baseAddress!)
            withoutActuallyEscaping(body) { body in
                let box = CountingChunkBody(body: body)
                DispatchQueue.concurrentPerform(iterations: chunks) { k in
                    out.base[k] = box.body((n &* k / chunks)..<(n &* (k &+ 1) / chunks))
                }
            }
        }
        return results.reduce(0, &+)
    }
}

extension PassThreads {
    /// `forEachChunk` for bodies with a result: the chunks' results in chunk order (`initial`
    /// fills the slots before the chunks write them). A caller that combines them associatively
    /// and commutatively (integer counts, a minimum) gets the same answer for any `count`.
    @inlinable
    public static func eachChunk<T>(_ n: Int, initial: T, _ body: (Range<Int>) -> T) -> [T] {
        let chunks = chunks(n)
        if chunks == 1 { return [body(0..<n)] }
        var results = [T](repeating: initial, count: chunks)
        results.withUnsafeMutableBufferPointer { results in
            let out = UncheckedPointer(base: results.baseAddress!)
            withoutActuallyEscaping(body) { body in
                let box = UncheckedBody(body: body)
                DispatchQueue.concurrentPerform(iterations: chunks) { k in
                    out.base[k] = box.body((n &* k / chunks)..<(n &* (k &+ 1) / chunks))
                }
            }
        }
        return results
    }

    /// `sum` for bodies that may not have counted (`nil`): the sum when every chunk counted,
    /// else `nil`.
    @inlinable
    public static func sumIfCounted(_ n: Int, _ body: (Range<Int>) -> Int?) -> Int? {
        var total = 0
        for r in eachChunk(n, initial: Int?.none, body) {
            guard let r else { return nil }
            total &+= r
        }
        return total
    }
}

/// `eachChunk`'s body and result slots: chunk `k` writes slot `k` only.
@usableFromInline
struct UncheckedBody<T>: @unchecked Sendable {
    @usableFromInline let body: (Range<Int>) -> T
    @inlinable init(body: @escaping (Range<Int>) -> T) { self.body = body }
}

@usableFromInline
struct UncheckedPointer<T>: @unchecked Sendable {
    @usableFromInline let base: UnsafeMutablePointer<T>
    @inlinable init(base: UnsafeMutablePointer<T>) { self.base = base }
}

/// A chunk's body handed to the threads of one `forEachChunk` call: each chunk writes only its
/// own outputs (the kernels' contract), which is what makes sharing it sound.
@usableFromInline
struct ChunkBody: @unchecked Sendable {
    @usableFromInline let body: (Range<Int>) -> Void
    @inlinable init(body: @escaping (Range<Int>) -> Void) { self.body = body }
}

/// `sum`'s body and result slots: chunk `k` writes slot `k` only.
@usableFromInline
struct CountingChunkBody: @unchecked Sendable {
    @usableFromInline let body: (Range<Int>) -> Int
    @inlinable init(body: @escaping (Range<Int>) -> Int) { self.body = body }
}

@usableFromInline
struct ChunkResults: @unchecked Sendable {
    @usableFromInline let base: UnsafeMutablePointer<Int>
    @inlinable init(base: UnsafeMutablePointer<Int>) { self.base = base }
}
