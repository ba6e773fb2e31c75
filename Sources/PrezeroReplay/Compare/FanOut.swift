import Foundation
import PrezeroModel
import PrezeroTrace

/// One replay that consumes shared event batches on its own thread.
final class EngineRunner<P: PrezeroPolicy>: BatchConsumer, @unchecked Sendable {
    private var engine: ReplayEngine<P>
    private let policy: P

    init(policy: P, options: ReplayOptions) throws {
        self.policy = policy
        engine = try ReplayEngine(policy: policy, options: options)
    }

    func consume(_ batch: [TraceEvent]) {
        for event in batch { engine.consume(event) }
    }

    func finish(read: TraceReadSummary) -> RunResult {
        engine.finish()
        return Replay.result(engine: engine, policy: policy, read: read)
    }
}

/// The replays the workers build, each slot written once by one worker.
final class BuiltRunners: @unchecked Sendable {
    private let lock = NSCondition()
    private var results: [Result<any BatchConsumer, Error>?]

    init(count: Int) { results = Array(repeating: nil, count: count) }

    func set(_ index: Int, _ result: Result<any BatchConsumer, Error>) {
        lock.lock()
        results[index] = result
        lock.broadcast()
        lock.unlock()
    }

    /// Replay `index`, waiting until it is built (a worker can reach the first batch before
    /// another has built its share), or nil if its build failed.
    func runner(_ index: Int) -> (any BatchConsumer)? {
        lock.lock()
        defer { lock.unlock() }
        while results[index] == nil { lock.wait() }
        return try? results[index]?.get()
    }

    /// Every replay in order, or the first error a build threw.
    func all() throws -> [any BatchConsumer] {
        lock.lock()
        defer { lock.unlock() }
        return try results.map { result in
            guard let result else { throw ReplayBuildError.notBuilt }
            return try result.get()
        }
    }
}

enum ReplayBuildError: Error { case notBuilt }

protocol BatchConsumer: AnyObject, Sendable {
    func consume(_ batch: [TraceEvent])
    func finish(read: TraceReadSummary) -> RunResult
}

/// Decodes a trace once and feeds every batch to several replays, each on its own thread: the
/// replays of a `compare` run concurrently on all cores while the trace is read once.
final class BroadcastRing: @unchecked Sendable {
    private let condition = NSCondition()
    private var batches: [Int: [TraceEvent]] = [:]
    /// Stored bytes the decoder had read when it put each batch: progress is reported when every
    /// replay has consumed a batch, not when it was decoded (the decoder runs up to `depth`
    /// batches ahead, most of a short trace).
    private var bytesAtBatch: [Int: (UInt64, UInt64?)] = [:]
    private let progress: ((UInt64, UInt64?) -> Void)?
    private var produced = 0
    private var consumed: [Int]
    private var done = false
    private let depth: Int

    /// `depth` 1: the decoder builds the next batch while the replays run the current one, no
    /// further ahead, so its CPU is spread over the whole run instead of taken from the replays
    /// at the start, and the progress estimate (bytes the replays have consumed) holds. On a
    /// 6.1 M-event compare of 8 policies (tools/bench-progress.py, 5-6 runs each), the worst
    /// estimate once 20 % was done: depth 3 8-30 % off, depth 2 13-28 %, depth 1 9-19 % (an
    /// earlier build, 1 M-event batches; README's Speed section has today's figures).
    init(consumers: Int, depth: Int = 1, progress: ((UInt64, UInt64?) -> Void)? = nil) {
        consumed = Array(repeating: 0, count: consumers)
        self.depth = depth
        self.progress = progress
    }

    func put(_ batch: [TraceEvent], at position: ReadPosition) {
        condition.lock()
        while produced - (consumed.min() ?? produced) >= depth { condition.wait() }
        batches[produced] = batch
        bytesAtBatch[produced] = (position.storedBytes, position.storedSize)
        produced += 1
        condition.broadcast()
        condition.unlock()
    }

    func finish() {
        condition.lock()
        done = true
        condition.broadcast()
        condition.unlock()
    }

    /// The next batch for `consumer`, or nil at the end.
    func next(_ consumer: Int) -> [TraceEvent]? {
        condition.lock()
        defer { condition.unlock() }
        while consumed[consumer] >= produced && !done { condition.wait() }
        guard consumed[consumer] < produced else { return nil }
        return batches[consumed[consumer]]
    }

    func release(_ consumer: Int) {
        condition.lock()
        let index = consumed[consumer]
        consumed[consumer] += 1
        if consumed.allSatisfy({ $0 > index }) {
            batches[index] = nil
            if let (bytes, size) = bytesAtBatch.removeValue(forKey: index) { progress?(bytes, size) }  // under the lock: one caller at a time
        }
        condition.broadcast()
        condition.unlock()
    }
}

