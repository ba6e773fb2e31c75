import Foundation
import Testing

@testable import PrezeroTrace

private func zstd(_ arguments: [String], input: String) throws {
    let (status, _, err) = try run(["zstd", "-q", "-f"] + arguments + [input])
    #expect(status == 0, "\(err)")
}

@Suite("Trace input: zstd and plain")
struct InputTests {
    let plain: [UInt8]

    init() throws {
        plain = try decompressedBytes(Paths.fixture("perf-pid-tid-ns.txt.zst"))
    }

    @Test func plainTextPassesThrough() throws {
        let path = try writeTemporary(plain)
        #expect(try decompressedBytes(path) == plain)
        let input = try TraceInput(path: path)
        try input.forEachChunk { _ in }
        #expect(!input.isCompressed)
    }

    @Test(arguments: [["-1"], ["-19"], ["-T0", "-3", "-B1024"], ["--no-check", "-5"]])
    func zstdVariantsDecompress(_ flags: [String]) throws {
        let path = try writeTemporary(plain)
        try zstd(flags + ["-o", path + ".zst"], input: path)
        #expect(try decompressedBytes(path + ".zst") == plain)
    }

    /// Regression (found by the hostile-input suite): content of exactly N x the 1 MiB output
    /// buffer made the drain call after the last frame look like a truncated stream.
    @Test(arguments: [1 << 20, 2 << 20, (1 << 20) - 1, (1 << 20) + 1])
    func contentFillingTheOutputBufferExactlyIsComplete(_ size: Int) throws {
        var bytes = [UInt8](repeating: 0x0A, count: size)
        bytes.replaceSubrange(0..<plain.count, with: plain)
        let path = try writeTemporary(bytes)
        try zstd(["-o", path + ".zst"], input: path)
        #expect(try decompressedBytes(path + ".zst") == bytes)
    }

    @Test func concatenatedFramesDecompress() throws {
        let half = plain.count / 2
        let a = try writeTemporary(Array(plain[..<half]))
        let b = try writeTemporary(Array(plain[half...]))
        try zstd(["-o", a + ".zst"], input: a)
        try zstd(["-o", b + ".zst"], input: b)
        let joined = try Data(contentsOf: URL(fileURLWithPath: a + ".zst")) + Data(contentsOf: URL(fileURLWithPath: b + ".zst"))
        let path = try writeTemporary(Array(joined), suffix: ".zst")
        #expect(try decompressedBytes(path) == plain)
    }

    @Test func truncatedZstdIsAnErrorWithTheByteOffset() throws {
        let path = try writeTemporary(plain)
        try zstd(["-o", path + ".zst"], input: path)
        let whole = try Data(contentsOf: URL(fileURLWithPath: path + ".zst"))
        let cut = try writeTemporary(Array(whole.prefix(whole.count - 100)), suffix: ".zst")
        #expect {
            var sink = CollectingSink()
            _ = try TraceReader.read(path: cut, into: &sink)
        } throws: { error in
            guard let e = error as? TraceError else { return false }
            return e.code == .truncatedCompression && e.location.byteOffset == UInt64(whole.count - 100)
                && e.location.file == cut
        }
    }

    @Test func corruptFrameIsAnErrorWithTheByteOffset() throws {
        let path = try writeTemporary(plain)
        try zstd(["-o", path + ".zst"], input: path)
        var bytes = [UInt8](try Data(contentsOf: URL(fileURLWithPath: path + ".zst")))
        for i in 2000..<2100 { bytes[i] ^= 0x5A }
        let bad = try writeTemporary(bytes, suffix: ".zst")
        #expect {
            var sink = CollectingSink()
            _ = try TraceReader.read(path: bad, into: &sink)
        } throws: { error in
            guard let e = error as? TraceError, let offset = e.location.byteOffset else { return false }
            return e.code == .corruptCompression && offset <= UInt64(bytes.count)
        }
    }

    @Test func binaryGarbageIsUnrecognised() throws {
        var generator = SystemRandomNumberGenerator()
        let garbage = (0..<200_000).map { _ in UInt8.random(in: 0...255, using: &generator) }
        let path = try writeTemporary(garbage, suffix: ".bin")
        #expect {
            var sink = CollectingSink()
            _ = try TraceReader.read(path: path, into: &sink)
        } throws: { error in
            guard let e = error as? TraceError else { return false }
            return (e.code == .unrecognizedFormat && e.location.line != nil) || e.code == .lineTooLong
        }
    }

    /// `perf script --deltatime` prints each event's time since the one before (builtin-script.c
    /// `perf_sample__fprintf_start`: previous_time, over all events). Its times go back at about
    /// every other event (99 and 130 of the first 256 on two real captures here), so it is an
    /// error, not a capture squeezed into its largest gap; the same events with absolute times,
    /// their running sum, read.
    @Test func deltaTimesAreAnError() throws {
        let deltas = (0..<400).map { 1 + ($0 * 7919) % 23 }  // microseconds, up and down
        func text(_ times: [Int]) -> [UInt8] {
            Array(times.map { String(format: "         python3  2250 [001] %6d.%06d: kmem:mm_page_alloc: page=0x1 pfn=0x%x order=0 migratetype=1 gfp_flags=GFP_HIGHUSER_MOVABLE", $0 / 1_000_000, $0 % 1_000_000, 0x1000 + $0) }
                .joined(separator: "\n").utf8) + [0x0A]
        }
        let delta = try writeTemporary(text(deltas))
        #expect {
            var sink = CollectingSink()
            _ = try TraceReader.read(path: delta, into: &sink)
        } throws: { error in
            guard let e = error as? TraceError else { return false }
            return e.code == .unrecognizedFormat && "\(e)".contains("--deltatime") && e.location.line == 256
        }
        var running = 0
        let absolute = try writeTemporary(text(deltas.map { running += $0; return running }))
        var sink = CollectingSink()
        _ = try TraceReader.read(path: absolute, into: &sink)
        #expect(sink.events.count == 400)
    }

    @Test func overlongLineIsAnErrorNotUnboundedMemory() throws {
        var decoder = TextTraceDecoder(fileName: "long")
        decoder.maxLineBytes = 4096
        var sink = CollectingSink()
        let chunk = [UInt8](repeating: UInt8(ascii: "a"), count: 1000)
        #expect(throws: TraceError.self) {
            try chunk.withUnsafeBytes { bytes in
                for _ in 0..<10 { try decoder.feed(bytes, into: &sink) }
            }
        }
    }

    @Test func missingFileNamesThePath() {
        #expect {
            _ = try TraceInput(path: "/nonexistent/trace.perf.txt.zst")
        } throws: { error in
            (error as? TraceError)?.description.contains("/nonexistent/trace.perf.txt.zst") == true
        }
    }

    /// The directory of a path, as NSString's deletingLastPathComponent gives it for every path
    /// it does not trap on (checked against it), and for one-character names too.
    @Test func pathDirectories() {
        let cases = [
            ("a/b", "a"), ("a/b/", "a"), ("/a", "/"), ("/", "/"), ("ab", ""), ("a//b", "a"), ("/a/b/c.md", "/a/b"),
            ("./d/r.md", "./d"), ("//a", "/"), ("d", ""), ("d/", ""), (".", ""), ("d/r.md", "d"),
        ]
        for (path, directory) in cases { #expect(PathNames.directory(of: path) == directory, "\(path)") }
    }
}

