import Foundation
import Synchronization

/// A session's own worker threads, which spin briefly between parallel
/// regions instead of going to sleep.
///
/// A network run is a few hundred short parallel regions. With Dispatch, a
/// worker that went idle is woken for each one, which on a virtual machine
/// costs tens of microseconds (and, if the wake-up is late, the caller runs
/// every part itself). Like ONNX Runtime's and OpenMP's pools, these workers
/// spin for up to `spinNanoseconds` waiting for the next region, then block.
///
/// Install a pool on the calling thread with `withCurrent`; `parallelFor`
/// then uses it. Thread-safety: one caller at a time (a session's thread).
public final class WorkerPool: @unchecked Sendable {
    /// Threads taking part in a region, the caller included.
    public let threads: Int
    private let state: State

    /// How long an idle worker spins before blocking.
    public static let spinNanoseconds: UInt64 = 200_000

    public init(threads: Int) {
        self.threads = max(1, threads)
        state = State(threads: self.threads)
        for worker in 1..<self.threads {
            let state = self.state
            let thread = Thread { state.work(as: worker) }
            thread.name = "medaug-worker-\(worker)"
            thread.start()
        }
    }

    deinit { state.stop() }

    /// Runs `body(part)` for every part in `0..<parts`; part p runs on
    /// worker p mod `threads` (the caller is worker 0). Returns when all are done.
    public func run(parts: Int, _ body: (Int) -> Void) {
        if threads == 1 || parts <= 1 {
            for part in 0..<parts { body(part) }
            return
        }
        withoutActuallyEscaping(body) { body in state.run(parts: parts, body) }
    }

    /// Makes `self` the pool `parallelFor` uses on this thread during `body`.
    public func withCurrent<T>(_ body: () throws -> T) rethrows -> T {
        let previous = pthread_getspecific(WorkerPool.key)
        pthread_setspecific(WorkerPool.key, Unmanaged.passUnretained(self).toOpaque())
        defer { pthread_setspecific(WorkerPool.key, previous) }
        return try body()
    }

    /// The pool installed on this thread, if any.
    static var current: WorkerPool? {
        guard let raw = pthread_getspecific(key) else { return nil }
        return Unmanaged<WorkerPool>.fromOpaque(raw).takeUnretainedValue()
    }

    private static let key: pthread_key_t = {
        var key = pthread_key_t()
        pthread_key_create(&key, nil)
        return key
    }()

    /// What the workers share. Workers keep it alive, not the pool, so the
    /// pool's deinit can stop them.
    final class State: @unchecked Sendable {
        let threads: Int
        let generation = Atomic<Int>(0)
        let remaining = Atomic<Int>(0)
        let stopping = Atomic<Bool>(false)
        let condition = NSCondition()
        // Written by the caller before `generation` is bumped (release) and
        // read by workers after they see the new generation (acquire).
        var job: ((Int) -> Void)?
        var parts = 0

        init(threads: Int) { self.threads = threads }

        func run(parts: Int, _ body: @escaping (Int) -> Void) {
            job = body
            self.parts = parts
            remaining.store(threads - 1, ordering: .relaxed)
            condition.lock()
            generation.add(1, ordering: .releasing)
            condition.broadcast()
            condition.unlock()
            for part in stride(from: 0, to: parts, by: threads) { body(part) }
            while remaining.load(ordering: .acquiring) > 0 { spinPause() }
            job = nil
        }

        func work(as worker: Int) {
            var seen = 0
            while true {
                let start = DispatchTime.now().uptimeNanoseconds
                var spins = 0
                while generation.load(ordering: .acquiring) == seen && !stopping.load(ordering: .relaxed) {
                    spinPause()
                    spins += 1
                    if spins & 63 == 0, DispatchTime.now().uptimeNanoseconds - start > WorkerPool.spinNanoseconds {
                        condition.lock()
                        while generation.load(ordering: .acquiring) == seen && !stopping.load(ordering: .relaxed) {
                            condition.wait()
                        }
                        condition.unlock()
                    }
                }
                if stopping.load(ordering: .relaxed) { return }
                seen = generation.load(ordering: .acquiring)
                if let job {
                    for part in stride(from: worker, to: parts, by: threads) { job(part) }
                }
                remaining.subtract(1, ordering: .releasing)
            }
        }

        func stop() {
            condition.lock()
            stopping.store(true, ordering: .relaxed)
            condition.broadcast()
            condition.unlock()
        }

        @inline(__always)
        func spinPause() {
            #if arch(x86_64)
            // No `pause` intrinsic in Swift; a yield to the compiler keeps
            // the loop from being optimised into a tight busy-load.
            _ = generation.load(ordering: .relaxed)
            #endif
        }
    }
}
