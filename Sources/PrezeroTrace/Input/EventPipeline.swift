import Foundation

/// Decodes a trace on its own thread (which runs decompression on a third) and hands events to
/// the caller's sink in batches, in order: parsing overlaps whatever the sink does with them.
public enum EventPipeline {
    /// Like `TraceReader.read`, with decoding on a background thread; `inlineWhenHelperDecodes`:
    /// on this one for a plain trace.dat or perf.data, whose helper process already decodes
    /// beside the caller (a thread here would be a third busy one).
    public static func read<S: TraceEventSink>(
        path: String, into sink: inout S, metadata: TraceMetadata? = nil, metadataPath: String? = nil,
        progress: ((UInt64, UInt64?) -> Void)? = nil, commClasses: [String] = [], inlineWhenHelperDecodes: Bool = false
    ) throws -> TraceReadSummary {
        if inlineWhenHelperDecodes && TraceReader.decodesInHelper(path) {
            return try TraceReader.read(
                path: path, into: &sink, metadata: metadata, metadataPath: metadataPath, progress: progress, commClasses: commClasses)
        }
        let ring = BatchRing()
        let progressBox = UncheckedBox(progress)
        let thread = Thread {
            let progress = progressBox.value
            var producer = BatchingSink(ring: ring)
            do {
                let summary = try TraceReader.read(
                    path: path, into: &producer, metadata: metadata, metadataPath: metadataPath, progress: progress, commClasses: commClasses)
                producer.flush()
                ring.finish(summary: summary, error: nil)
            } catch is BatchRing.Cancelled {
                ring.finish(summary: nil, error: nil)
            } catch {
                producer.flush()
                ring.finish(summary: nil, error: error)
            }
        }
        thread.stackSize = 1 << 22
        thread.start()
        while let batch = ring.next() {
            for event in batch { sink.consume(event) }
            ring.release()
        }
        return try ring.result()
    }
}

/// Collects events into batches and passes full ones to the ring.
struct BatchingSink: TraceEventSink {
    let ring: BatchRing
    var batch: [TraceEvent] = []

    init(ring: BatchRing) {
        self.ring = ring
        batch.reserveCapacity(BatchRing.batchSize)
    }

    mutating func consume(_ event: TraceEvent) {
        batch.append(event)
        if batch.count == BatchRing.batchSize { flush() }
    }

    mutating func flush() {
        guard !batch.isEmpty else { return }
        ring.put(batch)
        batch.removeAll(keepingCapacity: true)
    }
}

/// A bounded queue of event batches between one producer and one consumer.
final class BatchRing: @unchecked Sendable {
    static let batchSize = 16_384
    static let depth = 8
    struct Cancelled: Error {}

    private let lock = NSCondition()
    private var queue: [[TraceEvent]] = []
    private var done = false
    private var summary: TraceReadSummary?
    private var error: Error?

    func put(_ batch: [TraceEvent]) {
        lock.lock()
        while queue.count >= BatchRing.depth { lock.wait() }
        queue.append(batch)
        lock.signal()
        lock.unlock()
    }

    func finish(summary: TraceReadSummary?, error: Error?) {
        lock.lock()
        self.summary = summary
        self.error = error
        done = true
        lock.broadcast()
        lock.unlock()
    }

    /// The next batch, or nil once the producer has finished and the queue is empty.
    func next() -> [TraceEvent]? {
        lock.lock()
        defer { lock.unlock() }
        while queue.isEmpty && !done { lock.wait() }
        return queue.isEmpty ? nil : queue.first
    }

    func release() {
        lock.lock()
        queue.removeFirst()
        lock.broadcast()
        lock.unlock()
    }

    func result() throws -> TraceReadSummary {
        lock.lock()
        defer { lock.unlock() }
        if let error { throw error }
        guard let summary else { throw TraceError(.readFailed, "decoder stopped", at: InputLocation(file: "")) }
        return summary
    }
}

/// Moves a value the caller knows is used by one thread at a time onto another thread.
package struct UncheckedBox<T>: @unchecked Sendable {
    package let value: T
    package init(_ value: T) { self.value = value }
}
