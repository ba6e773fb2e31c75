/// Where in an input a problem was found.
///
/// `line` is 1-based and counts lines of the decompressed text; `byteOffset` counts bytes of the
/// file as stored (compressed bytes for a zstd file) unless `offsetIsDecompressed` says otherwise.
public struct InputLocation: Sendable, Equatable, CustomStringConvertible {
    public var file: String
    public var line: Int?
    public var byteOffset: UInt64?
    public var offsetIsDecompressed: Bool

    public init(file: String, line: Int? = nil, byteOffset: UInt64? = nil, offsetIsDecompressed: Bool = false) {
        self.file = file
        self.line = line
        self.byteOffset = byteOffset
        self.offsetIsDecompressed = offsetIsDecompressed
    }

    public var description: String {
        var text = file
        if let line { text += ":\(line)" }
        if let byteOffset {
            text += line == nil ? ": " : " "
            text += offsetIsDecompressed ? "(decompressed byte offset \(byteOffset))" : "(byte offset \(byteOffset))"
        }
        return text
    }
}

/// An input problem that stops reading: the input is not what prezero can read.
///
/// An open struct with a code, like swift-system's `Errno`, so new codes do not break callers.
public struct TraceError: Error, Sendable, Equatable, CustomStringConvertible {
    public struct Code: RawRepresentable, Hashable, Sendable {
        public var rawValue: String
        public init(rawValue: String) { self.rawValue = rawValue }
        public static let cannotOpen = Code(rawValue: "cannot-open")
        public static let readFailed = Code(rawValue: "read-failed")
        public static let corruptCompression = Code(rawValue: "corrupt-zstd")
        public static let truncatedCompression = Code(rawValue: "truncated-zstd")
        public static let unrecognizedFormat = Code(rawValue: "unrecognized-format")
        public static let lineTooLong = Code(rawValue: "line-too-long")
        public static let malformedLine = Code(rawValue: "malformed-line")
        public static let badMetadata = Code(rawValue: "bad-metadata")
    }

    public var code: Code
    public var message: String
    public var location: InputLocation

    public init(_ code: Code, _ message: String, at location: InputLocation) {
        self.code = code
        self.message = message
        self.location = location
    }

    public var description: String { "\(location): \(message)" }
}
