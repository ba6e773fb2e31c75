#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

/// Reads a valgrind lackey memory trace (`valgrind --tool=lackey --trace-mem=yes`) into events:
/// the first touch of a virtual page becomes a zero-fill fault (error code 0x6) followed by an
/// order-0 `__GFP_ZERO` allocation whose pfn is the page's identity (its virtual page number, and
/// for a process after the first, its process above the highest user page: an identity, as every
/// pfn is to the model), then a touch record of the faulting line marked `touchAtFault` (the
/// fault touched it: counted among the page's lines, not touched again); later accesses become
/// `touch` events carrying each page's touched-line mask per interval of `intervalAccesses`
/// accesses (an interval also ends at each fault, so the order of touches and clears is the
/// program's); a process's pages are freed when it ends (or execs), the rest at the end.
///
/// With `--trace-children=yes` every process valgrind follows into an exec prints a banner
/// (`==PID== Command: ...`, `==PID== Parent PID: PPID`) and, as it ends, lackey's counts ending
/// `==PID== Exit code: N`. Accesses carry no pid: they belong to the process whose `==PID==` line
/// came last, and once a process has ended, to its parent again. A new pid's banner is a new
/// process, with pages of its own (a child's ld.so and stack sit at its parent's addresses); the
/// same pid's is an exec (its old image's pages freed). Processes that run at the same time
/// cannot be told apart, nor a forked child that does not exec from its parent.
///
/// Lines: `I  ADDR,SIZE` (instruction fetch, skipped unless `includeInstructionFetches`),
/// ` L`, ` S`, ` M` (load, store, modify), valgrind's `==PID==`, `--PID--` (`-v`) and `**PID**`
/// (client requests) lines, and `SB ADDR` (`--trace-superblocks=yes`, skipped). An access that
/// straddles a line or page boundary counts on both sides. Timestamps are nominal: one ns per
/// access.
public struct LackeyDecoder: LineDecoder {
    public let pageBytes: Int
    public let lineBytes: Int
    public var intervalAccesses: UInt64
    public var includeInstructionFetches = false
    public let fileName: String
    public var maxLineBytes = 1 << 20

    public private(set) var diagnostics = TraceDiagnostics()
    public private(set) var symbols = SymbolTable()
    public private(set) var accesses: UInt64 = 0
    public private(set) var instructionFetches: UInt64 = 0
    public private(set) var pagesFreedAtEnd = 0
    /// Processes valgrind announced (`Command:` of a new pid), and accesses before any banner.
    public private(set) var processesSeen = 0
    public private(set) var accessesOfNoProcess: UInt64 = 0
    public private(set) var eventCounts: [String: Int] = [:]
    public var textOffset: UInt64 { splitter.offset }

    /// Touch masks hold 128 lines.
    public static let maxLinesPerPage = 128
    private let pageShift: UInt64
    private let lineShift: UInt64
    /// A page's identity: its virtual page number, with its process's slot above the user pages
    /// (user addresses are below 2^57 on every 64-bit Linux).
    private let slotShift: UInt64

    /// One process image: its pages (identity -> index) and their lines in the current interval.
    struct Process {
        var pid: Int32
        var comm: SymbolID
        var parent: Int32?
        var slot: UInt64
        /// Announced by a banner (else the accesses before any: valgrind -q).
        var named = true
        var pageIndex: [UInt64: Int32] = [:]
        var pages: [UInt64] = []
        var maskLow: [UInt64] = []
        var maskHigh: [UInt64] = []
        var inInterval: [Bool] = []
    }
    private var processes: [Process] = []
    /// The live process of each pid valgrind announced.
    private var processOfPid: [Int32: Int] = [:]
    private var current = -1
    private var freeSlots: [UInt64] = []
    private var nextSlot: UInt64 = 0
    private var interval: [Int32] = []
    private var lastPage: UInt64 = .max
    private var lastIndex: Int32 = -1
    var splitter = LineSplitter()
    private var sawRecord = false

    /// Accesses merged into one touch record per page. Small enough that a phase's accesses are
    /// never merged with the next phase's (a line touched twice within it is one access, which
    /// would hit anyway). Measured on traces/l2-pollution-256 by rebuilding with other values: 1
    /// access per interval gives 31,027 L2 misses of touches, 64 gives 31,022, with a third of the
    /// events; 10,000 merges phases and gives 26,544.
    public static let defaultIntervalAccesses: UInt64 = 64

