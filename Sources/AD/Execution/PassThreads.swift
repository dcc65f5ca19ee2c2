import Dispatch

/// Threads inside one pass: the convolution kernels split a pass's independent outputs across
/// threads — samples for the forward and the input gradient, output channels for the weight
/// gradient — so one precision or one reference rung can use every core. Each output's sum
/// stays on one thread, in its documented order, so the bits do not depend on `count`.
///
/// Process-wide: set it before passes run, not while they run (`bpcheck` sets it to its
/// `--threads`; a library caller sets it as it likes, 1 by default). With an analysis on
/// several threads the pass threads come on top of the analysis' own: when one long task is
/// left (the last reference of a deep network), it is then not alone on one core.
public enum PassThreads {
    /// How many threads one kernel call may use (default 1: the caller's thread only).
    nonisolated(unsafe) public static var count = 1

    /// Runs `body` on contiguous chunks covering `0..<n` — `min(count, n)` of them, concurrently
    /// — and returns when all are done. With one chunk, `body(0..<n)` on this thread.
    @inlinable
    public static func forEachChunk(_ n: Int, _ body: (Range<Int>) -> Void) {
        let chunks = Swift.max(1, Swift.min(count, n))
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
        if count == 1 || n < 2 || (!work.overflow && work.partialValue < threadedElements) {
            body(0..<n)
            return
        }
        forEachChunk(n, body)
    }

    /// `forEachChunk` for bodies that count: the sum of `body`'s results over the chunks (an
    /// integer sum, the same for any number of chunks).
    @inlinable
    public static func sum(_ n: Int, _ body: (Range<Int>) -> Int) -> Int {
        let chunks = Swift.max(1, Swift.min(count, n))
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
        let chunks = Swift.max(1, Swift.min(count, n))
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
