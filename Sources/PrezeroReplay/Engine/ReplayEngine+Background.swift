import Foundation
import PrezeroModel

extension ReplayEngine {
    /// Idle CPUs of `node` between the last event and `t` (the state is constant in between,
    /// because it changes only at events).
    func idleCPUs(node: Int) -> Double {
        if idleFromFraction { return options.idleFraction * Double(memory.cpus(ofNode: node).count) }
        if warmingUp { return Double(idlePerNode[node]) }
        return Double(idlePerNode[node] - unrecordedIdlePerNode[node]) + options.idleFraction * Double(unrecordedPerNode[node])
    }

    /// Idle time not in a captured trace (`idleTraced`): `--idle-fraction` of every CPU.
    var idleFromFraction: Bool { !warmingUp && !idleTraced && options.timebase == .trace }

    /// Runnable tasks now: on busy CPUs, and preempted ones waiting for a CPU.
    var runnableTasks: Double {
        let busy: Double
        if idleFromFraction {
            busy = (1 - options.idleFraction) * Double(idle.count)
        } else if warmingUp {
            busy = Double(idle.count - idleTotal)
        } else {
            // The recorded CPUs not idle, and each unrecorded one busy for the rest of the fraction.
            let recordedBusy = (idle.count - unrecordedTotal) - (idleTotal - unrecordedIdleTotal)
            busy = Double(recordedBusy) + (1 - options.idleFraction) * Double(unrecordedTotal)
        }
        return busy + Double(preemptedTasks.count)
    }

    /// Marks `cpu` idle or busy, keeping the idle counts that `advance` reads on every event.
    mutating func setIdle(_ cpu: Int, _ value: Bool) {
        guard idle[cpu] != value else { return }
        idle[cpu] = value
        let delta = value ? 1 : -1
        idleTotal += delta
        idlePerNode[memory.node(ofCPU: cpu)] += delta
        if unrecorded[cpu] {
            unrecordedIdleTotal += delta
            unrecordedIdlePerNode[memory.node(ofCPU: cpu)] += delta
        }
    }

    /// Runs background work (scrubbers and engines) from the last event up to `t`, stopping at
    /// each sleeping scrubber's timer so it looks at the load of that moment.
    mutating func advance(to t: Double) {
        guard t.isFinite else { return }
        skipSleepsThatCannotEnd(before: t)
        while lastAdvance < t {
            var step = t
            for s in scrubbers where s.awake && s.sleepUntil > lastAdvance && s.sleepUntil < step { step = s.sleepUntil }
            advanceSpan(to: step)
        }
    }

    /// A scrubber asleep on the load gate while the load cannot fall (the runnable tasks keep it
    /// where it is or push it up) fails every check before `t`: count those sleeps at once
    /// instead of stepping through a long gap 30 s at a time.
    private mutating func skipSleepsThatCannotEnd(before t: Double) {
        let step = policy.scrubberSleepNs
        guard step > 0, runnableTasks >= loadAverage, !policy.mayScrub(loadAverage: loadAverage) else { return }
        for node in scrubbers.indices where scrubbers[node].awake && scrubbers[node].sleepUntil > lastAdvance && scrubbers[node].sleepUntil < t {
            let timers = ((t - scrubbers[node].sleepUntil) / step).rounded(.down)
            scrubbers[node].sleepUntil += timers * step
            metrics.scrubberLoadSleeps &+= UInt64(timers)
        }
    }

    private mutating func advanceSpan(to t: Double) {
        let dt = t - lastAdvance
        guard dt > 0 else { return }
        // 1-minute load average of runnable tasks (kernel calc_load: exponential, 60 s): the
        // tasks on busy CPUs and those preempted and waiting (sched_switch prev_state R). Tasks
        // woken but not yet run are not in a capture without sched_wakeup: a lower bound.
        let runnable = runnableTasks
        let steps = dt * (1 / 60e9)
        let decay = dt < 1e8 ? 1 - steps : exp(-steps)  // first-order for short steps
        loadAverage = loadAverage * decay + runnable * (1 - decay)

        for node in scrubbers.indices {
            let idleOnNode = idleCPUs(node: node)
            let idleShare = min(1, idleOnNode)  // one scrubber thread per node
            metrics.idleNs += dt * idleOnNode
            guard scrubbers[node].awake else { continue }
            let from = max(lastAdvance, scrubbers[node].sleepUntil)
            guard t >= from else { continue }
            // A thread waiting for its engine job uses no CPU and banks none.
            if scrubbers[node].inFlight == nil { scrubbers[node].budgetNs += (t - from) * idleShare }
            if policy.scrubberScheduling == .normal && idleShare < 1 && scrubbers[node].inFlight == nil {
                scrubbers[node].taskBudgetNs += (t - from) * (1 - idleShare) * fairShare(node: node, idleOnNode: idleOnNode)
            }
            runScrubber(node: node, until: t)
        }
        lastAdvance = t
        samplePool(force: false)
    }

    /// The share of one CPU a normal-priority scrubber gets when its node's CPUs are busy: CFS
        /// gives it an equal share with the node's runnable tasks (busy CPUs' tasks plus the
        /// preempted ones waiting there): busy / (runnable + 1), at most one CPU.
    func fairShare(node: Int, idleOnNode: Double) -> Double {
        let busy = max(0, Double(memory.cpus(ofNode: node).count) - idleOnNode)
        guard busy > 0 else { return 0 }
        let waiting = Double(preemptedPerNode[min(node, preemptedPerNode.count - 1)])
        return min(1, busy / (busy + waiting + 1))
    }

