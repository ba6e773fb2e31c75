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

    @inlinable func skipSpaces(from i: Int) -> Int {
        var i = i
        while i < count && (base[i] == 0x20 || base[i] == 0x09) { i += 1 }
        return i
    }

    @inlinable func skipNonSpaces(from i: Int) -> Int {
        var i = i
        while i < count && base[i] != 0x20 && base[i] != 0x09 { i += 1 }
        return i
    }

    @inlinable func firstIndex(of byte: UInt8, from i: Int) -> Int? {
        var i = i
        while i < count {
            if base[i] == byte { return i }
            i += 1
        }
        return nil
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
        guard start < end, end - start <= 16 else {
            // Allow leading zeros beyond 16 digits.
            var s = start
            while end - s > 16 && s < end && line[s] == 0x30 { s += 1 }
            guard s < end, end - s <= 16 else { return nil }
            return hexDigits(line, s, end)
        }
        var value: UInt64 = 0
        var i = start
        while i < end {
            let c = line[i]
            let d: UInt8
            if c &- 0x30 < 10 {
                d = c &- 0x30
            } else if c | 0x20 &- 0x61 < 6 {
                d = (c | 0x20) &- 0x61 &+ 10
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

    /// A timestamp `SECONDS[.FRACTION]` in nanoseconds. 6 fraction digits are µs, 9 are ns;
    /// digits beyond 9 are dropped.
    @inlinable static func timestampNs(_ line: ByteLine, _ start: Int, _ end: Int) -> UInt64? {
        var dot = start
        while dot < end && line[dot] != UInt8(ascii: ".") { dot += 1 }
        guard let seconds = decimal(line, start, dot) else { return nil }
        let (secondsNs, overflow) = seconds.multipliedReportingOverflow(by: 1_000_000_000)
        guard !overflow else { return nil }
        if dot == end { return secondsNs }
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
