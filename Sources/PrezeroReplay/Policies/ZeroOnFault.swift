import PrezeroModel

/// `zero-on-fault`: Linux as it is. A zero request that gets a dirty block clears it inline, in
/// the fault; nothing is zeroed ahead of time. The baseline every other policy is compared to.
package struct ZeroOnFault: PrezeroPolicy {
    package static let name = "zero-on-fault"
    package static let summary = "clear in the fault (Linux today): the baseline"
    package let parameters: NoParameters
    package init(parameters: NoParameters, profile: MachineProfile) { self.parameters = parameters }
}
