import Foundation

/// A set-associative cache's shape.
package struct CacheGeometry: Codable, Sendable, Equatable {
    /// Capacity in bytes.
    package var sizeBytes: Int
    /// Associativity (lines per set).
    package var ways: Int
    /// Line size in bytes.
    package var lineBytes: Int

    package init(sizeBytes: Int, ways: Int, lineBytes: Int) {
        self.sizeBytes = sizeBytes
        self.ways = ways
        self.lineBytes = lineBytes
    }

    enum CodingKeys: String, CodingKey {
        case sizeBytes = "size_bytes"
        case ways
        case lineBytes = "line_bytes"
    }
}

/// The cost of clearing memory with one method, by extent: the entry with the largest
/// `extentBytes` not above the cleared size gives the rate (the first entry below all of them).
package struct ClearCost: Codable, Sendable, Equatable {
    package struct Point: Codable, Sendable, Equatable {
        /// Size of one clear, bytes.
        package var extentBytes: Int
        /// Sustained rate at that size, bytes per ns (= GB/s).
        package var bytesPerNs: Double

        enum CodingKeys: String, CodingKey {
            case extentBytes = "extent_bytes"
            case bytesPerNs = "bytes_per_ns"
        }

        package init(extentBytes: Int, bytesPerNs: Double) {
            self.extentBytes = extentBytes
            self.bytesPerNs = bytesPerNs
        }
    }

    /// Fixed cost per clear call, ns.
    package var setupNs: Double
    package var points: [Point]

    enum CodingKeys: String, CodingKey {
        case setupNs = "setup_ns"
        case points
    }

    package init(setupNs: Double, points: [Point]) {
        self.setupNs = setupNs
        self.points = points.sorted { $0.extentBytes < $1.extentBytes }
    }

    /// ns to clear `bytes` in one call.
    package func ns(bytes: Int) -> Double {
        guard var rate = points.first?.bytesPerNs else { return setupNs }
        for point in points where point.extentBytes <= bytes { rate = point.bytesPerNs }
        return setupNs + Double(bytes) / max(rate, 1e-9)
    }
}

/// An offload engine that zeroes memory without the CPU (the SGI Altix BTE, a DSA-like engine).
package struct EngineSpec: Codable, Sendable, Equatable {
    /// Driver name: `bte` or `dsa`.
    package var kind: String
    /// Requests below this size are refused, bytes.
    package var minBytes: Int
    /// Requests above this size are refused, bytes.
    package var maxBytes: Int
    /// Zeroing throughput, bytes per ns (= GB/s).
    package var bytesPerNs: Double
    /// CPU time to submit one request, ns.
    package var setupNs: Double
    /// CPU time to observe completion (polling after the sleep), ns.
    package var completionNs: Double
    /// Engines per node.
    package var perNode: Int
    /// Not hardware of a built-in profile: added or changed by a profile file or `--set`. Reports
    /// mark it so; nil in results written before this was recorded.
    package var hypothetical: Bool?

    enum CodingKeys: String, CodingKey {
        case kind
        case minBytes = "min_bytes"
        case maxBytes = "max_bytes"
        case bytesPerNs = "bytes_per_ns"
        case setupNs = "setup_ns"
        case completionNs = "completion_ns"
        case perNode = "per_node"
        case hypothetical
    }
}

