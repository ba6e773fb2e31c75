import Foundation

/// A small TOML reader for prezero's configuration files (profiles, batch plans): tables,
/// arrays of tables, dotted keys, basic and literal strings, integers, floats, booleans, arrays
/// and inline tables. No dates. Produces Foundation JSON objects (`[String: Any]`), so the same
/// `Codable` types read TOML and JSON.
public struct TOMLError: Error, CustomStringConvertible {
    public var line: Int
    public var message: String
    public var description: String { "line \(line): \(message)" }
}

public enum TOML {
    public static func parse(_ text: String) throws -> [String: Any] {
        var parser = Parser(Array(text.unicodeScalars))
        return try parser.document()
    }

    /// Reads a TOML or JSON file (by extension: `.json` is JSON, anything else TOML) into a
    /// `Decodable` value with snake_case keys.
    public static func decode<T: Decodable>(_ type: T.Type, path: String) throws -> T {
        let data = try Data(contentsOf: URL(fileURLWithPath: path))
        let json: Data
        if path.hasSuffix(".json") {
            json = data
        } else {
            do {
                json = try JSONSerialization.data(withJSONObject: try parse(String(decoding: data, as: UTF8.self)))
            } catch let error as TOMLError {
                throw ProfileError("\(path):\(error.line): \(error.message)")
            }
        }
        let decoder = JSONDecoder()
        decoder.keyDecodingStrategy = .convertFromSnakeCase
        do {
            return try decoder.decode(T.self, from: json)
        } catch let DecodingError.keyNotFound(key, context) {
            throw ProfileError("\(path): \((context.codingPath + [key]).map(\.stringValue).joined(separator: ".")) is missing")
        } catch let DecodingError.typeMismatch(_, context) {
            throw ProfileError("\(path): \(context.codingPath.map(\.stringValue).joined(separator: ".")): \(context.debugDescription)")
        } catch let DecodingError.valueNotFound(_, context) {
            throw ProfileError("\(path): \(context.codingPath.map(\.stringValue).joined(separator: ".")) is missing")
        } catch let DecodingError.dataCorrupted(context) {
            throw ProfileError("\(path): \(context.debugDescription)")
        }
    }

    struct Parser {
        let s: [Unicode.Scalar]
        var i = 0
        var line = 1

        init(_ s: [Unicode.Scalar]) { self.s = s }

        func fail(_ message: String) -> TOMLError { TOMLError(line: line, message: message) }

        var atEnd: Bool { i >= s.count }
        var peek: Unicode.Scalar? { i < s.count ? s[i] : nil }

        mutating func skipSpaces() {
            while let c = peek, c == " " || c == "\t" { i += 1 }
        }

        /// Spaces, newlines and comments.
        mutating func skipBlank() {
            while let c = peek {
                if c == " " || c == "\t" || c == "\r" {
                    i += 1
                } else if c == "\n" {
                    i += 1
                    line += 1
                } else if c == "#" {
                    while let d = peek, d != "\n" { i += 1 }
                } else {
                    return
                }
            }
        }

        mutating func endOfLine() throws {
            skipSpaces()
            if peek == "#" { while let d = peek, d != "\n" { i += 1 } }
            if peek == "\r" { i += 1 }
            guard atEnd || peek == "\n" else { throw fail("expected the end of the line, found '\(peek.map(String.init) ?? "")'") }
        }

        mutating func document() throws -> [String: Any] {
            var root: [String: Any] = [:]
            var current: [String] = []
            var definedTables: Set<String> = []
            while true {
                skipBlank()
                guard let c = peek else { break }
                if c == "[" {
                    i += 1
                    let arrayOfTables = peek == "["
                    if arrayOfTables { i += 1 }
                    skipSpaces()
                    let path = try keyPath()
                    skipSpaces()
                    guard peek == "]" else { throw fail("expected ']' after a table name") }
                    i += 1
                    if arrayOfTables {
                        guard peek == "]" else { throw fail("expected ']]'") }
                        i += 1
                        try appendTable(&root, path)
                        current = path
                    } else {
                        let name = path.joined(separator: ".")
                        guard definedTables.insert(name).inserted else { throw fail("table [\(name)] defined twice") }
                        try ensureTable(&root, path)
                        current = path
                    }
                    try endOfLine()
                } else {
                    let key = try keyPath()
                    skipSpaces()
                    guard peek == "=" else { throw fail("expected '=' after key '\(key.joined(separator: "."))'") }
                    i += 1
                    skipSpaces()
                    let v = try value()
                    try set(&root, current + key, v)
                    try endOfLine()
                }
            }
            return root
        }

