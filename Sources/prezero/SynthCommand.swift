import ArgumentParser
import Foundation
import PrezeroTrace

struct SynthCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "synth",
        abstract: "Write synthetic traces.",
        subcommands: [PFTCommand.self]
    )
}

struct PFTCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "pft",
        abstract: "Lameter's page-fault test: threads fault in their share of memory, touching N lines a page.",
        discussion: """
            Writes perf script text (zstd when OUTPUT ends in .zst) and OUTPUT's metadata sidecar \
            (NAME.meta.json) with timebase=model and touch=lines:N, so `prezero replay` times the \
            run with modelled costs. Sizes take K/M/G suffixes (binary).
            """
    )

    @Option(help: "Memory each repetition maps, e.g. 4GiB.") var memory: String = "1GiB"
    @Option(help: "Repetitions, back to back, memory freed between them.") var reps: Int = 1
    @Option(help: "Threads, one per CPU from CPU 0.") var threads: Int = 1
    @Option(help: "Cache lines written per page after the fault.") var lines: Int = 1
    @Option(help: "Base page size, e.g. 4KiB or 16KiB.") var pageSize: String = "4KiB"
    @Option(help: "CPUs of the machine; those without a thread are idle.") var cpus: Int = 2
    @Option(help: "Order of each fault's allocation (9 = 2 MiB THP on 4 KiB pages).") var order: Int = 0
    @Option(name: .shortAndLong, help: "Output trace, e.g. pft.perf.txt.zst.", completion: .file()) var output: String

    func run() throws {
        guard let memoryBytes = parseSize(memory) else { throw ValidationError("--memory '\(memory)' is not a size like 4GiB") }
        guard let page = parseSize(pageSize) else { throw ValidationError("--page-size '\(pageSize)' is not a size like 16KiB") }
        let test = PageFaultTest(
            memoryBytes: memoryBytes, reps: reps, threads: threads, lines: lines, pageBytes: Int(page), cpus: cpus, order: order)
        let errors = test.validationErrors()
        guard errors.isEmpty else { throw ValidationError(errors.joined(separator: "; ")) }
        try Paths.checkOutput(output, option: "-o")
        try Paths.createParent(of: output)
        try failingOnTraceError {
            let writer = try TraceFileWriter(path: output, compressLevel: output.hasSuffix(".zst") ? 3 : nil)
            let progress = ProgressReporter(label: "writing \(output)", unit: .lines)
            let lines = try test.write(to: writer, progress: { progress.update(done: $0, total: $1) })
            progress.finish()
            try writer.commit()
            let sidecar = TraceMetadata.sidecarCandidates(for: output)[0]
            let meta = try TraceFileWriter(path: sidecar, compressLevel: nil)
            try meta.write(test.metadataJSON(command: ["prezero"] + CommandLine.arguments.dropFirst()))
            try meta.commit()
            writeStandardError("wrote \(output) (\(lines) lines) and \(sidecar)\n")
        }
    }
}
