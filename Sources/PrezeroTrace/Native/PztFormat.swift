/// The native trace format, `.pzt`: byte layout in docs/trace-format.md.
///
/// Stored: magic `PZTR`, version (u16 LE), metadata length (u32 LE), metadata JSON, then a zstd
/// stream of records. Records: an event (tag = kind | same-cpu 0x10 | same-pid 0x20 | same-comm
/// 0x40, then varints), a symbol definition (0xFE), and last the trailer (0xFF: JSON with counts
/// and diagnostics, then an FNV-1a 64 checksum of every record byte before it).
public enum PztFormat {
    public static let magic: [UInt8] = [0x50, 0x5A, 0x54, 0x52]  // "PZTR"
    /// 2: allocations' flags carry `gfpUser` and `gfpTransHuge`; version-1 files get them
    /// derived from the gfp text on reading. 3: memory-counter records (`rssStat`, kind 12), so a
    /// reader of version 2 says the file is newer instead of failing on the record. 4: a
    /// page-touch trace's faults are each followed by a touch record of the faulting line
    /// (`touchAtFault`); older files made from a lackey trace get it derived on reading.
    public static let version: UInt16 = 4
    public static let oldestReadableVersion: UInt16 = 1
    public static let headerFixedBytes = 10
    public static let maxMetadataBytes = 16 << 20
    static let symbolTag: UInt8 = 0xFE
    static let trailerTag: UInt8 = 0xFF
    static let sameCPU: UInt8 = 0x10
    static let samePID: UInt8 = 0x20
    static let sameComm: UInt8 = 0x40
    static let fnvOffset: UInt64 = 0xcbf2_9ce4_8422_2325
    static let fnvPrime: UInt64 = 0x100_0000_01b3

    @inline(__always) static func zigzag(_ v: Int64) -> UInt64 { UInt64(bitPattern: (v << 1) ^ (v >> 63)) }
    @inline(__always) static func unzigzag(_ v: UInt64) -> Int64 { Int64(bitPattern: v >> 1) ^ -Int64(bitPattern: v & 1) }

    @inline(__always) static func putVarint(_ value: UInt64, _ out: inout [UInt8]) {
        var v = value
        while v >= 0x80 {
            out.append(UInt8(truncatingIfNeeded: v) | 0x80)
            v >>= 7
        }
        out.append(UInt8(v))
    }
}

/// Writes events as a `.pzt` file, through a temporary name renamed by `close`.
public final class PztWriter {
    private let file: TraceFileWriter
    private var buffer: [UInt8] = []
    private var checksum = PztFormat.fnvOffset
    private var definedSymbols: Int = 0
    private var lastCPU: UInt32 = .max
    private var lastPID: Int32 = .min
    private var lastComm: SymbolID = .max
    private var lastTime: UInt64 = 0
    private var lastA = [UInt64](repeating: 0, count: 16)
    private var lastB = [UInt64](repeating: 0, count: 16)
    public private(set) var events = 0

    /// - Parameter metadata: JSON bytes stored in the header.
    public init(path: String, metadata: [UInt8], level: Int32 = 3) throws {
        file = try TraceFileWriter(path: path, compressLevel: nil)
        var header = PztFormat.magic
        header += [UInt8(PztFormat.version & 0xFF), UInt8(PztFormat.version >> 8)]
        let n = UInt32(metadata.count)
        header += [UInt8(n & 0xFF), UInt8((n >> 8) & 0xFF), UInt8((n >> 16) & 0xFF), UInt8(n >> 24)]
        header += metadata
        try file.write(bytes: header)
        try file.startCompression(level: level)
        buffer.reserveCapacity(1 << 20)
    }

