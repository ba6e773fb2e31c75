/// A name (event or field key) held as its length and first and last 8 bytes, so matching a
/// candidate costs two integer loads and three compares instead of a byte loop.
@usableFromInline
struct PackedName: Sendable {
    let length: Int
    let head: UInt64
    let tail: UInt64
    let text: [UInt8]

    init(_ name: String) {
        text = Array(name.utf8)
        length = text.count
        var h: UInt64 = 0
        for (k, byte) in text.prefix(8).enumerated() { h |= UInt64(byte) << UInt64(k * 8) }
        head = h
        var t: UInt64 = 0
        if text.count >= 8 {
            for (k, byte) in text.suffix(8).enumerated() { t |= UInt64(byte) << UInt64(k * 8) }
        }
        tail = t
    }

    /// True when `line[start..<end]` is this name.
    @inline(__always)
    func matches(_ line: ByteLine, _ start: Int, _ end: Int) -> Bool {
        guard end - start == length, line.packed(start, end) == head else { return false }
        if length <= 8 { return true }
        guard line.lastWord(end) == tail else { return false }
        if length <= 16 { return true }
        // Longer names: compare the middle too.
        for k in 8..<(length - 8) where line[start + k] != text[k] { return false }
        return true
    }
}
