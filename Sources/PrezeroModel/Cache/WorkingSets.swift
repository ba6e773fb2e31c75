/// The data each running task keeps re-reading (its hot set) in its CPU's private L2, for
/// traces that do not record the program's own accesses (perf and ftrace captures).
///
/// Under LRU, a task that re-reads its hot set keeps it younger than anything filled before the
/// re-read. What its CPU fills into a set afterwards (cached clears, first touches) evicts that
/// set's older lines first, then hot ones: with h hot lines in a set of A ways, k lines filled
/// since the last re-read evict min(h, max(0, k - (A - h))). The task reads those again from the
/// LLC at its next re-read. Only the counts are modelled: the L2 model's own contents are not
/// changed by the hot set.
///
/// A hot set belongs to the task running on the CPU; another task taking the CPU displaces it at
/// no charge (a context switch costs the same under every policy), an idle spell keeps it, so a
/// scrubber clearing on that idle CPU evicts it.
package struct WorkingSets: Sendable {
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

    /// The running time to re-read one hot line, ns: notes §4, re-reading a 1 MiB working set
    /// (16,384 lines) took ~112 us undisturbed on the EPYC Zen 5 VM.
    package static let sweepNsPerLine = 6.8

    package static let sizeSource = "assumed: a kernel capture cannot see the program's data; the nominal is half the CPU's private L2, the range none to the whole L2 (notes §4 re-read a 1 MiB working set, the whole L2). Per task, at most the anonymous memory it faulted when its fork or exec is in the trace"
    package static let reuseSource = "assumed: continuous, a task re-reads its hot set as fast as notes §4 re-read 1 MiB of L2-resident data (6.8 ns a line), or none, once when it leaves the CPU"

    package let settings: [Setting]
    let sets: Int
    let ways: Int
    let lineBytes: Int
    let pageBytes: Int

    struct CPU: Sendable {
        var owner: Int32 = 0
        /// Per setting: the owner's hot lines, the set fill counts at the last re-read, its time
        /// and the cache's total fills then.
        var hot: [Int]
        var snapshots: [[UInt32]]
        var lastReread: [Double]
        var totalAtReread: [UInt64]
    }
    var cpus: [CPU]

    /// What the trace shows of a task: zero-fill pages it faulted, and whether it began in the
    /// trace (fork or exec), so that those pages are all its anonymous memory.
    struct Task: Sendable {
        var faultedPages = 0
        var bornInTrace = false
        /// Measured for its command (`TouchProfile`'s hot set), bytes.
        var measuredBytes: Int?
    }
    var tasks: [Int32: Task] = [:]

    /// Hot lines read again after an eviction, per setting.
    package private(set) var refetchedLines: [UInt64]

    package init(settings: [Setting], l2: CacheGeometry, cpus: Int, pageBytes: Int) {
        self.settings = settings
        ways = max(1, l2.ways)
        lineBytes = max(1, l2.lineBytes)
        sets = max(1, l2.sizeBytes / (ways * lineBytes))
        self.pageBytes = pageBytes
        let cpu = CPU(
            hot: Array(repeating: 0, count: settings.count),
            snapshots: Array(repeating: Array(repeating: 0, count: sets), count: settings.count),
            lastReread: Array(repeating: 0, count: settings.count), totalAtReread: Array(repeating: 0, count: settings.count))
        self.cpus = Array(repeating: cpu, count: max(cpus, 1))
        refetchedLines = Array(repeating: 0, count: settings.count)
    }

    /// `pid` began here (forked, or a new image by exec): its anonymous memory starts empty.
    package mutating func born(_ pid: Int32) {
        tasks[pid] = Task(faultedPages: 0, bornInTrace: true)
        refreshHotLines(of: pid)
    }

    /// `pid` faulted `pages`; `measuredBytes`: its command's measured hot set, if any.
    package mutating func faulted(_ pid: Int32, pages: Int, measuredBytes: Int? = nil) {
        tasks[pid, default: Task()].faultedPages += pages
        if let measuredBytes { tasks[pid]?.measuredBytes = measuredBytes }
        refreshHotLines(of: pid)
    }

    /// Tasks whose hot set was measured, of those with one.
    package var tasksMeasured: (measured: Int, all: Int) {
        let withSets = tasks.values.filter { $0.faultedPages > 0 }
        return (withSets.filter { $0.measuredBytes != nil }.count, withSets.count)
    }

    /// The CPUs `pid` owns see its new hot-set size.
    mutating func refreshHotLines(of pid: Int32) {
        for cpu in cpus.indices where cpus[cpu].owner == pid {
            for i in settings.indices { cpus[cpu].hot[i] = hotLines(pid, settings[i]) }
        }
    }

    /// A task's hot lines under `setting`: none until it faults anonymous memory (kernel threads,
    /// the idle task); at most the memory it faulted when it began in the trace; at most the L2.
    func hotLines(_ pid: Int32, _ setting: Setting) -> Int {
        guard let task = tasks[pid], task.faultedPages > 0 else { return 0 }
        var bytes = setting.usesMeasured ? task.measuredBytes ?? setting.bytes : setting.bytes
        if task.bornInTrace { bytes = min(bytes, task.faultedPages &* pageBytes) }
        return min(bytes / lineBytes, sets * ways)
    }

    func rereadIntervalNs(_ hot: Int) -> Double { Double(hot) * Self.sweepNsPerLine }

    /// `pid` runs on `cpu` at `now` (ns); `fills` and `total` are that CPU's L2 fill counts.
    package mutating func running(_ pid: Int32, cpu: Int, now: Double, fills: UnsafePointer<UInt32>, total: UInt64) {
        guard pid != 0, cpu < cpus.count else { return }
        let owner = cpus[cpu].owner
        if owner != pid {
            if owner != 0 { leave(cpu: cpu, now: now, fills: fills, total: total) }
            cpus[cpu].owner = pid
            for i in settings.indices {
                cpus[cpu].hot[i] = hotLines(pid, settings[i])
                reset(cpu, i, now, fills, total)
            }
            return
        }
        for i in settings.indices where settings[i].reuse == .continuous {
            let hot = cpus[cpu].hot[i]
            if hot > 0 && now - cpus[cpu].lastReread[i] >= rereadIntervalNs(hot) {
                reread(cpu, i, share: 1, now: now, fills: fills, total: total)
            }
        }
    }

    /// The end of the trace: each CPU's task reads what it has not yet.
    package mutating func finish(now: Double, fills: (Int) -> UnsafePointer<UInt32>?, total: (Int) -> UInt64) {
        for cpu in cpus.indices where cpus[cpu].owner != 0 {
            guard let f = fills(cpu) else { continue }
            leave(cpu: cpu, now: now, fills: f, total: total(cpu))
        }
    }

    /// The owner leaves: under continuous reuse it read the share of its set that its running
    /// time since the last re-read allowed; under none, all it lost.
    mutating func leave(cpu: Int, now: Double, fills: UnsafePointer<UInt32>, total: UInt64) {
        for i in settings.indices {
            let hot = cpus[cpu].hot[i]
            guard hot > 0 else { continue }
            let share = settings[i].reuse == .none ? 1 : min(1, max(0, now - cpus[cpu].lastReread[i]) / rereadIntervalNs(hot))
            reread(cpu, i, share: share, now: now, fills: fills, total: total)
        }
    }

    mutating func reread(_ cpu: Int, _ i: Int, share: Double, now: Double, fills: UnsafePointer<UInt32>, total: UInt64) {
        let filled = total &- cpus[cpu].totalAtReread[i]
        let hot = cpus[cpu].hot[i]
        // Nothing can reach a hot line until a set has had more fills than its cold ways; and a
        // share that would round the most it could lose to nothing needs no count.
        if filled > 0 && hot > 0 && filled > UInt64(ways - (hot + sets - 1) / sets)
            && Double(min(UInt64(hot), filled)) * share >= 0.5 {
            let evicted = evictedLines(hot: hot, fills: fills, snapshot: cpus[cpu].snapshots[i])
            refetchedLines[i] &+= UInt64((Double(evicted) * share).rounded())
        }
        reset(cpu, i, now, fills, total)
    }

    mutating func reset(_ cpu: Int, _ i: Int, _ now: Double, _ fills: UnsafePointer<UInt32>, _ total: UInt64) {
        cpus[cpu].lastReread[i] = now
        if cpus[cpu].totalAtReread[i] != total {
            cpus[cpu].snapshots[i].withUnsafeMutableBufferPointer { $0.baseAddress?.update(from: fills, count: sets) }
            cpus[cpu].totalAtReread[i] = total
        }
    }

    /// Σ over sets of min(h, max(0, k - (A - h))), the hot set spread evenly over the sets: the
    /// first `hot % sets` sets hold one line more.
    func evictedLines(hot: Int, fills: UnsafePointer<UInt32>, snapshot: [UInt32]) -> Int {
        let base = hot / sets, extra = hot % sets
        return snapshot.withUnsafeBufferPointer { old in
            guard let old = old.baseAddress else { return 0 }
            return Self.evicted(h: base + 1, fills, old, 0..<extra, ways) + Self.evicted(h: base, fills, old, extra..<sets, ways)
        }
    }

    /// One hot-line count over a range of sets: a branch-free loop the compiler vectorizes.
    static func evicted(h: Int, _ fills: UnsafePointer<UInt32>, _ old: UnsafePointer<UInt32>, _ range: Range<Int>, _ ways: Int) -> Int {
        guard h > 0 else { return 0 }
        let cold = Int32(truncatingIfNeeded: ways - h), hot = Int32(truncatingIfNeeded: h)
        var sum: Int32 = 0
        for s in range {
            let k = Int32(truncatingIfNeeded: fills[s] &- old[s])
            sum &+= min(hot, max(0, k &- cold))
        }
        return Int(sum)
    }
}
