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

    func finish(read: TraceReadSummary) -> ReplayResult {
        engine.finish()
        return Replay.result(engine: engine, policy: policy, read: read)
    }
}

protocol BatchConsumer: AnyObject, Sendable {
    func consume(_ batch: [TraceEvent])
    func finish(read: TraceReadSummary) -> ReplayResult
}

/// Decodes a trace once and feeds every batch to several replays, each on its own thread: the
/// replays of a `compare` run concurrently on all cores while the trace is read once.
final class BroadcastRing: @unchecked Sendable {
    private let condition = NSCondition()
    private var batches: [Int: [TraceEvent]] = [:]
    private var produced = 0
    private var consumed: [Int]
    private var done = false
    private let depth: Int

    init(consumers: Int, depth: Int = 8) {
        consumed = Array(repeating: 0, count: consumers)
        self.depth = depth
    }

    func put(_ batch: [TraceEvent]) {
        condition.lock()
        while produced - (consumed.min() ?? produced) >= depth { condition.wait() }
        batches[produced] = batch
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
        if consumed.allSatisfy({ $0 > index }) { batches[index] = nil }
        condition.broadcast()
        condition.unlock()
    }
}

struct BroadcastSink: TraceEventSink {
    let ring: BroadcastRing
    var batch: [TraceEvent] = []

    mutating func consume(_ event: TraceEvent) {
        batch.append(event)
        if batch.count == 16_384 {
            ring.put(batch)
            batch = []
            batch.reserveCapacity(16_384)
        }
    }

    mutating func flush() {
        if !batch.isEmpty { ring.put(batch) }
        batch = []
    }
}

extension Replay {
    /// Replays one trace under several policies, decoding it once; the replays run concurrently.
    ///
    /// - Returns: one result per policy, in the order given.
    public static func runMany(
        path: String, policies: [any PrezeroPolicy], options: [ReplayOptions], metadata: TraceMetadata?,
        progress: ((UInt64, UInt64?) -> Void)? = nil
    ) throws -> [ReplayResult] {
        precondition(policies.count == options.count, "one options value per policy")
        var runners: [any BatchConsumer] = []
        for (policy, option) in zip(policies, options) { runners.append(try makeRunner(policy, option)) }
        let ring = BroadcastRing(consumers: runners.count)
        let group = DispatchGroup()
        for (index, runner) in runners.enumerated() {
            let thread = Thread {
                while let batch = ring.next(index) {
                    runner.consume(batch)
                    ring.release(index)
                }
                group.leave()
            }
            thread.stackSize = 1 << 22
            group.enter()
            thread.start()
        }
        var sink = BroadcastSink(ring: ring)
        let read: TraceReadSummary
        do {
            read = try TraceReader.read(path: path, into: &sink, metadata: metadata, progress: progress)
            sink.flush()
        } catch {
            ring.finish()
            group.wait()
            throw error
        }
        ring.finish()
        group.wait()
        return runners.map { $0.finish(read: read) }
    }

    private static func makeRunner<P: PrezeroPolicy>(_ policy: P, _ options: ReplayOptions) throws -> any BatchConsumer {
        try EngineRunner(policy: policy, options: options)
    }
}
