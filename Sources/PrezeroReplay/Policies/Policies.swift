import PrezeroModel

/// Every policy by name: a new policy is one file and one line here.
package enum Policies {
    // Immutable metatypes; `nonisolated(unsafe)` because Swift before 6.2 (no SendableMetatype)
    // cannot state that they are safe to share.
    nonisolated(unsafe) package static let registry: [any PrezeroPolicy.Type] = [
        ZeroOnFault.self, KscrubdV4.self, KscrubdV8.self, InitOnFree.self, InitOnAlloc.self, IdleZero.self,
        HugepagePrezero.self, Oracle.self,
    ]

    package static var names: [String] { registry.map { $0.name } }

    package static func type(named name: String) -> (any PrezeroPolicy.Type)? {
        registry.first { $0.name == name }
    }

    /// Builds the named policy with `key=value` settings applied to its defaults.
    package static func make(_ name: String, settings: [(String, String)], profile: MachineProfile) throws -> any PrezeroPolicy {
        guard let type = type(named: name) else {
            throw PolicyError("unknown policy '\(name)'; valid: \(names.joined(separator: ", "))")
        }
        return try make(type, settings: settings, profile: profile)
    }

    private static func make<P: PrezeroPolicy>(_ type: P.Type, settings: [(String, String)], profile: MachineProfile) throws -> P {
        var parameters = P.Parameters()
        for (key, value) in settings { parameters = try parameters.setting(key, to: value) }
        return P(parameters: parameters, profile: profile)
    }
}
