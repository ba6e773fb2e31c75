import ArgumentParser
import Foundation
import PrezeroTrace

struct ConvertCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "convert",
        abstract: "Convert any trace prezero reads into the native .pzt format (every command reads .pzt).",
        discussion: "The metadata sidecar, if any, is stored inside the .pzt. Format: docs/trace-format.md."
    )

    @Argument(help: "Trace file, or - for standard input.", completion: .file()) var input: String
    @Option(name: .shortAndLong, help: "Output .pzt file.", completion: .file(extensions: ["pzt"])) var output: String
    @Option(help: "zstd level for the record stream (1-19).") var level: Int32 = 3

    func run() throws {
        guard (1...19).contains(level) else { throw ValidationError("--level must be 1...19") }
        try Paths.checkInput(input)
        try Paths.checkOutput(output, option: "-o")
        try Paths.createParent(of: output)
        try failingOnTraceError {
            let metadata = try TraceMetadata.load(besideTrace: input)?.0
            let progress = ProgressReporter(label: "converting \(input)")
            let (events, summary) = try TraceConverter.convert(
                input: input, output: output, metadata: metadata, level: level, progress: { progress.update(done: $0, total: $1) })
            progress.finish()
            let size = (try? FileManager.default.attributesOfItem(atPath: output)[.size] as? NSNumber)?.intValue ?? 0
            writeStandardError("wrote \(output): \(events) events from \(summary.formatName), \(size) bytes\n")
        }
    }
}
