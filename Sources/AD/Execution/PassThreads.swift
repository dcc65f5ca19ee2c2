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
}

/// A chunk's body handed to the threads of one `forEachChunk` call: each chunk writes only its
/// own outputs (the kernels' contract), which is what makes sharing it sound.
@usableFromInline
struct ChunkBody: @unchecked Sendable {
    @usableFromInline let body: (Range<Int>) -> Void
    @inlinable init(body: @escaping (Range<Int>) -> Void) { self.body = body }
}
