import Foundation

/// Decodes the record stream of a `.pzt` file (after its header), whatever the chunking.
public struct PztDecoder {
    public let fileName: String
    public private(set) var symbols = SymbolTable()
    public private(set) var events = 0
    /// The trailer's JSON, once read.
    public private(set) var trailer: [String: Any]?

    private var carry: [UInt8] = []
    private var checksum = PztFormat.fnvOffset
    private var lastCPU: UInt32 = 0
    private var lastPID: Int32 = 0
    private var lastComm: SymbolID = 0
    private var lastTime: UInt64 = 0
    private var lastA = [UInt64](repeating: 0, count: 16)
    private var lastB = [UInt64](repeating: 0, count: 16)
    private var offset: UInt64 = 0  // record-stream bytes consumed

    /// Per gfp symbol id: what `GFPClass` found in its text, nil until seen.
    private var gfpClassBySymbol: [EventFlags?] = []

    /// Bits of an allocation's flags `HugeFolioMarks` sets as a trace is read.
    static let readerMarks: EventFlags = [.chargeRefused, .shmemFolio, .freedUnmapped]
    /// Version 1 files have no user and THP bits in allocations' flags.
    private let derivesGFPClass: Bool

    /// Version 3 and older files made from a page-touch trace have no record of each fault's
    /// line (`touchAtFault`): derived from the fault before its page's allocation, in lines of
    /// this geometry; nil for the others.
    private let derivedFaultLines: (pageBytes: UInt64, lineBytes: UInt64)?
    private var lastFault: (pid: Int32, time: UInt64, address: UInt64)?

    /// - Parameter pageTouchGeometry: a file made from a page-touch trace, its page and line size.
    public init(fileName: String, version: UInt16 = PztFormat.version, pageTouchGeometry: (pageBytes: Int, lineBytes: Int)? = nil) {
        self.fileName = fileName
        derivesGFPClass = version < 2
        derivedFaultLines = version < 4 ? pageTouchGeometry.map { (UInt64($0.pageBytes), UInt64(max($0.lineBytes, 1))) } : nil
    }

    /// Version 1: the user and THP bits from the gfp text or raw bits, as the text parser derives
    /// them. An allocation with neither (from a page-touch trace) is a user page.
    private mutating func gfpClass(_ stored: EventFlags, raw: UInt64, symbol: UInt64) -> EventFlags {
        var flags = stored.subtracting([.gfpUser, .gfpTransHuge])
        if stored.contains(.gfpIsRaw) {
            flags.formUnion(GFPClass.flags(raw: raw, zeroMask: 0))
        } else if symbol != 0, symbol < UInt64(symbols.count) {
            let slot = Int(symbol)
            if slot >= gfpClassBySymbol.count {
                gfpClassBySymbol.append(contentsOf: repeatElement(nil, count: slot + 1 - gfpClassBySymbol.count))
            }
            let derived = gfpClassBySymbol[slot] ?? GFPClass.flags(text: symbols.name(SymbolID(slot)))
            gfpClassBySymbol[slot] = derived
            flags.formUnion(derived.subtracting(.gfpZero))
        } else if stored.contains(.gfpZero) {
            flags.insert(.gfpUser)
        }
        return flags
    }

    struct NeedMore: Error {}

    private func error(_ message: String, at position: UInt64) -> TraceError {
        TraceError(.malformedLine, message, at: InputLocation(file: fileName, byteOffset: position, offsetIsDecompressed: true))
    }

    public mutating func feed<S: TraceEventSink>(_ chunk: UnsafeRawBufferPointer, into sink: inout S) throws {
        if carry.isEmpty {
            let used = try decode(chunk, into: &sink)
            if used < chunk.count { carry.append(contentsOf: UnsafeRawBufferPointer(rebasing: chunk[used...])) }
        } else {
            carry.append(contentsOf: chunk)
            let joined = carry
            carry = []
            let used = try joined.withUnsafeBytes { try decode($0, into: &sink) }
            if used < joined.count { carry = Array(joined[used...]) }
        }
    }

    public mutating func finish<S: TraceEventSink>(into sink: inout S) throws {
        guard trailer != nil else {
            throw error("truncated .pzt: the record stream ends without its trailer (\(carry.count) bytes of an incomplete record)", at: offset)
        }
        guard carry.isEmpty else { throw error("\(carry.count) bytes after the trailer", at: offset) }
        if let count = trailer?["events"] as? Int, count != events {
            throw error("the trailer counts \(count) events but \(events) were read", at: offset)
        }
    }

