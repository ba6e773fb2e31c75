/// `cpu`: clear_page on the CPU with ordinary (cached) stores, `rep stosb` today. Takes any
/// size; the cost follows the profile's cached-clear table by extent; the page ends up in cache.
public struct CPUCachedDriver: ZeroDriver {
    public static let name = "cpu"
    let clear: ClearCost

    public init(profile: MachineProfile) { clear = profile.clearCached }

    public func accepts(bytes: Int) -> Bool { true }

    public func cost(bytes: Int) -> ZeroingCost {
        ZeroingCost(cpuNs: clear.ns(bytes: bytes), engineNs: 0, fillsCache: true, bypassesCache: false)
    }
}
