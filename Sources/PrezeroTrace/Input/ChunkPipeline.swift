import Foundation

/// Runs `TraceInput.forEachChunk` (reading and zstd decompression) on its own thread, handing
/// decompressed chunks to the caller through a small ring of buffers, so decompression overlaps
/// parsing. Chunks arrive in order; an error on either side stops both.
final class ChunkPipeline: @unchecked Sendable {
    private struct Slot {
        var buffer: UnsafeMutableRawBufferPointer
        var count = 0
        var storedBytesRead: UInt64 = 0
    }

    private var slots: [Slot]
    private let free: DispatchSemaphore
    private let ready = DispatchSemaphore(value: 0)
    private let finished = DispatchSemaphore(value: 0)
    private let lock = NSLock()
    private var producerError: Error?
    private var producerDone = false
    private var cancelled = false
    private let input: TraceInput
    private let slotSize: Int
    /// The ring's length, kept apart from `slots` so neither thread reads the array without the
    /// lock while the other writes an element (a data race under Swift's exclusivity rules).
    private let slotCount: Int

    init(input: TraceInput, slotCount: Int = 4, slotSize: Int = 1 << 20) {
        self.input = input
        self.slotSize = slotSize
        self.slotCount = slotCount
        slots = (0..<slotCount).map { _ in
            Slot(buffer: UnsafeMutableRawBufferPointer.allocate(byteCount: slotSize, alignment: 64))
        }
        // Start at 0 and signal: libdispatch traps when a semaphore is freed below its initial value.
        free = DispatchSemaphore(value: 0)
        for _ in 0..<slotCount { free.signal() }
    }

    deinit {
        for slot in slots { slot.buffer.deallocate() }
    }

    private struct Cancelled: Error {}

    /// Calls `body` with each chunk and the stored bytes read so far.
    func run(_ body: (UnsafeRawBufferPointer, UInt64) throws -> Void) throws {
        let thread = Thread { [self] in produce() }
        thread.stackSize = 1 << 20
        thread.start()
        var next = 0
        var consumerError: Error?
        while true {
            ready.wait()
            lock.lock()
            let slot = slots[next]
            let done = producerDone && slot.count < 0
            lock.unlock()
            if done { break }
            do {
                try body(UnsafeRawBufferPointer(rebasing: slot.buffer[0..<slot.count]), slot.storedBytesRead)
            } catch {
                consumerError = error
                lock.lock()
                cancelled = true
                lock.unlock()
                free.signal()
                break
            }
            next = (next + 1) % slotCount
            free.signal()
        }
        // Let a blocked producer run to its cancellation check, then wait for it to exit.
        if consumerError != nil {
            for _ in 0..<slotCount { free.signal() }
        }
        finished.wait()
        if let consumerError { throw consumerError }
        lock.lock()
        let error = producerError
        lock.unlock()
        if let error { throw error }
    }

    private func produce() {
        var index = 0
        // The slot zstd is decompressing into, taken from the free ones (no copy for zstd input).
        var acquired = false
        func acquire() throws -> UnsafeMutableRawBufferPointer {
            free.wait()
            lock.lock()
            let stop = cancelled
            let destination = slots[index].buffer
            lock.unlock()
            if stop { throw Cancelled() }
            acquired = true
            return destination
        }
        func publish(count: Int) {
            lock.lock()
            slots[index].count = count
            slots[index].storedBytesRead = input.storedBytesRead
            lock.unlock()
            index = (index + 1) % slotCount
            acquired = false
            ready.signal()
        }
        do {
            try input.forEachChunk(output: { try acquire() }) { chunk in
                if acquired {
                    publish(count: chunk.count)
                    return
                }
                // Plain text comes in the reader's buffer: copy it into slots.
                var offset = 0
                while offset < chunk.count {
                    let destination = try acquire()
                    let n = min(slotSize, chunk.count - offset)
                    destination.copyMemory(from: UnsafeRawBufferPointer(rebasing: chunk[offset..<(offset + n)]))
                    publish(count: n)
                    offset += n
                }
            }
            // A slot taken for a call that produced nothing goes back.
            if acquired { free.signal() }
        } catch is Cancelled {
        } catch {
            lock.lock()
            producerError = error
            lock.unlock()
            if acquired { free.signal() }
        }
        // End marker: a slot with count -1 (waits for a free slot like any chunk).
        lock.lock()
        let stop = cancelled
        lock.unlock()
        if !stop {
            free.wait()
            lock.lock()
            slots[index].count = -1
            producerDone = true
            lock.unlock()
            ready.signal()
        }
        finished.signal()
    }
}