    /// Decodes whole records from `bytes`; returns how many bytes were used.
    private mutating func decode<S: TraceEventSink>(_ bytes: UnsafeRawBufferPointer, into sink: inout S) throws -> Int {
        guard let base = bytes.baseAddress?.assumingMemoryBound(to: UInt8.self) else { return 0 }
        let end = bytes.count
        var i = 0
        var recordStart = 0
        @inline(__always) func varint() throws -> UInt64 {
            var result: UInt64 = 0
            var shift: UInt64 = 0
            while true {
                guard i < end else { throw NeedMore() }
                let byte = base[i]
                i += 1
                if shift == 63 && byte > 1 { throw TraceError(.malformedLine, "varint overflows 64 bits", at: InputLocation(file: "")) }
                result |= UInt64(byte & 0x7F) << shift
                if byte < 0x80 { return result }
                shift += 7
                if shift > 63 { throw TraceError(.malformedLine, "varint longer than 10 bytes", at: InputLocation(file: "")) }
            }
        }
        @inline(__always) func byte() throws -> UInt8 {
            guard i < end else { throw NeedMore() }
            i += 1
            return base[i - 1]
        }
        do {
            while i < end && trailer == nil {
                recordStart = i
                let tag = try byte()
                if tag == PztFormat.trailerTag {
                    guard end - i >= 4 else { throw NeedMore() }
                    let n = Int(base[i]) | Int(base[i + 1]) << 8 | Int(base[i + 2]) << 16 | Int(base[i + 3]) << 24
                    guard n <= PztFormat.maxMetadataBytes else { throw error("trailer of \(n) bytes", at: offset + UInt64(recordStart)) }
                    guard end - i >= 4 + n + 8 else { throw NeedMore() }
                    let json = Data(UnsafeBufferPointer(start: base + i + 4, count: n))
                    var stored: UInt64 = 0
                    for k in 0..<8 { stored |= UInt64(base[i + 4 + n + k]) << UInt64(k * 8) }
                    // Checksum of every record byte before the trailer.
                    for k in 0..<recordStart { checksum = (checksum ^ UInt64(base[k])) &* PztFormat.fnvPrime }
                    guard stored == checksum else {
                        throw error(String(format: "checksum mismatch: the file says %016llx, the records hash to %016llx (corrupt data)", stored, checksum),
                                    at: offset + UInt64(recordStart))
                    }
                    guard let object = try? JSONSerialization.jsonObject(with: json) as? [String: Any] else {
                        throw error("the trailer is not a JSON object", at: offset + UInt64(recordStart))
                    }
                    trailer = object
                    i += 4 + n + 8
                    offset += UInt64(i)
                    return i
                }
                if tag == PztFormat.symbolTag {
                    let id = try varint()
                    let length = try varint()
                    guard length <= 1 << 20 else { throw error("symbol of \(length) bytes", at: offset + UInt64(recordStart)) }
                    guard end - i >= Int(length) else { throw NeedMore() }
                    guard id == UInt64(symbols.count) else {
                        throw error("symbol \(id) defined out of order (expected \(symbols.count))", at: offset + UInt64(recordStart))
                    }
                    _ = symbols.intern(UnsafeRawBufferPointer(start: base + i, count: Int(length)))
                    i += Int(length)
                    continue
                }
                guard let kind = EventKind(rawValue: tag & 0x0F), tag & 0x80 == 0 else {
                    throw error(String(format: "unknown record tag 0x%02x", tag), at: offset + UInt64(recordStart))
                }
                var cpu = lastCPU
                var pid = lastPID
                var comm = lastComm
                if tag & PztFormat.sameCPU == 0 {
                    let v = try varint()
                    guard v <= UInt64(UInt32.max) else { throw error("cpu out of range", at: offset + UInt64(recordStart)) }
                    cpu = UInt32(v)
                }
                if tag & PztFormat.samePID == 0 {
                    let v = PztFormat.unzigzag(try varint())
                    guard v >= Int64(Int32.min), v <= Int64(Int32.max) else { throw error("pid out of range", at: offset + UInt64(recordStart)) }
                    pid = Int32(v)
                }
                if tag & PztFormat.sameComm == 0 {
                    let v = try varint()
                    guard v < UInt64(symbols.count) else { throw error("comm symbol \(v) not defined", at: offset + UInt64(recordStart)) }
                    comm = SymbolID(v)
                }
                let dt = PztFormat.unzigzag(try varint())
                let order = try byte()
                let migratetype = Int8(bitPattern: try byte())
                var flags = EventFlags(rawValue: try byte())
                let k = Int(kind.rawValue)
                let a = lastA[k] &+ UInt64(bitPattern: PztFormat.unzigzag(try varint()))
                let b = kind == .touch ? try varint() : lastB[k] &+ UInt64(bitPattern: PztFormat.unzigzag(try varint()))
                let c = try varint()
                guard order < 64 else { throw error("order \(order) out of range", at: offset + UInt64(recordStart)) }
                let t = lastTime &+ UInt64(bitPattern: dt)
                if kind == .pageAlloc {
                    if derivesGFPClass { flags = gfpClass(flags, raw: b, symbol: c) }
                    // The reader's marks (`HugeFolioMarks`), which `convert` stores as it read them:
                    // made again as this file is read, by this build's rules.
                    flags.subtract(Self.readerMarks)
                }
                let event = TraceEvent(kind: kind, cpu: cpu, pid: pid, comm: comm, timestampNs: t, order: order, migratetype: migratetype, flags: flags, a: a, b: b, c: c)
                sink.consume(event)
                if !event.isReaderAnnotation { events += 1 }
                if let geometry = derivedFaultLines {
                    if kind == .pageFault {
                        lastFault = (pid, t, a)
                    } else if kind == .pageAlloc, flags.contains(.gfpZero), let fault = lastFault, fault.pid == pid, fault.time == t {
                        let line = Int((fault.address % geometry.pageBytes) / geometry.lineBytes)
                        sink.consume(.faultLine(page: a, line: line, cpu: cpu, pid: pid, comm: comm, timestampNs: t))
                        lastFault = nil
                    }
                }
                lastCPU = cpu
                lastPID = pid
                lastComm = comm
                lastTime = t
                lastA[k] = a
                lastB[k] = b
            }
        } catch is NeedMore {
            i = recordStart
        } catch let e as TraceError where e.location.file.isEmpty {
            throw error(e.message, at: offset + UInt64(recordStart))
        }
        if trailer == nil {
            for k in 0..<i { checksum = (checksum ^ UInt64(base[k])) &* PztFormat.fnvPrime }
        }
        offset += UInt64(i)
        return i
    }
}
