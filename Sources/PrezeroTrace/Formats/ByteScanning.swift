#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

/// Small byte-level helpers for the line parsers. All take a pointer and an end index and never
/// read outside `[0, end)`. Numbers are checked for overflow: input data never traps.
@usableFromInline
struct ByteLine {
    @usableFromInline let base: UnsafePointer<UInt8>
    @usableFromInline let count: Int

    @inlinable init(base: UnsafePointer<UInt8>, count: Int) {
        self.base = base
        self.count = count
    }

    @inlinable subscript(i: Int) -> UInt8 { base[i] }

    /// First index at or after `i` that is not a space. Trace lines are padded with long runs
    /// of spaces, so this looks at 8 bytes a step.
    @inlinable func skipSpaces(from i: Int) -> Int {
        var i = i
        #if _endian(little)
        while i + 8 <= count {
            let x = UnsafeRawPointer(base + i).loadUnaligned(as: UInt64.self) ^ 0x2020_2020_2020_2020
            if x != 0 { return i + (x.trailingZeroBitCount >> 3) }
            i += 8
        }
        #endif
        while i < count && base[i] == 0x20 { i += 1 }
        return i
    }

    /// First index at or after `i` that is a space, or `count`.
    @inlinable func skipNonSpaces(from i: Int) -> Int {
        var i = i
        #if _endian(little)
        while i + 8 <= count {
            let x = UnsafeRawPointer(base + i).loadUnaligned(as: UInt64.self) ^ 0x2020_2020_2020_2020
            // Lowest zero byte of x: exact for the lowest one (the classic has-zero-byte test).
            let zeroBytes = (x &- 0x0101_0101_0101_0101) & ~x & 0x8080_8080_8080_8080
            if zeroBytes != 0 { return i + (zeroBytes.trailingZeroBitCount >> 3) }
            i += 8
        }
        #endif
        while i < count && base[i] != 0x20 { i += 1 }
        return i
    }

    @inlinable func firstIndex(of byte: UInt8, from i: Int) -> Int? {
        guard i < count, let found = memchr(base + i, Int32(byte), count - i) else { return nil }
        return UnsafeRawPointer(found) - UnsafeRawPointer(base)
    }

    /// True when the bytes at `i` equal `literal`.
    @inlinable func matches(_ literal: StaticString, at i: Int) -> Bool {
        let n = literal.utf8CodeUnitCount
        guard i >= 0, i + n <= count else { return false }
        let p = literal.utf8Start
        for k in 0..<n where base[i + k] != p[k] { return false }
        return true
    }

    /// True when `[start, end)` equals `literal`.
    @inlinable func equals(_ literal: StaticString, start: Int, end: Int) -> Bool {
        end - start == literal.utf8CodeUnitCount && matches(literal, at: start)
    }

    /// Index of the first occurrence of `literal` in `[from, end)`, or nil.
    @inlinable func find(_ literal: StaticString, from: Int, end: Int? = nil) -> Int? {
        let limit = (end ?? count) - literal.utf8CodeUnitCount
        guard literal.utf8CodeUnitCount > 0, from <= limit else { return nil }
        let first = literal.utf8Start[0]
        var i = from
        while i <= limit {
            if base[i] == first && matches(literal, at: i) { return i }
            i += 1
        }
        return nil
    }

    /// Up to the first 8 bytes of `[start, end)` packed little-endian: compares short keys and
    /// names in one integer comparison (together with their length).
    @inlinable func packed(_ start: Int, _ end: Int) -> UInt64 {
        let n = min(end - start, 8)
        if n == 8 { return UnsafeRawPointer(base + start).loadUnaligned(as: UInt64.self) }
        var word: UInt64 = 0
        var k = 0
        while k < n {
            word |= UInt64(base[start + k]) << UInt64(k * 8)
            k += 1
        }
        return word
    }

    /// The last 8 bytes before `end` (requires `end - start >= 8`).
    @inlinable func lastWord(_ end: Int) -> UInt64 {
        UnsafeRawPointer(base + end - 8).loadUnaligned(as: UInt64.self)
    }

    func text(_ start: Int, _ end: Int) -> String {
        guard start < end else { return "" }
        return String(decoding: UnsafeBufferPointer(start: base + start, count: end - start), as: UTF8.self)
    }

    func raw(_ start: Int, _ end: Int) -> UnsafeRawBufferPointer {
        UnsafeRawBufferPointer(start: base + start, count: max(0, end - start))
    }
}

/// Number parsing over `[start, end)`; nil for empty, non-digit or overflowing input.
@usableFromInline
enum ParseNumber {
    @inlinable static func isDigit(_ c: UInt8) -> Bool { c &- 0x30 < 10 }

