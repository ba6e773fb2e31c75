import PrezeroModel
import PrezeroTrace

package enum Replay {
    /// Replays the trace at `path` under `policy`.
    package static func run(
        path: String, policy: any PrezeroPolicy, options: ReplayOptions, metadata: TraceMetadata?,
        progress: ((UInt64, UInt64?) -> Void)? = nil
    ) throws -> RunResult {
        try runOpened(path: path, policy: policy, options: options, metadata: metadata, progress: progress)
    }

    private static func runOpened<P: PrezeroPolicy>(
        path: String, policy: P, options: ReplayOptions, metadata: TraceMetadata?, progress: ((UInt64, UInt64?) -> Void)?
    ) throws -> RunResult {
        var engine = try ReplayEngine(policy: policy, options: options)
        let read = try EventPipeline.read(
            path: path, into: &engine, metadata: metadata, progress: progress, commClasses: options.touchProfile?.classNames ?? [])
        engine.finish()
        return result(engine: engine, policy: policy, read: read)
    }

    static func result<P: PrezeroPolicy>(engine: ReplayEngine<P>, policy: P, read: TraceReadSummary) -> RunResult {
        let options = engine.options
        var trace = RunResult.Trace(
            path: read.input, lines: read.diagnostics.lines, touch: options.touch, timebase: options.timebase,
            privateL2: options.privateL2 && options.profile.l2 != nil, malformedLines: read.diagnostics.malformedLines,
            lostEvents: read.diagnostics.lostEvents)
        trace.warmup = options.warmup.description
        trace.touchSource = options.touchSource
        trace.touchProfile = options.touchProfilePath
        trace.touchProfileMeans = options.touchProfile.map { $0.commands.mapValues(\.meanLines) }
        trace.touchProfileMeanLines = options.touchProfile?.meanLines
        trace.hugetlbPoolPages = read.metadata?.hugetlbPoolPages
        trace.freePageReporting = read.metadata?.freePageReporting
        trace.freePageReportingOrder = read.metadata?.freePageReportingOrder
        trace.kernelInit = options.kernelInit
        trace.kernelInit?.release = options.kernel?.description
        trace.kernelCounters = KernelCounterCheck(
            read: read, tally: engine.kernelCounts, matcher: engine.zeroFill, pageBytes: UInt64(options.profile.pageBytes))
        let drain = EventKind.pagePcpuDrain.canonicalName
        if read.eventNameCounts[drain, default: 0] > 0 || read.metadata?.events?.contains(drain) == true {
            trace.pcpDrainsRecorded = true
        } else if read.metadata?.events != nil {
            trace.pcpDrainsRecorded = false
        }
        if options.timebase == .model {
            trace.idleSource = .modelTime
        } else if engine.idleTraced {
            trace.idleSource = .schedSwitch
            if engine.metrics.idleUntracedNs > 0 { trace.idleFraction = options.idleFraction }  // before the first switch that gave it
        } else {
            switch engine.switchChains.scope {
            case .none: trace.idleSource = .noSchedSwitch
            case .everyTask, .everyTaskNeverIdle: trace.idleSource = .neverIdle  // everyTask: a switch out of idle set idleTraced
            case .everyTaskNoIdleExits: trace.idleSource = .noIdleExits
            case .someTasks: trace.idleSource = .someTasks
            }
            trace.idleFraction = options.idleFraction
        }
        if engine.unrecordedTotal > 0, let recorded = options.recordedCPUs {  // trace time only (`unrecordedCPUs`)
            trace.recordedCPUs = recorded
            trace.idleFraction = options.idleFraction
        }
        if engine.workingSets != nil {
            trace.workingSetReuse = options.workingSetReuse
            trace.workingSetSource = options.workingSetFromTrace ? "trace" : options.workingSetBytes != nil ? "option" : "assumed"
            // Transferred only where the profile's hot sets reached tasks of the trace.
            let hotSets = options.touchProfile?.commands.compactMapValues(\.hotSetBytes) ?? [:]
            if !hotSets.isEmpty, let sets = engine.workingSets, sets.tasksWithMeasuredHotSets > 0, options.workingSet.bytes > 0 {
                trace.touchProfileHotSets = hotSets
                trace.workingSetNominalSource = trace.workingSetSource
                trace.workingSetSource = "transferred"
            }
        }
        var result = RunResult(
            trace: trace, profile: options.profile, capturedMachine: options.capturedMachine, policy: P.name,
            parameters: policy.parameters.asStrings, metrics: RunMetrics(engine.metrics),
            invariantViolations: engine.invariantProblems, firstAnomalies: engine.metrics.firstAnomaly)
        result.diagnostics = read.diagnostics
        result.noVerdict = Evidence.missing(
            events: read.eventNameCounts, zeroFillFaults: engine.metrics.faults, tally: engine.metrics.tally,
            hugetlbPoolPages: read.metadata?.hugetlbPoolPages)
        result.touchShadows = engine.shadows.map { shadow in
            var metrics = engine.metrics
            metrics.touchNs = shadow.touchNs
            metrics.laterTouchNs = shadow.laterTouchNs
            metrics.folioTouchNs = shadow.folioTouchNs
            metrics.workingSetRefetchLines = shadow.workingSetRefetchLines
            metrics.workingSetRefetchNs = shadow.workingSetRefetchNs
            var run = result
            run.metrics = RunMetrics(metrics)
            run.trace.touch = shadow.touch
            run.trace.touchSource = .option
            return run
        }
        return result
    }
}

extension RunResult {
    /// The trace anomalies `--strict` makes fatal, as one error naming the trace and the first
    /// bad line or event; nil when there are none. Lost events and frees of pages allocated
    /// before the capture are not among them: every capture of a running system has those.
    package func strictError() -> TraceError? {
        let counted: [(String, UInt64, String)] = [
            ("timestamps_backwards", metrics.timestampsBackwards, "timestamps going backwards"),
            ("events_on_cpus_beyond_profile", metrics.eventsOnCPUsBeyondProfile, "events on CPUs beyond the machine's"),
            ("allocations_above_max_order", metrics.allocationsAboveMaxOrder, "allocations above the max order"),
            ("second_allocations_of_live_pfn", metrics.secondAllocationsOfLivePfn, "allocations of an already-live pfn"),
        ]
        let more = counted.filter { $0.1 > 0 }.map { metric, count, what in
            "\(count) \(what)" + (firstAnomalies[metric].map { " (first: \($0))" } ?? "")
        }
        return (diagnostics ?? TraceDiagnostics()).strictError(file: trace.path, more: more)
    }
}
