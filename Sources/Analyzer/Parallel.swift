import Foundation

/// A value handed between threads whose confinement the caller guarantees (an execution is
/// built on one thread and only read afterwards).
struct UncheckedBox<T>: @unchecked Sendable {
    let value: T
    init(_ value: T) { self.value = value }
}

/// Deterministic parallelism: every task is an independent computation whose result is stored
/// at its own index, so results never depend on the number of threads or on scheduling.
enum Parallel {
    /// Two kinds of tasks in one queue: `first` tasks (the references), then `second` tasks
    /// (the precisions), second task `i` needing first task `dependency(i)`'s result. Threads
    /// take the next task in that order as they become free, so a precision starts as soon as
    /// its reference is done while another reference is still running — no phase barrier that
    /// leaves a core idle (3 references on 2 threads). A thread can only wait for a first task
    /// already taken by a running thread (first tasks come first), so the queue cannot deadlock.
    final class Dependent<First, Second>: @unchecked Sendable {
        let first: Int, second: Int
        let dependency: (Int) -> Int
        let makeFirst: (Int) throws -> First
        let makeSecond: (Int, First) throws -> Second

        private let condition = NSCondition()
        private var next = 0
        private var firstResults: [First?]
        private var secondResults: [Second?]
        /// The failed task with the lowest index and its error.
        private var failure: (task: Int, error: any Error)?

        init(first: Int, second: Int, dependency: @escaping (Int) -> Int,
             makeFirst: @escaping (Int) throws -> First, makeSecond: @escaping (Int, First) throws -> Second) {
            self.first = first
            self.second = second
            self.dependency = dependency
            self.makeFirst = makeFirst
            self.makeSecond = makeSecond
            firstResults = Array(repeating: nil, count: first)
            secondResults = Array(repeating: nil, count: second)
        }

        /// Runs every task on `threads` threads; the second tasks' results in order. On failure,
        /// the error of the failed task with the lowest index — the same whatever `threads`: tasks
        /// start in index order and every started task finishes, so every task before the first
        /// failure in index order has run.
        func run(threads: Int) throws -> [Second] {
            let workers = max(1, min(threads, first + second))
            DispatchQueue.concurrentPerform(iterations: workers) { _ in work() }
            if let failure { throw failure.error }
            return secondResults.map { $0! }
        }

        private func work() {
            while true {
                condition.lock()
                guard failure == nil, next < first + second else { condition.unlock(); return }
                let task = next
                next += 1
                condition.unlock()
                let started = DispatchTime.now().uptimeNanoseconds
                defer { if ProcessInfo.processInfo.environment["BPCHECK_TRACE_TASKS"] != nil { FileHandle.standardError.write("task \(task) \(Double(DispatchTime.now().uptimeNanoseconds - started) / 1e9)\n".data(using: .utf8)!) } }
                do {
                    if task < first {
                        let value = try makeFirst(task)
                        condition.lock(); firstResults[task] = value; condition.broadcast(); condition.unlock()
                    } else {
                        let i = task - first, d = dependency(i)
                        condition.lock()
                        while firstResults[d] == nil && failure == nil { condition.wait() }
                        let input = firstResults[d]
                        condition.unlock()
                        guard let input else { return }
                        let value = try makeSecond(i, input)
                        condition.lock(); secondResults[i] = value; condition.unlock()
                    }
                } catch {
                    condition.lock()
                    if failure == nil || task < failure!.task { failure = (task, error) }
                    condition.broadcast()
                    condition.unlock()
                    return
                }
            }
        }
    }
}