    /// The page and line size a lackey trace `file` is read with: the metadata's page size and L1
    /// data line (4 KiB and 64 B without); an error when they give more lines a page than a touch
    /// mask holds.
    public static func geometry(_ metadata: TraceMetadata?, file: String) throws(TraceError) -> (pageBytes: Int, lineBytes: Int) {
        let page = metadata?.pageSize ?? 4096
        let line = metadata?.caches?.first { $0.level == 1 && $0.type != "Instruction" }?.lineBytes ?? 64
        let pageOK = page >= 512 && page <= 1 << 30 && page & (page - 1) == 0
        let lineOK = line >= 8 && line & (line - 1) == 0 && line <= (pageOK ? page : 4096)
        let (p, l) = (pageOK ? page : 4096, lineOK ? line : 64)
        guard p / l <= maxLinesPerPage else {
            throw TraceError(
                .unrecognizedFormat,
                "the metadata's \(p)-byte pages of \(l)-byte lines are \(p / l) lines a page, more than the \(maxLinesPerPage) a lackey touch record holds",
                at: InputLocation(file: file))
        }
        return (p, l)
    }

    /// `pageBytes / lineBytes` must be at most `maxLinesPerPage` (`geometry`).
    public init(fileName: String, pageBytes: Int = 4096, lineBytes: Int = 64, intervalAccesses: UInt64 = defaultIntervalAccesses) {
        precondition(pageBytes / max(lineBytes, 1) <= Self.maxLinesPerPage && pageBytes >= lineBytes && lineBytes > 0)
        self.fileName = fileName
        self.pageBytes = pageBytes
        self.lineBytes = lineBytes
        self.intervalAccesses = max(1, intervalAccesses)
        pageShift = UInt64(pageBytes.trailingZeroBitCount)
        lineShift = UInt64(lineBytes.trailingZeroBitCount)
        slotShift = 57 - min(pageShift, 56)
    }

    /// True when `bytes` start like a lackey log.
    public static func looksLikeLackey(_ bytes: UnsafeRawBufferPointer) -> Bool {
        var i = 0
        while i < bytes.count && (bytes[i] == 0x0A || bytes[i] == 0x0D) { i += 1 }
        guard i + 3 <= bytes.count else { return false }
        if bytes[i] == UInt8(ascii: "="), bytes[i + 1] == UInt8(ascii: "="), ParseNumber.isDigit(bytes[i + 2]) { return true }
        if bytes[i] == UInt8(ascii: "I"), bytes[i + 1] == 0x20, bytes[i + 2] == 0x20 { return true }
        if bytes[i] == UInt8(ascii: "S"), bytes[i + 1] == UInt8(ascii: "B"), bytes[i + 2] == 0x20 { return true }
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
        flushInterval(into: &sink)
        for index in processes.indices where !processes[index].pages.isEmpty { freePages(of: index, into: &sink) }
    }

    /// The end of a process image (its exit, an exec, or the trace's end): its pages are freed.
    private mutating func freePages<S: TraceEventSink>(of index: Int, into sink: inout S) {
        if index == current { flushInterval(into: &sink) }
        let process = processes[index]
        for page in process.pages {
            sink.consume(TraceEvent(kind: .pageFree, pid: process.pid, comm: process.comm, timestampNs: accesses + 1, order: 0, a: page))
        }
        pagesFreedAtEnd += process.pages.count
        eventCounts["kmem:mm_page_free", default: 0] += process.pages.count
        processes[index].pageIndex.removeAll(keepingCapacity: true)
        processes[index].pages.removeAll(keepingCapacity: true)
        processes[index].maskLow.removeAll(keepingCapacity: true)
        processes[index].maskHigh.removeAll(keepingCapacity: true)
        processes[index].inInterval.removeAll(keepingCapacity: true)
        if index == current {
            lastPage = .max
            lastIndex = -1
        }
    }

    /// Accesses from now on are `index`'s (the interval so far is the process before's).
    private mutating func switchTo<S: TraceEventSink>(_ index: Int, into sink: inout S) {
        guard index != current else { return }
        flushInterval(into: &sink)
        current = index
        lastPage = .max
        lastIndex = -1
    }