    /// Defines symbols up to `id` (contiguously, so a reader interning them in order gets the
    /// same ids).
    private func define(upTo id: SymbolID, from symbols: SymbolTable) {
        // Fields that only look like symbol ids (random test data) define nothing new.
        let last = min(Int(id), symbols.count - 1)
        while definedSymbols < last {
            definedSymbols += 1
            let name = Array(symbols.name(SymbolID(definedSymbols)).utf8)
            buffer.append(PztFormat.symbolTag)
            PztFormat.putVarint(UInt64(definedSymbols), &buffer)
            PztFormat.putVarint(UInt64(name.count), &buffer)
            buffer += name
        }
    }

    public func write(_ e: TraceEvent, symbols: SymbolTable) throws {
        define(upTo: max(e.comm, symbolReference(e)), from: symbols)
        let kind = Int(e.kind.rawValue)
        var tag = e.kind.rawValue
        if e.cpu == lastCPU { tag |= PztFormat.sameCPU }
        if e.pid == lastPID { tag |= PztFormat.samePID }
        if e.comm == lastComm { tag |= PztFormat.sameComm }
        buffer.append(tag)
        if e.cpu != lastCPU { PztFormat.putVarint(UInt64(e.cpu), &buffer) }
        if e.pid != lastPID { PztFormat.putVarint(PztFormat.zigzag(Int64(e.pid)), &buffer) }
        if e.comm != lastComm { PztFormat.putVarint(UInt64(e.comm), &buffer) }
        PztFormat.putVarint(PztFormat.zigzag(Int64(bitPattern: e.timestampNs &- lastTime)), &buffer)
        buffer.append(e.order)
        buffer.append(UInt8(bitPattern: e.migratetype))
        buffer.append(e.flags.rawValue)
        PztFormat.putVarint(PztFormat.zigzag(Int64(bitPattern: e.a &- lastA[kind])), &buffer)
        if e.kind == .touch {
            PztFormat.putVarint(e.b, &buffer)
        } else {
            PztFormat.putVarint(PztFormat.zigzag(Int64(bitPattern: e.b &- lastB[kind])), &buffer)
        }
        PztFormat.putVarint(e.c, &buffer)
        lastCPU = e.cpu
        lastPID = e.pid
        lastComm = e.comm
        lastTime = e.timestampNs
        lastA[kind] = e.a
        lastB[kind] = e.b
        if !e.isReaderAnnotation { events += 1 }
        if buffer.count >= 1 << 20 { try flush() }
    }

    /// Symbols an event names besides its comm.
    private func symbolReference(_ e: TraceEvent) -> SymbolID {
        switch e.kind {
        case .pageAlloc: e.flags.contains(.gfpIsRaw) ? 0 : e.gfpSymbol
        case .processExec, .processFork: e.symbol
        default: 0
        }
    }

    private func flush() throws {
        for byte in buffer { checksum = (checksum ^ UInt64(byte)) &* PztFormat.fnvPrime }
        try file.write(bytes: buffer)
        buffer.removeAll(keepingCapacity: true)
    }

    /// Writes the trailer (JSON with counts and diagnostics, then the checksum) and renames the
    /// file into place.
    public func close(trailer: [UInt8]) throws {
        try flush()
        try finish(trailer: trailer, checksum: checksum)
    }

    /// For tests of the reader: a file whose stored checksum does not match its records.
    func closeWithWrongChecksumForTesting(trailer: [UInt8]) throws {
        try flush()
        try finish(trailer: trailer, checksum: checksum ^ 1)
    }

    private func finish(trailer: [UInt8], checksum: UInt64) throws {
        var tail: [UInt8] = [PztFormat.trailerTag]
        let n = UInt32(trailer.count)
        tail += [UInt8(n & 0xFF), UInt8((n >> 8) & 0xFF), UInt8((n >> 16) & 0xFF), UInt8(n >> 24)]
        tail += trailer
        for k in 0..<8 { tail.append(UInt8((checksum >> UInt64(k * 8)) & 0xFF)) }
        try file.write(bytes: tail)
        try file.commit()
    }
}
