import Histogram

/// How long the capture's own order-0 zero-fill faults took: from the fault event to the rise of
/// its page's memory counter (`ZeroFillFaultMatcher.capturedFaultNs`), on kernels whose counters
/// move at each fault. The tracepoints that fire inside the fault (the fault, the allocation,
/// the counter itself) are in it, so it is an upper bound on the untraced fault: a measurement to
/// set beside the model's fault latency, not one to replace it. A fault whose CPU took another
/// fault before its counter rose (it was preempted) is not timed, so the tail is if anything
/// short. Shown only where the counters move at each fault (`Tally.countersTellEachFault`).
public struct CapturedFaultTime: Sendable {
    public private(set) var histogram = Histogram<UInt64>(highestTrackableValue: 3_600_000_000_000, numberOfSignificantValueDigits: .three)

    public init() {}

    public mutating func record(_ ns: UInt64) { histogram.record(min(ns, 3_600_000_000_000)) }

    public var faults: UInt64 { histogram.totalCount }
    /// The value at percentile `q` (0-100), 0 with no fault timed.
    public func percentile(_ q: Double) -> UInt64 { faults == 0 ? 0 : histogram.valueAtPercentile(q) }
}
