import Histogram

/// How long the capture's own order-0 zero-fill faults took: from the fault event to the rise of
/// its page's memory counter (`ZeroFillFaultMatcher.capturedFaultNs`), on kernels whose counters
/// move at each fault. That is most of the fault, its allocation, clear and charge, but not its
/// end (`do_anonymous_page` raises the counter before the rmap, the LRU add and the PTE) nor the
/// exception entry and exit; the tracepoints that fire inside it (the allocation, the counter)
/// are in it. A measurement to set beside the model's fault latency, not one to replace it. A fault whose CPU took another
/// fault before its counter rose (it was preempted) is not timed, so the tail is if anything
/// short. Shown only where the counters move at each fault (`Tally.countersTellEachFault`).
public struct CapturedFaultTime: Sendable {
    public private(set) var histogram = Histogram<UInt64>(highestTrackableValue: 3_600_000_000_000, numberOfSignificantValueDigits: .three)

    /// Every time recorded a whole number of microseconds: the capture's timestamps were (ftrace's
    /// `trace_pipe` and perf script without --ns print µs), so each time is only to ±1 µs.
    private var wholeMicroseconds = true

    public init() {}

    /// Records one fault's time; one beyond the histogram's hour is no fault's and is dropped.
    public mutating func record(_ ns: UInt64) {
        guard ns <= histogram.highestTrackableValue else { return }
        histogram.record(ns)
        if ns % 1000 != 0 { wholeMicroseconds = false }
    }

    /// The times' resolution: 1000 ns when every one is a whole number of µs, else 1 ns (0 with
    /// no fault timed).
    public var resolutionNs: UInt64 { faults == 0 ? 0 : wholeMicroseconds ? 1000 : 1 }

    public var faults: UInt64 { histogram.totalCount }
    /// The value at percentile `q` (0-100), 0 with no fault timed.
    public func percentile(_ q: Double) -> UInt64 { faults == 0 ? 0 : histogram.valueAtPercentile(q) }
}
