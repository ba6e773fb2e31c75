import ArgumentParser

@main
struct Prezero: ParsableCommand {
    @Flag(name: .customShort("V"), help: "Print the version and exit.") var printVersion = false

    static let version = "0.2.0"

    static let configuration = CommandConfiguration(
        commandName: "prezero",
        abstract: "Would prezeroing pages make this workload faster, and who pays for it?",
        discussion: """
            Reads captured page-allocator traces (perf script or ftrace text, plain or zstd) and \
            answers with numbers. Start with `prezero stat TRACE`.
            """,
        version: version,
        subcommands: [StatCommand.self, ConvertCommand.self, ReplayCommand.self, CompareCommand.self, BatchCommand.self, ReportCommand.self, SynthCommand.self, ProfilesCommand.self, PoliciesCommand.self, MetricsCommand.self]
    )

    func run() throws {
        guard printVersion else { throw CleanExit.helpRequest(self) }
        print(Self.version)
    }
}
