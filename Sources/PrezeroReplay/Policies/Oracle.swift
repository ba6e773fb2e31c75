import PrezeroModel

/// `oracle`: every zero request gets a zeroed block at no cost, from nowhere, with the lines
/// the fault touches as hot as an inline clear would leave them and nothing else disturbed in
/// the cache. A bound, not a design: no policy can do better (a test holds every policy to it
/// on every bundled trace and profile).
package struct Oracle: PrezeroPolicy {
    package static let name = "oracle"
    package static let summary = "a bound, not a design: every zero request served zeroed, cache-hot, at no cost"
    package let parameters: NoParameters
    package init(parameters: NoParameters, profile: MachineProfile) { self.parameters = parameters }
    package var servesZeroRequestsForFree: Bool { true }
}
