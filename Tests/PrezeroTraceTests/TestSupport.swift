import Foundation
import PrezeroTestSupport
import Testing

@testable import PrezeroTrace

/// Paths of the repository's test fixtures and bundled traces.
enum Paths {
    static let repository = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent()
        .deletingLastPathComponent()
    static let traces = repository.appendingPathComponent("traces")
    static let fixtures = URL(fileURLWithPath: #filePath).deletingLastPathComponent().appendingPathComponent("Fixtures")

    static func fixture(_ name: String) -> String { fixtures.appendingPathComponent(name).path }

    static func bundledTraces() -> [String] {
        let names = (try? FileManager.default.contentsOfDirectory(atPath: traces.path)) ?? []
        return names.filter { $0.hasSuffix(".txt.zst") || $0.hasSuffix(".lackey.zst") || $0.hasSuffix(".pzt") }.sorted().map {
            traces.appendingPathComponent($0).path
        }
    }
}

/// The decompressed bytes of a trace file, read through `TraceInput`.
func decompressedBytes(_ path: String) throws -> [UInt8] {
    let input = try TraceInput(path: path)
    var bytes: [UInt8] = []
    try input.forEachChunk { bytes.append(contentsOf: $0) }
    return bytes
}

/// Decodes `text` as perf or ftrace text fed in chunks of `chunkSize` bytes (0 = whole).
func decode(_ text: [UInt8], chunkSize: Int) throws -> ([TraceEvent], TextTraceDecoder) {
    try decode(text, chunkSize: chunkSize, with: TextTraceDecoder(fileName: "test"))
}

/// Decodes `text` with `decoder`, fed in chunks of `chunkSize` bytes (0 = whole).
func decode<D: LineDecoder>(_ text: [UInt8], chunkSize: Int, with decoder: D) throws -> ([TraceEvent], D) {
    var decoder = decoder
    var sink = CollectingSink()
    try text.withUnsafeBytes { all in
        let step = chunkSize == 0 ? max(all.count, 1) : chunkSize
        var start = 0
        while start < all.count {
            let end = min(start + step, all.count)
            try decoder.feed(UnsafeRawBufferPointer(rebasing: all[start..<end]), into: &sink)
            start = end
        }
    }
    try decoder.finish(into: &sink)
    return (sink.events, decoder)
}

/// Parses one line.
func parseLine(_ line: String, parser: inout TextLineParser) -> (LineOutcome, TraceEvent) {
    var event = TraceEvent(kind: .lost)
    var copy = line
    let outcome = copy.withUTF8 { parser.parse(UnsafeRawBufferPointer($0), into: &event) }
    return (outcome, event)
}

/// The reason `parser` gives for refusing `line`; nil (and a test issue) when it reads it.
func malformedReason(_ line: String, parser: inout TextLineParser, sourceLocation: SourceLocation = #_sourceLocation) -> String? {
    let outcome = parseLine(line, parser: &parser).0
    guard case .malformed(let reason) = outcome else {
        Issue.record("read, not refused (\(outcome)): \(line)", sourceLocation: sourceLocation)
        return nil
    }
    return reason
}

func writeTemporary(_ bytes: [UInt8], suffix: String = ".txt") throws -> String {
    let path = Scratch.directory + "prezero-test-\(UUID().uuidString)\(suffix)"
    try Data(bytes).write(to: URL(fileURLWithPath: path))
    return path
}

/// Runs a command, returning its exit status and standard output.
@discardableResult
func run(_ arguments: [String], stdin: String? = nil) throws -> (Int32, String, String) {
    let process = Process()
    process.executableURL = URL(fileURLWithPath: "/usr/bin/env")
    process.arguments = arguments
    let out = Pipe()
    let err = Pipe()
    process.standardOutput = out
    process.standardError = err
    try process.run()
    let outData = out.fileHandleForReading.readDataToEndOfFile()
    let errData = err.fileHandleForReading.readDataToEndOfFile()
    process.waitUntilExit()
    return (process.terminationStatus, String(decoding: outData, as: UTF8.self), String(decoding: errData, as: UTF8.self))
}
