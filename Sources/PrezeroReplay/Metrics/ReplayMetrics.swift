import Histogram

/// What the engine accumulates during a replay; `RunMetrics(_:)` turns it into the result's
/// metrics through `Metric.all`. No policy is special-cased.
public struct ReplayMetrics: Sendable {
    // Faults and zero requests.
    public var faults: UInt64 = 0
    public var faultPathNs: Double = 0
    public var touchNs: Double = 0
    public var touchMissNs: Double = 0
    /// Lines touched after their fault (page-touch traces).
    public var laterTouchLines: UInt64 = 0
    public var laterTouchNs: Double = 0
    /// Page-touch traces: distinct lines touched per page over the whole trace (mean).
    public var touchedLinesPerPageMean: Double = 0
    public var faultLatency = Histogram<UInt64>(highestTrackableValue: 3_600_000_000_000, numberOfSignificantValueDigits: .three)
    public var zeroRequests: UInt64 = 0
    public var zeroHits: UInt64 = 0
    public var kernelZeroRequests: UInt64 = 0
    public var allocPathZeroingNs: Double = 0
    /// Inline clearing inside zero-fill faults (part of `faultPathNs`).
    public var faultZeroingNs: Double = 0

    // Zeroing by place and driver.
    public var pagesZeroedFaultPath: UInt64 = 0
    public var pagesZeroedAllocPath: UInt64 = 0
    public var pagesZeroedScrubber: UInt64 = 0
    public var pagesZeroedFreePath: UInt64 = 0
    public var pagesZeroedByDriver: [String: UInt64] = [:]
    public var wastedZeroingPages: UInt64 = 0
    public var bytesZeroed: UInt64 = 0

    // Background work.
    public var scrubberCPUNs: Double = 0
    public var idleNs: Double = 0
    public var engineBusyNs: Double = 0
    public var scrubberJobs: UInt64 = 0
    public var poolSamples: [[Double]] = []
    public var poolEmptyEvents: UInt64 = 0
    public var zeroRequestsPoolEmpty: UInt64 = 0
    public var firstPoolEmptyNs: Double?

    // Free path.
    public var frees: UInt64 = 0
    public var freePathNs: Double = 0

    // Cache.
    public var llcAccesses: UInt64 = 0
    public var llcMisses: UInt64 = 0
    public var llcMissesTouch: UInt64 = 0
    public var llcMissesPollution: UInt64 = 0
    public var llcLinesEvictedByZeroing: UInt64 = 0
    public var llcInvalidationsOfPresentLines: UInt64 = 0
    /// Private L2s (summed over CPUs; 0 unless simulated).
    public var l2Accesses: UInt64 = 0
    public var l2Misses: UInt64 = 0
    public var l2MissesTouch: UInt64 = 0
    public var l2LinesEvictedByZeroing: UInt64 = 0

    // Trace and model bookkeeping.
    public var events: UInt64 = 0
    public var allocations: UInt64 = 0
    public var traceFailedAllocations: UInt64 = 0
    public var freesOfPagesAllocatedBeforeCapture: UInt64 = 0
    public var freesNotModelled: UInt64 = 0
    public var secondAllocationsOfLivePfn: UInt64 = 0
    public var modelOutOfMemory: UInt64 = 0
    /// Trace anomalies the replay survives (counted; `--strict` makes them fatal).
    public var timestampsBackwards: UInt64 = 0
    public var eventsOnCPUsBeyondProfile: UInt64 = 0
    public var allocationsAboveMaxOrder: UInt64 = 0
    /// The first of each anomaly, by metric name, with its timestamp: for messages.
    public var firstAnomaly: [String: String] = [:]
    public var lostEvents: UInt64 = 0
    public var spanNs: Double = 0
    public var invariantChecks: UInt64 = 0

    public init() {}

    /// Who pays: CPU time that depends on the policy.
    public var totalCPUNs: Double { faultPathNs + allocPathZeroingNs + scrubberCPUNs + freePathNs + touchMissNs }

    /// `[latency_ns, fraction of faults at or below it]` at fixed percentiles (for CDF charts).
    public func latencyCDF() -> [[Double]] {
        guard faultLatency.totalCount > 0 else { return [] }
        let percentiles: [Double] = [0.1, 1, 5, 10, 20, 30, 40, 50, 60, 70, 80, 90, 95, 98, 99, 99.5, 99.9, 99.99, 100]
        return percentiles.map { [Double(faultLatency.valueAtPercentile($0)), $0 / 100] }
    }
}
