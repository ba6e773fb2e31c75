#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

/// Reads a valgrind lackey memory trace (`valgrind --tool=lackey --trace-mem=yes`) into events:
/// the first touch of a virtual page becomes a zero-fill fault (error code 0x6) followed by an
/// order-0 `__GFP_ZERO` allocation whose pfn is the virtual page number (an identity, as every
/// pfn is to the model); later accesses become `touch` events carrying each page's touched-line
/// mask per interval of `intervalAccesses` accesses (an interval also ends at each fault, so the
/// order of touches and clears is the program's); every page is freed at the end of the trace.
///
/// With `--trace-children=yes` each exec starts a new `Command:`: the previous image's pages are
/// freed there and later accesses belong to the new command (accesses carry no pid, so
/// processes that run at the same time cannot be told apart).
///
/// Lines: `I  ADDR,SIZE` (instruction fetch, skipped unless `includeInstructionFetches`),
/// ` L`, ` S`, ` M` (load, store, modify), and `==PID==` valgrind lines. An access that straddles
/// a line or page boundary counts on both sides. Timestamps are nominal: one ns per access.
public struct LackeyDecoder: LineDecoder {
    public var pageBytes: Int
    public var lineBytes: Int
    public var intervalAccesses: UInt64
    public var includeInstructionFetches = false
    public let fileName: String
    public var maxLineBytes = 1 << 20

    public private(set) var diagnostics = TraceDiagnostics()
    public private(set) var symbols = SymbolTable()
    public private(set) var accesses: UInt64 = 0
    public private(set) var instructionFetches: UInt64 = 0
    public private(set) var pagesFreedAtEnd = 0
    public private(set) var eventCounts: [String: Int] = [:]
    public var textOffset: UInt64 { splitter.offset }

    private let pageShift: UInt64
    private let lineShift: UInt64
    private var pageIndex: [UInt64: Int32] = [:]
    private var pages: [UInt64] = []
    private var maskLow: [UInt64] = []
    private var maskHigh: [UInt64] = []
    private var inInterval: [Bool] = []
    private var interval: [Int32] = []
    private var lastPage: UInt64 = .max
    private var lastIndex: Int32 = -1
    private var pid: Int32 = 0
    private var comm: SymbolID = 0
    var splitter = LineSplitter()
    private var sawRecord = false

    /// Accesses merged into one touch record per page. Small enough that a phase's accesses are
    /// never merged with the next phase's (a line touched twice within it is one access, which
    /// would hit anyway). Measured on traces/l2-pollution-256 by rebuilding with other values: 1
    /// access per interval gives 31,027 L2 misses of touches, 64 gives 31,022, with a third of the
    /// events; 10,000 merges phases and gives 26,544.
    public static let defaultIntervalAccesses: UInt64 = 64

    public init(fileName: String, pageBytes: Int = 4096, lineBytes: Int = 64, intervalAccesses: UInt64 = defaultIntervalAccesses) {
        self.fileName = fileName
        self.pageBytes = pageBytes
        self.lineBytes = lineBytes
        self.intervalAccesses = max(1, intervalAccesses)
        pageShift = UInt64(pageBytes.trailingZeroBitCount)
        lineShift = UInt64(lineBytes.trailingZeroBitCount)
    }

    /// True when `bytes` start like a lackey log.
    public static func looksLikeLackey(_ bytes: UnsafeRawBufferPointer) -> Bool {
        var i = 0
        while i < bytes.count && (bytes[i] == 0x0A || bytes[i] == 0x0D) { i += 1 }
        guard i + 3 <= bytes.count else { return false }
        if bytes[i] == UInt8(ascii: "="), bytes[i + 1] == UInt8(ascii: "="), ParseNumber.isDigit(bytes[i + 2]) { return true }
        if bytes[i] == UInt8(ascii: "I"), bytes[i + 1] == 0x20, bytes[i + 2] == 0x20 { return true }
        if bytes[i] == 0x20, [UInt8(ascii: "L"), UInt8(ascii: "S"), UInt8(ascii: "M")].contains(bytes[i + 1]), bytes[i + 2] == 0x20 {
            return true
        }
        return false
    }

