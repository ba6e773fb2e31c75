import Histogram

/// Everything a replay measures. The report iterates over `named()`; no policy is special-cased.
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

    /// Faults per second of time spent faulting, as the faulting program sees it: the kernel fault
    /// path plus the first touches of the page (the loop Lameter's test timed).
    public var faultRate: Double {
        let ns = faultPathNs + touchNs
        return ns > 0 ? Double(faults) / (ns / 1e9) : 0
    }

    /// Who pays: CPU time that depends on the policy.
    public var totalCPUNs: Double { faultPathNs + allocPathZeroingNs + scrubberCPUNs + freePathNs + touchMissNs }

    public enum Value: Sendable, Equatable {
        case int(UInt64)
        case double(Double)
        case samples([[Double]])
        case map([String: UInt64])
    }

    /// `[latency_ns, fraction of faults at or below it]` at fixed percentiles (for CDF charts).
    public func latencyCDF() -> [[Double]] {
        guard faultLatency.totalCount > 0 else { return [] }
        let percentiles: [Double] = [0.1, 1, 5, 10, 20, 30, 40, 50, 60, 70, 80, 90, 95, 98, 99, 99.5, 99.9, 99.99, 100]
        return percentiles.map { [Double(faultLatency.valueAtPercentile($0)), $0 / 100] }
    }

    /// Every metric by its JSON name.
    public func named() -> [(String, Value)] {
        func p(_ q: Double) -> UInt64 { faultLatency.totalCount == 0 ? 0 : faultLatency.valueAtPercentile(q) }
        return [
            ("faults", .int(faults)),
            ("fault_path_ns", .double(faultPathNs)),
            ("touch_ns", .double(touchNs)),
            ("touch_miss_ns", .double(touchMissNs)),
            ("later_touch_lines", .int(laterTouchLines)),
            ("later_touch_ns", .double(laterTouchNs)),
            ("touched_lines_per_page_mean", .double(touchedLinesPerPageMean)),
            ("fault_rate", .double(faultRate)),
            ("faults_per_wall_second", .double(spanNs > 0 ? Double(faults) / (spanNs / 1e9) : 0)),
            ("kernel_fault_rate", .double(faultPathNs > 0 ? Double(faults) / (faultPathNs / 1e9) : 0)),
            ("fault_latency_p50_ns", .int(p(50))),
            ("fault_latency_p99_ns", .int(p(99))),
            ("fault_latency_p999_ns", .int(p(99.9))),
            ("fault_latency_max_ns", .int(faultLatency.totalCount == 0 ? 0 : faultLatency.max)),
            ("fault_latency_mean_ns", .double(faultLatency.totalCount == 0 ? 0 : faultLatency.mean)),
            ("fault_latency_cdf", .samples(latencyCDF())),
            ("zero_requests", .int(zeroRequests)),
            ("zero_hits", .int(zeroHits)),
            ("zero_hit_rate", .double(zeroRequests > 0 ? Double(zeroHits) / Double(zeroRequests) : 0)),
            ("kernel_zero_requests", .int(kernelZeroRequests)),
            ("alloc_path_zeroing_ns", .double(allocPathZeroingNs)),
            ("fault_zeroing_ns", .double(faultZeroingNs)),
            ("pages_zeroed_fault_path", .int(pagesZeroedFaultPath)),
            ("pages_zeroed_alloc_path", .int(pagesZeroedAllocPath)),
            ("pages_zeroed_scrubber", .int(pagesZeroedScrubber)),
            ("pages_zeroed_free_path", .int(pagesZeroedFreePath)),
            ("pages_zeroed_by_driver", .map(pagesZeroedByDriver)),
            ("wasted_zeroing_pages", .int(wastedZeroingPages)),
            ("bytes_zeroed", .int(bytesZeroed)),
            ("scrubber_cpu_ns", .double(scrubberCPUNs)),
            ("scrubber_jobs", .int(scrubberJobs)),
            ("idle_ns", .double(idleNs)),
            ("idle_used_fraction", .double(idleNs > 0 ? scrubberCPUNs / idleNs : 0)),
            ("engine_busy_ns", .double(engineBusyNs)),
            ("pool_samples", .samples(poolSamples)),
            ("pool_empty_events", .int(poolEmptyEvents)),
            ("zero_requests_pool_empty", .int(zeroRequestsPoolEmpty)),
            ("first_pool_empty_ns", .double(firstPoolEmptyNs ?? -1)),
            ("frees", .int(frees)),
            ("free_path_ns", .double(freePathNs)),
            ("llc_accesses", .int(llcAccesses)),
            ("llc_misses", .int(llcMisses)),
            ("llc_misses_touch", .int(llcMissesTouch)),
            ("llc_misses_pollution", .int(llcMissesPollution)),
            ("llc_lines_evicted_by_zeroing", .int(llcLinesEvictedByZeroing)),
            ("llc_invalidations_of_present_lines", .int(llcInvalidationsOfPresentLines)),
            ("l2_accesses", .int(l2Accesses)),
            ("l2_misses", .int(l2Misses)),
            ("l2_misses_touch", .int(l2MissesTouch)),
            ("l2_lines_evicted_by_zeroing", .int(l2LinesEvictedByZeroing)),
            ("total_cpu_ns", .double(totalCPUNs)),
            ("events", .int(events)),
            ("allocations", .int(allocations)),
            ("trace_failed_allocations", .int(traceFailedAllocations)),
            ("frees_of_pages_allocated_before_capture", .int(freesOfPagesAllocatedBeforeCapture)),
            ("frees_not_modelled", .int(freesNotModelled)),
            ("second_allocations_of_live_pfn", .int(secondAllocationsOfLivePfn)),
            ("model_out_of_memory", .int(modelOutOfMemory)),
            ("timestamps_backwards", .int(timestampsBackwards)),
            ("events_on_cpus_beyond_profile", .int(eventsOnCPUsBeyondProfile)),
            ("allocations_above_max_order", .int(allocationsAboveMaxOrder)),
            ("lost_events", .int(lostEvents)),
            ("span_ns", .double(spanNs)),
            ("invariant_checks", .int(invariantChecks)),
        ]
    }
}
