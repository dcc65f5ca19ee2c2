import AD
import Foundation

/// A value handed between threads whose confinement the caller guarantees (an execution is
/// built on one thread and only read afterwards).
struct UncheckedBox<T>: @unchecked Sendable {
    let value: T
    init(_ value: T) { self.value = value }
}

/// Deterministic parallelism over a small graph of tasks: each task is an independent
/// computation of the outputs of the tasks it depends on, stored at its own index, so results
/// never depend on the number of threads or on scheduling.
///
/// A free thread takes the lowest-numbered task whose dependencies are done: the order of the
/// tasks is their priority. The analysis lists the references' forward passes, then their
/// backward passes, costliest point first in each, then the precisions: the longest chain
/// starts at once, a precision starts as soon as its reference is complete while other
/// references still run, and no phase barrier leaves a core idle (three references on two threads).
final class TaskGraph: @unchecked Sendable {
    struct Task {
        /// Indices of earlier tasks whose outputs `body` receives, in this order.
        let dependencies: [Int]
        let body: (Inputs) throws -> Any
    }

    /// A task's inputs, the outputs of its dependencies in order. An output whose last
    /// dependent this task is (and that the caller does not keep) is handed over: the graph
    /// holds it no longer, so `take` leaves the task its only holder, and the task can free it
    /// before it ends (R's double-double forward, once the quad-double one is built from it).
    final class Inputs {
        private var values: [Any?]
        init(_ values: [Any]) { self.values = values }
        /// Input `i`, kept here for later reads.
        subscript(_ i: Int) -> Any { values[i]! }
        /// Input `i`, no longer held here.
        func take(_ i: Int) -> Any {
            defer { values[i] = nil }
            return values[i]!
        }
    }

    private let tasks: [Task]
    private let condition = NSCondition()
    private var started: [Bool]
    private var outputs: [Any?]
    /// Finished tasks (succeeded, failed, or skipped because a dependency failed).
    private var finished: [Bool]
    private var errors: [Int: any Error] = [:]
    /// The tasks whose outputs `run` returns; every other output is released as soon as every
    /// task depending on it has finished (a reference's forward values, once differentiated).
    private let kept: Set<Int>
    /// How many tasks that depend on each task have not finished yet.
    private var pendingDependents: [Int]

    /// A released output: what `run` returns in place of outputs not kept.
    struct Released {}

    /// `keeping`: the indices of the outputs the caller will read (default: all).
    init(_ tasks: [Task], keeping: Set<Int>? = nil) {
        precondition(tasks.indices.allSatisfy { i in tasks[i].dependencies.allSatisfy { $0 < i } }, "dependencies must come first")
        self.tasks = tasks
        started = Array(repeating: false, count: tasks.count)
        outputs = Array(repeating: nil, count: tasks.count)
        finished = Array(repeating: false, count: tasks.count)
        kept = keeping ?? Set(tasks.indices)
        pendingDependents = Array(repeating: 0, count: tasks.count)
        for t in tasks { for d in t.dependencies { pendingDependents[d] += 1 } }
    }

    /// Runs every task on `threads` threads and returns their outputs by index (`Released` for
    /// those not kept). On failure, the error of the failed task with the lowest index: every
    /// task whose dependencies succeeded runs whatever happens elsewhere, so which tasks fail
    /// does not depend on `threads`.
    func run(threads: Int) throws -> [Any] {
        let workers = max(1, min(threads, tasks.count))
        DispatchQueue.concurrentPerform(iterations: workers) { _ in work() }
        if let first = errors.keys.min() { throw errors[first]! }
        return outputs.map { $0! }
    }

    /// Task `i` has finished (run or skipped): its dependencies' outputs that nothing else
    /// needs are released. Called with the lock held.
    private func release(after i: Int) {
        for d in tasks[i].dependencies {
            pendingDependents[d] -= 1
            if pendingDependents[d] == 0, !kept.contains(d), outputs[d] != nil { outputs[d] = Released() }
        }
    }

    private func work() {
        condition.lock()
        while true {
            // The lowest-numbered runnable task; tasks with a failed dependency finish unrun.
            var next: Int?
            for i in tasks.indices where !started[i] {
                let deps = tasks[i].dependencies
                if deps.contains(where: { finished[$0] && outputs[$0] == nil }) {
                    started[i] = true
                    finished[i] = true
                    release(after: i)
                    condition.broadcast()
                    continue
                }
                if deps.allSatisfy({ finished[$0] }) { next = i; break }
            }
            guard let i = next else {
                if started.allSatisfy({ $0 }) { condition.unlock(); return }
                condition.wait()
                continue
            }
            started[i] = true
            let inputs = Inputs(tasks[i].dependencies.map { outputs[$0]! })
            for d in tasks[i].dependencies where pendingDependents[d] == 1 && !kept.contains(d) {
                outputs[d] = Released()  // handed over: no other task will read it
            }
            condition.unlock()
            // Counted among the pass threads' sharers while it runs: its passes split across the
            // cores the other running tasks leave (all of them once it is the last).
            let result: Result<Any, any Error> = Result { try PassThreads.sharing { try tasks[i].body(inputs) } }
            condition.lock()
            switch result {
            case .success(let value): outputs[i] = value
            case .failure(let error): errors[i] = error
            }
            finished[i] = true
            release(after: i)
            condition.broadcast()
        }
    }
}
