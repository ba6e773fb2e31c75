/// Interns short byte strings (comms, filenames, gfp flag text) so events carry a 4-byte id
/// instead of a `String`. Id 0 is the empty string.
///
/// Open addressing over an FNV-1a hash; the bytes live in one growing arena.
public struct SymbolTable: Sendable {
    private var arena: [UInt8] = []
    private var starts: [Int] = [0]
    private var ends: [Int] = [0]
    private var hashes: [UInt64] = [0]
    private var slots: [UInt32]  // 0 = empty, else id + 1
    private var mask: Int

    public init() {
        slots = Array(repeating: 0, count: 1024)
        mask = 1023
    }

    public var count: Int { starts.count }

    /// The id of `bytes`, adding it when new.
    public mutating func intern(_ bytes: UnsafeRawBufferPointer) -> SymbolID {
        if bytes.isEmpty { return 0 }
        let hash = SymbolTable.hash(bytes)
        var slot = Int(truncatingIfNeeded: hash) & mask
        while true {
            let entry = slots[slot]
            if entry == 0 { break }
            let id = Int(entry - 1)
            if hashes[id] == hash && equals(id, bytes) { return SymbolID(id) }
            slot = (slot + 1) & mask
        }
        let id = starts.count
        starts.append(arena.count)
        arena.append(contentsOf: bytes)
        ends.append(arena.count)
        hashes.append(hash)
        slots[slot] = UInt32(id + 1)
        if starts.count * 2 > slots.count { grow() }
        return SymbolID(id)
    }

    public mutating func intern(_ string: String) -> SymbolID {
        var copy = string
        return copy.withUTF8 { intern(UnsafeRawBufferPointer($0)) }
    }

    /// The text of `id` (invalid UTF-8 repaired), or "" for an unknown id.
    public func name(_ id: SymbolID) -> String {
        let index = Int(id)
        guard index > 0, index < starts.count else { return "" }
        return String(decoding: arena[starts[index]..<ends[index]], as: UTF8.self)
    }

    private func equals(_ id: Int, _ bytes: UnsafeRawBufferPointer) -> Bool {
        let start = starts[id]
        guard ends[id] - start == bytes.count else { return false }
        for i in 0..<bytes.count where arena[start + i] != bytes[i] { return false }
        return true
    }

    private mutating func grow() {
        let newCount = slots.count * 2
        slots = Array(repeating: 0, count: newCount)
        mask = newCount - 1
        for id in 1..<starts.count {
            var slot = Int(truncatingIfNeeded: hashes[id]) & mask
            while slots[slot] != 0 { slot = (slot + 1) & mask }
            slots[slot] = UInt32(id + 1)
        }
    }

    static func hash(_ bytes: UnsafeRawBufferPointer) -> UInt64 {
        var h: UInt64 = 0xcbf2_9ce4_8422_2325
        for byte in bytes {
            h = (h ^ UInt64(byte)) &* 0x100_0000_01b3
        }
        return h
    }
}
