#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

/// The data each running task keeps re-reading (its hot set) in its CPU's private L2, for
/// traces that do not record the program's own accesses (perf and ftrace captures).
///
/// A line its CPU fills into a set (a cached clear's, a first touch's) evicts one of the set's A
/// ways; the hot lines are h of them. The victim is taken as a random way, so k fills since the
/// task's last re-read leave h (1 - 1/A)^k of them, and it reads the others again from the LLC
/// at its next re-read. Random, not the LRU of the rest of the cache model: on this project's
/// machine a 512 KiB set loses ~0.3-0.5 us of re-reads a fault after only 32-128 fresh faults
/// (tools/workloads/l2-pollution.c, docs/model.md), where LRU would keep it whole (its 8 cold
/// ways a set take the first fills). Only the counts are modelled: the L2 model's own contents
/// are not changed by the hot set.
///
/// A hot set belongs to the task running on the CPU; another task taking the CPU displaces it at
/// no charge (a context switch costs the same under every policy). An idle spell keeps it: what
/// the task lost while it ran is settled when it goes idle, and what a scrubber clearing on that
/// idle CPU evicts is charged if it comes back there; if it runs elsewhere first, or exits, the
/// set left behind costs nothing (it is loaded afresh, or never read again).
package struct WorkingSets: @unchecked Sendable {
    /// When a task reads its hot set again.
    package enum Reuse: String, Sendable, Codable, CaseIterable {
        /// As fast as the machine re-reads L2-resident data: every `bytes / line x sweep` ns of
        /// running, and in part when it leaves the CPU.
        case continuous
        /// Once, when it leaves the CPU (or the trace ends): the least a task that uses its data
        /// again pays.
        case none
    }

    /// One hot-set size and reuse; a replay evaluates several at once (the verdict's range).
    package struct Setting: Sendable, Equatable {
        package var bytes: Int
        package var reuse: Reuse
        /// A task with a measured hot set (a touch profile's) uses it instead of `bytes`.
        package var usesMeasured: Bool
        package init(bytes: Int, reuse: Reuse, usesMeasured: Bool = true) {
            self.bytes = bytes
            self.reuse = reuse
            self.usesMeasured = usesMeasured
        }
    }

    /// A CPU's L2 fill counts (`CacheModel.fillCounters`), read in place.
    package struct FillCounters {
        package let perSet: UnsafePointer<UInt32>
        package let total: UnsafePointer<UInt64>
        /// The sets of the last `logCount` fills (a power of two), fill n at n & (logCount - 1).
        package let log: UnsafePointer<UInt32>
        package let logCount: Int
        package init(perSet: UnsafePointer<UInt32>, total: UnsafePointer<UInt64>, log: UnsafePointer<UInt32>, logCount: Int) {
            self.perSet = perSet
            self.total = total
            self.log = log
            self.logCount = logCount
        }
    }

    /// The running time to re-read one hot line, ns: notes §4, re-reading a 1 MiB working set
    /// (16,384 lines) took ~112 us undisturbed on the EPYC Zen 5 VM.
    package static let sweepNsPerLine = 6.8

    /// The hot set a task is taken to have when nothing measured it: the median of the five
    /// commands the bundled page-touch captures measure (`prezero touch-profile`: gzip 26, python3
    /// 31, sort 32, xz 51 and xz's shell 80 KiB), capped at the L2.
    package static let defaultBytes = 32 << 10

    package static let sizeSource = "a kernel capture cannot see the program's data: the nominal is \(defaultBytes >> 10) KiB, the median hot set of the commands measured in the bundled page-touch captures (gzip 26, python3 31, sort 32, xz 51, sh 80 KiB; prezero touch-profile), the range none to the whole L2 (notes §4 re-read a 1 MiB working set, the whole L2). Per task, at most the anonymous memory it faulted when its fork or exec is in the trace"
    package static let reuseSource = "assumed: continuous, a task re-reads its hot set as fast as notes §4 re-read 1 MiB of L2-resident data (6.8 ns a line), or none, once when it leaves the CPU"

    package let settings: [Setting]
    let sets: Int
    let ways: Int
    let lineBytes: Int
    let pageBytes: Int
    let counters: [FillCounters]

    struct CPU {
        var owner: Int32 = 0
        /// The owner went idle here (settled then): its set stays until another task runs.
        var sleeping = false
        /// Per setting: the owner's hot lines; lines it lost under an earlier (smaller) hot set,
        /// not yet charged (expected, so fractional); the set fill counts at the last re-read,
        /// its time and the total then.
        var hot: [Int]
        var pending: [Double]
        var snapshots: [[UInt32]]
        var lastReread: [Double]
        var totalAtReread: [UInt64]
    }
    var cpus: [CPU]
    /// The CPU whose L2 holds each owner's hot set.
    var ownedCPU: [Int32: Int] = [:]

    /// What the trace shows of a task: zero-fill pages it faulted, and whether it began in the
    /// trace (fork or exec), so that those pages are all its anonymous memory.
    struct Task {
        var faultedPages = 0
        var bornInTrace = false
        /// Measured for its command (`TouchProfile`'s hot set), bytes.
        var measuredBytes: Int?
        /// Counted in `tasksWithHotSets`: the nominal setting gave it hot lines.
        var counted = false
    }
    var tasks: [Int32: Task] = [:]

    /// Hot lines read again after an eviction, per setting (the expected count, rounded once).
    package var refetchedLines: [UInt64] { refetched.map { UInt64(max(0, $0).rounded()) } }
    var refetched: [Double]
    /// (1 - 1/A)^k: the share of a set's hot lines that k fills leave, for k below its count
    /// (beyond, none is left).
    let survival: [Double]
    /// ln(A / (A - 1)): the slope at 0 of the share k fills evict, 1 - (1 - 1/A)^k.
    let survivalLogRatio: Double

    /// - Parameter counters: each CPU's L2 fill counts (the L2s outlive this model).
    package init(settings: [Setting], l2: CacheGeometry, counters: [FillCounters], pageBytes: Int) {
        self.settings = settings
        ways = max(1, l2.ways)
        lineBytes = max(1, l2.lineBytes)
        sets = max(1, l2.sizeBytes / (ways * lineBytes))
        self.pageBytes = pageBytes
        self.counters = counters
        let n = settings.count
        let sets = self.sets
        // Each snapshot starts as its L2's counts now: a loss is counted from the fill log
        // (`takeEvicted`), which holds only the fills after it.
        cpus = counters.map { counter in
            CPU(
                hot: Array(repeating: 0, count: n), pending: Array(repeating: 0.0, count: n),
                snapshots: Array(repeating: Array(UnsafeBufferPointer(start: counter.perSet, count: sets)), count: n),
                lastReread: Array(repeating: 0, count: n), totalAtReread: Array(repeating: counter.total.pointee, count: n))
        }
        refetched = Array(repeating: 0, count: n)
        // Until what is left is below a millionth of a line a set.
        let keep = 1 - 1 / Double(max(l2.ways, 1))
        var table: [Double] = []
        var left = 1.0
        while left > 1e-6 / 64 && table.count < 1 << 16 {
            table.append(left)
            left *= keep
        }
        survival = table
        survivalLogRatio = -log(keep)
    }

    /// `pid` began here (forked, or a new image by exec): its anonymous memory starts empty, and
    /// what the old image lost is never read again.
    package mutating func born(_ pid: Int32) {
        tasks[pid] = Task(faultedPages: 0, bornInTrace: true)
        if let cpu = ownedCPU[pid] {
            for i in settings.indices {
                cpus[cpu].hot[i] = 0
                cpus[cpu].pending[i] = 0
                snapshot(cpu, i)
            }
        }
    }

    /// `pid` faulted `pages`; `measuredBytes`: its command's measured hot set, if any.
    package mutating func faulted(_ pid: Int32, pages: Int, measuredBytes: Int? = nil, now: Double = 0) {
        var task = tasks[pid] ?? Task()
        if let measuredBytes, task.measuredBytes == nil {
            task.measuredBytes = measuredBytes
            if task.counted { tasksWithMeasuredHotSets += 1 }
        }
        task.faultedPages += pages
        if !task.counted, let nominal = settings.first, hotLines(task, nominal) > 0 {
            task.counted = true
            tasksWithHotSets += 1
            if task.measuredBytes != nil { tasksWithMeasuredHotSets += 1 }
        }
        tasks[pid] = task
        guard let cpu = ownedCPU[pid] else { return }
        for i in settings.indices {
            let hot = hotLines(task, settings[i])
            guard hot != cpus[cpu].hot[i] else { continue }
            // What the smaller set lost so far is counted with its size; the new lines start now,
            // and so does the re-read interval of a set that had none.
            cpus[cpu].pending[i] += takeEvicted(cpu, i)
            if cpus[cpu].hot[i] == 0 { cpus[cpu].lastReread[i] = now }
            cpus[cpu].hot[i] = hot
        }
    }

    /// `pid` exited: the lines it lost are never read again, and what it does until it is gone
    /// (the frees of its memory) has no hot set to disturb.
    package mutating func exited(_ pid: Int32) {
        if let cpu = ownedCPU[pid] { release(cpu) }
        tasks[pid] = nil
    }

    /// Tasks (a new image by exec counts anew) the nominal setting gives a hot set (none when it
    /// is 0 bytes), and those whose hot set a touch profile measured.
    package private(set) var tasksWithHotSets = 0
    package private(set) var tasksWithMeasuredHotSets = 0

    /// A task's hot lines under `setting`: none until it faults anonymous memory (kernel threads,
    /// the idle task); at most the memory it faulted when it began in the trace; at most the L2.
    /// A setting of 0 bytes has none, measured or not.
    func hotLines(_ task: Task?, _ setting: Setting) -> Int {
        guard setting.bytes > 0, let task, task.faultedPages > 0 else { return 0 }
        var bytes = setting.usesMeasured ? task.measuredBytes ?? setting.bytes : setting.bytes
        if task.bornInTrace { bytes = min(bytes, task.faultedPages &* pageBytes) }
        return min(bytes / lineBytes, sets * ways)
    }

    func rereadIntervalNs(_ hot: Int) -> Double { Double(hot) * Self.sweepNsPerLine }

    /// `pid` runs on `cpu` at `now` (ns).
    package mutating func running(_ pid: Int32, cpu: Int, now: Double) {
        guard pid != 0, cpu < cpus.count else { return }
        let owner = cpus[cpu].owner
        if owner != pid {
            // A task owns one CPU's set at most: the map is read only when it is not this one's.
            if let other = ownedCPU[pid] {
                // It moved: its set there is left behind (settled already if it went idle there).
                if !cpus[other].sleeping { leave(cpu: other, now: now) }
                release(other)
            }
            if owner != 0 {
                if !cpus[cpu].sleeping { leave(cpu: cpu, now: now) }
                release(cpu)
            }
            cpus[cpu].owner = pid
            ownedCPU[pid] = cpu
            let task = tasks[pid]
            for i in settings.indices {
                cpus[cpu].hot[i] = hotLines(task, settings[i])
                cpus[cpu].lastReread[i] = now
                snapshot(cpu, i)
            }
            return
        }
        // Back from idle on its own CPU: what was evicted meanwhile counts at its next re-read,
        // whose interval is running time, so it starts again now.
        if cpus[cpu].sleeping {
            cpus[cpu].sleeping = false
            for i in settings.indices { cpus[cpu].lastReread[i] = now }
            return
        }
        for i in settings.indices where settings[i].reuse == .continuous {
            let hot = cpus[cpu].hot[i]
            if hot > 0 && now - cpus[cpu].lastReread[i] >= rereadIntervalNs(hot) {
                reread(cpu, i, share: 1, now: now)
            }
        }
    }

    /// `cpu` went idle at `now`: its owner stops, and reads what it lost as it leaves.
    package mutating func idle(cpu: Int, now: Double) {
        guard cpu < cpus.count, cpus[cpu].owner != 0, !cpus[cpu].sleeping else { return }
        leave(cpu: cpu, now: now)
        cpus[cpu].sleeping = true
    }

    /// The end of the trace: each CPU's task reads what it has not yet.
    package mutating func finish(now: Double) {
        for cpu in cpus.indices where cpus[cpu].owner != 0 && !cpus[cpu].sleeping { leave(cpu: cpu, now: now) }
    }

    /// The owner leaves: under continuous reuse it read the share of its set that its running
    /// time since the last re-read allowed; under none, all it lost.
    mutating func leave(cpu: Int, now: Double) {
        for i in settings.indices {
            let hot = cpus[cpu].hot[i]
            guard hot > 0 || cpus[cpu].pending[i] > 0 else { continue }
            let share = settings[i].reuse == .none || hot == 0 ? 1 : min(1, max(0, now - cpus[cpu].lastReread[i]) / rereadIntervalNs(hot))
            reread(cpu, i, share: share, now: now)
        }
    }

    /// The CPU's owner is gone: nothing more is charged for it there.
    mutating func release(_ cpu: Int) {
        ownedCPU[cpus[cpu].owner] = nil
        cpus[cpu].owner = 0
        cpus[cpu].sleeping = false
        for i in settings.indices {
            cpus[cpu].hot[i] = 0
            cpus[cpu].pending[i] = 0
        }
    }

    mutating func reread(_ cpu: Int, _ i: Int, share: Double, now: Double) {
        let evicted = cpus[cpu].pending[i] + takeEvicted(cpu, i, atLeast: 1e-3 / max(share, 1e-12))
        refetched[i] += evicted * share
        cpus[cpu].pending[i] = 0
        cpus[cpu].lastReread[i] = now
    }

    /// Hot lines lost since the snapshot, expected, and a new snapshot. Counted as nothing when
    /// even the bound hot x (1 - (1 - 1/A)^(fills / sets)) (Jensen: the loss is concave in a
    /// set's fills) is below `atLeast`.
    mutating func takeEvicted(_ cpu: Int, _ i: Int, atLeast: Double = 0) -> Double {
        let filled = counters[cpu].total.pointee &- cpus[cpu].totalAtReread[i]
        guard filled > 0 else { return 0 }
        var hot = cpus[cpu].hot[i]
        // The bound is never below 0: nothing to decide when nothing can be skipped.
        if hot > 0 && atLeast > 0 && lossBoundIsBelow(lines: Double(hot), perSet: Double(filled) / Double(sets), atLeast) { hot = 0 }
        return takeEvicted(cpu, i, hot: hot, filled: filled)
    }

    /// Whether lines x (1 - (1 - 1/A)^x) is below `atLeast`. The loss is concave in x: at most
    /// its tangent at 0, x ln(A / (A - 1)), and at least its chord to x = 1, x / A, below 1 (and
    /// 1/A above, as it grows). pow only where these bounds do not decide, each with a margin
    /// for rounding (relative, and pow's absolute error near 1, about 1.1e-16 a line), so that
    /// every answer is pow's.
    func lossBoundIsBelow(lines: Double, perSet x: Double, _ atLeast: Double) -> Bool {
        if lines * (x * survivalLogRatio + 2.3e-16) < atLeast * (1 - 1e-9) { return true }
        if lines * (min(x, 1) / Double(ways) - 2.3e-16) >= atLeast * (1 + 1e-9) { return false }
        return lines * (1 - pow(1 - 1 / Double(ways), x)) < atLeast
    }

    /// The set fill counts now, as the snapshot the next loss is counted from.
    mutating func snapshot(_ cpu: Int, _ i: Int) {
        let filled = counters[cpu].total.pointee &- cpus[cpu].totalAtReread[i]
        if filled > 0 { _ = takeEvicted(cpu, i, hot: 0, filled: filled) }
    }

    /// Σ over sets of h (1 - (1 - 1/A)^k) for the `filled` fills since the snapshot, the hot
    /// set spread evenly over the sets (the first `hot % sets` hold one line more), and the
    /// snapshot brought up to now. A window of fewer fills than the log holds visits only the
    /// sets they went to, each once (its count is brought up to date at the first visit); a
    /// longer one, every set.
    mutating func takeEvicted(_ cpu: Int, _ i: Int, hot: Int, filled: UInt64) -> Double {
        let counters = counters[cpu]
        let base = hot / sets, extra = hot % sets
        let fills = counters.perSet
        cpus[cpu].totalAtReread[i] = counters.total.pointee
        return cpus[cpu].snapshots[i].withUnsafeMutableBufferPointer { old in
            guard let old = old.baseAddress else { return 0 }
            if filled <= UInt64(counters.logCount) {
                let mask = UInt64(counters.logCount - 1)
                let end = counters.total.pointee
                let sets = self.sets
                return survival.withUnsafeBufferPointer { survival in
                    var sum = 0.0
                    for n in (end &- filled)..<end {
                        let s = Int(counters.log[Int(n & mask)])
                        guard s < sets else { continue }
                        let k = Int(fills[s] &- old[s])
                        guard k > 0 else { continue }
                        old[s] = fills[s]
                        let h = base + (s < extra ? 1 : 0)
                        if h > 0 { sum += Double(h) * (k < survival.count ? 1 - survival[k] : 1) }
                    }
                    return sum
                }
            }
            var sum = 0.0
            if hot > 0 {
                survival.withUnsafeBufferPointer { table in
                    sum = Double(base + 1) * Self.lost(fills, old, 0..<extra, table)
                    if base > 0 { sum += Double(base) * Self.lost(fills, old, extra..<sets, table) }
                }
            }
            old.update(from: fills, count: sets)
            return sum
        }
    }

    /// Σ over a range of sets of the share of its hot lines their fills evicted.
    static func lost(_ fills: UnsafePointer<UInt32>, _ old: UnsafePointer<UInt32>, _ range: Range<Int>, _ survival: UnsafeBufferPointer<Double>) -> Double {
        guard !range.isEmpty else { return 0 }
        var sum = 0.0
        let limit = survival.count
        for s in range {
            let k = Int(fills[s] &- old[s])
            if k != 0 { sum += k < limit ? 1 - survival[k] : 1 }
        }
        return sum
    }
}