/// Everything the model needs to know about a machine: sizes, costs and where each came from.
///
/// Built-in profiles live in `BuiltinProfiles`; a JSON file with the same keys (snake_case) loads
/// a custom one, and any field can be overridden with `--set profile.KEY=VALUE`.
package struct MachineProfile: Codable, Sendable, Equatable {
    package var name: String
    package var description: String
    /// Base page size, bytes.
    package var pageBytes: Int
    /// Cache line size, bytes.
    package var lineBytes: Int
    /// Modelled memory, bytes (the capture's metadata overrides it when present).
    package var memoryBytes: UInt64
    /// NUMA nodes; each is one zone of memoryBytes / nodes.
    package var nodes: Int
    package var cpus: Int
    /// Largest buddy order (blocks of 2^maxOrder pages).
    package var maxOrder: Int
    /// Per-CPU order-0 list: pages moved per refill/drain, and the count that triggers a drain.
    package var pcpBatch: Int
    package var pcpHigh: Int
    /// Share of memory free when the trace starts (without buddyinfo in the metadata).
    package var initiallyFreeFraction: Double

    /// A fault that allocates an order-0 page, without clearing or touching it, ns.
    package var faultBaseNs: Double
    /// Extra fault cost per additional base page of a higher-order fault (struct page setup), ns.
    package var faultPerExtraPageNs: Double
    /// A touched line already in cache (in the private L2 when it is simulated), ns.
    package var lineHitNs: Double
    /// A touched line found in the LLC but not in the CPU's private L2 (with the private L2
    /// simulated), ns; absent: `lineHitNs`.
    package var llcHitNs: Double?
    /// What an LLC hit that missed the private L2 costs: `llcHitNs`, else `lineHitNs`.
    package var llcHitPriceNs: Double { llcHitNs ?? lineHitNs }
    /// An LLC hit after the first of a page in one visit: streamed by the L2's prefetcher, as a
    /// miss to memory is, and never slower than memory streams (`lineMissStreamNs`), ns.
    package var llcHitStreamPriceNs: Double { min(llcHitPriceNs, lineMissStreamNs) }
    /// The first touched line of a page that is not in cache (memory latency), ns.
    package var lineMissNs: Double
    /// Each further missing line of the same page, streamed (bandwidth-bound), ns.
    package var lineMissStreamNs: Double
    /// Freeing one block in the free path (without zeroing), ns.
    package var freePathNs: Double
    /// Cached clear (`rep stosb` / `clear_page`): fills the cleared lines into the cache.
    package var clearCached: ClearCost
    /// Non-temporal clear (MOVNT / CLZERO): leaves the lines out of cache.
    package var clearNonTemporal: ClearCost
    package var llc: CacheGeometry
    /// Optional private L2 per CPU, simulated unless `--no-private-l2`.
    package var l2: CacheGeometry?
    package var engines: [EngineSpec]
    /// The fault path's periodic work (one fault in every N pays it); nil: every fault costs
    /// the same and `fault_base_ns` is a mean.
    package var faultBatches: FaultBatchCosts? = nil
    /// Where each parameter's value comes from: key -> source (a published figure, an LKML
    /// Message-ID, a datasheet, a measurement, or "fitted" with the data it was fitted to).
    package var sources: [String: String]
    /// A calibrated profile's measured spread: key -> [min, max] over its repetitions (the
    /// median is the value); nil for the built-ins and hand-written files.
    package var measuredRanges: [String: [Double]]? = nil
    /// The range each uncertain parameter may take on this machine, with its source: a verdict's
    /// range is its change over these (`Sensitivity`). Keys: `line_miss_ns`, `line_miss_stream_ns`,
    /// `llc_hit_ns`, `clear_cached_page_ns` (a base page's cached clear), `clear_non_temporal_page_ns`
    /// (its non-temporal clear). Absent: the measured
    /// min-max if any, else the parameter is not varied (and the report says so).
    package var uncertainty: [String: ParameterRange]? = nil

    enum CodingKeys: String, CodingKey {
        case name
        case description
        case pageBytes = "page_bytes"
        case lineBytes = "line_bytes"
        case memoryBytes = "memory_bytes"
        case nodes
        case cpus
        case maxOrder = "max_order"
        case pcpBatch = "pcp_batch"
        case pcpHigh = "pcp_high"
        case initiallyFreeFraction = "initially_free_fraction"
        case faultBaseNs = "fault_base_ns"
        case faultPerExtraPageNs = "fault_per_extra_page_ns"
        case lineHitNs = "line_hit_ns"
        case llcHitNs = "llc_hit_ns"
        case lineMissNs = "line_miss_ns"
        case lineMissStreamNs = "line_miss_stream_ns"
        case freePathNs = "free_path_ns"
        case clearCached = "clear_cached"
        case clearNonTemporal = "clear_non_temporal"
        case llc
        case l2
        case engines
        case faultBatches = "fault_batches"
        case sources
        case measuredRanges = "measured_ranges"
        case uncertainty
    }

    /// Optional fields are written as null, so every key is always present.
    package func encode(to encoder: Encoder) throws {
        var c = encoder.container(keyedBy: CodingKeys.self)
        try c.encode(name, forKey: .name)
        try c.encode(description, forKey: .description)
        try c.encode(pageBytes, forKey: .pageBytes)
        try c.encode(lineBytes, forKey: .lineBytes)
        try c.encode(memoryBytes, forKey: .memoryBytes)
        try c.encode(nodes, forKey: .nodes)
        try c.encode(cpus, forKey: .cpus)
        try c.encode(maxOrder, forKey: .maxOrder)
        try c.encode(pcpBatch, forKey: .pcpBatch)
        try c.encode(pcpHigh, forKey: .pcpHigh)
        try c.encode(initiallyFreeFraction, forKey: .initiallyFreeFraction)
        try c.encode(faultBaseNs, forKey: .faultBaseNs)
        try c.encode(faultPerExtraPageNs, forKey: .faultPerExtraPageNs)
        try c.encode(lineHitNs, forKey: .lineHitNs)
        try c.encode(llcHitNs, forKey: .llcHitNs)
        try c.encode(lineMissNs, forKey: .lineMissNs)
        try c.encode(lineMissStreamNs, forKey: .lineMissStreamNs)
        try c.encode(freePathNs, forKey: .freePathNs)
        try c.encode(clearCached, forKey: .clearCached)
        try c.encode(clearNonTemporal, forKey: .clearNonTemporal)
        try c.encode(llc, forKey: .llc)
        try c.encode(l2, forKey: .l2)
        try c.encode(engines, forKey: .engines)
        try c.encode(faultBatches, forKey: .faultBatches)
        try c.encode(sources, forKey: .sources)
        // Absent rather than null: results written before calibrated profiles keep their bytes.
        try c.encodeIfPresent(measuredRanges, forKey: .measuredRanges)
        try c.encodeIfPresent(uncertainty, forKey: .uncertainty)
    }

    /// The parameters a profile may give an uncertainty range (`uncertainty`'s keys).
    package static let uncertainParameters = [
        "line_miss_ns", "line_miss_stream_ns", "llc_hit_ns", "clear_cached_page_ns", "clear_non_temporal_page_ns", "fault_base_ns",
    ]

    /// The range of an uncertain parameter: the declared one, else the measured one, whichever
    /// holds the profile's own value; when neither does (a `--set` value, or a profile
    /// calibrated before its measured ranges replaced the template's), the first widened to it,
    /// saying so: a range that leaves out the value the replay uses is no range of it. nil: none.
    package func range(of key: String) -> ParameterRange? {
        var candidates: [ParameterRange] = []
        if let declared = uncertainty?[key] { candidates.append(declared) }
        // fault_base_ns's range is its warmth (warm to cold), not the warm fault's spread.
        if key != "fault_base_ns", let measured = measuredRanges?[key], measured.count == 2 {
            candidates.append(ParameterRange(low: measured[0], high: measured[1], source: "measured min-max over calibrate's repetitions"))
        }
        guard let nominal = nominalValue(ofUncertain: key) else { return candidates.first }
        let slack = 1e-9 * max(abs(nominal), 1)
        if let holding = candidates.first(where: { $0.low - slack <= nominal && nominal <= $0.high + slack }) { return holding }
        guard var widened = candidates.first else { return nil }
        let tenths = (nominal * 10).rounded() / 10
        let shown = tenths == tenths.rounded() && abs(tenths) < 1e15 ? String(Int(tenths)) : String(tenths)
        widened.source += "; widened to this profile's \(key) of \(shown) ns, which it leaves out (a --set value, or a profile calibrated before its ranges were measured: calibrate again)"
        widened.low = min(widened.low, nominal)
        widened.high = max(widened.high, nominal)
        return widened
    }

    /// The value an uncertain parameter (`uncertainParameters`) has in this profile, ns (a
    /// clear's: a page's).
    package func nominalValue(ofUncertain key: String) -> Double? {
        switch key {
        case "line_miss_ns": lineMissNs
        case "line_miss_stream_ns": lineMissStreamNs
        case "llc_hit_ns": llcHitPriceNs
        case "clear_cached_page_ns": clearCached.ns(bytes: pageBytes)
        case "clear_non_temporal_page_ns": clearNonTemporal.ns(bytes: pageBytes)
        case "fault_base_ns": faultBaseNs
        default: nil
        }
    }

    package var pages: Int { Int(memoryBytes / UInt64(pageBytes)) }
    package var cpusPerNode: Int { max(1, cpus / max(nodes, 1)) }
    package var linesPerPage: Int { pageBytes / lineBytes }

    /// Fault cost without clearing or touching, for a block of `order`.
    package func faultBaseNs(order: Int) -> Double {
        faultBaseNs + faultPerExtraPageNs * Double((1 << order) - 1)
    }
}