struct BroadcastSink: TraceEventSink {
    /// Events a batch, at most: 64 K (3 MB). The replays hold a batch while the decoder fills the
    /// next, so batches are most of what a compare adds to one replay's memory. Six policies in one
    /// compare of the 1 M-event bench trace (tools/bench-policies.sh): 1 M-event batches peaked at
    /// 152 MB, 64 K-event ones at 125 MB (1.9x one kscrubd-v4 replay), in about the same time
    /// (1.6-1.8 s against 1.6 s). Much smaller batches cost CPU: with 16 K-event ones, six
    /// replays on 2 cores once took ~30 % more CPU than one at a time (their working sets
    /// displacing each other).
    /// The first batches are smaller, so the replays start soon after the decoder does.
    static let batchSize = 1 << 16
    static let firstBatchSize = 1 << 14
    let ring: BroadcastRing
    let position: ReadPosition
    var batch: [TraceEvent] = []
    var limit = BroadcastSink.firstBatchSize

    mutating func consume(_ event: TraceEvent) {
        batch.append(event)
        if batch.count >= limit {
            ring.put(batch, at: position)
            limit = min(limit * 2, BroadcastSink.batchSize)
            batch = []
            batch.reserveCapacity(limit)
        }
    }

    mutating func flush() {
        if !batch.isEmpty { ring.put(batch, at: position) }
        batch = []
    }
}

/// Which replay a worker runs next on the current batch: the replays are claimed one at a
/// time, the one that took longest on the last batch first, so the cores finish a batch
/// together (a fixed share per worker left one core idle ~15 % of a compare with ranges).
/// Every replay finishes a batch before the ring publishes the next, so a replay is never on
/// two threads at once.
final class ReplayClaims: @unchecked Sendable {
    private let lock = NSLock()
    private var seconds: [Double]
    private var order: [Int] = []
    private var batch = -1
    private var next = 0

    init(count: Int) { seconds = Array(repeating: 0, count: count) }

    /// The next replay to run on batch `index`, or nil when every one is taken.
    func claim(batch index: Int) -> Int? {
        lock.lock()
        defer { lock.unlock() }
        if index != batch {
            batch = index
            next = 0
            order = seconds.indices.sorted { seconds[$0] > seconds[$1] }
        }
        guard next < order.count else { return nil }
        next += 1
        return order[next - 1]
    }

    func ran(_ replay: Int, seconds elapsed: Double) {
        lock.lock()
        seconds[replay] = elapsed
        lock.unlock()
    }
}

extension Replay {
    /// Replays one trace under several policies, decoding it once; the replays run concurrently.
    ///
    /// - Returns: one result per policy, in the order given.
    package static func runMany(
        path: String, policies: [any PrezeroPolicy], options: [ReplayOptions], metadata: TraceMetadata?,
        progress: ((UInt64, UInt64?) -> Void)? = nil
    ) throws -> [RunResult] {
        precondition(policies.count == options.count, "one options value per policy")
        // One thread per core, each building replays and then running whichever is unclaimed,
        // batch by batch: more threads than cores only adds switches between the replays'
        // working sets, and building the models on the workers overlaps the decode.
        let count = policies.count
        let workers = max(1, min(count, ProcessInfo.processInfo.activeProcessorCount))
        let built = BuiltRunners(count: count)
        let inputs = UncheckedBox((policies, options))
        let ring = BroadcastRing(consumers: workers, progress: progress)
        let claims = ReplayClaims(count: count)
        let group = DispatchGroup()
        for worker in 0..<workers {
            let thread = Thread {
                let (policies, options) = inputs.value
                for i in stride(from: worker, to: count, by: workers) {
                    do {
                        built.set(i, .success(try makeRunner(policies[i], options[i])))
                    } catch {
                        built.set(i, .failure(error))
                    }
                }
                // A replay that failed to build is skipped; the error is thrown once the trace
                // is read, and the decoder is never held up.
                var index = 0
                while let batch = ring.next(worker) {
                    while let replay = claims.claim(batch: index) {
                        guard let runner = built.runner(replay) else { continue }
                        let start = DispatchTime.now().uptimeNanoseconds
                        runner.consume(batch)
                        claims.ran(replay, seconds: Double(DispatchTime.now().uptimeNanoseconds - start) / 1e9)
                    }
                    ring.release(worker)
                    index += 1
                }
                group.leave()
            }
            thread.stackSize = 1 << 22
            group.enter()
            thread.start()
        }
        let position = ReadPosition()
        var sink = BroadcastSink(ring: ring, position: position)
        let read: TraceReadSummary
        do {
            read = try TraceReader.read(path: path, into: &sink, metadata: metadata, progress: { done, size in
                position.storedBytes = done
                position.storedSize = size
            }, commClasses: options.first?.touchProfile?.classNames ?? [])
            sink.flush()
        } catch {
            ring.finish()
            group.wait()
            throw error
        }
        ring.finish()
        group.wait()
        return try built.all().map { $0.finish(read: read) }
    }

    private static func makeRunner<P: PrezeroPolicy>(_ policy: P, _ options: ReplayOptions) throws -> any BatchConsumer {
        try EngineRunner(policy: policy, options: options)
    }
}

/// How far the decoder has read, as its progress calls say: written and read on the decoding
/// thread only (each batch carries a copy into the ring).
final class ReadPosition {
    var storedBytes: UInt64 = 0
    var storedSize: UInt64?
}
