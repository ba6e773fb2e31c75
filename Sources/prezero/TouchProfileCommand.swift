import ArgumentParser
import Foundation
import PrezeroTrace

struct TouchProfileCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "touch-profile",
        abstract: "Measure how many lines of each faulted page a program touches, per command, from page-touch captures (lackey, or .pzt made from one).",
        discussion: """
            Writes a touch profile (JSON) for --touch profile:FILE, which applies it to a kernel capture of the same program: \
            the faults of its commands (matched on the kernel's 15-byte comm) touch what it measured, the others the default. \
            tools/capture-perf.sh --with-touch makes one beside its capture.
            """
    )

    @Argument(help: "Page-touch traces (valgrind lackey logs, plain or zstd, or .pzt).", completion: .file()) var inputs: [String]
    @Option(name: .shortAndLong, help: "Output touch profile (JSON).", completion: .file(extensions: ["json"])) var output: String
    @Option(help: "What the profile says it was measured from (default: the input paths).") var label: String?
    @Flag(help: "Make malformed lines fatal.") var strict = false

    func run() throws {
        guard !inputs.isEmpty else { throw ValidationError("give at least one page-touch trace") }
        for input in inputs { try Paths.checkInput(input) }
        try Paths.checkOutput(output, option: "-o")
        var merged: TouchProfile?
        try failingOnTraceError {
            for input in inputs {
                let metadata = try TraceMetadata.load(besideTrace: input)?.0
                // The lines the reader cuts pages into (the metadata's page and L1 line).
                let geometry = try LackeyDecoder.geometry(metadata, file: input)
                var builder = TouchProfileBuilder(pageBytes: geometry.pageBytes, lineBytes: geometry.lineBytes)
                let summary = try TraceReader.read(path: input, into: &builder, metadata: metadata)
                // What stat reports, said here too: the profile counts only the lines it read.
                let d = summary.diagnostics
                if d.malformedLines > 0 {
                    let first = d.malformedExamples.first
                    writeStandardError("prezero: warning: \(input): \(d.malformedLines) malformed lines (first: line \(first?.line ?? 0), \(first?.reason ?? "")); the profile leaves them out\n")
                }
                if d.unterminatedLastLine {
                    writeStandardError("prezero: warning: \(input): its last line is unterminated (a capture cut short?); it is read\n")
                }
                if strict, let error = d.strictError(file: summary.input) { throw error }
                for note in summary.notes { writeStandardError("prezero: note: \(input): \(note)\n") }
                guard let profile = builder.profile(symbols: summary.symbols, sources: [input]) else {
                    writeStandardError("prezero: error: \(input): no page-touch records (a \(summary.formatName) trace); touch profiles come from valgrind lackey captures (tools/capture-lackey.sh) or .pzt files made from them\n")
                    throw ExitCode(2)
                }
                guard merged == nil || merged?.linesPerPage == profile.linesPerPage else {
                    throw ValidationError("\(input): \(profile.linesPerPage) lines a page, the others \(merged?.linesPerPage ?? 0)")
                }
                merged = merged.map { $0.merging(profile) } ?? profile
            }
        }
        guard var merged else { return }
        if let label { merged.sources = [label] }
        let encoder = JSONEncoder()
        encoder.outputFormatting = [.sortedKeys, .prettyPrinted, .withoutEscapingSlashes]
        var outputs = OutputSet()
        outputs.add(output, String(decoding: try encoder.encode(merged), as: UTF8.self) + "\n")
        do { try outputs.commit() } catch let error as OutputSet.OutputError {
            writeStandardError("prezero: error: \(error)\n")
            throw ExitCode(1)
        }
        for name in merged.classNames {
            let d = merged.commands[name]
            writeStandardError("\(name): \(d?.total ?? 0) pages, \(String(format: "%.1f", d?.meanLines ?? 0)) of \(merged.linesPerPage) lines touched a page on average\n")
        }
        writeStandardError("wrote \(output)\n")
    }
}
