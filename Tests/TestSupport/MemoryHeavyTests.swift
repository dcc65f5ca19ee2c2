import Foundation

/// Tests share one process, so a test that bounds the growth of the process's peak memory
/// (the mutation fuzzer) must not run beside one that uses gigabytes (the W2 analysis): both
/// hold this lock for their whole run. Anything else stays parallel.
public enum MemoryHeavyTests {
    private static let lock = NSLock()

    /// Runs `body` while no other memory-heavy or memory-measuring test runs.
    public static func exclusively<R>(_ body: () throws -> R) rethrows -> R {
        lock.lock()
        defer { lock.unlock() }
        return try body()
    }
}
