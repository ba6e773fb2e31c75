import Foundation

/// A set-associative cache's shape.
public struct CacheGeometry: Codable, Sendable, Equatable {
    /// Capacity in bytes.
    public var sizeBytes: Int
    /// Associativity (lines per set).
    public var ways: Int
    /// Line size in bytes.
    public var lineBytes: Int

    public init(sizeBytes: Int, ways: Int, lineBytes: Int) {
        self.sizeBytes = sizeBytes
        self.ways = ways
        self.lineBytes = lineBytes
    }
}

/// The cost of clearing memory with one method, by extent: the entry with the largest
/// `extentBytes` not above the cleared size gives the rate (the first entry below all of them).
public struct ClearCost: Codable, Sendable, Equatable {
    public struct Point: Codable, Sendable, Equatable {
        /// Size of one clear, bytes.
        public var extentBytes: Int
        /// Sustained rate at that size, bytes per ns (= GB/s).
        public var bytesPerNs: Double
    }

    /// Fixed cost per clear call, ns.
    public var setupNs: Double
    public var points: [Point]

    public init(setupNs: Double, points: [Point]) {
        self.setupNs = setupNs
        self.points = points.sorted { $0.extentBytes < $1.extentBytes }
    }

    /// ns to clear `bytes` in one call.
    public func ns(bytes: Int) -> Double {
        guard var rate = points.first?.bytesPerNs else { return setupNs }
        for point in points where point.extentBytes <= bytes { rate = point.bytesPerNs }
        return setupNs + Double(bytes) / max(rate, 1e-9)
    }
}

/// An offload engine that zeroes memory without the CPU (the SGI Altix BTE, a DSA-like engine).
public struct EngineSpec: Codable, Sendable, Equatable {
    /// Driver name: `bte` or `dsa`.
    public var kind: String
    /// Requests below this size are refused, bytes.
    public var minBytes: Int
    /// Requests above this size are refused, bytes.
    public var maxBytes: Int
    /// Zeroing throughput, bytes per ns (= GB/s).
    public var bytesPerNs: Double
    /// CPU time to submit one request, ns.
    public var setupNs: Double
    /// CPU time to observe completion (polling after the sleep), ns.
    public var completionNs: Double
    /// Engines per node.
    public var perNode: Int
}

/// Everything the model needs to know about a machine: sizes, costs and where each came from.
///
/// Built-in profiles live in `BuiltinProfiles`; a JSON file with the same keys (snake_case) loads
/// a custom one, and any field can be overridden with `--set profile.KEY=VALUE`.
public struct MachineProfile: Codable, Sendable, Equatable {
    public var name: String
    public var description: String
    /// Base page size, bytes.
    public var pageBytes: Int
    /// Cache line size, bytes.
    public var lineBytes: Int
    /// Modelled memory, bytes (the capture's metadata overrides it when present).
    public var memoryBytes: UInt64
    /// NUMA nodes; each is one zone of memoryBytes / nodes.
    public var nodes: Int
    public var cpus: Int
    /// Largest buddy order (blocks of 2^maxOrder pages).
    public var maxOrder: Int
    /// Per-CPU order-0 list: pages moved per refill/drain, and the count that triggers a drain.
    public var pcpBatch: Int
    public var pcpHigh: Int
    /// Share of memory free when the trace starts (without buddyinfo in the metadata).
    public var initiallyFreeFraction: Double

    /// A fault that allocates an order-0 page, without clearing or touching it, ns.
    public var faultBaseNs: Double
    /// Extra fault cost per additional base page of a higher-order fault (struct page setup), ns.
    public var faultPerExtraPageNs: Double
    /// A touched line already in cache (in the private L2 when it is simulated), ns.
    public var lineHitNs: Double
    /// A touched line found in the LLC but not in the CPU's private L2 (with the private L2
    /// simulated), ns; absent: `lineHitNs`.
    public var llcHitNs: Double?
    /// The first touched line of a page that is not in cache (memory latency), ns.
    public var lineMissNs: Double
    /// Each further missing line of the same page, streamed (bandwidth-bound), ns.
    public var lineMissStreamNs: Double
    /// Freeing one block in the free path (without zeroing), ns.
    public var freePathNs: Double
    /// Cached clear (`rep stosb` / `clear_page`): fills the cleared lines into the cache.
    public var clearCached: ClearCost
    /// Non-temporal clear (MOVNT / CLZERO): leaves the lines out of cache.
    public var clearNonTemporal: ClearCost
    public var llc: CacheGeometry
    /// Optional private L2 per CPU, simulated with `--private-l2`.
    public var l2: CacheGeometry?
    public var engines: [EngineSpec]
    /// Where each parameter's value comes from: key -> source (a published figure, an LKML
    /// Message-ID, a datasheet, a measurement, or "fitted" with the data it was fitted to).
    public var sources: [String: String]

    public var pages: Int { Int(memoryBytes / UInt64(pageBytes)) }
    public var cpusPerNode: Int { max(1, cpus / max(nodes, 1)) }
    public var linesPerPage: Int { pageBytes / lineBytes }