/// Where an uncertain parameter may lie, and why (a measurement, a published figure, a fit).
package struct ParameterRange: Codable, Sendable, Equatable {
    package var low: Double
    package var high: Double
    package var source: String

    package init(low: Double, high: Double, source: String) {
        self.low = low
        self.high = high
        self.source = source
    }
}

/// The fault path's periodic work in Linux 6.x: each cost falls on the one fault in N that
/// fills or empties a per-CPU batch, which gives fault latency its tail. Counts are in the
/// kernel's units (folios, pages); a count of 0 turns that batch off.
package struct FaultBatchCosts: Codable, Sendable, Equatable {
    /// Folios a CPU collects before `folio_batch_move_lru` moves them to the LRU under the
    /// lruvec lock (`FOLIO_BATCH_SIZE`, include/linux/pagevec.h: 31).
    package var lruBatch: Double = 31
    /// That move, for a full batch, ns.
    package var lruBatchNs: Double = 0
    /// Pages a memcg charge takes for the per-CPU stock (`MEMCG_CHARGE_BATCH`,
    /// include/linux/memcontrol.h: 64); a folio larger than it is charged on its own.
    package var memcgChargeBatch: Double = 64
    /// One charge (`try_charge_memcg` -> `page_counter_try_charge` up the hierarchy), ns.
    package var memcgChargeNs: Double = 0
    /// `rmqueue_bulk`: per page moved from the buddy lists to an empty per-CPU list, ns.
    package var pcpRefillNsPerPage: Double = 0
    /// `free_pcppages_bulk`: per page moved from a full per-CPU list back to the buddy lists, ns.
    package var pcpDrainNsPerPage: Double = 0
    /// A page-table page allocated inside a fault (`__pte_alloc` -> `pte_alloc_one`, one per
    /// 512 PTEs), beyond its allocation's clear, ns.
    package var pageTableNs: Double = 0

    package init() {}

    enum CodingKeys: String, CodingKey {
        case lruBatch = "lru_batch"
        case lruBatchNs = "lru_batch_ns"
        case memcgChargeBatch = "memcg_charge_batch"
        case memcgChargeNs = "memcg_charge_ns"
        case pcpRefillNsPerPage = "pcp_refill_ns_per_page"
        case pcpDrainNsPerPage = "pcp_drain_ns_per_page"
        case pageTableNs = "page_table_ns"
    }

    /// A profile file may give any of the fields; the others keep their defaults.
    package init(from decoder: Decoder) throws {
        let c = try decoder.container(keyedBy: CodingKeys.self)
        func read(_ key: CodingKeys, _ value: inout Double) throws {
            if let v = try c.decodeIfPresent(Double.self, forKey: key) { value = v }
        }
        try read(.lruBatch, &lruBatch)
        try read(.lruBatchNs, &lruBatchNs)
        try read(.memcgChargeBatch, &memcgChargeBatch)
        try read(.memcgChargeNs, &memcgChargeNs)
        try read(.pcpRefillNsPerPage, &pcpRefillNsPerPage)
        try read(.pcpDrainNsPerPage, &pcpDrainNsPerPage)
        try read(.pageTableNs, &pageTableNs)
    }
}

