import PrezeroModel
import PrezeroTrace

extension ReplayEngine {
    /// Who runs on `cpu` for the working-set model: the task an event names (the one switched
    /// in, for sched_switch); a switch to the idle task keeps the last one's hot set in place;
    /// fork, exec and exit begin and end tasks. A page-touch trace records the program's own
    /// accesses, so it replaces the model.
    static func noteRunning(_ event: TraceEvent, cpu: Int, now: Double, in workingSets: inout WorkingSets?) {
        switch event.kind {
        case .touch:
            workingSets = nil
            return
        case .processFork:
            workingSets?.born(Int32(truncatingIfNeeded: event.otherPid))
        case .processExec:
            // A thread other than the leader that execs takes the leader's pid: its old id ends.
            if event.otherPid != 0 && event.otherPid != event.subjectPid { workingSets?.exited(Int32(truncatingIfNeeded: event.otherPid)) }
            workingSets?.born(Int32(truncatingIfNeeded: event.subjectPid))
        case .processExit:
            workingSets?.exited(Int32(truncatingIfNeeded: event.subjectPid))
            return
        case .schedSwitch where event.nextPid == 0:
            workingSets?.idle(cpu: cpu, now: now)
            return
        default:
            break
        }
        let pid = event.kind == .schedSwitch ? Int32(truncatingIfNeeded: event.nextPid) : event.pid
        guard pid != TraceEvent.noTask else { return }  // a dead task's free: no one runs
        workingSets?.running(pid, cpu: cpu, now: now)
    }

    /// The hot lines re-read from the LLC, at `llc_hit_ns` each: part of the program's time.
    mutating func chargeWorkingSets() {
        guard let sets = workingSets else { return }
        let lines = sets.refetchedLines
        guard let nominal = lines.first else { return }
        let price = profile.llcHitPriceNs
        metrics.workingSetBytes = Double(sets.settings[0].bytes)
        metrics.workingSetRefetchLines = nominal
        // The range's other ends, unless the run is read for its total only.
        if lines.count == 3 {
            metrics.workingSetRefetchLinesAtL2Size = lines[1]
            metrics.workingSetRefetchLinesOtherReuse = lines[2]
        }
        metrics.workingSetRefetchNs = Double(nominal) * price
        metrics.workingSetTasks = UInt64(sets.tasksWithHotSets)
        metrics.workingSetTasksMeasured = UInt64(sets.tasksWithMeasuredHotSets)
    }
}
