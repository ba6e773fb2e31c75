/// printf-style padding for fixed-width text tables, without Foundation's `String(format:)`.
package enum TextFormatting {
    /// Right-aligns `text` in `width` columns (`%16s`).
    package static func right(_ text: String, _ width: Int) -> String {
        let n = text.count
        return n >= width ? text : String(repeating: " ", count: width - n) + text
    }

    /// Left-aligns `text` in `width` columns (`%-30s`).
    package static func left(_ text: String, _ width: Int) -> String {
        let n = text.count
        return n >= width ? text : text + String(repeating: " ", count: width - n)
    }

    /// `value` with `digits` decimals, rounded half away from zero.
    package static func fixed(_ value: Double, _ digits: Int) -> String {
        guard value.isFinite else { return value.isNaN ? "nan" : (value < 0 ? "-inf" : "inf") }
        var scale = 1.0
        for _ in 0..<digits { scale *= 10 }
        let scaled = (abs(value) * scale).rounded()
        let negative = value < 0 && scaled > 0
        let integer = UInt64(min(scaled, 1.8e19))
        let divisor = UInt64(scale)
        let whole = integer / divisor
        let fraction = integer % divisor
        var text = (negative ? "-" : "") + String(whole)
        if digits > 0 {
            let f = String(fraction)
            text += "." + String(repeating: "0", count: digits - f.count) + f
        }
        return text
    }

    /// Seconds from nanoseconds with three decimals.
    package static func seconds(_ ns: UInt64) -> String { fixed(Double(ns) / 1e9, 3) }

    /// Bytes as KiB/MiB/GiB with one decimal.
    package static func bytes(_ value: UInt64) -> String {
        let units = ["B", "KiB", "MiB", "GiB", "TiB"]
        var v = Double(value)
        var unit = 0
        while v >= 1024 && unit < units.count - 1 {
            v /= 1024
            unit += 1
        }
        return unit == 0 ? "\(value) B" : fixed(v, 1) + " " + units[unit]
    }
}