extension MachineProfile {
    /// The profile as TOML that `load(path:)` reads back equal (keys as in the JSON).
    package func tomlText() throws -> String {
        ConfigValue.serializeTOML(try JSONDecoder().decode([String: ConfigValue].self, from: JSONEncoder().encode(self)))
    }

    /// Loads a profile from a TOML or JSON file (JSON when the name ends in `.json`).
    /// An engine the file describes that the built-in profile of the same name does not have
    /// (or has with other figures) is marked hypothetical.
    package static func load(path: String) throws -> MachineProfile {
        var profile = try ConfigValue.decode(MachineProfile.self, path: path)
        let shipped = BuiltinProfiles.named(profile.name)?.engines ?? []
        for i in profile.engines.indices {
            var plain = profile.engines[i]
            plain.hypothetical = nil
            if !shipped.contains(plain) { profile.engines[i].hypothetical = true }
        }
        return profile
    }

    /// A field `--set profile.KEY=VALUE` and plans' `[profile_set]` may change: its unit and valid
    /// range, declared once here; `set` and `validationErrors` both check it.
    package struct Field: Sendable {
        package var key: String
        package var unit: String
        package var range: ClosedRange<Double>
        package var integral: Bool
        let read: @Sendable (MachineProfile) -> Double?
        let write: @Sendable (inout MachineProfile, Double) -> Void
        package var rangeText: String { (integral ? "whole numbers " : "") + range.rangeText }
    }

