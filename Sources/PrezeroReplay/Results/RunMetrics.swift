import PrezeroTrace

/// The final value of every metric of one replay: what a result carries from replay to report.
///
/// Each field has exactly one entry in `Metric.all` (JSON name, unit, meaning, how it is
/// computed); a test checks that every field has one. The engine counts into these fields
/// directly (`ReplayMetrics.counted`); derived ones are filled in at the end. Reports read fields
/// by key path, so a missing or misspelt metric is a compile error.
package struct RunMetrics: Sendable, Equatable {
    package var faults: UInt64 = 0
    package var hugeFaults: UInt64 = 0
    package var hugeFaultPages: UInt64 = 0
    package var faultsAfterZeroPageRead: UInt64 = 0
    package var faultPageTables: UInt64 = 0
    package var firstWritesWithoutGFPZero: UInt64 = 0
    package var firstWritesWithoutAllocation: UInt64 = 0
    package var memoryCounterEvents: UInt64 = 0
    package var shmemZeroFills: UInt64 = 0
    package var firstWritesToCachedPages: UInt64 = 0
    package var hugeFoliosFreedUnmapped: UInt64 = 0
    package var zeroFillFaultsWithCounter: UInt64 = 0
    package var populatedHugePages: UInt64 = 0
    package var capturedFaultsTimed: UInt64 = 0
    package var capturedFaultP50Ns: UInt64 = 0
    package var capturedFaultP99Ns: UInt64 = 0
    package var capturedFaultResolutionNs: UInt64 = 0
    package var faultsInKernelMode: UInt64 = 0
    package var zeroedUserPagesWithoutFault: UInt64 = 0
    package var hugeUserPagesWithoutFault: UInt64 = 0
    package var hugePagesChargeRefused: UInt64 = 0
    package var shmemHugePages: UInt64 = 0
    package var faultPathNs: Double = 0
    package var touchNs: Double = 0
    package var touchMissNs: Double = 0
    package var laterTouchLines: UInt64 = 0
    package var laterTouchNs: Double = 0
    package var folioTouchLines: UInt64 = 0
    package var folioTouchNs: Double = 0
    package var folioTouchLinesLLCHit: UInt64 = 0
    package var folioTouchLinesLLCHitStream: UInt64 = 0
    package var folioTouchLinesMiss: UInt64 = 0
    package var folioTouchLinesMissStream: UInt64 = 0
    package var touchedLinesPerPageMean: Double = 0
    package var touchLinesHit: UInt64 = 0
    package var touchLinesLLCHit: UInt64 = 0
    package var touchLinesLLCHitStream: UInt64 = 0
    package var touchLinesMiss: UInt64 = 0
    package var touchLinesMissStream: UInt64 = 0
    package var cachedClearCPUNs: Double = 0
    package var nonTemporalClearCPUNs: Double = 0
    package var faultsTouchTransferred: UInt64 = 0
    package var faultRate: Double = 0
    package var faultsPerWallSecond: Double = 0
    package var kernelFaultRate: Double = 0
    package var faultLatencyP50Ns: UInt64 = 0
    package var faultLatencyP99Ns: UInt64 = 0
    package var faultLatencyP999Ns: UInt64 = 0
    package var faultLatencyMaxNs: UInt64 = 0
    package var faultLatencyMeanNs: Double = 0
    package var faultLatencyCDF: [[Double]] = []
    package var zeroRequests: UInt64 = 0
    package var zeroHits: UInt64 = 0
    package var zeroHitRate: Double = 0
    package var zeroHitPages: UInt64 = 0
    package var pagesZeroedBeforeWindow: UInt64 = 0
    package var warmupCPUNs: Double = 0
    package var warmupEngineNs: Double = 0
    package var kernelZeroRequests: UInt64 = 0
    package var allocPathZeroingNs: Double = 0
    package var allocPathRefillNs: Double = 0
    package var pcpDrainedPages: UInt64 = 0
    package var faultLatencyBaseP50Ns: UInt64 = 0
    package var faultLatencyBaseP99Ns: UInt64 = 0
    package var capturedPCPDrainedPages: UInt64 = 0
    package var faultZeroingNs: Double = 0
    package var faultBatchNs: Double = 0
    package var pagesZeroedFaultPath: UInt64 = 0
    package var pagesZeroedAllocPath: UInt64 = 0
    package var pagesZeroedScrubber: UInt64 = 0
    package var pagesZeroedFreePath: UInt64 = 0
    package var pagesZeroedByDriver: [String: UInt64] = [:]
    package var wastedZeroingPages: UInt64 = 0
    package var bytesZeroed: UInt64 = 0
    package var scrubberCPUNs: Double = 0
    package var scrubberJobs: UInt64 = 0
    package var scrubberCPUFromTasksNs: Double = 0
    package var scrubberLoadSleeps: UInt64 = 0
    package var idleNs: Double = 0
    package var schedSwitches: UInt64 = 0
    package var schedSwitchesOutOfIdle: UInt64 = 0
    package var schedSwitchesUnchained: UInt64 = 0
    package var idleUntracedNs: Double = 0
    package var idleUsedFraction: Double = 0
    package var engineBusyNs: Double = 0
    package var poolSamples: [[Double]] = []
    package var poolEmptyEvents: UInt64 = 0
    package var zeroRequestsPoolEmpty: UInt64 = 0
    /// -1 when the pool never ran dry.
    package var firstPoolEmptyNs: Double = -1
    package var frees: UInt64 = 0
    package var freePathNs: Double = 0
    package var freePathZeroingNs: Double = 0
    package var llcAccesses: UInt64 = 0
    package var llcMisses: UInt64 = 0
    package var llcMissesTouch: UInt64 = 0
    package var llcDemandMisses: UInt64 = 0
    package var llcLinesFilledByZeroing: UInt64 = 0
    package var llcMissesPollution: UInt64 = 0
    package var llcLinesEvictedByZeroing: UInt64 = 0
    package var llcInvalidationsOfPresentLines: UInt64 = 0
    package var l2Accesses: UInt64 = 0
    package var l2Misses: UInt64 = 0
    package var l2MissesTouch: UInt64 = 0
    package var l2LinesEvictedByZeroing: UInt64 = 0
    package var workingSetBytes: Double = 0
    package var workingSetRefetchLines: UInt64 = 0
    package var workingSetRefetchNs: Double = 0
    package var workingSetRefetchLinesAtL2Size: UInt64 = 0
    package var workingSetRefetchLinesOtherReuse: UInt64 = 0
    package var workingSetTasks: UInt64 = 0
    package var workingSetTasksMeasured: UInt64 = 0
    package var totalCPUNs: Double = 0
    package var events: UInt64 = 0
    package var allocations: UInt64 = 0
    package var traceFailedAllocations: UInt64 = 0
    package var freesOfPagesAllocatedBeforeCapture: UInt64 = 0
    package var freesNotModelled: UInt64 = 0
    package var secondAllocationsOfLivePfn: UInt64 = 0
    package var freesLostInIdleContext: UInt64 = 0
    package var modelOutOfMemory: UInt64 = 0
    package var modelHugeFallbacks: UInt64 = 0
    package var timestampsBackwards: UInt64 = 0
    package var eventsOnCPUsBeyondProfile: UInt64 = 0
    package var allocationsAboveMaxOrder: UInt64 = 0
    package var lostEvents: UInt64 = 0
    package var spanNs: Double = 0
    package var invariantChecks: UInt64 = 0

    package init() {}

    /// The counts of `ZeroFillFaultMatcher.Tally`, read and written as one.
    package var tally: ZeroFillFaultMatcher.Tally {
        get {
            ZeroFillFaultMatcher.Tally(
                firstWritesWithoutGFPZero: firstWritesWithoutGFPZero, firstWritesWithoutAllocation: firstWritesWithoutAllocation,
                zeroedUserPagesWithoutFault: zeroedUserPagesWithoutFault, hugeUserPagesWithoutFault: hugeUserPagesWithoutFault,
                memoryCounterEvents: memoryCounterEvents, shmemZeroFills: shmemZeroFills, firstWritesToCachedPages: firstWritesToCachedPages,
                zeroFillFaults: faults, zeroFillFaultsWithCounter: zeroFillFaultsWithCounter, populatedHugePages: populatedHugePages,
                hugePagesChargeRefused: hugePagesChargeRefused, shmemHugePages: shmemHugePages,
                hugeFoliosFreedUnmapped: hugeFoliosFreedUnmapped)
        }
        set {
            firstWritesWithoutGFPZero = newValue.firstWritesWithoutGFPZero
            firstWritesWithoutAllocation = newValue.firstWritesWithoutAllocation
            zeroedUserPagesWithoutFault = newValue.zeroedUserPagesWithoutFault
            hugeUserPagesWithoutFault = newValue.hugeUserPagesWithoutFault
            memoryCounterEvents = newValue.memoryCounterEvents
            shmemZeroFills = newValue.shmemZeroFills
            firstWritesToCachedPages = newValue.firstWritesToCachedPages
            zeroFillFaultsWithCounter = newValue.zeroFillFaultsWithCounter
            populatedHugePages = newValue.populatedHugePages
            hugePagesChargeRefused = newValue.hugePagesChargeRefused
            shmemHugePages = newValue.shmemHugePages
            hugeFoliosFreedUnmapped = newValue.hugeFoliosFreedUnmapped
        }
    }

    /// Lines priced at `llc_hit_ns`: touches that missed the L2 and hit the LLC, and hot-set re-reads.
    package var linesPricedAsLLCHits: UInt64 { touchLinesLLCHit &+ workingSetRefetchLines }

    /// The engine's counts with every derived metric computed.
    package init(_ replay: ReplayMetrics) {
        self = replay.counted
        for metric in Metric.all { metric.access.derive(replay, into: &self) }
    }
}