    /// Fault cost without clearing or touching, for a block of `order`.
    public func faultBaseNs(order: Int) -> Double {
        faultBaseNs + faultPerExtraPageNs * Double((1 << order) - 1)
    }
}

extension MachineProfile {
    /// Loads a profile from a TOML or JSON file (JSON when the name ends in `.json`).
    public static func load(path: String) throws -> MachineProfile {
        try TOML.decode(MachineProfile.self, path: path)
    }

    /// Applies `key=value` overrides to top-level numeric fields and `llc.*`.
    public mutating func set(_ key: String, _ value: String) throws {
        guard let number = Double(value) else { throw ProfileError("profile.\(key): '\(value)' is not a number") }
        switch key {
        case "page_bytes": pageBytes = Int(number)
        case "line_bytes": lineBytes = Int(number)
        case "memory_bytes": memoryBytes = UInt64(number)
        case "nodes": nodes = Int(number)
        case "cpus": cpus = Int(number)
        case "max_order": maxOrder = Int(number)
        case "pcp_batch": pcpBatch = Int(number)
        case "pcp_high": pcpHigh = Int(number)
        case "initially_free_fraction": initiallyFreeFraction = number
        case "fault_base_ns": faultBaseNs = number
        case "fault_per_extra_page_ns": faultPerExtraPageNs = number
        case "line_hit_ns": lineHitNs = number
        case "llc_hit_ns": llcHitNs = number
        case "line_miss_ns": lineMissNs = number
        case "line_miss_stream_ns": lineMissStreamNs = number
        case "free_path_ns": freePathNs = number
        case "llc.size_bytes": llc.sizeBytes = Int(number)
        case "llc.ways": llc.ways = Int(number)
        case "llc.line_bytes": llc.lineBytes = Int(number)
        case "engine_bytes_per_ns":
            for i in engines.indices { engines[i].bytesPerNs = number }
        default:
            throw ProfileError(
                "unknown profile key '\(key)'; valid: page_bytes line_bytes memory_bytes nodes cpus max_order pcp_batch "
                    + "pcp_high initially_free_fraction fault_base_ns fault_per_extra_page_ns line_hit_ns llc_hit_ns line_miss_ns "
                    + "line_miss_stream_ns free_path_ns llc.size_bytes llc.ways llc.line_bytes engine_bytes_per_ns")
        }
        sources[key] = "--set \(key)=\(value)"
    }

    /// Problems that make the profile unusable, all of them.
    public func validationErrors() -> [String] {
        var errors: [String] = []
        func powerOfTwo(_ v: Int) -> Bool { v > 0 && v & (v - 1) == 0 }
        if !powerOfTwo(pageBytes) { errors.append("page_bytes \(pageBytes) is not a power of two") }
        if !powerOfTwo(lineBytes) || lineBytes > pageBytes { errors.append("line_bytes \(lineBytes) must be a power of two <= page_bytes") }
        if nodes < 1 || cpus < nodes { errors.append("need nodes >= 1 and cpus >= nodes") }
        if maxOrder < 0 || maxOrder > 15 { errors.append("max_order \(maxOrder) outside 0...15") }
        if memoryBytes < UInt64(pageBytes << maxOrder) * UInt64(max(nodes, 1)) {
            errors.append("memory_bytes too small for one max-order block per node")
        }
        if memoryBytes / UInt64(max(pageBytes, 1)) > 1 << 31 { errors.append("more than 2^31 pages") }
        if llc.ways < 1 || llc.sizeBytes < llc.ways * llc.lineBytes || !powerOfTwo(llc.sizeBytes / (llc.ways * llc.lineBytes)) {
            errors.append("llc: size_bytes / (ways * line_bytes) must be a power-of-two number of sets")
        }
        if llc.lineBytes != lineBytes { errors.append("llc.line_bytes must equal line_bytes") }
        if let l2 {
            if l2.ways < 1 || l2.sizeBytes < l2.ways * l2.lineBytes || !powerOfTwo(l2.sizeBytes / (l2.ways * l2.lineBytes)) {
                errors.append("l2: size_bytes / (ways * line_bytes) must be a power-of-two number of sets")
            }
            if l2.lineBytes != lineBytes { errors.append("l2.line_bytes must equal line_bytes") }
            let l2Sets = UInt64(max(1, l2.sizeBytes / max(1, l2.ways * l2.lineBytes)))
            if memoryBytes / UInt64(max(lineBytes, 1)) / l2Sets >= UInt64(UInt32.max) {
                errors.append("memory too large for the cache model's 32-bit tags with this L2")
            }
        }
        let sets = UInt64(max(1, llc.sizeBytes / max(1, llc.ways * llc.lineBytes)))
        if memoryBytes / UInt64(max(lineBytes, 1)) / sets >= UInt64(UInt32.max) {
            errors.append("memory too large for the cache model's 32-bit tags with this LLC")
        }
        if !(0...1).contains(initiallyFreeFraction) { errors.append("initially_free_fraction outside 0...1") }
        return errors
    }
}

public struct ProfileError: Error, CustomStringConvertible {
    public var description: String
    public init(_ description: String) { self.description = description }
}
