import Foundation
import PrezeroModel
import PrezeroTrace

/// Everything `replay`, `compare` and `batch` choose before a replay, and the one place that
/// turns it into each trace's `ReplayOptions` and policies: the profile (a built-in or a file,
/// with `profile.KEY=VALUE` overrides), the touch model, the timebase, the private L2, the
/// invariant checker and the captured machine.
package struct ReplaySetup: Sendable {
    package var profile: MachineProfile
    /// Profile keys set explicitly (`--set profile.KEY`, `[profile_set]`).
    package var profileOverrides: Set<String> = []
    /// nil: each trace's metadata, else first-line.
    package var touch: TouchModel?
    /// `--touch profile:FILE`: applied to the faults of its commands (`TouchSource.transferred`).
    package var touchProfile: TouchProfile?
    package var touchProfilePath: String?
    /// nil: each trace's metadata, else trace.
    package var timebase: Timebase?
    package var idleFraction: Double = 0
    /// Simulate the profile's private L2 per CPU where it has one.
    package var privateL2 = true
    /// The hot set per running task, KiB (nil: the trace's metadata, else 32 KiB).
    package var workingSetKib: Int?
    package var workingSetReuse: WorkingSets.Reuse = .continuous
    package var checkInvariants = false
    package var checkEvery = 100_000
    package var useCaptureMachine = true
    package var warmup: Warmup = .none
    /// The kernel's init_on_alloc / init_on_free every policy runs on: each trace's, or one chosen.
    package var kernelInit: KernelInitChoice = .capture
    package var cacheTracePath: String?
    /// Policy parameters by policy name.
    package var policySettings: [String: [(String, String)]] = [:]

    package init(profile: MachineProfile) { self.profile = profile }

    /// `--working-set-kib`'s bound: 1 GiB, beyond any private L2.
    package static let maxWorkingSetKib = 1 << 20

    package struct Problems: Error, CustomStringConvertible {
        package var list: [String]
        package init(_ list: [String]) { self.list = list }
        package var description: String { list.joined(separator: "\n") }
    }

    /// A built-in profile by name, or a TOML/JSON profile file (relative to `directory`); `apply`
    /// validates it with its overrides.
    package static func loadProfile(_ name: String, relativeTo directory: String = "") throws -> MachineProfile {
        if let builtin = BuiltinProfiles.named(name) { return builtin }
        if name == HostProfile.name && !FileManager.default.fileExists(atPath: name) {
            do {
                guard let host = try HostProfile.load() else {
                    throw Problems(["no calibrated profile of this machine at \(HostProfile.path): run prezero calibrate"])
                }
                return host
            } catch let error as ConfigError {
                throw Problems(["profile \(error)"])
            }
        }
        let path = name.hasPrefix("/") || directory.isEmpty ? name : (directory as NSString).appendingPathComponent(name)
        var isDirectory: ObjCBool = false
        guard FileManager.default.fileExists(atPath: path, isDirectory: &isDirectory), !isDirectory.boolValue else {
            throw Problems(["unknown profile '\(name)': not a built-in (\(BuiltinProfiles.names.joined(separator: ", "))) nor a TOML or JSON profile file"])
        }
        do { return try MachineProfile.load(path: path) } catch let error as ConfigError {
            throw Problems(["profile \(error)"])
        }
    }

    /// Applies `--set` settings: `profile.KEY=VALUE` to the profile, `POLICY.KEY=VALUE` to one of
    /// `policies`, and plain `KEY=VALUE` to `single` (the one policy of a `replay`). Each policy's
    /// settings are checked by building it. Every problem is reported together.
    package mutating func apply(settings: [String], policies: [String], single: String? = nil) throws {
        var problems: [String] = []
        for setting in settings {
            guard let eq = setting.firstIndex(of: "="), eq != setting.startIndex else {
                problems.append("--set '\(setting)' is not KEY=VALUE (POLICY.KEY=VALUE or profile.KEY=VALUE)")
                continue
            }
            let key = String(setting[..<eq])
            let value = String(setting[setting.index(after: eq)...])
            var scope = single
            var name = key
            if let dot = key.firstIndex(of: "."), key.hasPrefix("profile.") || policies.contains(String(key[..<dot])) {
                scope = String(key[..<dot])
                name = String(key[key.index(after: dot)...])
            }
            if scope == "profile" {
                do {
                    try profile.set(name, value)
                    profileOverrides.insert(name)
                } catch { problems.append("--set \(setting): \(error)") }
            } else if let scope {
                policySettings[scope, default: []].append((name, value))
            } else {
                problems.append("--set \(setting): say which policy: POLICY.KEY=VALUE with POLICY one of \(policies.joined(separator: ", ")), or profile.KEY=VALUE")
            }
        }
        problems += profile.validationErrors().map { "profile \(profile.name): \($0)" }
        for name in policies {
            guard Policies.type(named: name) != nil else {
                problems.append("unknown policy '\(name)'; valid: \(Policies.names.joined(separator: ", "))")
                continue
            }
            do { _ = try Policies.make(name, settings: policySettings[name] ?? [], profile: profile) } catch {
                problems.append("\(name): \(error)")
            }
        }
        if checkInvariants && checkEvery <= 0 { problems.append("--check-every must be positive") }
        if !(0...1).contains(idleFraction) { problems.append("--idle-fraction \(idleFraction) is outside 0...1") }
        if let kib = workingSetKib, !(0...Self.maxWorkingSetKib).contains(kib) {
            problems.append("--working-set-kib \(kib) is outside 0...\(Self.maxWorkingSetKib) (a hot set is at most the L2; larger is taken as the L2)")
        }
        guard problems.isEmpty else { throw Problems(problems) }
    }

    /// The options for replaying the trace at `path`, and its metadata sidecar.
    package func options(for path: String) throws -> (ReplayOptions, TraceMetadata?) {
        let loaded = try TraceMetadata.load(besideTrace: path)
        var options = ReplayOptions.forTrace(
            profile: profile, metadata: loaded?.0, sidecar: loaded?.1, touch: touch?.description, useCaptureMachine: useCaptureMachine,
            overridden: profileOverrides)
        let overridden = profileOverrides.intersection(options.capturedMachine.keys).sorted()
        if !overridden.isEmpty, let sidecar = loaded?.1 {
            throw Problems(overridden.map { key in
                "--set profile.\(key): \(sidecar) describes the captured machine, whose \(key) is \(options.capturedMachine[key] ?? "?"); "
                    + "pass --ignore-capture-machine (ignore_capture_machine = true in a plan) to model the profile's instead"
            })
        }
        if let timebase { options.timebase = timebase }
        try Self.check(touch: options.touch, profile: options.profile)
        if useCaptureMachine && !profileOverrides.contains("cpus") && loaded?.0.cpus == nil {
            try Self.takeTheCPUsNamed(in: path, metadata: loaded?.0, profileName: profile.name, into: &options)
        }
        if let touchProfile {
            options.touchProfile = touchProfile
            options.touchProfilePath = touchProfilePath
            options.touchSource = .transferred
        }
        options.idleFraction = idleFraction
        options.privateL2 = privateL2 && options.profile.l2 != nil
        if let kib = workingSetKib {
            options.workingSetBytes = kib * 1024
            options.workingSetFromTrace = false
        }
        options.workingSetReuse = workingSetReuse
        if checkInvariants {
            options.checkInvariants = true
            options.checkInterval = checkEvery
        }
        options.warmup = warmup
        options.kernelInit = kernelInit.resolve(metadata: loaded?.0)
        options.cacheTracePath = cacheTracePath
        return (options, loaded?.0)
    }

    /// More lines than a page has would be the whole page, said as something else: refused.
    package static func check(touch: TouchModel, profile: MachineProfile) throws {
        guard case .lines(let n) = touch, n > profile.linesPerPage else { return }
        throw Problems([
            "touch lines:\(n): a page of profile \(profile.name) has \(profile.linesPerPage) lines "
                + "(\(profile.pageBytes) B of \(profile.lineBytes) B); give lines:1 to lines:\(profile.linesPerPage), or full"
        ])
    }

    /// A trace with no metadata giving its machine's CPUs may name more than the profile has (a
    /// capture on a larger machine): the machine had at least those, so the replay models as
    /// many, rather than fold their events onto the profile's (per-CPU lists, idle time and L2s
    /// of different CPUs mixed). Read once before the replay; standard input cannot be, and its
    /// events are folded (`events_on_cpus_beyond_profile`), as are those of a CPU id no Linux
    /// kernel has (`TraceMetadata.kernelCPULimit`).
    static func takeTheCPUsNamed(in path: String, metadata: TraceMetadata?, profileName: String, into options: inout ReplayOptions) throws {
        // A pipe (`<(zstd -dc ...)`) cannot be read twice either: regular files only.
        guard path != "-", options.timebase == .trace, TraceInput.head(ofRegularFile: path, count: 1) != nil else { return }
        let named = try CPUsNamed.shared.count(path: path) {
            // A damaged line's id beyond any kernel's is folded in the replay, not a CPU here.
            struct HighestCPU: TraceEventSink {
                var highest: UInt32 = 0
                mutating func consume(_ event: TraceEvent) {
                    if event.kind != .lost && Int(event.cpu) < TraceMetadata.kernelCPULimit { highest = max(highest, event.cpu) }
                }
            }
            var sink = HighestCPU()
            _ = try TraceReader.read(path: path, into: &sink, metadata: metadata)
            return Int(sink.highest) + 1
        }
        let before = options.profile.cpus
        guard named > before else { return }
        options.profile.cpus = named
        options.profile.sources["cpus"] = "at least the trace's highest CPU id + 1, \(named) (no metadata gives the machine's)"
        options.capturedMachine["cpus"] = "\(named), at least: its events name CPU ids up to \(named - 1) (profile \(profileName): \(before))"
    }

    /// The CPUs each trace file names, read once a process (a batch asks once per profile and
    /// touch model of a trace), by path, size and modification time.
    final class CPUsNamed: @unchecked Sendable {
        static let shared = CPUsNamed()
        private let lock = NSLock()
        private var counts: [String: Int] = [:]

        func count(path: String, read: () throws -> Int) throws -> Int {
            let key = path + "\u{0}" + BatchPlan.fileFingerprint(path)
            if let known = lock.withLock({ counts[key] }) { return known }
            let count = try read()
            lock.withLock { counts[key] = count }
            return count
        }
    }

    /// The policies, built for the machine the options model.
    package func policies(_ names: [String], for options: ReplayOptions) throws -> [any PrezeroPolicy] {
        try names.map { try Policies.make($0, settings: policySettings[$0] ?? [], profile: options.profile) }
    }
}
