import Foundation
import PrezeroTestSupport
import PrezeroModel
import PrezeroTrace

@testable import PrezeroReplay

let repositoryRoot = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent()
    .deletingLastPathComponent()

/// Writes a synthetic page-fault test trace to a temporary file; returns its path and metadata.
func pftTrace(
    memory: UInt64, reps: Int = 1, threads: Int = 1, lines: Int = 1, pageBytes: Int, cpus: Int, order: Int = 0
) throws -> (String, TraceMetadata) {
    let test = PageFaultTest(
        memoryBytes: memory, reps: reps, threads: threads, lines: lines, pageBytes: pageBytes, cpus: cpus, order: order)
    let path = Scratch.directory + "prezero-pft-\(UUID().uuidString).perf.txt"
    let writer = try TraceFileWriter(path: path, compressLevel: nil)
    _ = try test.write(to: writer)
    try writer.commit()
    var metadata = TraceMetadata()
    metadata.timebase = "model"
    metadata.touch = "lines:\(lines)"
    metadata.pageSize = pageBytes
    metadata.workingSetBytes = 0
    return (path, metadata)
}

func replay(
    _ path: String, policy: String, profile: MachineProfile, lines: Int = 1, timebase: Timebase = .model,
    settings: [(String, String)] = [], configure: (inout ReplayOptions) -> Void = { _ in }
) throws -> RunResult {
    var options = ReplayOptions(profile: profile)
    options.touch = .lines(lines)
    options.timebase = timebase
    options.checkInvariants = true
    // What a synthetic trace's sidecar says (pft writes only the pages it faults): no hot set.
    if timebase == .model { options.workingSetBytes = 0 }
    configure(&options)
    let chosen = try Policies.make(policy, settings: settings, profile: profile)
    return try Replay.run(path: path, policy: chosen, options: options, metadata: nil)
}

extension MachineProfile {
    func withMemory(_ bytes: UInt64) -> MachineProfile {
        var copy = self
        copy.memoryBytes = bytes
        return copy
    }
}
