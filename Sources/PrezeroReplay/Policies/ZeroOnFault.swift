import PrezeroModel

/// `zero-on-fault`: Linux as it is. A zero request that gets a dirty block clears it inline, in
/// the fault; nothing is zeroed ahead of time. The baseline every other policy is compared to.
public struct ZeroOnFault: PrezeroPolicy {
    public static let name = "zero-on-fault"
    public static let summary = "clear in the fault (Linux today): the baseline"
    public let parameters: NoParameters
    public init(parameters: NoParameters, profile: MachineProfile) { self.parameters = parameters }
}