        mutating func keyPath() throws -> [String] {
            var parts: [String] = []
            while true {
                skipSpaces()
                if peek == "\"" {
                    parts.append(try basicString())
                } else if peek == "'" {
                    parts.append(try literalString())
                } else {
                    var key = ""
                    while let c = peek, c.properties.isAlphabetic || ("0"..."9").contains(c) || c == "_" || c == "-" {
                        key.unicodeScalars.append(c)
                        i += 1
                    }
                    guard !key.isEmpty else { throw fail("expected a key") }
                    parts.append(key)
                }
                skipSpaces()
                if peek == "." { i += 1 } else { return parts }
            }
        }

        mutating func value() throws -> Any {
            guard let c = peek else { throw fail("expected a value") }
            switch c {
            case "\"": return try basicString()
            case "'": return try literalString()
            case "[": return try array()
            case "{": return try inlineTable()
            case "t", "f":
                if match("true") { return true }
                if match("false") { return false }
                throw fail("expected true or false")
            default: return try number()
            }
        }

        mutating func match(_ word: String) -> Bool {
            let scalars = Array(word.unicodeScalars)
            guard i + scalars.count <= s.count, Array(s[i..<(i + scalars.count)]) == scalars else { return false }
            i += scalars.count
            return true
        }

        mutating func number() throws -> Any {
            var text = ""
            while let c = peek, c == "+" || c == "-" || c == "." || c == "_" || c == "x" || c == "e" || c == "E"
                || ("0"..."9").contains(c) || ("a"..."f").contains(c) || ("A"..."F").contains(c)
            {
                if c != "_" { text.unicodeScalars.append(c) }
                i += 1
            }
            if text.hasPrefix("0x"), let v = Int(text.dropFirst(2), radix: 16) { return v }
            if let v = Int(text) { return v }
            if text.contains(where: { $0 == "." || $0 == "e" || $0 == "E" }), let v = Double(text), v.isFinite { return v }
            throw fail("'\(text.isEmpty ? String(peek.map(Character.init) ?? " ") : text)' is not a value (string, number, boolean, array or table)")
        }

        mutating func basicString() throws -> String {
            i += 1
            var out = ""
            while let c = peek {
                i += 1
                if c == "\"" { return out }
                if c == "\n" { throw fail("newline inside a string") }
                if c == "\\" {
                    guard let e = peek else { break }
                    i += 1
                    switch e {
                    case "n": out += "\n"
                    case "t": out += "\t"
                    case "r": out += "\r"
                    case "\"": out += "\""
                    case "\\": out += "\\"
                    case "u", "U":
                        let n = e == "u" ? 4 : 8
                        guard i + n <= s.count, let v = UInt32(String(String.UnicodeScalarView(s[i..<(i + n)])), radix: 16),
                            let scalar = Unicode.Scalar(v)
                        else { throw fail("bad \\\(e) escape") }
                        out.unicodeScalars.append(scalar)
                        i += n
                    default: throw fail("unknown escape \\\(e)")
                    }
                } else {
                    out.unicodeScalars.append(c)
                }
            }
            throw fail("unterminated string")
        }

        mutating func literalString() throws -> String {
            i += 1
            var out = ""
            while let c = peek {
                i += 1
                if c == "'" { return out }
                if c == "\n" { throw fail("newline inside a string") }
                out.unicodeScalars.append(c)
            }
            throw fail("unterminated string")
        }

        mutating func array() throws -> [Any] {
            i += 1
            var items: [Any] = []
            while true {
                skipBlank()
                if peek == "]" {
                    i += 1
                    return items
                }
                items.append(try value())
                skipBlank()
                if peek == "," {
                    i += 1
                } else if peek == "]" {
                    i += 1
                    return items
                } else {
                    throw fail("expected ',' or ']' in an array")
                }
            }
        }

        mutating func inlineTable() throws -> [String: Any] {
            i += 1
            var table: [String: Any] = [:]
            skipSpaces()
            if peek == "}" {
                i += 1
                return table
            }
            while true {
                skipSpaces()
                let key = try keyPath()
                skipSpaces()
                guard peek == "=" else { throw fail("expected '=' in an inline table") }
                i += 1
                skipSpaces()
                try set(&table, key, try value())
                skipSpaces()
                if peek == "," {
                    i += 1
                } else if peek == "}" {
                    i += 1
                    return table
                } else {
                    throw fail("expected ',' or '}' in an inline table")
                }
            }
        }

