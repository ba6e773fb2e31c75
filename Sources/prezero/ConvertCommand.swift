import ArgumentParser
import Foundation
import PrezeroTrace

struct ConvertCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "convert",
        abstract: "Convert any trace prezero reads into the native .pzt format (every command reads .pzt).",
        discussion: "The metadata sidecar, if any, is stored inside the .pzt. Format: docs/trace-format.md."
    )

    @Argument(help: "Trace file, or - for standard input.") var input: String
    @Option(name: .shortAndLong, help: "Output .pzt file.") var output: String
    @Option(help: "zstd level for the record stream (1-19).") var level: Int32 = 3

    func run() throws {
        guard (1...19).contains(level) else { throw ValidationError("--level must be 1...19") }
        try failingOnTraceError {
            let metadata = try TraceMetadata.load(besideTrace: input)?.0
            let (events, summary) = try TraceConverter.convert(input: input, output: output, metadata: metadata, level: level)
            let size = (try? FileManager.default.attributesOfItem(atPath: output)[.size] as? NSNumber)?.intValue ?? 0
            writeStandardError("wrote \(output): \(events) events from \(summary.formatName), \(size) bytes\n")
        }
    }
}