    public mutating func feed<S: TraceEventSink>(_ chunk: UnsafeRawBufferPointer, into sink: inout S) throws {
        try feedLines(chunk, into: &sink)
    }

    static let expectedLines = "lackey lines"

    public mutating func finish<S: TraceEventSink>(into sink: inout S) throws {
        if try finishLines(into: &sink) { diagnostics.unterminatedLastLine = true }
        if !sawRecord && diagnostics.malformedLines > 0, let first = diagnostics.malformedExamples.first {
            throw TraceError(
                .unrecognizedFormat, "not a valgrind lackey trace (\(first.reason)); expected lines like ' L 7ff000a38,8'",
                at: InputLocation(file: fileName, line: first.line))
        }
        freeEveryPage(into: &sink)
    }

    /// The end of a process image (the trace's end, or an exec): its pages are freed.
    private mutating func freeEveryPage<S: TraceEventSink>(into sink: inout S) {
        flushInterval(into: &sink)
        for vpage in pages {
            sink.consume(TraceEvent(kind: .pageFree, pid: pid, comm: comm, timestampNs: accesses + 1, order: 0, a: vpage))
        }
        pagesFreedAtEnd += pages.count
        eventCounts["kmem:mm_page_free", default: 0] += pages.count
        pageIndex.removeAll(keepingCapacity: true)
        pages.removeAll(keepingCapacity: true)
        maskLow.removeAll(keepingCapacity: true)
        maskHigh.removeAll(keepingCapacity: true)
        inInterval.removeAll(keepingCapacity: true)
        lastPage = .max
        lastIndex = -1
    }

    mutating func handleLine<S: TraceEventSink>(_ raw: UnsafeRawBufferPointer, offset: UInt64, hasNul: Bool, into sink: inout S) throws {
        diagnostics.lines += 1
        guard let p = raw.baseAddress?.assumingMemoryBound(to: UInt8.self), raw.count > 0 else {
            diagnostics.ignoredLines += 1
            return
        }
        var count = raw.count
        if p[count - 1] == 0x0D { count -= 1 }
        let line = ByteLine(base: p, count: count)
        if hasNul {
            malformed(line, LineSplitter.nulReason(raw))
            return
        }
        if count >= 2 && p[0] == UInt8(ascii: "=") && p[1] == UInt8(ascii: "=") {
            valgrindLine(line, into: &sink)
            return
        }
        if count >= 3 && p[0] == UInt8(ascii: "I") && p[1] == 0x20 {
            instructionFetches += 1
            guard includeInstructionFetches else {
                diagnostics.ignoredLines += 1
                sawRecord = true
                return
            }
        } else if count >= 3 && p[0] == 0x20 && p[2] == 0x20 && (p[1] == UInt8(ascii: "L") || p[1] == UInt8(ascii: "S") || p[1] == UInt8(ascii: "M")) {
            // A data access; loads and stores are treated alike (both touch the line).
        } else if line.skipSpaces(from: 0) == count {
            diagnostics.ignoredLines += 1
            return
        } else {
            malformed(line, "not an 'I', ' L', ' S', ' M' or '==PID==' line")
            return
        }
        let start = line.skipSpaces(from: 2)
        guard let comma = line.firstIndex(of: UInt8(ascii: ","), from: start),
            let address = ParseNumber.hexDigits(line, start, comma),
            let size = ParseNumber.decimal(line, comma + 1, line.skipNonSpaces(from: comma + 1)), size <= 1 << 20
        else {
            malformed(line, "expected 'ADDRESS,SIZE' (hex address, decimal size)")
            return
        }
        sawRecord = true
        let last = address &+ max(size, 1) &- 1
        guard last >= address else {
            malformed(line, "address + size overflows 64 bits")
            return
        }
        accesses += 1
        var page = address >> pageShift
        let lastPageOfAccess = last >> pageShift
        while page <= lastPageOfAccess {
            let pageStart = page << pageShift
            let from = max(address, pageStart)
            let to = min(last, pageStart + UInt64(pageBytes) - 1)
            touch(page: page, firstLine: Int((from - pageStart) >> lineShift), lastLine: Int((to - pageStart) >> lineShift),
                  address: from, into: &sink)
            page += 1
        }
        if accesses % intervalAccesses == 0 { flushInterval(into: &sink) }
    }

