/// Problems in a trace that do not stop reading: counted and reported, fatal only with `--strict`.
public struct TraceDiagnostics: Sendable, Equatable {
    /// One remembered example of a bad line.
    public struct Example: Sendable, Equatable {
        public var line: Int
        public var reason: String
        public var text: String
    }

    public var lines = 0
    public var ignoredLines = 0
    public var malformedLines = 0
    public var malformedExamples: [Example] = []
    /// Lines in the other layout than the first event line (perf and ftrace text mixed).
    public var mixedFormatLines = 0
    /// Events the capture itself says it lost (perf LOST records, ftrace LOST lines).
    public var lostEvents: UInt64 = 0
    public var lostRecords = 0
    /// The last line had no newline (a capture cut short while writing).
    public var unterminatedLastLine = false

    public static let maxExamples = 5

    /// The first 200 bytes of a bad line as printable text: control bytes in caret notation
    /// (NUL as ^@), so a report never carries raw binary to a terminal.
    static func exampleText(_ line: UnsafeRawBufferPointer) -> String {
        var bytes: [UInt8] = []
        bytes.reserveCapacity(min(line.count, 200))
        for byte in line.prefix(200) {
            if byte < 0x20 && byte != 0x09 {
                bytes.append(UInt8(ascii: "^"))
                bytes.append(byte + 0x40)
            } else if byte == 0x7F {
                bytes.append(UInt8(ascii: "^"))
                bytes.append(UInt8(ascii: "?"))
            } else {
                bytes.append(byte)
            }
        }
        return String(decoding: bytes, as: UTF8.self)
    }

    public init() {}

    /// Anomalies that `--strict` turns into errors.
    public var anomalyCount: Int { malformedLines + mixedFormatLines }
}

extension TraceDiagnostics {
    /// The error `--strict` raises for the malformed and mixed lines counted here and the
    /// anomalies in `more` (each "N what", counted by the reader of the events), naming the
    /// file and the first bad line; nil when there are none.
    public func strictError(file: String, more: [String] = []) -> TraceError? {
        var parts: [String] = []
        if malformedLines > 0 {
            parts.append("\(malformedLines) malformed lines" + (malformedExamples.first.map { " (first, line \($0.line): \($0.reason))" } ?? ""))
        }
        if mixedFormatLines > 0 { parts.append("\(mixedFormatLines) lines in a second text format") }
        parts += more
        guard !parts.isEmpty else { return nil }
        return TraceError(
            .malformedLine, "trace anomalies with --strict: " + parts.joined(separator: "; "),
            at: InputLocation(file: file, line: malformedExamples.first?.line))
    }
}
