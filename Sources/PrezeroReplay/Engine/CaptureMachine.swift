import PrezeroModel
import PrezeroTrace

/// The captured machine's shape, from a trace's metadata sidecar: memory size, nodes, CPUs, page
/// size, and the free lists at capture start (`/proc/buddyinfo`).
package struct CaptureMachine: Sendable, Equatable {
    /// nil where the metadata does not say (a trace.dat header has no MemTotal).
    package var memoryBytes: UInt64?
    package var nodes: Int
    package var cpus: Int?
    package var pageBytes: Int?
    /// Free blocks at capture start, per node, per order (zones of a node summed).
    package var freeBlocks: [[Int]]
    /// Each CPU's per-CPU lists at capture start (`/proc/zoneinfo`), nil where it does not say.
    package var perCPULists: PerCPULists?

    /// A node's per-CPU lists, a CPU's zones summed (the model has one zone a node): pages on
    /// them (`count`), the drain threshold `high` and, from 6.7, the range the kernel tunes it
    /// in (`high_min`, `high_max`: decay_pcp_high, nr_pcp_high), and `batch`.
    package struct PerCPULists: Sendable, Equatable {
        /// [node][cpu]: pages on the lists (nodes in order, CPUs by id).
        package var count: [[Int]]
        /// Each listed CPU's `high`, every node's.
        package var high: [Int]
        /// [node][cpu]: each CPU's `high` (0 for a CPU not listed).
        package var highTable: [[Int]] = []
        /// From the lowest `high_min` of one zone in use (`high` > 0) to the highest sum of a
        /// CPU's zones' `high_max` (nil before 6.7, which has neither).
        package var highRange: ClosedRange<Int>?
        package var batch: Int

        /// `high` averaged over the listed CPUs, rounded.
        package var meanHigh: Int {
            high.isEmpty ? 0 : Int((Double(high.reduce(0, +)) / Double(high.count)).rounded())
        }
    }

    /// Reads what the sidecar (or a binary capture's header) has; nil for synthetic traces or
    /// metadata that gives neither the memory, the CPUs nor the page size.
    package init?(metadata: TraceMetadata) {
        guard metadata.kernelRelease != "synthetic" else { return nil }
        // A sidecar's numbers are anyone's: a MemTotal past 2^54 bytes is no machine's.
        let memory = metadata.memTotalKB.flatMap { $0 > 0 && $0 <= 1 << 44 ? UInt64($0) * 1024 : nil }
        guard memory != nil || metadata.cpus != nil || metadata.pageSize != nil else { return nil }
        memoryBytes = memory
        cpus = metadata.cpus
        pageBytes = metadata.pageSize
        freeBlocks = CaptureMachine.parseBuddyinfo(metadata.buddyinfo ?? "")
        nodes = max(1, freeBlocks.count)
        perCPULists = CaptureMachine.parsePagesets(metadata.zoneinfo ?? "")
    }

    /// The `pagesets` of every zone in `/proc/zoneinfo`, each CPU's zones of a node summed; nil
    /// when there are none. Nodes are numbered as `/proc/buddyinfo`'s are here (in order, without
    /// gaps); a CPU zoneinfo does not list (offline) has empty lists and no say in `high`. Values
    /// beyond `maxHigh` pages are taken as `maxHigh` (a sidecar is anyone's).
    package static func parsePagesets(_ text: String) -> PerCPULists? {
        struct Lists { var count = 0, high = 0, highMax = 0, zoneHighMins: [Int] = [] }
        var lists: [Int: [Int: Lists]] = [:]  // node id -> cpu id
        var batch = 0
        var node: Int?, cpu: Int?
        var zoneHigh = 0, zoneHighMin: Int?
        /// A CPU's pageset of one zone ends: its high_min counts where its list is in use.
        func endPageset() {
            if let node, let cpu, let min = zoneHighMin, zoneHigh > 0 { lists[node, default: [:]][cpu, default: Lists()].zoneHighMins.append(min) }
            zoneHigh = 0
            zoneHighMin = nil
        }
        for line in text.split(separator: "\n") {
            let parts = line.split(whereSeparator: { $0 == " " || $0 == "," })
            guard let key = parts.first else { continue }
            if key == "Node", parts.count >= 2 {
                endPageset()
                node = Int(parts[1]).flatMap { $0 >= 0 && $0 < 1024 ? $0 : nil }
                cpu = nil
                continue
            }
            guard let node, parts.count == 2, let raw = Int(parts[1]), raw >= 0 else { continue }
            let value = min(raw, maxHigh)
            if key == "cpu:" {
                endPageset()
                cpu = raw < 1 << 16 ? raw : nil
                if let cpu, lists[node]?[cpu] == nil { lists[node, default: [:]][cpu] = Lists() }  // listed, if all 0
                continue
            }
            guard let cpu else { continue }
            switch key {
            case "batch:": batch = max(batch, value)
            case "count:": lists[node, default: [:]][cpu, default: Lists()].count += value
            case "high:":
                lists[node, default: [:]][cpu, default: Lists()].high += value
                zoneHigh = value
            case "high_min:": zoneHighMin = value
            case "high_max:": lists[node, default: [:]][cpu, default: Lists()].highMax += value
            default: continue
            }
        }
        endPageset()
        guard !lists.isEmpty, batch > 0 else { return nil }
        let nodes = lists.keys.sorted()
        let cpus = (lists.values.compactMap { $0.keys.max() }.max() ?? 0) + 1
        let present = nodes.flatMap { n in (lists[n] ?? [:]).sorted { $0.key < $1.key }.map(\.value) }
        let count = nodes.map { n in (0..<cpus).map { min(lists[n]?[$0]?.count ?? 0, maxHigh) } }
        let highTable = nodes.map { n in (0..<cpus).map { min(lists[n]?[$0]?.high ?? 0, maxHigh) } }
        let high = present.map { min($0.high, maxHigh) }
        // From one zone's list at its lowest to every zone's at its highest: which zone's list a
        // free reaches is not modelled (one zone a node).
        var range: ClosedRange<Int>?
        let mins = present.flatMap(\.zoneHighMins)
        if let low = mins.min(), let top = present.map({ min($0.highMax, maxHigh) }).max(), low <= top { range = low...top }
        return PerCPULists(count: count, high: high, highTable: highTable, highRange: range, batch: batch)
    }

    /// The largest `pcp_high` a profile takes (`MachineProfile`'s range for it).
    package static let maxHigh = 1 << 20

    /// `Node 0, zone   Normal    254     49 ...`: free block counts by order, per node.
    package static func parseBuddyinfo(_ text: String) -> [[Int]] {
        var perNode: [Int: [Int]] = [:]
        for line in text.split(separator: "\n") {
            let parts = line.split(whereSeparator: { $0 == " " || $0 == "," })
            guard parts.count >= 5, parts[0] == "Node", let node = Int(parts[1]), parts[2] == "zone", node >= 0, node < 1024 else {
                continue
            }
            let counts = parts.dropFirst(4).compactMap { Int($0) }
            var sum = perNode[node] ?? []
            if sum.count < counts.count { sum += Array(repeating: 0, count: counts.count - sum.count) }
            for (order, count) in counts.enumerated() where count >= 0 { sum[order] += count }
            perNode[node] = sum
        }
        return perNode.keys.sorted().map { perNode[$0] ?? [] }
    }

    /// `profile` resized to the captured machine (memory, nodes, CPUs, page size) with its
    /// per-CPU lists' `high` and `batch` unless `overridden` (a `--set` wins: the capture's
    /// `high` is where the kernel's tuning stood at its start); each changed field's source
    /// names the sidecar.
    package func adapt(_ profile: MachineProfile, sidecar: String, overridden: Set<String> = []) -> MachineProfile {
        var p = profile
        if let lists = perCPULists {
            let high = lists.meanHigh
            if !overridden.contains("pcp_high") && high > 0 {
                p.pcpHigh = high
                let each = lists.high.map(String.init).joined(separator: ", ")
                p.sources["pcp_high"] = "capture metadata /proc/zoneinfo (\(sidecar)): each CPU's list drains at its own high, its zones summed (\(each)); this is their mean"
                    + (lists.highRange.map { "; the kernel tunes it between high_min and high_max: the verdicts' range \($0.lowerBound)-\($0.upperBound), from one zone's list at its lowest to every zone's at its highest" } ?? "")
            }
            if !overridden.contains("pcp_batch") {
                p.pcpBatch = lists.batch
                p.sources["pcp_batch"] = "capture metadata /proc/zoneinfo (\(sidecar)): batch"
            }
        }
        // Base pages are 4 KiB to 64 KiB on every architecture Linux runs on; 1 GiB bounds it.
        if let pageBytes, pageBytes > 0, pageBytes <= 1 << 30, pageBytes & (pageBytes - 1) == 0, pageBytes >= p.lineBytes {
            p.pageBytes = pageBytes
            p.sources["page_bytes"] = "capture metadata (\(sidecar))"
        }
        let block = UInt64(p.pageBytes << p.maxOrder) * UInt64(nodes)
        let rounded = (memoryBytes ?? 0) / block * block
        if rounded > 0 {
            p.memoryBytes = rounded
            p.nodes = nodes
            p.sources["memory_bytes"] = "capture metadata MemTotal, rounded down to max-order blocks (\(sidecar))"
            p.sources["nodes"] = "capture metadata /proc/buddyinfo nodes (\(sidecar))"
        }
        if let cpus, cpus >= p.nodes {
            p.cpus = cpus
            p.sources["cpus"] = "capture metadata (\(sidecar))"
        }
        if !freeBlocks.isEmpty {
            p.sources["initially_free_fraction"] = "unused: free lists from the capture's /proc/buddyinfo (\(sidecar))"
        }
        return p
    }
}