    @inlinable static func decimal(_ line: ByteLine, _ start: Int, _ end: Int) -> UInt64? {
        guard start < end else { return nil }
        var value: UInt64 = 0
        var i = start
        if end - start <= 19 {
            // 19 digits never overflow UInt64 (max 20 digits): no checks needed.
            while i < end {
                let d = line[i] &- 0x30
                guard d < 10 else { return nil }
                value = value &* 10 &+ UInt64(d)
                i += 1
            }
            return value
        }
        while i < end {
            let d = line[i] &- 0x30
            guard d < 10 else { return nil }
            let (m, o1) = value.multipliedReportingOverflow(by: 10)
            let (s, o2) = m.addingReportingOverflow(UInt64(d))
            guard !o1 && !o2 else { return nil }
            value = s
            i += 1
        }
        return value
    }

    @inlinable static func signedDecimal(_ line: ByteLine, _ start: Int, _ end: Int) -> Int64? {
        guard start < end else { return nil }
        if line[start] == UInt8(ascii: "-") {
            guard let magnitude = decimal(line, start + 1, end), magnitude <= UInt64(Int64.max) else { return nil }
            return -Int64(magnitude)
        }
        guard let value = decimal(line, start, end), value <= UInt64(Int64.max) else { return nil }
        return Int64(value)
    }

    @inlinable static func hexDigits(_ line: ByteLine, _ start: Int, _ end: Int) -> UInt64? {
        var s = start
        // Leading zeros beyond 16 digits are harmless.
        while end - s > 16 && line[s] == 0x30 { s += 1 }
        guard s < end, end - s <= 16 else { return nil }
        var value: UInt64 = 0
        var i = s
        while i < end {
            let c = line[i]
            let digit = c &- 0x30
            let letter = (c | 0x20) &- 0x61
            let d: UInt8
            if digit < 10 {
                d = digit
            } else if letter < 6 {
                d = letter &+ 10
            } else {
                return nil
            }
            value = value << 4 | UInt64(d)
            i += 1
        }
        return value
    }

    /// `0x`-prefixed hex, else decimal.
    @inlinable static func hexOrDecimal(_ line: ByteLine, _ start: Int, _ end: Int) -> UInt64? {
        if end - start > 2 && line[start] == 0x30 && line[start + 1] | 0x20 == UInt8(ascii: "x") {
            return hexDigits(line, start + 2, end)
        }
        return decimal(line, start, end)
    }

    /// Why `hexOrDecimal` failed on a field, for a malformed-line reason: a well-formed number
    /// too big for 64 bits, or not a number at all.
    static func problem(_ what: String, _ line: ByteLine, _ start: Int, _ end: Int) -> String {
        var i = start
        var hex = false
        if end - start > 2 && line[start] == 0x30 && line[start + 1] | 0x20 == UInt8(ascii: "x") {
            i += 2
            hex = true
        }
        guard i < end else { return "\(what) is not a number" }
        while i < end {
            let c = line[i]
            let ok = isDigit(c) || (hex && (c | 0x20) &- UInt8(ascii: "a") < 6)
            if !ok { return "\(what) is not a number" }
            i += 1
        }
        return "\(what) overflows 64 bits"
    }

    /// A timestamp `SECONDS.FRACTION` in nanoseconds. 6 fraction digits are µs, 9 are ns;
    /// digits beyond 9 are dropped. nil without a fraction: every nanosecond clock prints one
    /// (ftrace `%5lu.%06lu`, perf script, trace-cmd report), and a bare number is a count
    /// (ftrace's counter, uptime and x86-tsc clocks), not seconds.
    @inlinable static func timestampNs(_ line: ByteLine, _ start: Int, _ end: Int) -> UInt64? {
        var dot = start
        while dot < end && line[dot] != UInt8(ascii: ".") { dot += 1 }
        guard dot < end, let seconds = decimal(line, start, dot) else { return nil }
        let (secondsNs, overflow) = seconds.multipliedReportingOverflow(by: 1_000_000_000)
        guard !overflow else { return nil }
        var fraction: UInt64 = 0
        var digits = 0
        var i = dot + 1
        guard i < end else { return nil }
        while i < end {
            let d = line[i] &- 0x30
            guard d < 10 else { return nil }
            if digits < 9 {
                fraction = fraction * 10 + UInt64(d)
                digits += 1
            }
            i += 1
        }
        while digits < 9 {
            fraction *= 10
            digits += 1
        }
        let (sum, o) = secondsNs.addingReportingOverflow(fraction)
        return o ? nil : sum
    }
}
