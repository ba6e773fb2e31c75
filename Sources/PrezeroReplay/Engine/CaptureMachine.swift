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
        /// [node][cpu]: pages on the lists.
        package var count: [[Int]]
        /// [node][cpu]
        package var high: [[Int]]
        /// The lowest `high_min` and the highest `high_max` of any CPU (nil before 6.7).
        package var highRange: ClosedRange<Int>?
        package var batch: Int

        /// `high` averaged over every node's CPUs, rounded.
        package var meanHigh: Int {
            let all = high.joined()
            return all.isEmpty ? 0 : Int((Double(all.reduce(0, +)) / Double(all.count)).rounded())
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
    /// when there are none. Values beyond any machine's are left out (a sidecar is anyone's).
    package static func parsePagesets(_ text: String) -> PerCPULists? {
        // [field][node][cpu], summed over the node's zones.
        var sums: [Substring: [Int: [Int: Int]]] = [:]
        var batch = 0
        var node: Int?, cpu: Int?
        for line in text.split(separator: "\n") {
            let parts = line.split(whereSeparator: { $0 == " " || $0 == "," })
            guard let key = parts.first else { continue }
            if key == "Node", parts.count >= 2 {
                node = Int(parts[1]).flatMap { $0 >= 0 && $0 < 1024 ? $0 : nil }
                cpu = nil
                continue
            }
            guard let node, parts.count == 2, let value = Int(parts[1]), value >= 0, value < 1 << 30 else { continue }
            switch key {
            case "cpu:": cpu = value < 1 << 16 ? value : nil
            case "batch:": if cpu != nil { batch = max(batch, value) }
            case "count:", "high:", "high_min:", "high_max:": if let cpu { sums[key, default: [:]][node, default: [:]][cpu, default: 0] += value }
            default: continue
            }
        }
        guard let high = sums["high:"], batch > 0 else { return nil }
        let nodes = (high.keys.max() ?? 0) + 1
        let cpus = (high.values.compactMap { $0.keys.max() }.max() ?? 0) + 1
        func table(_ field: Substring) -> [[Int]] {
            (0..<nodes).map { n in (0..<cpus).map { sums[field]?[n]?[$0] ?? 0 } }
        }
        var range: ClosedRange<Int>?
        if let low = table("high_min:").joined().min(), let top = table("high_max:").joined().max(), sums["high_min:"] != nil, low <= top {
            range = low...top
        }
        return PerCPULists(count: table("count:"), high: table("high:"), highRange: range, batch: batch)
    }

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
                let each = lists.high.joined().map(String.init).joined(separator: ", ")
                p.sources["pcp_high"] = "capture metadata /proc/zoneinfo (\(sidecar)): each CPU's high, its zones summed (\(each)), averaged"
                    + (lists.highRange.map { "; the kernel tunes it within \($0.lowerBound)-\($0.upperBound) (high_min-high_max), the verdicts' range" } ?? "")
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
            if !overridden.contains("pcp_high") { options.pcpHighRange = lists.highRange }
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
        if let load = metadata?.loadAverage, load.isFinite, load >= 0 { options.initialLoadAverage = load }
        return options
    }
}
