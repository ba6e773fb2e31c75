import Foundation
internal import TOMLKit

/// A value of a TOML or JSON configuration file (profiles, batch plans), typed: what TOMLKit
/// (toml++) parsed, without Foundation's `Any`.
package enum ConfigValue: Sendable, Equatable, Codable {
    case string(String)
    case integer(Int)
    case double(Double)
    case bool(Bool)
    case array([ConfigValue])
    case table([String: ConfigValue])
    case null

    package var string: String? { if case .string(let s) = self { s } else { nil } }
    package var bool: Bool? { if case .bool(let b) = self { b } else { nil } }
    package var table: [String: ConfigValue]? { if case .table(let t) = self { t } else { nil } }
    package var array: [ConfigValue]? { if case .array(let a) = self { a } else { nil } }
    /// Integers and doubles as a number.
    package var number: Double? {
        switch self {
        case .integer(let i): Double(i)
        case .double(let d): d
        default: nil
        }
    }

    /// Scalars as the text `--set` would take: `4`, `0.5`, `true`, `cpu`.
    package var scalarText: String? {
        switch self {
        case .string(let s): s
        case .integer(let i): String(i)
        case .double(let d): d.rounded() == d && abs(d) < 1e15 ? String(Int64(d)) : String(d)
        case .bool(let b): b ? "true" : "false"
        default: nil
        }
    }

    package init(from decoder: Decoder) throws {
        let c = try decoder.singleValueContainer()
        if c.decodeNil() {
            self = .null
        } else if let b = try? c.decode(Bool.self) {
            self = .bool(b)
        } else if let i = try? c.decode(Int.self) {
            self = .integer(i)
        } else if let d = try? c.decode(Double.self) {
            self = .double(d)
        } else if let s = try? c.decode(String.self) {
            self = .string(s)
        } else if let a = try? c.decode([ConfigValue].self) {
            self = .array(a)
        } else {
            self = .table(try c.decode([String: ConfigValue].self))
        }
    }

    package func encode(to encoder: Encoder) throws {
        var c = encoder.singleValueContainer()
        switch self {
        case .string(let s): try c.encode(s)
        case .integer(let i): try c.encode(i)
        case .double(let d): try c.encode(d)
        case .bool(let b): try c.encode(b)
        case .array(let a): try c.encode(a)
        case .table(let t): try c.encode(t)
        case .null: try c.encodeNil()
        }
    }
}

/// A configuration file that does not parse or decode: the file, the line and column where
/// known, and what was expected.
package struct ConfigError: Error, CustomStringConvertible {
    package var file: String
    package var line: Int?
    package var column: Int?
    package var message: String
    package init(file: String, line: Int? = nil, column: Int? = nil, message: String) {
        self.file = file
        self.line = line
        self.column = column
        self.message = message
    }
    package var description: String {
        file + (line.map { ":\($0)" } ?? "") + (column.map { ":\($0)" } ?? "") + ": " + message
    }
}

extension ConfigValue {
    /// Parses a TOML document (TOML 1.0 through TOMLKit / toml++).
    package static func parseTOML(_ text: String, file: String) throws -> [String: ConfigValue] {
        let table: TOMLTable
        do { table = try TOMLTable(string: text) } catch let error as TOMLParseError {
            throw ConfigError(file: file, line: error.source.begin.line, column: error.source.begin.column, message: error.description)
        }
        return convert(table)
    }

    static func convert(_ table: TOMLTable) -> [String: ConfigValue] {
        var out: [String: ConfigValue] = [:]
        for (key, value) in table { out[key] = convert(value) }
        return out
    }

    static func convert(_ value: TOMLValueConvertible) -> ConfigValue {
        switch value.type {
        case .bool: return .bool(value.bool ?? false)
        case .int: return .integer(value.int ?? 0)
        case .double: return .double(value.double ?? 0)
        case .string: return .string(value.string ?? "")
        case .array: return .array((value.array.map { Array($0) } ?? []).map(convert))
        case .table: return .table(value.table.map(convert) ?? [:])
        default: return .string(value.debugDescription)  // dates and times, as written
        }
    }

    /// The table as a TOML document (nulls left out: TOML has none).
    package static func serializeTOML(_ table: [String: ConfigValue]) -> String {
        func node(_ value: ConfigValue) -> TOMLValueConvertible? {
            switch value {
            case .string(let s): return s
            case .integer(let i): return i
            case .double(let d): return d
            case .bool(let b): return b
            case .array(let a):
                let array = TOMLArray()
                for item in a { if let n = node(item) { array.append(n) } }
                return array
            case .table(let t):
                let out = TOMLTable()
                for (k, v) in t { out[k] = node(v) }
                return out
            case .null: return nil
            }
        }
        guard let root = node(.table(table)) as? TOMLTable else { return "" }
        return root.convert(to: .toml) + "\n"
    }

    /// Reads a `Decodable` value (snake_case keys) from a TOML file, or JSON when the name ends in
    /// `.json`; errors name the file, the line and column (TOML) and the key.
    package static func decode<T: Decodable>(_ type: T.Type, path: String) throws -> T {
        let data: Data
        do { data = try Data(contentsOf: URL(fileURLWithPath: path)) } catch {
            throw ConfigError(file: path, message: "cannot read the file (\(FileCheck.reason(error)))")
        }
        let json: Data
        if path.hasSuffix(".json") {
            json = data
        } else {
            json = try JSONEncoder().encode(ConfigValue.table(parseTOML(String(decoding: data, as: UTF8.self), file: path)))
        }
        do {
            return try JSONDecoder().decode(T.self, from: json)
        } catch let DecodingError.keyNotFound(key, context) {
            throw ConfigError(file: path, message: "\((context.codingPath + [key]).map(\.stringValue).joined(separator: ".")) is missing")
        } catch let DecodingError.typeMismatch(_, context) {
            throw ConfigError(file: path, message: "\(context.codingPath.map(\.stringValue).joined(separator: ".")): \(context.debugDescription)")
        } catch let DecodingError.valueNotFound(_, context) {
            throw ConfigError(file: path, message: "\(context.codingPath.map(\.stringValue).joined(separator: ".")): \(context.debugDescription)")
        } catch let DecodingError.dataCorrupted(context) {
            throw ConfigError(file: path, message: "not valid: \(context.debugDescription)")
        }
    }
}

/// Plain words for a file-system error (never `NSCocoaErrorDomain`).
package enum FileCheck {
    package static func reason(_ error: Error) -> String {
        let ns = error as NSError
        if let posix = ns.userInfo[NSUnderlyingErrorKey] as? NSError, posix.domain == NSPOSIXErrorDomain {
            return String(cString: strerror(Int32(posix.code)))
        }
        if ns.domain == NSPOSIXErrorDomain { return String(cString: strerror(Int32(ns.code))) }
        switch ns.code {
        case NSFileNoSuchFileError, NSFileReadNoSuchFileError: return "no such file or directory"
        case NSFileReadNoPermissionError, NSFileWriteNoPermissionError: return "permission denied"
        case NSFileWriteVolumeReadOnlyError: return "read-only file system"
        case NSFileWriteOutOfSpaceError: return "no space left on device"
        case NSFileWriteFileExistsError: return "a file of that name exists"
        default: return "error \(ns.code)"
        }
    }
}