    /// With `--timebase model` the time a scrubber takes from busy tasks delays them: each busy
    /// CPU of the node loses its share. (A capture's timestamps already hold what happened.)
    mutating func delayBusyCPUs(node: Int, by ns: Double) {
        guard options.timebase == .model else { return }
        let busy = memory.cpus(ofNode: node).filter { !idle[$0] }
        for cpu in busy { cpuClock[cpu] += ns / Double(busy.count) }
    }

    /// V8's scrub_pgdat: while the load is too high the awake scrubber sleeps `scrubberSleepNs`
    /// from `t` and looks again; a sleeping thread banks no CPU time. True when it went to sleep.
    mutating func sleepsOnLoad(node: Int, at t: Double) -> Bool {
        guard policy.scrubberSleepNs > 0, !policy.mayScrub(loadAverage: loadAverage) else { return false }
        scrubbers[node].sleepUntil = t + policy.scrubberSleepNs
        scrubbers[node].budgetNs = 0
        scrubbers[node].taskBudgetNs = 0
        metrics.scrubberLoadSleeps += 1
        return true
    }

    mutating func runScrubber(node: Int, until t: Double) {
        while true {
            if let flight = scrubbers[node].inFlight {
                guard flight.done <= t else { return }
                complete(flight.job, driver: flight.driver)
                scrubbers[node].inFlight = nil
                scrubbers[node].clock = max(scrubbers[node].clock, flight.done)
            }
            if sleepsOnLoad(node: node, at: t) { return }
            guard var job = policy.nextScrubJob(node: node, memory: memory) else {
                scrubbers[node].awake = false
                scrubbers[node].budgetNs = 0
                scrubbers[node].taskBudgetNs = 0
                return
            }
            // A block larger than the policy zeroes in one run, or than the engine takes when
            // the policy splits for it, is split on the free lists until it fits; otherwise the
            // driver chain decides (the engine refuses, the CPU clears; docs/model.md).
            var bytes = (1 << job.order) * profile.pageBytes
            var limit = policy.splitsBlocksForEngine ? engineMaxBytes : Int.max
            if let pages = policy.maxScrubJobPages { limit = min(limit, pages * profile.pageBytes) }
            while bytes > limit && job.order > 0 {
                job.order = memory.zones[job.zone].splitFree(job.page)
                bytes = (1 << job.order) * profile.pageBytes
            }
            let (cost, driverName) = zeroingCost(bytes: bytes)
            guard scrubbers[node].budgetNs + scrubbers[node].taskBudgetNs >= cost.cpuNs else { return }
            // Idle time first; the rest is taken from the node's busy tasks.
            let fromIdle = min(scrubbers[node].budgetNs, cost.cpuNs)
            scrubbers[node].budgetNs -= fromIdle
            scrubbers[node].taskBudgetNs -= cost.cpuNs - fromIdle
            metrics.scrubberCPUFromTasksNs += cost.cpuNs - fromIdle
            if cost.cpuNs > fromIdle { delayBusyCPUs(node: node, by: cost.cpuNs - fromIdle) }
            metrics.scrubberCPUNs += cost.cpuNs
            if driverName == CPUCachedDriver.name { metrics.cachedClearCPUNs += cost.cpuNs }
            if driverName == CPUNonTemporalDriver.name { metrics.nonTemporalClearCPUNs += cost.cpuNs }
            metrics.scrubberJobs += 1
            _ = memory.zones[job.zone].takeForZeroing(job.page)
            if cost.engineNs > 0 {
                let start = max(scrubbers[node].clock, scrubbers[node].engineBusyUntil, lastAdvance)
                let done = start + cost.cpuNs + cost.engineNs
                scrubbers[node].engineBusyUntil = done
                metrics.engineBusyNs += cost.engineNs
                scrubbers[node].inFlight = EngineJob(job: job, done: done, driver: driverName)
                applyCacheEffect(cost, zone: job.zone, page: job.page, pages: 1 << job.order, cpu: scrubberCPU(node: node))
            } else {
                scrubbers[node].clock += cost.cpuNs
                applyCacheEffect(cost, zone: job.zone, page: job.page, pages: 1 << job.order, cpu: scrubberCPU(node: node))
                complete(job, driver: driverName)
            }
        }
    }

    /// The CPU a node's scrubber runs on: its first idle CPU (the scrubber runs on idle time),
    /// else the node's first CPU. Its L2 receives the scrubber's cached clears.
    func scrubberCPU(node: Int) -> Int {
        let cpus = memory.cpus(ofNode: node)
        return cpus.first { idle[$0] } ?? min(cpus.lowerBound, idle.count - 1)
    }

    mutating func complete(_ job: ScrubJob, driver: String) {
        let pages = 1 << job.order
        memory.zones[job.zone].returnZeroed(job.page, order: job.order)
        metrics.pagesZeroedScrubber &+= UInt64(pages)
        metrics.pagesZeroedByDriver[driver, default: 0] &+= UInt64(pages)
        metrics.bytesZeroed &+= UInt64(pages * profile.pageBytes)
    }

    mutating func samplePool(force: Bool) {
        guard keepsPool || force else { return }
        guard force || lastSampleAt < 0 || now - lastSampleAt >= sampleEvery else { return }
        lastSampleAt = now
        metrics.poolSamples.append([now, Double(memory.zeroedFreePages)])
        if metrics.poolSamples.count > 2000 {
            metrics.poolSamples = metrics.poolSamples.enumerated().filter { $0.offset % 2 == 0 }.map(\.element)
            sampleEvery *= 2
        }
    }
}