extension ReplayOptions {
    /// Options for replaying one trace: `profile` resized to the captured machine with its
    /// initial free lists (unless `useCaptureMachine` is false), and the trace's touch model and
    /// timebase from its metadata unless `touch` is given. An invalid touch text falls back to
    /// first-line; callers validate user input first.
    package static func forTrace(
        profile: MachineProfile, metadata: TraceMetadata?, sidecar: String?, touch: String? = nil,
        useCaptureMachine: Bool = true, overridden: Set<String> = []
    ) -> ReplayOptions {
        var machine = profile
        var initialFree: [[Int]]?
        var lists: CaptureMachine.PerCPULists?
        if useCaptureMachine, let metadata, let captured = CaptureMachine(metadata: metadata) {
            machine = captured.adapt(profile, sidecar: sidecar ?? "", overridden: overridden)
            if !captured.freeBlocks.isEmpty { initialFree = captured.freeBlocks }
            lists = captured.perCPULists
        }
        var options = ReplayOptions(profile: machine)
        if let lists {
            options.initialPCPPages = lists.count
            if !overridden.contains("pcp_high") {
                options.pcpHighRange = lists.highRange
                options.pcpHighPerCPU = lists.highTable
            }
        }
        func changed<T: Equatable>(_ key: String, _ path: KeyPath<MachineProfile, T>) {
            if profile[keyPath: path] != machine[keyPath: path] {
                options.capturedMachine[key] = "\(machine[keyPath: path]) (profile \(profile.name): \(profile[keyPath: path]))"
            }
        }
        changed("memory_bytes", \.memoryBytes)
        changed("nodes", \.nodes)
        changed("cpus", \.cpus)
        changed("page_bytes", \.pageBytes)
        options.touch = TouchModel(touch ?? metadata?.touch ?? "first-line") ?? .firstLine
        options.touchSource = touch != nil ? .option : metadata?.touch != nil ? .trace : .assumed
        options.timebase = Timebase(rawValue: metadata?.timebase ?? "trace") ?? .trace
        options.initialFreeBlocks = initialFree
        options.schedSwitchRecorded = metadata?.events.map { $0.contains(EventKind.schedSwitch.canonicalName) }
        options.recordedCPUs = metadata?.recordedCPUs
        if let bytes = metadata?.workingSetBytes, bytes >= 0 {
            options.workingSetBytes = bytes
            options.workingSetFromTrace = true
        }
        if let huge = metadata?.hpagePmdSize, huge > 0 { options.hugePageBytes = huge }
        options.kernel = metadata?.kernelVersion
        options.kernelCounters = metadata?.kernelCounters
        options.kernelInit = KernelMemoryInit(metadata: metadata)
        if let load = metadata?.loadAverage, load.isFinite, load >= 0 { options.initialLoadAverage = load }
        return options
    }
}
