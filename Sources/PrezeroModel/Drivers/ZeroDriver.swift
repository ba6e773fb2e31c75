/// What zeroing a block cost, and what it did to the cache.
package struct ZeroingCost: Sendable {
    /// CPU time consumed (the clearing itself, or an engine's setup and completion), ns.
    package var cpuNs: Double
    /// Time the engine is busy (0 for CPU clears), ns.
    package var engineNs: Double
    /// True when the cleared lines end up in the cache (cached clears).
    package var fillsCache: Bool
    /// True when the cleared lines are removed from the cache (non-temporal and DMA clears).
    package var bypassesCache: Bool
}

/// A way to zero memory: one file per driver, listed in `ZeroDrivers.registry`.
///
/// Mirrors Lameter's zero-driver chain: each driver's `start(addr, size)` either zeroes the
/// range (returns 0) or refuses it; the chain tries drivers in order and the CPU clears what
/// none accepts.
package protocol ZeroDriver: Sendable {
    static var name: String { get }
    /// The name results report the driver's work under (`Self.name` unless it varies by instance).
    var name: String { get }
    /// Whether the driver takes a request of `bytes`.
    func accepts(bytes: Int) -> Bool
    /// The cost of zeroing `bytes`.
    func cost(bytes: Int) -> ZeroingCost
    /// True for an engine that works beside the CPUs at its own rate.
    var isEngine: Bool { get }
    /// Largest request the driver takes, if limited (bytes).
    var maxBytes: Int? { get }
}

extension ZeroDriver {
    package var isEngine: Bool { false }
    package var maxBytes: Int? { nil }
    package var name: String { Self.name }
}

package enum ZeroDrivers {
    /// Every driver by name; a new driver is one file and one line here.
    package static let registry: [String: @Sendable (MachineProfile) -> (any ZeroDriver)?] = [
        CPUCachedDriver.name: { CPUCachedDriver(profile: $0) },
        CPUNonTemporalDriver.name: { CPUNonTemporalDriver(profile: $0) },
        "bte": EngineDriver.make(kind: "bte"),
        "dsa": EngineDriver.make(kind: "dsa"),
    ]

    package static var names: [String] { registry.keys.sorted() }

    /// Builds a chain from names; "engines" expands to the profile's engines. The CPU cached
    /// clear always closes the chain, so every request is served.
    package static func chain(_ names: [String], profile: MachineProfile) throws -> [any ZeroDriver] {
        var drivers: [any ZeroDriver] = []
        for name in names {
            if name == "engines" {
                for engine in profile.engines {
                    if let make = registry[engine.kind], let driver = make(profile) { drivers.append(driver) }
                }
                continue
            }
            guard let make = registry[name] else {
                throw ProfileError("unknown zero driver '\(name)'; valid: engines, \(ZeroDrivers.names.joined(separator: ", "))")
            }
            guard let driver = make(profile) else {
                throw ProfileError("zero driver '\(name)' needs an engine the profile '\(profile.name)' does not have")
            }
            drivers.append(driver)
        }
        if !(drivers.last is CPUCachedDriver) && !(drivers.last is CPUNonTemporalDriver) {
            drivers.append(CPUCachedDriver(profile: profile))
        }
        return drivers
    }
}

extension EngineSpec {
    /// An engine takes requests within its size range.
    package func accepts(bytes: Int) -> Bool { bytes >= minBytes && bytes <= maxBytes }

    /// The CPU pays submission and completion; the engine works `bytes / rate`; the range
    /// leaves the cache (DMA).
    package func cost(bytes: Int) -> ZeroingCost {
        ZeroingCost(cpuNs: setupNs + completionNs, engineNs: Double(bytes) / bytesPerNs, fillsCache: false, bypassesCache: true)
    }
}