    private static func int(
        _ key: String, _ unit: String, _ range: ClosedRange<Double>, _ path: WritableKeyPath<MachineProfile, Int> & Sendable
    ) -> Field {
        Field(key: key, unit: unit, range: range, integral: true, read: { Double($0[keyPath: path]) }, write: { $0[keyPath: path] = Int($1) })
    }

    private static func real(
        _ key: String, _ unit: String, _ range: ClosedRange<Double>, _ path: WritableKeyPath<MachineProfile, Double> & Sendable
    ) -> Field {
        Field(key: key, unit: unit, range: range, integral: false, read: { $0[keyPath: path] }, write: { $0[keyPath: path] = $1 })
    }

    /// A field of `fault_batches`; setting one on a profile without them starts from none.
    private static func batch(
        _ key: String, _ unit: String, _ range: ClosedRange<Double>, integral: Bool = false,
        _ path: WritableKeyPath<FaultBatchCosts, Double> & Sendable
    ) -> Field {
        Field(key: key, unit: unit, range: range, integral: integral, read: { $0.faultBatches?[keyPath: path] },
              write: { p, v in
                  var costs = p.faultBatches ?? FaultBatchCosts()
                  costs[keyPath: path] = v
                  p.faultBatches = costs
              })
    }

    package static let fields: [Field] = [
        int("page_bytes", "bytes", 512...1_073_741_824, \.pageBytes),
        int("line_bytes", "bytes", 8...4096, \.lineBytes),
        Field(key: "memory_bytes", unit: "bytes", range: 1_048_576...1.8e19, integral: true,
              read: { Double($0.memoryBytes) }, write: { $0.memoryBytes = UInt64($1) }),
        int("nodes", "nodes", 1...1024, \.nodes),
        int("cpus", "CPUs", 1...65_536, \.cpus),
        int("max_order", "order", 0...15, \.maxOrder),
        int("pcp_batch", "pages", 1...65_536, \.pcpBatch),
        int("pcp_high", "pages", 0...1_048_576, \.pcpHigh),
        real("initially_free_fraction", "fraction", 0...1, \.initiallyFreeFraction),
        real("fault_base_ns", "ns", 0...1e9, \.faultBaseNs),
        real("fault_per_extra_page_ns", "ns", 0...1e9, \.faultPerExtraPageNs),
        real("line_hit_ns", "ns", 0...1e6, \.lineHitNs),
        Field(key: "llc_hit_ns", unit: "ns", range: 0...1e6, integral: false, read: { $0.llcHitNs }, write: { $0.llcHitNs = $1 }),
        real("line_miss_ns", "ns", 0...1e6, \.lineMissNs),
        real("line_miss_stream_ns", "ns", 0...1e6, \.lineMissStreamNs),
        real("free_path_ns", "ns", 0...1e9, \.freePathNs),
        Field(key: "llc.size_bytes", unit: "bytes", range: 1024...1_099_511_627_776, integral: true,
              read: { Double($0.llc.sizeBytes) }, write: { $0.llc.sizeBytes = Int($1) }),
        Field(key: "llc.ways", unit: "ways", range: 1...256, integral: true, read: { Double($0.llc.ways) }, write: { $0.llc.ways = Int($1) }),
        Field(key: "llc.line_bytes", unit: "bytes", range: 8...4096, integral: true,
              read: { Double($0.llc.lineBytes) }, write: { $0.llc.lineBytes = Int($1) }),
        batch("fault_batches.lru_batch", "folios", 1...4096, integral: true, \.lruBatch),
        batch("fault_batches.lru_batch_ns", "ns", 0...1e7, \.lruBatchNs),
        batch("fault_batches.memcg_charge_batch", "pages", 0...65_536, integral: true, \.memcgChargeBatch),
        batch("fault_batches.memcg_charge_ns", "ns", 0...1e7, \.memcgChargeNs),
        batch("fault_batches.pcp_refill_ns_per_page", "ns", 0...1e6, \.pcpRefillNsPerPage),
        batch("fault_batches.pcp_drain_ns_per_page", "ns", 0...1e6, \.pcpDrainNsPerPage),
        batch("fault_batches.page_table_ns", "ns", 0...1e7, \.pageTableNs),
        Field(key: "engine_bytes_per_ns", unit: "bytes/ns", range: 1e-6...1e6, integral: false,
              read: { $0.engines.first?.bytesPerNs },
              write: { p, v in
                  for i in p.engines.indices {
                      p.engines[i].bytesPerNs = v
                      p.engines[i].hypothetical = true
                  }
              }),
    ]