    private mutating func newProcess(pid: Int32, comm: SymbolID) -> Int {
        // 2^(64 - 57 + page shift) slots (524,288 with 4 KiB pages); past that, live processes
        // share the last one (none has been seen near it).
        let slot = freeSlots.popLast() ?? { nextSlot = min(nextSlot + 1, UInt64(1) << (64 - slotShift)); return nextSlot - 1 }()
        processes.append(Process(pid: pid, comm: comm, slot: slot))
        return processes.count - 1
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
        if count >= 3 && (p[0] == UInt8(ascii: "=") || p[0] == UInt8(ascii: "-") || p[0] == UInt8(ascii: "*")) && p[1] == p[0]
            && ParseNumber.isDigit(p[2])
        {
            // ==PID== (valgrind's messages), --PID-- (-v), **PID** (a client's VALGRIND_PRINTF).
            if p[0] == UInt8(ascii: "=") { valgrindLine(line, into: &sink) } else { diagnostics.ignoredLines += 1 }
            return
        }
        let isFetch = count >= 3 && p[0] == UInt8(ascii: "I") && p[1] == 0x20
        if isFetch || (count >= 3 && p[0] == 0x20 && p[2] == 0x20 && (p[1] == UInt8(ascii: "L") || p[1] == UInt8(ascii: "S") || p[1] == UInt8(ascii: "M"))) {
            // A data access; loads and stores are treated alike (both touch the line).
        } else if count >= 3 && p[0] == UInt8(ascii: "S") && p[1] == UInt8(ascii: "B") && p[2] == 0x20 {
            // --trace-superblocks=yes: a superblock's address, not an access.
            guard let end = Optional(line.skipNonSpaces(from: 3)), end > 3, ParseNumber.hexDigits(line, 3, end) != nil else {
                malformed(line, "expected 'SB ADDRESS' (hex)")
                return
            }
            diagnostics.ignoredLines += 1
            sawRecord = true
            return
        } else if line.skipSpaces(from: 0) == count {
            diagnostics.ignoredLines += 1
            return
        } else {
            malformed(line, "not an 'I', ' L', ' S', ' M', 'SB' or '==PID==' line")
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
        if isFetch {
            instructionFetches += 1
            guard includeInstructionFetches else {
                diagnostics.ignoredLines += 1
                return
            }
        }
        let last = address &+ max(size, 1) &- 1
        guard last >= address else {
            malformed(line, "address + size overflows 64 bits")
            return
        }
        // Above every 64-bit Linux's user space (57 bits): a page's identity keeps its process there.
        guard last >> 57 == 0 else {
            malformed(line, "address above the 57-bit user address space")
            return
        }
        accesses += 1
        if current < 0 {
            // Before any banner (valgrind -q), or after the last process ended: an unnamed one.
            current = newProcess(pid: 0, comm: symbols.intern(""))
            processes[current].named = false
        }
        if !processes[current].named { accessesOfNoProcess += 1 }
        var page = address >> pageShift
        let lastPageOfAccess = last >> pageShift
        let offsetMask = UInt64(pageBytes - 1)
        while true {
            let pageStart = page << pageShift
            let from = max(address, pageStart)
            let to = min(last, pageStart | offsetMask)  // | not +: the last page of the address space
            touch(page: page, firstLine: Int((from & offsetMask) >> lineShift), lastLine: Int((to & offsetMask) >> lineShift),
                  address: from, into: &sink)
            if page == lastPageOfAccess { break }
            page += 1
        }
        if accesses % intervalAccesses == 0 { flushInterval(into: &sink) }
    }

    private mutating func touch<S: TraceEventSink>(
        page vpage: UInt64, firstLine: Int, lastLine: Int, address: UInt64, into sink: inout S
    ) {
        let p = current
        let page = vpage | processes[p].slot << slotShift
        var index: Int
        if page == lastPage {
            index = Int(lastIndex)
        } else if let known = processes[p].pageIndex[page] {
            index = Int(known)
        } else {
            // First touch: a zero-fill fault and its allocation; the faulting line is the fault's touch.
            // The interval's earlier touches go first: a fault's clear must not precede the accesses
            // that came before it, or its evictions would miss the lines they really evict.
            flushInterval(into: &sink)
            index = processes[p].pages.count
            processes[p].pageIndex[page] = Int32(index)
            processes[p].pages.append(page)
            processes[p].maskLow.append(0)
            processes[p].maskHigh.append(0)
            processes[p].inInterval.append(false)
            let t = accesses
            let (pid, comm) = (processes[p].pid, processes[p].comm)
            sink.consume(TraceEvent(kind: .pageFault, pid: pid, comm: comm, timestampNs: t, a: address, b: 0, c: 0x6))
            sink.consume(TraceEvent(
                kind: .pageAlloc, pid: pid, comm: comm, timestampNs: t, order: 0, migratetype: 1, flags: [.gfpZero, .gfpUser], a: page))
            sink.consume(.faultLine(page: page, line: firstLine, pid: pid, comm: comm, timestampNs: t))
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

    /// Lines `first...last` of the current process's page `index` (both below `maxLinesPerPage`).
    @inline(__always)
    private mutating func setLines(_ index: Int, _ first: Int, _ last: Int) {
        guard first <= last else { return }
        for line in first...last {
            if line < 64 { processes[current].maskLow[index] |= 1 << UInt64(line) } else { processes[current].maskHigh[index] |= 1 << UInt64(line - 64) }
        }
        if !processes[current].inInterval[index] {
            processes[current].inInterval[index] = true
            interval.append(Int32(index))
        }
    }

    private mutating func flushInterval<S: TraceEventSink>(into sink: inout S) {
        guard !interval.isEmpty else { return }
        let p = current
        let (pid, comm) = (processes[p].pid, processes[p].comm)
        for i in interval {
            let index = Int(i)
            sink.consume(TraceEvent(
                kind: .touch, pid: pid, comm: comm, timestampNs: accesses, a: processes[p].pages[index],
                b: processes[p].maskLow[index], c: processes[p].maskHigh[index]))
            processes[p].maskLow[index] = 0
            processes[p].maskHigh[index] = 0
            processes[p].inInterval[index] = false
        }
        eventCounts["lackey:touch", default: 0] += interval.count
        interval.removeAll(keepingCapacity: true)
    }

    /// `==PID==` lines: a new pid's `Command:` starts a process, the same pid's is an exec (its
    /// old image's pages freed); `Parent PID:` names its parent; `Exit code:` (lackey's last line
    /// of a process) ends it, its pages freed, its parent's accesses next; any other line of a
    /// live process makes its accesses the next.
    private mutating func valgrindLine<S: TraceEventSink>(_ line: ByteLine, into sink: inout S) {
        diagnostics.ignoredLines += 1
        var end = 2
        while end < line.count && ParseNumber.isDigit(line[end]) { end += 1 }
        guard end + 1 < line.count, line[end] == UInt8(ascii: "="), line[end + 1] == UInt8(ascii: "="),
            let value = ParseNumber.decimal(line, 2, end), value <= UInt64(Int32.max)
        else { return }
        let pid = Int32(value)
        let text = line.skipSpaces(from: end + 2)
        if line.matches("Command: ", at: text) {
            let comm = Self.programName(line, from: text + 9).withUnsafeBytes { symbols.intern($0) }
            if let index = processOfPid[pid] {
                switchTo(index, into: &sink)  // the interval so far is the process before's, stamped before the frees
                freePages(of: index, into: &sink)  // an exec: the old image is gone
                processes[index].comm = comm
            } else {
                processesSeen += 1
                let index = newProcess(pid: pid, comm: comm)
                processOfPid[pid] = index
                switchTo(index, into: &sink)
            }
            return
        }
        guard let index = processOfPid[pid] else { return }  // a forked child that did not exec: its parent's
        switchTo(index, into: &sink)
        if line.matches("Parent PID: ", at: text) {
            let from = text + 12
            if let parent = ParseNumber.decimal(line, from, line.skipNonSpaces(from: from)), parent <= UInt64(Int32.max) {
                processes[index].parent = Int32(parent)
            }
        } else if line.matches("Exit code:", at: text) {
            freePages(of: index, into: &sink)
            // Never read again: its tables' memory goes (thousands of processes would hold it all).
            processes[index].pageIndex = [:]
            (processes[index].pages, processes[index].maskLow, processes[index].maskHigh, processes[index].inInterval) = ([], [], [], [])
            processOfPid[pid] = nil
            freeSlots.append(processes[index].slot)
            // Its parent's accesses come next, else the newest live process's, else an unnamed one's.
            let next = processes[index].parent.flatMap { processOfPid[$0] } ?? processOfPid.values.max()
            flushInterval(into: &sink)
            current = next ?? -1
            lastPage = .max
            lastIndex = -1
        }
    }

    /// The program's name in a `Command:` line: the last path component of its first word, where
    /// valgrind wrote a space, backslash, `<` or `>` in it as `\` and the character.
    static func programName(_ line: ByteLine, from start: Int) -> [UInt8] {
        var name: [UInt8] = []
        var k = line.skipSpaces(from: start)
        while k < line.count && line[k] != 0x20 {
            if line[k] == UInt8(ascii: "\\") && k + 1 < line.count {
                k += 1
            } else if line[k] == UInt8(ascii: "/") {
                name.removeAll(keepingCapacity: true)
                k += 1
                continue
            }
            name.append(line[k])
            k += 1
        }
        return name
    }

    private mutating func malformed(_ line: ByteLine, _ reason: String) {
        diagnostics.malformedLines += 1
        if diagnostics.malformedExamples.count < TraceDiagnostics.maxExamples {
            diagnostics.malformedExamples.append(.init(line: diagnostics.lines, reason: reason, text: TraceDiagnostics.exampleText(line.raw(0, line.count))))
        }
    }
}
