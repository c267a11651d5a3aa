import Dispatch

/// Runs `body(i)` for every `i` in `0..<count`, spread over at most `threads`
/// workers: the calling thread's `WorkerPool` if one is installed, else
/// Dispatch.
///
/// With `threads <= 1` or `count <= 1` it runs inline on the caller's thread,
/// so single-threaded sessions never touch Dispatch. Each index is handled by
/// exactly one worker; which worker is irrelevant to the result as long as
/// `body` writes disjoint memory per index (every kernel here does), so the
/// output is the same at any thread count.
public func parallelFor(_ count: Int, threads: Int, _ body: (Int) -> Void) {
    if threads <= 1 || count <= 1 {
        for i in 0..<count { body(i) }
        return
    }
    let workers = min(threads, count)
    if let pool = WorkerPool.current, pool.threads >= workers {
        pool.run(parts: workers) { worker in
            for i in splitRange(count, parts: workers, part: worker) { body(i) }
        }
        return
    }
    withoutActuallyEscaping(body) { body in
        DispatchQueue.concurrentPerform(iterations: workers) { worker in
            // Contiguous ranges keep each worker on neighbouring memory.
            let start = count * worker / workers
            let end = count * (worker + 1) / workers
            for i in start..<end { body(i) }
        }
    }
}

/// Splits `0..<count` into `parts` contiguous, nearly equal ranges.
@inlinable
public func splitRange(_ count: Int, parts: Int, part: Int) -> Range<Int> {
    let start = count * part / parts
    let end = count * (part + 1) / parts
    return start..<end
}
