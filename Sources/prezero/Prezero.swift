import ArgumentParser

@main
struct Prezero: ParsableCommand {
    @Flag(name: .customShort("V"), help: "Print the version and exit.") var printVersion = false

    static let version = "0.2.0"

    static let configuration = CommandConfiguration(
        commandName: "prezero",
        abstract: "Would prezeroing pages make this workload faster, and who pays for it?",
        discussion: """
            Reads captured page-allocator traces (perf.data, trace-cmd trace.dat, perf script or \
            ftrace text, valgrind lackey logs or .pzt; plain or zstd) and \
            answers with numbers. Start with `prezero stat TRACE`. Exit status: 0 done; 1 an output \
            could not be written; 2 bad input (the file, line or byte offset is named); 3 the allocator \
            invariant checker found a violation; 4 no trace supports a verdict (no page allocations, \
            no user page faults or no zero-fill faults in the capture); 64 bad arguments.
            """,
        version: version,
        subcommands: [StatCommand.self, ConvertCommand.self, ReplayCommand.self, CompareCommand.self, BatchCommand.self, ReportCommand.self, TouchProfileCommand.self, SynthCommand.self, CalibrateCommand.self, ProfilesCommand.self, PoliciesCommand.self, MetricsCommand.self]
    )

    static func main() {
        MemoryReport.installIfAsked()
        main(nil)
    }

    func run() throws {
        guard printVersion else { throw CleanExit.helpRequest(self) }
        print(Self.version)
    }
}
