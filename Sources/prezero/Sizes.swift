/// Parses sizes like `4GiB`, `16KiB`, `256MB`, `4096`. K/M/G with or without `B`/`iB` are
/// binary (1024-based), as memory and page sizes are.
func parseSize(_ text: String) -> UInt64? {
    var digits = ""
    var unit = ""
    for c in text {
        if unit.isEmpty && (c.isNumber || c == ".") { digits.append(c) } else { unit.append(c) }
    }
    guard let value = Double(digits), value >= 0 else { return nil }
    let multiplier: Double
    switch unit.lowercased() {
    case "", "b": multiplier = 1
    case "k", "kb", "kib": multiplier = 1024
    case "m", "mb", "mib": multiplier = 1024 * 1024
    case "g", "gb", "gib": multiplier = 1024 * 1024 * 1024
    case "t", "tb", "tib": multiplier = 1024 * 1024 * 1024 * 1024
    default: return nil
    }
    let bytes = value * multiplier
    guard bytes < 1.8e19 else { return nil }
    return UInt64(bytes)
}
