import PrezeroModel

/// `oracle`: every zero request gets a zeroed block at no cost, from nowhere. The upper bound
/// of what any prezeroing policy could gain (nobody pays for the zeroing).
public struct Oracle: PrezeroPolicy {
    public static let name = "oracle"
    public static let summary = "every zero request served zeroed at no cost: the upper bound"
    public let parameters: NoParameters
    public init(parameters: NoParameters, profile: MachineProfile) { self.parameters = parameters }
    public var servesZeroRequestsForFree: Bool { true }
}
