import ArgumentParser
import Foundation
import PrezeroModel
import PrezeroReplay
import PrezeroTrace

extension TouchModel: ExpressibleByArgument {
    public init?(argument: String) { self.init(argument) }
    public static var allValueStrings: [String] { ["first-line", "lines:8", "full"] }
    public static var defaultCompletionKind: CompletionKind { .list(["first-line", "lines:", "full"]) }
    public var defaultValueDescription: String { description }
}

/// `--touch`: a touch model, or `profile:FILE`, a touch profile measured from a page-touch capture.
enum TouchChoice: ExpressibleByArgument {
    case model(TouchModel)
    case profile(String)

    init?(argument: String) {
        if argument.hasPrefix("profile:") {
            let path = String(argument.dropFirst(8))
            guard !path.isEmpty else { return nil }
            self = .profile(path)
        } else if let model = TouchModel(argument) {
            self = .model(model)
        } else {
            return nil
        }
    }

    static var allValueStrings: [String] { ["first-line", "lines:8", "full", "profile:FILE"] }
    static var defaultCompletionKind: CompletionKind { .list(["first-line", "lines:", "full", "profile:"]) }
}

extension Warmup: ExpressibleByArgument {
    public init?(argument: String) { self.init(argument) }
    public static var allValueStrings: [String] { ["none", "idle:10"] }
    public var defaultValueDescription: String { description }
}

extension KernelInitChoice: ExpressibleByArgument {
    public static var defaultCompletionKind: CompletionKind { .list(allCases.map(\.rawValue)) }
}

extension WorkingSets.Reuse: ExpressibleByArgument {
    public static var defaultCompletionKind: CompletionKind { .list(allCases.map(\.rawValue)) }
}

extension Timebase: ExpressibleByArgument {
    public static var defaultCompletionKind: CompletionKind { .list(allCases.map(\.rawValue)) }
}

/// A policy name from the registry.
struct PolicyName: ExpressibleByArgument, Sendable, Equatable {
    var name: String
    init(_ name: String) { self.name = name }
    init?(argument: String) {
        guard Policies.type(named: argument) != nil else { return nil }
        name = argument
    }
    static var allValueStrings: [String] { Policies.names }
    static var defaultCompletionKind: CompletionKind { .list(Policies.names) }
    var defaultValueDescription: String { name }
}

/// The options every replaying command shares (`replay`, `compare`), turned into one
/// `ReplaySetup`, which `batch` builds from its plan instead.
struct ReplaySetupOptions: ParsableArguments {
    @Option(
        help: ArgumentHelp("Machine profile: host (this machine, measured by prezero calibrate), a built-in (\(BuiltinProfiles.names.joined(separator: ", "))) or a TOML/JSON profile file. Default: host when calibrated, else epyc-zen5-vm.", valueName: "name-or-file"),
        completion: .custom { _, _, _ in [HostProfile.name] + BuiltinProfiles.names + ProfileCompletion.files() })
    var profile: String?

    @Option(
        name: .customLong("set"), parsing: .singleValue,
        help: ArgumentHelp("POLICY.KEY=VALUE sets a policy parameter (KEY=VALUE where one policy is replayed); profile.KEY=VALUE a profile field. Repeatable.", valueName: "key=value"))
    var settings: [String] = []

    @Option(help: ArgumentHelp("What a zero-fill fault touches: first-line, lines:N or full (default: each trace's metadata, else first-line); or profile:FILE, a touch profile (prezero touch-profile) measured on a page-touch capture of the same program: the faults of its commands touch what it measured, the others the default.", valueName: "first-line|lines:N|full|profile:FILE"))
    var touch: TouchChoice?

    @Option(help: "Time from the trace's timestamps (trace) or from modelled costs (model). Default: the metadata's, else trace.")
    var timebase: Timebase?

    @Option(help: "Share of each CPU idle when the trace has no sched_switch events (0...1).")
    var idleFraction: Double = 0

    @Option(help: ArgumentHelp("Before the measured window: none (cold start: no free page zeroed) or idle:SECONDS (every CPU idle that long, the policy's scrubber zeroing at its own cost, shown apart as pages_zeroed_before_window and warmup_cpu_ns).", valueName: "none|idle:SECONDS"))
    var warmup: Warmup = .none