        func set(_ table: inout [String: Any], _ path: [String], _ value: Any) throws {
            guard let first = path.first else { return }
            if path.count == 1 {
                guard table[first] == nil else { throw fail("key '\(first)' defined twice") }
                table[first] = value
                return
            }
            if var array = table[first] as? [[String: Any]], !array.isEmpty {
                var last = array[array.count - 1]
                try set(&last, Array(path.dropFirst()), value)
                array[array.count - 1] = last
                table[first] = array
                return
            }
            var child = table[first] as? [String: Any] ?? [:]
            guard table[first] == nil || table[first] is [String: Any] else { throw fail("'\(first)' is not a table") }
            try set(&child, Array(path.dropFirst()), value)
            table[first] = child
        }

        func ensureTable(_ table: inout [String: Any], _ path: [String]) throws {
            guard let first = path.first else { return }
            if var array = table[first] as? [[String: Any]], !array.isEmpty {
                var last = array[array.count - 1]
                try ensureTable(&last, Array(path.dropFirst()))
                array[array.count - 1] = last
                table[first] = array
                return
            }
            guard table[first] == nil || table[first] is [String: Any] else { throw fail("'\(first)' is not a table") }
            var child = table[first] as? [String: Any] ?? [:]
            try ensureTable(&child, Array(path.dropFirst()))
            table[first] = child
        }

        func appendTable(_ table: inout [String: Any], _ path: [String]) throws {
            guard let first = path.first else { return }
            if path.count == 1 {
                guard table[first] == nil || table[first] is [[String: Any]] else { throw fail("'\(first)' is not an array of tables") }
                var array = table[first] as? [[String: Any]] ?? []
                array.append([:])
                table[first] = array
                return
            }
            var child = table[first] as? [String: Any] ?? [:]
            try appendTable(&child, Array(path.dropFirst()))
            table[first] = child
        }
    }
}

extension TOML {
    /// Writes a JSON object (dictionaries, arrays, strings, numbers, booleans) as TOML.
    public static func serialize(_ object: [String: Any]) -> String {
        var out = ""
        write(object, path: [], into: &out)
        return out
    }

    private static func key(_ k: String) -> String {
        k.unicodeScalars.allSatisfy { $0.properties.isAlphabetic || ("0"..."9").contains($0) || $0 == "_" || $0 == "-" } && !k.isEmpty
            ? k : quote(k)
    }

    private static func quote(_ s: String) -> String {
        var out = "\""
        for c in s.unicodeScalars {
            switch c {
            case "\"": out += "\\\""
            case "\\": out += "\\\\"
            case "\n": out += "\\n"
            case "\t": out += "\\t"
            case "\r": out += "\\r"
            default:
                if c.value < 0x20 { out += String(format: "\\u%04X", c.value) } else { out.unicodeScalars.append(c) }
            }
        }
        return out + "\""
    }

    private static func inline(_ v: Any) -> String {
        if let b = v as? Bool, type(of: v) == Bool.self { return b ? "true" : "false" }
        if let s = v as? String { return quote(s) }
        if let n = v as? NSNumber {
            let kind = String(cString: n.objCType)
            if kind == "d" || kind == "f" {
                let d = n.doubleValue
                return d.rounded() == d && abs(d) < 1e15 ? String(format: "%.1f", d) : "\(d)"
            }
            return n.stringValue
        }
        if let a = v as? [Any] { return "[" + a.map(inline).joined(separator: ", ") + "]" }
        if let d = v as? [String: Any] {
            return "{ " + d.keys.sorted().map { "\(key($0)) = \(inline(d[$0] ?? ""))" }.joined(separator: ", ") + " }"
        }
        return "\"\(v)\""
    }

    private static func write(_ table: [String: Any], path: [String], into out: inout String) {
        let keys = table.keys.sorted()
        for k in keys {
            let v = table[k] ?? ""
            if v is [String: Any] { continue }
            if let a = v as? [Any], !a.isEmpty, a.allSatisfy({ $0 is [String: Any] }) { continue }
            out += "\(key(k)) = \(inline(v))\n"
        }
        for k in keys {
            if let d = table[k] as? [String: Any] {
                out += "\n[\((path + [k]).map(key).joined(separator: "."))]\n"
                write(d, path: path + [k], into: &out)
            } else if let a = table[k] as? [Any], !a.isEmpty, a.allSatisfy({ $0 is [String: Any] }) {
                for item in a {
                    out += "\n[[\((path + [k]).map(key).joined(separator: "."))]]\n"
                    write(item as? [String: Any] ?? [:], path: path + [k], into: &out)
                }
            }
        }
    }
}