    private mutating func touch<S: TraceEventSink>(
        page: UInt64, firstLine: Int, lastLine: Int, address: UInt64, into sink: inout S
    ) {
        var index: Int
        if page == lastPage {
            index = Int(lastIndex)
        } else if let known = pageIndex[page] {
            index = Int(known)
        } else {
            // First touch: a zero-fill fault and its allocation; the faulting line is the fault's touch.
            // The interval's earlier touches go first: a fault's clear must not precede the accesses
            // that came before it, or its evictions would miss the lines they really evict.
            flushInterval(into: &sink)
            index = pages.count
            pageIndex[page] = Int32(index)
            pages.append(page)
            maskLow.append(0)
            maskHigh.append(0)
            inInterval.append(false)
            let t = accesses
            sink.consume(TraceEvent(kind: .pageFault, pid: pid, comm: comm, timestampNs: t, a: address, b: 0, c: 0x6))
            sink.consume(TraceEvent(
                kind: .pageAlloc, pid: pid, comm: comm, timestampNs: t, order: 0, migratetype: 1, flags: [.gfpZero, .gfpUser], a: page))
            eventCounts["exceptions:page_fault_user", default: 0] += 1
            eventCounts["kmem:mm_page_alloc", default: 0] += 1
            lastPage = page
            lastIndex = Int32(index)
            if firstLine == lastLine { return }
            setLines(index, firstLine + 1, lastLine)
            return
        }
        lastPage = page
        lastIndex = Int32(index)
        setLines(index, firstLine, lastLine)
    }

    @inline(__always)
    private mutating func setLines(_ index: Int, _ first: Int, _ last: Int) {
        guard first <= last else { return }
        for line in first...min(last, 127) {
            if line < 64 { maskLow[index] |= 1 << UInt64(line) } else { maskHigh[index] |= 1 << UInt64(line - 64) }
        }
        if !inInterval[index] {
            inInterval[index] = true
            interval.append(Int32(index))
        }
    }

    private mutating func flushInterval<S: TraceEventSink>(into sink: inout S) {
        for i in interval {
            let index = Int(i)
            sink.consume(TraceEvent(
                kind: .touch, pid: pid, comm: comm, timestampNs: accesses, a: pages[index], b: maskLow[index], c: maskHigh[index]))
            maskLow[index] = 0
            maskHigh[index] = 0
            inInterval[index] = false
        }
        eventCounts["lackey:touch", default: 0] += interval.count
        interval.removeAll(keepingCapacity: true)
    }

    /// `==PID==` lines: the pid, and each `Command:` (with `--trace-children=yes`, one per exec:
    /// the old image's pages are freed and the new one's accesses go under its own name).
    private mutating func valgrindLine<S: TraceEventSink>(_ line: ByteLine, into sink: inout S) {
        diagnostics.ignoredLines += 1
        var end = 2
        while end < line.count && ParseNumber.isDigit(line[end]) { end += 1 }
        if let value = ParseNumber.decimal(line, 2, end), value <= UInt64(Int32.max) { pid = Int32(value) }
        if let at = line.find("Command: ", from: end) {
            if !pages.isEmpty { freeEveryPage(into: &sink) }
            let start = at + 9
            let stop = line.skipNonSpaces(from: start)
            var nameStart = start
            for k in start..<stop where line[k] == UInt8(ascii: "/") { nameStart = k + 1 }
            comm = symbols.intern(line.raw(nameStart, stop))
        }
    }

    private mutating func malformed(_ line: ByteLine, _ reason: String) {
        diagnostics.malformedLines += 1
        if diagnostics.malformedExamples.count < TraceDiagnostics.maxExamples {
            diagnostics.malformedExamples.append(.init(line: diagnostics.lines, reason: reason, text: TraceDiagnostics.exampleText(line.raw(0, line.count))))
        }
    }
}