    @Option(help: ArgumentHelp("The kernel's own memory initialisation every policy runs on, the baseline included: capture (the capture's init_on_alloc and init_on_free as its metadata records them, from the boot log, the kernel command line or the kernel config; off where it has none, said as assumed), off, alloc (init_on_alloc=1: every allocation cleared unless served zeroed), free (init_on_free=1: every free cleared) or both.", valueName: "capture|off|alloc|free|both"))
    var kernelInit: KernelInitChoice = .capture

    @Flag(inversion: .prefixedNo, help: "Simulate the profile's private L2 per CPU where it has one (the default): LLC hits outside the CPU's L2 cost llc_hit_ns; cached clears fill the clearing CPU's L2 and evict the program's lines there.")
    var privateL2 = true

    @Option(help: ArgumentHelp("The hot set each running task keeps re-reading in its CPU's private L2, KiB, on traces without the program's own accesses: cached clears and first touches on its CPU evict it and it is read again from the LLC (working_set_refetch_ns). Default: the trace's metadata, else 32 KiB, assumed (the median of the hot sets measured on other programs, in the bundled page-touch captures); 0: no hot set (a verdict's range still takes the whole L2).", valueName: "kib"))
    var workingSetKib: Int?

    @Option(help: ArgumentHelp("When a task reads its hot set again: continuous (as fast as the L2 is re-read, notes §4: 6.8 ns a line) or none (once, when it leaves the CPU).", valueName: "continuous|none"))
    var workingSetReuse: WorkingSets.Reuse = .continuous

    @Flag(help: "Model the profile's memory, nodes, CPUs and page size even when a trace's metadata describes the captured machine.")
    var ignoreCaptureMachine = false

    @Flag(help: "Run the allocator invariant checker during each replay; exit 3 if it finds a violation.")
    var check = false

    @Option(help: "Events between two invariant checks (with --check; each check walks every page).")
    var checkEvery: Int = 100_000

    @Flag(help: "Make trace anomalies fatal (malformed or mixed lines, timestamps going backwards, CPUs beyond the machine's, orders above its max, second allocations of a live pfn).")
    var strict = false

    /// The setup for `policies`; plain `KEY=VALUE` settings go to `single`.
    func setup(policies: [String], single: String? = nil) throws -> ReplaySetup {
        do {
            var setup = ReplaySetup(profile: try ReplaySetup.loadProfile(profile ?? HostProfile.defaultName))
            switch touch {
            case .model(let model)?: setup.touch = model
            case .profile(let path)?:
                do {
                    setup.touchProfile = try TouchProfile.load(path: path)
                    setup.touchProfilePath = path
                } catch let error as TouchProfile.LoadError {
                    throw ValidationError("--touch profile:\(path): \(error)")
                }
            case nil: break
            }
            setup.timebase = timebase
            setup.idleFraction = idleFraction
            setup.warmup = warmup
            setup.kernelInit = kernelInit
            setup.privateL2 = privateL2
            setup.workingSetKib = workingSetKib
            setup.workingSetReuse = workingSetReuse
            setup.useCaptureMachine = !ignoreCaptureMachine
            setup.checkInvariants = check
            setup.checkEvery = checkEvery
            try setup.apply(settings: settings, policies: policies, single: single)
            return setup
        } catch let problems as ReplaySetup.Problems {
            throw ValidationError(problems.description)
        }
    }
}

enum ProfileCompletion {
    /// Profile files in the current directory.
    static func files() -> [String] {
        ((try? FileManager.default.contentsOfDirectory(atPath: ".")) ?? []).filter { $0.hasSuffix(".toml") || $0.hasSuffix(".json") }.sorted()
    }
}

/// Setup problems found while preparing a trace (the captured machine against `--set`).
func failingOnSetupProblems<T>(_ body: () throws -> T) throws -> T {
    do { return try body() } catch let problems as ReplaySetup.Problems {
        writeStandardError("prezero: error: \(problems.description)\n")
        throw ExitCode(2)
    }
}
