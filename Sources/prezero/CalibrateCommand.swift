import ArgumentParser
import Foundation
import PrezeroCalibrate
import PrezeroModel

struct CalibrateCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "calibrate",
        abstract: "Measure this machine (faults, clears, touches, loads, bandwidth, cache pollution) and write its profile.",
        discussion: """
            Every value is the median of 5 repetitions after a warm-up, with its [min-max]; the profile's \
            source for each field says how it was measured, on which host, kernel and CPU, and when. \
            Without -o the profile goes to the host profile's path (below), which replay, compare and batch then use \
            by default (--profile host). Run it on an otherwise idle machine, with no tracing enabled.
            The host profile's path: $PREZERO_CONFIG_DIR/profiles/host.toml, else \
            $XDG_CONFIG_HOME/prezero/profiles/host.toml, else ~/.config/prezero/profiles/host.toml.
            """
    )

    @Option(name: .shortAndLong, help: ArgumentHelp("Write the profile here (TOML).", valueName: "file"), completion: .file(extensions: ["toml"]))
    var output: String?

    @Flag(help: "Smaller sizes (about a third of the time); still 5 repetitions a value.") var quick = false

    @Flag(help: "Print the measurements as JSON instead of a table.") var json = false

    func run() throws {
        let path = output ?? HostProfile.path
        try Paths.checkOutput(path, option: "--output")
        let tty = isatty(2) != 0
        let calibration = Calibration(settings: quick ? .quick : .full)
        let result = try calibration.run { step, steps, name in
            if tty { writeStandardError("\rcalibrate: \(step)/\(steps) \(name)...\u{1B}[K") }
        }
        if tty { writeStandardError("\r\u{1B}[K") }
        let profile = result.profile(template: BuiltinProfiles.epycZen5VM, tool: "prezero calibrate \(Prezero.version)")
        let problems = profile.validationErrors()
        guard problems.isEmpty else {
            throw ValidationError("the measured profile is not valid (\(problems.joined(separator: "; "))); nothing was written")
        }
        var outputs = OutputSet()
        outputs.add(path, "# prezero machine profile of \(result.host.hostname), written by prezero calibrate \(Prezero.version); pass with --profile FILE\n"
            + (try profile.tomlText()))
        try outputs.commit()

        if json {
            var values: [String: Measured] = [:]
            for (key, _, value) in result.values { values[key] = value }
            let encoder = JSONEncoder()
            encoder.outputFormatting = [.prettyPrinted, .sortedKeys]
            print(String(decoding: try encoder.encode(values), as: UTF8.self))
        } else {
            print("| measurement | median [min-max] | what |\n|---|---|---|")
            for (key, meaning, value) in result.values { print("| \(key) | \(value.text) | \(meaning) |") }
            print("| write_fault latency | " + result.writeFaultPercentiles.map { "p\(Measured.format($0.0)) \(Measured.format($0.1))" }.joined(separator: ", ") + " ns | 4 KiB write faults, rdtscp per fault |")
            for note in result.notes { print("note: \(note)") }
        }
        writeStandardError(String(format: "calibrate: %.1f s; profile written to %@ (use --profile %@)\n", result.seconds, path,
                                  output == nil ? HostProfile.name : path))
    }
}
