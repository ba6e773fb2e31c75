#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

/// Interns short byte strings (comms, filenames, gfp flag text) so events carry a 4-byte id
/// instead of a `String`. Id 0 is the empty string.
///
/// Open addressing over a word-at-a-time hash; the bytes live in one growing arena. Interning
/// runs once or twice per trace line, so it hashes 8 bytes per step and compares with `memcmp`.
public struct SymbolTable: Sendable {
    private var arena: [UInt8] = []
    private var starts: [Int] = [0]
    private var lengths: [Int] = [0]
    private var hashes: [UInt64] = [0]
    private var slots: [UInt32]  // 0 = empty, else id + 1
    private var mask: Int

    public init() {
        slots = Array(repeating: 0, count: 1024)
        mask = 1023
    }

    public var count: Int { starts.count }

    /// The id of `bytes`, adding it when new.
    @inline(__always)
    public mutating func intern(_ bytes: UnsafeRawBufferPointer) -> SymbolID {
        guard let base = bytes.baseAddress, bytes.count > 0 else { return 0 }
        let n = bytes.count
        let hash = SymbolTable.hash(base, n)
        var slot = Int(truncatingIfNeeded: hash >> 32) & mask
        while true {
            let entry = slots[slot]
            if entry == 0 { break }
            let id = Int(entry &- 1)
            if hashes[id] == hash && lengths[id] == n {
                let start = starts[id]
                let same = arena.withUnsafeBufferPointer { stored in
                    guard let storedBase = stored.baseAddress else { return false }
                    return memcmp(storedBase + start, base, n) == 0
                }
                if same { return SymbolID(id) }
            }
            slot = (slot + 1) & mask
        }
        let id = starts.count
        starts.append(arena.count)
        arena.append(contentsOf: bytes)
        lengths.append(n)
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
        return String(decoding: arena[starts[index]..<(starts[index] + lengths[index])], as: UTF8.self)
    }

    private mutating func grow() {
        let newCount = slots.count * 2
        slots = Array(repeating: 0, count: newCount)
        mask = newCount - 1
        for id in 1..<starts.count {
            var slot = Int(truncatingIfNeeded: hashes[id] >> 32) & mask
            while slots[slot] != 0 { slot = (slot + 1) & mask }
            slots[slot] = UInt32(id + 1)
        }
    }

    /// 8 bytes a step, multiply-xorshift mixing; the tail is loaded byte by byte.
    @inline(__always)
    static func hash(_ base: UnsafeRawPointer, _ n: Int) -> UInt64 {
        var h: UInt64 = 0x9E37_79B9_7F4A_7C15 ^ UInt64(n)
        var i = 0
        while i + 8 <= n {
            let word = base.loadUnaligned(fromByteOffset: i, as: UInt64.self)
            h = (h ^ word) &* 0xff51_afd7_ed55_8ccd
            h ^= h >> 29
            i += 8
        }
        if i < n {
            var tail: UInt64 = 0
            var shift: UInt64 = 0
            while i < n {
                tail |= UInt64(base.load(fromByteOffset: i, as: UInt8.self)) << shift
                shift += 8
                i += 1
            }
            h = (h ^ tail) &* 0xc4ce_b9fe_1a85_ec53
            h ^= h >> 29
        }
        return h &* 0x9E37_79B9_7F4A_7C15
    }
}
