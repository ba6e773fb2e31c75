/// `cpu`: clear_page on the CPU with ordinary (cached) stores, `rep stosb` today. Takes any
/// size; the cost follows the profile's cached-clear table by extent; the page ends up in cache.
package struct CPUCachedDriver: ZeroDriver {
    package static let name = "cpu"
    let clear: ClearCost

    package init(profile: MachineProfile) { clear = profile.clearCached }

    package func accepts(bytes: Int) -> Bool { true }

    package func cost(bytes: Int) -> ZeroingCost {
        ZeroingCost(cpuNs: clear.ns(bytes: bytes), engineNs: 0, fillsCache: true, bypassesCache: false)
    }
}
