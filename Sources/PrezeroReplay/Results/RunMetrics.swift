/// The final value of every metric of one replay: what a result carries from replay to report.
///
/// Each field has exactly one entry in `Metric.all` (JSON name, unit, meaning, how it is
/// computed); a test checks that every field has one. The engine counts into these fields
/// directly (`ReplayMetrics.counted`); derived ones are filled in at the end. Reports read fields
/// by key path, so a missing or misspelt metric is a compile error.
public struct RunMetrics: Sendable, Equatable {
    public var faults: UInt64 = 0
    public var faultPathNs: Double = 0
    public var touchNs: Double = 0
    public var touchMissNs: Double = 0
    public var laterTouchLines: UInt64 = 0
    public var laterTouchNs: Double = 0
    public var touchedLinesPerPageMean: Double = 0
    public var faultRate: Double = 0
    public var faultsPerWallSecond: Double = 0
    public var kernelFaultRate: Double = 0
    public var faultLatencyP50Ns: UInt64 = 0
    public var faultLatencyP99Ns: UInt64 = 0
    public var faultLatencyP999Ns: UInt64 = 0
    public var faultLatencyMaxNs: UInt64 = 0
    public var faultLatencyMeanNs: Double = 0
    public var faultLatencyCDF: [[Double]] = []
    public var zeroRequests: UInt64 = 0
    public var zeroHits: UInt64 = 0
    public var zeroHitRate: Double = 0
    public var kernelZeroRequests: UInt64 = 0
    public var allocPathZeroingNs: Double = 0
    public var faultZeroingNs: Double = 0
    public var pagesZeroedFaultPath: UInt64 = 0
    public var pagesZeroedAllocPath: UInt64 = 0
    public var pagesZeroedScrubber: UInt64 = 0
    public var pagesZeroedFreePath: UInt64 = 0
    public var pagesZeroedByDriver: [String: UInt64] = [:]
    public var wastedZeroingPages: UInt64 = 0
    public var bytesZeroed: UInt64 = 0
    public var scrubberCPUNs: Double = 0
    public var scrubberJobs: UInt64 = 0
    public var idleNs: Double = 0
    public var idleUsedFraction: Double = 0
    public var engineBusyNs: Double = 0
    public var poolSamples: [[Double]] = []
    public var poolEmptyEvents: UInt64 = 0
    public var zeroRequestsPoolEmpty: UInt64 = 0
    /// -1 when the pool never ran dry.
    public var firstPoolEmptyNs: Double = -1
    public var frees: UInt64 = 0
    public var freePathNs: Double = 0
    public var llcAccesses: UInt64 = 0
    public var llcMisses: UInt64 = 0
    public var llcMissesTouch: UInt64 = 0
    public var llcMissesPollution: UInt64 = 0
    public var llcLinesEvictedByZeroing: UInt64 = 0
    public var llcInvalidationsOfPresentLines: UInt64 = 0
    public var l2Accesses: UInt64 = 0
    public var l2Misses: UInt64 = 0
    public var l2MissesTouch: UInt64 = 0
    public var l2LinesEvictedByZeroing: UInt64 = 0
    public var totalCPUNs: Double = 0
    public var events: UInt64 = 0
    public var allocations: UInt64 = 0
    public var traceFailedAllocations: UInt64 = 0
    public var freesOfPagesAllocatedBeforeCapture: UInt64 = 0
    public var freesNotModelled: UInt64 = 0
    public var secondAllocationsOfLivePfn: UInt64 = 0
    public var modelOutOfMemory: UInt64 = 0
    public var timestampsBackwards: UInt64 = 0
    public var eventsOnCPUsBeyondProfile: UInt64 = 0
    public var allocationsAboveMaxOrder: UInt64 = 0
    public var lostEvents: UInt64 = 0
    public var spanNs: Double = 0
    public var invariantChecks: UInt64 = 0

    public init() {}

    /// The engine's counts with every derived metric computed.
    public init(_ replay: ReplayMetrics) {
        self = replay.counted
        for metric in Metric.all { metric.access.derive(replay, into: &self) }
    }
}
