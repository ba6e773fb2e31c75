import PrezeroModel

/// `oracle`: every zero request gets a zeroed block at no cost, from nowhere. The upper bound
/// of what any prezeroing policy could gain (nobody pays for the zeroing).
package struct Oracle: PrezeroPolicy {
    package static let name = "oracle"
    package static let summary = "every zero request served zeroed at no cost: the upper bound"
    package let parameters: NoParameters
    package init(parameters: NoParameters, profile: MachineProfile) { self.parameters = parameters }
    package var servesZeroRequestsForFree: Bool { true }
}
