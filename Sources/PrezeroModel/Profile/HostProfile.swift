import Foundation

/// The profile `prezero calibrate` measured on this machine, used by default when present:
/// `$PREZERO_CONFIG_DIR/profiles/host.toml`, else `$XDG_CONFIG_HOME/prezero/profiles/host.toml`,
/// else `~/.config/prezero/profiles/host.toml`.
package enum HostProfile {
    package static let name = "host"

    package static var path: String {
        let environment = ProcessInfo.processInfo.environment
        let config: String
        if let dir = environment["PREZERO_CONFIG_DIR"], !dir.isEmpty {
            config = dir
        } else if let xdg = environment["XDG_CONFIG_HOME"], xdg.hasPrefix("/") {
            config = xdg + "/prezero"
        } else {
            config = NSHomeDirectory() + "/.config/prezero"
        }
        return config + "/profiles/host.toml"
    }

    package static var exists: Bool {
        var isDirectory: ObjCBool = false
        return FileManager.default.fileExists(atPath: path, isDirectory: &isDirectory) && !isDirectory.boolValue
    }

    /// The calibrated profile, or nil when this machine has none.
    package static func load() throws -> MachineProfile? {
        exists ? try MachineProfile.load(path: path) : nil
    }

    /// What a command uses without `--profile`: this machine's calibrated profile, else the
    /// built-in profile of this project's machine.
    package static var defaultName: String { exists ? name : BuiltinProfiles.epycZen5VM.name }
}