    /// Applies one `key=value` override, checked against the field's range.
    package mutating func set(_ key: String, _ value: String) throws {
        guard let field = Self.fields.first(where: { $0.key == key }) else {
            throw ProfileError("unknown profile key '\(key)'; valid: " + Self.fields.map(\.key).joined(separator: " "))
        }
        guard let number = Double(value), number.isFinite else { throw ProfileError("profile.\(key): '\(value)' is not a number") }
        guard field.range.contains(number), !field.integral || number.rounded() == number else {
            throw ProfileError("profile.\(key)=\(value) is outside \(field.rangeText) (\(field.unit))")
        }
        field.write(&self, number)
        sources[key] = "--set \(key)=\(value)"
    }


    /// Problems that make the profile unusable, all of them.
    package func validationErrors() -> [String] {
        var errors: [String] = []
        for field in Self.fields {
            if let v = field.read(self), !field.range.contains(v) {
                errors.append("\(field.key) \(v) is outside \(field.rangeText) (\(field.unit))")
            }
        }
        if !clearCached.setupNs.isFinite || clearCached.setupNs < 0 || clearCached.points.contains(where: { !($0.bytesPerNs > 0) }) {
            errors.append("clear_cached needs setup_ns >= 0 and bytes_per_ns > 0")
        }
        if !clearNonTemporal.setupNs.isFinite || clearNonTemporal.setupNs < 0 || clearNonTemporal.points.contains(where: { !($0.bytesPerNs > 0) }) {
            errors.append("clear_non_temporal needs setup_ns >= 0 and bytes_per_ns > 0")
        }
        func powerOfTwo(_ v: Int) -> Bool { v > 0 && v & (v - 1) == 0 }
        if !powerOfTwo(pageBytes) { errors.append("page_bytes \(pageBytes) is not a power of two") }
        if !powerOfTwo(lineBytes) || lineBytes > pageBytes { errors.append("line_bytes \(lineBytes) must be a power of two <= page_bytes") }
        if nodes < 1 || cpus < nodes { errors.append("need nodes >= 1 and cpus >= nodes") }
        if maxOrder < 0 || maxOrder > 15 { errors.append("max_order \(maxOrder) outside 0...15") }
        if memoryBytes < UInt64(pageBytes << maxOrder) * UInt64(max(nodes, 1)) {
            errors.append("memory_bytes too small for one max-order block per node")
        }
        if memoryBytes / UInt64(max(pageBytes, 1)) > 1 << 31 { errors.append("more than 2^31 pages") }
        if memoryBytes / UInt64(max(lineBytes, 1)) >= VictimTable.linesLimit() {
            errors.append("memory too large for the cache model's victim table (4-byte entries)")
        }
        // llc.ways has its field's range; the L2's ways are checked here.
        if (l2?.ways ?? 0) > 256 { errors.append("l2.ways: at most 256 (the cache model keeps a set's recency order in bytes)") }
        // Any whole number of sets: an Intel LLC's slices make counts such as 13 x 16,384.
        func wholeSets(_ cache: CacheGeometry) -> Bool {
            cache.ways >= 1 && cache.lineBytes >= 1 && cache.sizeBytes >= cache.ways * cache.lineBytes
                && cache.sizeBytes % (cache.ways * cache.lineBytes) == 0
        }
        if !wholeSets(llc) { errors.append("llc: size_bytes must be a whole number (>= 1) of sets of ways * line_bytes") }
        if llc.lineBytes != lineBytes { errors.append("llc.line_bytes must equal line_bytes") }
        if let l2 {
            if !wholeSets(l2) { errors.append("l2: size_bytes must be a whole number (>= 1) of sets of ways * line_bytes") }
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

package struct ProfileError: Error, CustomStringConvertible {
    package var description: String
    package init(_ description: String) { self.description = description }
}

extension ClosedRange where Bound == Double {
    /// `0...1`, `1...1000000`: whole bounds without a decimal point.
    package var rangeText: String {
        func text(_ v: Double) -> String { v.rounded() == v && abs(v) < 1e15 ? String(Int64(v)) : String(v) }
        return "\(text(lowerBound))...\(text(upperBound))"
    }
}
