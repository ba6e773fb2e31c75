/// The two text layouts prezero reads.
public enum TextFormat: String, Sendable, Codable {
    /// `perf script` output: `comm pid[/tid] [cpu] time: system:event: fields`.
    case perfScript = "perf-script"
    /// ftrace `trace`, `trace_pipe` and `trace-cmd report`:
    /// `comm-pid [(tgid)] [cpu] [flags] time: event: fields`.
    case ftrace = "ftrace"
}

/// What one line turned out to be.
public enum LineOutcome: Equatable, Sendable {
    /// A known event was decoded into the output event.
    case event
    /// A header, comment, blank line or other record that carries no event.
    case ignored
    /// A well-formed event line of a tracepoint prezero does not use (counted by name).
    case unknownEvent
    /// A lost-events record; the output event is a `.lost` event.
    case lost
    /// Not a trace line, or a known event with fields prezero cannot read.
    case malformed(reason: String)
}

/// Parses one line of `perf script` or ftrace text into a `TraceEvent`, from bytes.
///
/// The line layout is anchored on the ` [NNN] ` cpu column and parsed outward, because the
/// comm on its left may contain spaces and dashes. Both layouts are accepted on every line;
/// `format` records the layout of the first event line and `mixedFormatLines` counts lines in
/// the other one.
public struct TextLineParser {
    /// tracefs's `options/fields` prints every value as `0x... (decimal)` and gfp_flags as a
    /// number: not read, and the whole trace refused (its page events would all be malformed).
    public static let fieldsLayoutReason = "tracefs's options/fields layout ('order=0x0 (0)', gfp_flags as a number) is not read; capture with it off (echo 0 > /sys/kernel/tracing/options/fields)"

    public var symbols = SymbolTable()
    /// Layout of the first event line; nil until one is seen.
    public private(set) var format: TextFormat?
    public private(set) var mixedFormatLines = 0
    /// Lines per known event name, indexed by `KnownEvent.rawValue`.
    public private(set) var knownEventCounts = [Int](repeating: 0, count: KnownEvent.allCases.count)
    /// Lines per unknown event name: symbol id -> count.
    public private(set) var unknownEventCounts: [SymbolID: Int] = [:]
    /// Mask of `__GFP_ZERO` in raw-hex gfp flags (bit 8 in the layout of 5.x-6.13 kernels).
    public var gfpZeroMask: UInt64 = 0x100

    private var unknownNames = SymbolTable()
    private let eventTable = KnownEventTable()
    private let keys = FieldKeys()
    /// Per gfp symbol id: what `GFPClass` found in its text, nil until seen.
    private var gfpClassBySymbol: [EventFlags?] = []

    public init() {}

    /// Names of unknown events with their line counts.
    public var unknownEvents: [String: Int] {
        var result: [String: Int] = [:]
        for (id, count) in unknownEventCounts { result[unknownNames.name(id), default: 0] += count }
        return result
    }

    /// Parses `line` (without its newline) into `event`.
    public mutating func parse(_ raw: UnsafeRawBufferPointer, into event: inout TraceEvent) -> LineOutcome {
        guard let base = raw.baseAddress, raw.count > 0 else { return .ignored }
        var count = raw.count
        let bytes = base.assumingMemoryBound(to: UInt8.self)
        if bytes[count - 1] == 0x0D { count -= 1 }  // CRLF
        return parse(ByteLine(base: bytes, count: count), into: &event)
    }

    @usableFromInline
    mutating func parse(_ line: ByteLine, into event: inout TraceEvent) -> LineOutcome {
        let first = line.skipSpaces(from: 0)
        if first == line.count { return .ignored }
        let lead = line[first]
        // The tools' own lines (ftrace's and perf script --header's `#` comments, trace-cmd
        // report's `cpus=` and `version =`) start at column 0; a comm is right-aligned, so one
        // that starts the same way (a thread named `#1` or `cpus=2` by prctl) is a record.
        if first == 0 {
            if lead == UInt8(ascii: "#") {
                if let lost = Self.overwrittenEntries(line) {
                    event = TraceEvent(kind: .lost, cpu: 0, a: lost)
                    return .lost
                }
                return .ignored
            }
            if lead == UInt8(ascii: "c") && line.matches("cpus=", at: first) { return .ignored }
            if lead == UInt8(ascii: "v") && line.matches("version =", at: first) { return .ignored }
        }
        // A sample's callchain in `perf script` (recorded with -g), a tab and an address a line;
        // a stack trace in ftrace (options/stacktrace, the stacktrace trigger), ` => ` a frame.
        if line[0] == 0x09 { return .ignored }
        if lead == UInt8(ascii: "=") && line.matches("=> ", at: first) { return .ignored }
        if lead == UInt8(ascii: "C") && line.matches("CPU:", at: first)
            && (line.find("[LOST ", from: first) != nil || line.find("EVENTS DROPPED]", from: first) != nil) {
            return parseFtraceLost(line, first, &event)
        }

        // The cpu column: the first " [digits]" followed by a space.
        if let column = findCPUColumn(line, from: first) {
            let outcome = parseRecord(line, first, column, commWidth: 16, into: &event)
            // A latency-format line's first " [digits] " may be in its fields (sched_switch's
            // `[prio]`): read it again by its latency column, if one comes before.
            if case .malformed = outcome, let latency = Self.findLatencyCPU(line, from: first), latency.0 < column.0 {
                return parseRecord(line, first, latency, commWidth: 8, into: &event)
            }
            return outcome
        }
        if let latency = Self.findLatencyCPU(line, from: first) { return parseRecord(line, first, latency, commWidth: 8, into: &event) }
        if let lost = Self.lostAfterBufferName(line, first) { return parseFtraceLost(line, lost, &event) }
        if ParseNumber.isDigit(lead), let type = line.find(" type: ", from: first), ParseNumber.isDigit(line[min(type + 7, line.count - 1)]) {
            // `4423 1 81177462645696 type: 653`, or the same in hex.
            return .malformed(reason: "ftrace's raw output (tracefs options/raw, hex or bin) prints event ids, not names and fields; capture with those options off")
        }
        if let at = line.find("kmem:mm_page_", from: first) ?? line.find("exceptions:page_fault_", from: first) ?? line.find("sched:sched_", from: first),
            let open = line.firstIndex(of: UInt8(ascii: "("), from: at), line.skipNonSpaces(from: at) > open {
            // `0.432 :12024/12024 kmem:mm_page_alloc(pfn: 1064467, gfp_flags: 4459968)`.
            return .malformed(reason: "perf trace output, which has no cpu and leaves out fields that are 0; record with perf record -a and give prezero the perf.data (or its perf script text)")
        }
        if Self.rawTimestampAfterCPU(line, from: first) {
            // `bash-8175  [000]717260473961: page_fault_user: ...`.
            return .malformed(
                reason: "trace-cmd report --raw-ts output, or a clock trace-cmd prints as a raw count (boot, x86-tsc): a raw ring-buffer "
                    + "clock after the cpu column, nanoseconds on the local, global, mono or boot clocks but cycles on x86-tsc, which the "
                    + "text does not say; give prezero the trace.dat, which names its clock, or print without --raw-ts (-t for nanoseconds)")
        }
        return .malformed(reason: "no ' [CPU] ' column")
    }

    /// Events the ring buffer overwrote, from the `trace` file's header `# entries-in-buffer/
    /// entries-written: A/B   #P:N` (trace.c `print_event_info`: B is A plus the overrun,
    /// `get_total_entries`); the `trace_pipe` file says the same per CPU as `CPU:N [LOST M
    /// EVENTS]`. nil for another line, or none overwritten.
    static func overwrittenEntries(_ line: ByteLine) -> UInt64? {
        let label: StaticString = "# entries-in-buffer/entries-written: "
        guard line.matches(label, at: 0) else { return nil }
        let start = label.utf8CodeUnitCount
        guard let slash = line.firstIndex(of: UInt8(ascii: "/"), from: start), let entries = ParseNumber.decimal(line, start, slash) else {
            return nil
        }
        guard let written = ParseNumber.decimal(line, slash + 1, line.skipNonSpaces(from: slash + 1)), written > entries else { return nil }
        return written - entries
    }

    /// A ` [digits]` column with digits and a ':' right after it, no space between: `trace-cmd
    /// report --raw-ts` (trace-read.c prints `%llu` there, no width).
    static func rawTimestampAfterCPU(_ line: ByteLine, from: Int) -> Bool {
        guard var open = line.find(" [", from: from) else { return false }
        while true {
            var close = open + 2
            while close < line.count && ParseNumber.isDigit(line[close]) { close += 1 }
            if close > open + 2, close + 1 < line.count, line[close] == UInt8(ascii: "]"), ParseNumber.isDigit(line[close + 1]) {
                let end = line.skipNonSpaces(from: close + 1)
                return line[end - 1] == UInt8(ascii: ":") && ParseNumber.decimal(line, close + 1, end - 1) != nil
            }
            guard let next = line.find(" [", from: open + 1) else { return false }
            open = next
        }
    }

    /// A record line whose cpu column is `column` (the '[' and ']' indexes and the cpu, or the
    /// first and last digit of a latency-format cpu); `commWidth`: the columns the comm is
    /// right-aligned in (16, or 8 in the latency format).
    @inline(__always)
    mutating func parseRecord(_ line: ByteLine, _ first: Int, _ column: (Int, Int, UInt32), commWidth: Int, into event: inout TraceEvent) -> LineOutcome {
        let (cpuOpen, cpuClose, cpu) = column
        // Left of the cpu column: comm and pid (and optional tid or tgid).
        var leftEnd = cpuOpen
        while leftEnd > first && line[leftEnd - 1] == 0x20 { leftEnd -= 1 }
        if leftEnd > first && line[leftEnd - 1] == UInt8(ascii: ")") {
            // ftrace record-tgid column `(  tgid)`.
            var open = leftEnd - 1
            while open > first && line[open] != UInt8(ascii: "(") { open -= 1 }
            guard line[open] == UInt8(ascii: "(") else { return .malformed(reason: "unbalanced '(tgid)' column") }
            leftEnd = open
            while leftEnd > first && line[leftEnd - 1] == 0x20 { leftEnd -= 1 }
        }
        var digitsStart = leftEnd
        while digitsStart > first && ParseNumber.isDigit(line[digitsStart - 1]) { digitsStart -= 1 }
        guard digitsStart < leftEnd, let lastNumber = ParseNumber.decimal(line, digitsStart, leftEnd) else {
            return .malformed(reason: "no pid before the cpu column")
        }
        var pidValue = lastNumber
        var separator = digitsStart - 1
        // perf prints -1 for the tid (and pid) of a sample of a task that has died (perf_event_tid
        // has no pid left for it), comm `:-1`: its last sched_switch, prev_state X. `:-1    -1`
        // (the default comm,tid), `5830/-1` or `-1/-1` (pid,tid). A switch is then prev_pid's.
        /// Whether `line[minus]` is a `-` that starts a token (a `-1`, not a comm's `name-1`).
        func tokenMinus(_ minus: Int) -> Bool {
            minus >= first && line[minus] == UInt8(ascii: "-")
                && (minus == first || line[minus - 1] == 0x20 || line[minus - 1] == UInt8(ascii: "/"))
        }
        let tidUnknown = lastNumber == 1 && leftEnd == digitsStart + 1 && tokenMinus(digitsStart - 1)
        var pidUnknown = false
        if tidUnknown { separator -= 1 }
        if separator > first && line[separator] == UInt8(ascii: "/") {
            // perf `-F pid,tid`: pid/tid. Keep the tid: the task the event happened in.
            var pidStart = separator
            while pidStart > first && ParseNumber.isDigit(line[pidStart - 1]) { pidStart -= 1 }
            guard pidStart < separator, let pid = ParseNumber.decimal(line, pidStart, separator) else {
                return .malformed(reason: "bad pid/tid")
            }
            if tidUnknown && pid == 1 && pidStart == separator - 1 && tokenMinus(pidStart - 1) {
                pidUnknown = true  // -1/-1
                pidStart -= 1
            }
            separator = pidStart - 1
            pidValue = !tidUnknown ? lastNumber : pidUnknown ? 0 : pid
        } else if tidUnknown {
            pidUnknown = true
            pidValue = 0
        }
        let lineFormat: TextFormat
        let commEnd: Int
        if separator >= first && line[separator] == UInt8(ascii: "-") {
            lineFormat = .ftrace
            commEnd = separator
        } else if separator >= first && line[separator] == 0x20 {
            lineFormat = .perfScript
            var end = separator
            while end > first && line[end - 1] == 0x20 { end -= 1 }
            commEnd = end
        } else if separator < first {
            // perf prints an empty comm as nothing: just the pid.
            lineFormat = .perfScript
            commEnd = first
        } else {
            return .malformed(reason: "pid not separated from comm by '-' or a space")
        }
        var commStart = line.skipSpaces(from: first)
        if lineFormat == .ftrace { commStart = Self.afterBufferName(line, commStart, commEnd, width: commWidth) }

        // Right of the cpu column: optional ftrace flags, the timestamp, the event name.
        var i = line.skipSpaces(from: cpuClose + 1)
        var tokenEnd = line.skipNonSpaces(from: i)
        if tokenEnd > i && line[tokenEnd - 1] != UInt8(ascii: ":") {
            // ftrace irq-info flags (`d..4.`, `d.h3`); skip.
            i = line.skipSpaces(from: tokenEnd)
            tokenEnd = line.skipNonSpaces(from: i)
        }
        var timestamp: UInt64
        if tokenEnd > i + 1, line[tokenEnd - 1] == UInt8(ascii: ":"), let stamp = ParseNumber.timestampNs(line, i, tokenEnd - 1) {
            timestamp = stamp
        } else if commWidth == 8, let (stamp, end) = Self.latencyTime(line, i) {
            timestamp = stamp
            tokenEnd = end
        } else {
            if tokenEnd > i + 1, line[tokenEnd - 1] == UInt8(ascii: ":"), ParseNumber.decimal(line, i, tokenEnd - 1) != nil {
                // ftrace's x86-tsc, uptime and counter clocks print a count, not seconds.
                return .malformed(
                    reason: "a timestamp with no fraction: the capture's trace_clock counts cycles, ticks or events (x86-tsc, uptime, counter), "
                        + "which prezero does not convert; capture with trace_clock local, global or mono (tools/capture-ftrace.sh does)")
            }
            return .malformed(reason: "no 'SECONDS.FRACTION:' timestamp after the cpu column")
        }

        i = line.skipSpaces(from: tokenEnd)
        if i + 1 < line.count && line[i] == UInt8(ascii: "(") && line[i + 1] == UInt8(ascii: "+") {
            // trace-cmd report --ts-diff: `(+NANOSECONDS)` since the record before.
            i = line.skipSpaces(from: line.skipNonSpaces(from: i))
        } else if i < line.count && ParseNumber.isDigit(line[i]) {
            // perf script -F +period: the sample's period (an event name starts with a letter).
            let end = line.skipNonSpaces(from: i)
            if ParseNumber.decimal(line, i, end) != nil { i = line.skipSpaces(from: end) }
        }
        // Event name: up to a ':' that ends the token.
        let nameStart = i
        var nameEnd = -1
        var prefixEnd = nameStart  // start of the name without `system:`
        let nameTokenEnd = line.skipNonSpaces(from: i)
        if nameTokenEnd > nameStart && line[nameTokenEnd - 1] == UInt8(ascii: ":") {
            nameEnd = nameTokenEnd - 1
            var j = nameStart
            while j < nameEnd {
                if line[j] == UInt8(ascii: ":") { prefixEnd = j + 1 }
                j += 1
            }
        }
        if nameEnd < 0 {
            // The record a stack trace's frames follow (kernel_stack, user_stack events).
            if line.matches("<stack trace>", at: nameStart) || line.matches("<user stack trace>", at: nameStart) { return .ignored }
            if line.matches("PERF_RECORD_LOST", at: nameStart) {
                return parsePerfLost(line, nameStart, timestamp, cpu, &event)
            }
            if line.matches("PERF_RECORD_", at: nameStart) { return .ignored }
            return .malformed(reason: "no 'event:' name after the timestamp")
        }
        let hasSystemPrefix = prefixEnd > nameStart
        noteLayout((lineFormat == .perfScript || hasSystemPrefix) ? .perfScript : .ftrace)

        guard let known = eventTable.lookup(line, prefixEnd, nameEnd) else {
            let id = unknownNames.intern(line.raw(nameStart, nameEnd))
            unknownEventCounts[id, default: 0] += 1
            return .unknownEvent
        }

        guard pidValue <= UInt64(Int32.max) else { return .malformed(reason: "pid out of range") }
        event = TraceEvent(
            kind: known.kind, cpu: cpu, pid: Int32(pidValue),
            comm: symbols.intern(line.raw(commStart, commEnd)),
            timestampNs: timestamp)
        let fieldsStart = line.skipSpaces(from: nameEnd + 1)
        let outcome = parseFields(known, line, fieldsStart, &event)
        // A switch runs in the task leaving the CPU: with tid -1, prev_pid is the thread (the
        // pid column is its process's, when there is one). A page given back needs no task (a
        // dying task's last frees; perf kmem counts them): it names none (pid -1). Another event
        // has no task to name.
        if tidUnknown && outcome == .event {
            if event.kind == .schedSwitch && (0...Int64(Int32.max)).contains(event.prevPid) {
                event.pid = Int32(event.prevPid)
            } else if pidUnknown {
                guard event.kind == .pageFree || event.kind == .pageFreeBatched || event.kind == .pagePcpuDrain else {
                    return .malformed(reason: "a sample of a task that had died (perf prints its tid as -1): no task to give it")
                }
                event.pid = TraceEvent.noTask
            }
        }
        if outcome == .event { knownEventCounts[known.rawValue] += 1 }
        return outcome
    }

    /// Counts an event line of `known` in `layout` that was decoded elsewhere (a binary-trace
    /// helper's EVENT frame), as `parse` counts the lines it decodes.
    @inline(__always)
    mutating func countDecoded(_ known: KnownEvent, layout: TextFormat) {
        noteLayout(layout)
        knownEventCounts[known.rawValue] += 1
    }

    /// The id `parse` counts the lines of the unknown event `name` under.
    mutating func unknownEventID(_ name: UnsafeRawBufferPointer) -> SymbolID { unknownNames.intern(name) }

    /// Counts an event line of the unknown event `id` (`unknownEventID`) in `layout` that was read
    /// elsewhere (a binary-trace helper's OTHER frame), as `parse` counts such a line.
    mutating func countUnknown(_ id: SymbolID, layout: TextFormat) {
        noteLayout(layout)
        unknownEventCounts[id, default: 0] += 1
    }

    /// An event line in `layout`: the first sets `format`, the others in another layout are mixed.
    @inline(__always)
    private mutating func noteLayout(_ layout: TextFormat) {
        if let format {
            if format != layout { mixedFormatLines += 1 }
        } else {
            format = layout
        }
    }

    /// What a `gfp_flags=` value of `text` sets in an event: its flags and its gfp payload
    /// (`gfpRaw` in `b` for raw hex, the interned text in `c` otherwise).
    mutating func gfpFields(text: UnsafeRawBufferPointer) -> (flags: EventFlags, b: UInt64, c: UInt64) {
        var event = TraceEvent(kind: .pageAlloc)
        guard let base = text.baseAddress, text.count > 0 else { return ([], 0, 0) }
        parseGFP(ByteLine(base: base.assumingMemoryBound(to: UInt8.self), count: text.count), 0, text.count, &event)
        return (event.flags, event.b, event.c)
    }

    /// Where the comm of an ftrace line starts when `trace-cmd report` put a buffer's name before
    /// it: with instance buffers (`record -B NAME`) or several input files it prints `NAME: `
    /// (trace-read.c `print_handle_file`) and then the comm right-aligned in `width` columns (16,
    /// or 8 truncated with `-l`); a kernel comm is at most 15 bytes, so a comm never starts with
    /// such a token. `start` otherwise.
    static func afterBufferName(_ line: ByteLine, _ start: Int, _ commEnd: Int, width: Int) -> Int {
        guard commEnd - start > width + 2 else { return start }  // an ordinary comm: no scan
        let tokenEnd = line.skipNonSpaces(from: start)
        guard tokenEnd > start + 1, tokenEnd < commEnd, line[tokenEnd - 1] == UInt8(ascii: ":"), line[tokenEnd] == 0x20 else { return start }
        let field = tokenEnd + 1
        guard commEnd - field == width else { return start }
        return line.skipSpaces(from: field)
    }

    /// `NAME: CPU:N [...]`: a buffer's lost events in `trace-cmd report` (`afterBufferName`).
    static func lostAfterBufferName(_ line: ByteLine, _ first: Int) -> Int? {
        let tokenEnd = line.skipNonSpaces(from: first)
        guard tokenEnd > first + 1, tokenEnd < line.count, line[tokenEnd - 1] == UInt8(ascii: ":") else { return nil }
        let next = line.skipSpaces(from: tokenEnd)
        return line.matches("CPU:", at: next) ? next : nil
    }

    /// Finds ` [NNN] ` scanning from `from`; returns the '[' index, the ']' index and the cpu.
    @inline(__always)
    private func findCPUColumn(_ line: ByteLine, from: Int) -> (Int, Int, UInt32)? {
        var i = from
        while let open = line.firstIndex(of: UInt8(ascii: "["), from: i) {
            i = open + 1
            guard open > from, line[open - 1] == 0x20 else { continue }
            var close = open + 1
            while close < line.count && ParseNumber.isDigit(line[close]) { close += 1 }
            guard close > open + 1, close < line.count, line[close] == UInt8(ascii: "]"),
                close + 1 < line.count, line[close + 1] == 0x20,
                let cpu = ParseNumber.decimal(line, open + 1, close), cpu <= UInt64(UInt32.max)
            else { continue }
            return (open, close, UInt32(cpu))
        }
        return nil
    }

    /// `trace-cmd report -l` (latency format, trace-read.c `trace_show_data`): `%8.8s-%-5d %3d`
    /// comm, pid and cpu, the irq flags right after the cpu (`1d....`), then the time: finds the
    /// cpu as ` DIGITS` followed by flags, a space and `SECONDS.FRACTION:`. Returns the cpu's
    /// first and last index (as `findCPUColumn` returns its brackets) and the cpu. Read only when
    /// a line has no ` [NNN] ` column.
    static func findLatencyCPU(_ line: ByteLine, from: Int) -> (Int, Int, UInt32)? {
        var i = from + 1
        while i < line.count {
            defer { i += 1 }
            guard line[i - 1] == 0x20, ParseNumber.isDigit(line[i]) else { continue }
            var digitsEnd = i
            while digitsEnd < line.count && ParseNumber.isDigit(line[digitsEnd]) { digitsEnd += 1 }
            let flagsEnd = line.skipNonSpaces(from: digitsEnd)
            guard flagsEnd > digitsEnd, flagsEnd < line.count, line[flagsEnd - 1] != UInt8(ascii: ":") else { continue }
            // The flags are trace_output.c's characters (irqs-off, need-resched, hard/soft irq,
            // preempt and migrate-disable depths), never perf's `pid/tid` slash.
            guard (digitsEnd..<flagsEnd).allSatisfy({ Self.isLatencyFlag(line[$0]) }) else { continue }
            let time = line.skipSpaces(from: flagsEnd)
            let timeEnd = line.skipNonSpaces(from: time)
            // A count without a fraction too: parseRecord then names the clock that prints one.
            let stamped = timeEnd > time + 1 && line[timeEnd - 1] == UInt8(ascii: ":")
                && (ParseNumber.timestampNs(line, time, timeEnd - 1) != nil || ParseNumber.decimal(line, time, timeEnd - 1) != nil)
            guard stamped || latencyTime(line, time) != nil, let cpu = ParseNumber.decimal(line, i, digitsEnd), cpu <= UInt64(UInt32.max)
            else { continue }
            return (i, digitsEnd - 1, UInt32(cpu))
        }
        return nil
    }

    /// A character of the latency format's flags (trace_output.c `trace_print_lat_fmt`): `d`,
    /// `D`, `b`, `X` (irqs off), `B`, `N`, `L`, `b`, `n`, `p`, `l` (need resched, the lazy ones
    /// since 6.13 and PREEMPT_RT's), `Z`, `z`, `H`, `h`, `s` (irq context), a hex depth, or `.`.
    static func isLatencyFlag(_ c: UInt8) -> Bool {
        switch c {
        case UInt8(ascii: "."), UInt8(ascii: "0")...UInt8(ascii: "9"), UInt8(ascii: "a")...UInt8(ascii: "f"),
            UInt8(ascii: "D"), UInt8(ascii: "X"), UInt8(ascii: "B"), UInt8(ascii: "N"), UInt8(ascii: "L"), UInt8(ascii: "n"),
            UInt8(ascii: "p"), UInt8(ascii: "l"), UInt8(ascii: "Z"), UInt8(ascii: "z"), UInt8(ascii: "H"), UInt8(ascii: "h"),
            UInt8(ascii: "s"):
            return true
        default:
            return false
        }
    }

    /// The kernel's latency format (tracefs options/latency-format; trace_output.c
    /// `lat_print_timestamp`): ` %4lldus%c: `, microseconds since the buffer was reset and a
    /// mark for a long gap to the next record (`+`, `!`, `#`, ...; a space for none). Returns the
    /// time in ns and the index after its ':'.
    static func latencyTime(_ line: ByteLine, _ start: Int) -> (UInt64, Int)? {
        var i = start
        while i < line.count && ParseNumber.isDigit(line[i]) { i += 1 }
        guard i > start, line.matches("us", at: i), let micros = ParseNumber.decimal(line, start, i) else { return nil }
        i += 2
        if i < line.count && line[i] != UInt8(ascii: ":") { i += 1 }  // the mark
        guard i < line.count, line[i] == UInt8(ascii: ":") else { return nil }
        let (ns, overflow) = micros.multipliedReportingOverflow(by: 1000)
        return overflow ? nil : (ns, i + 1)
    }

    // MARK: Fields

    /// Iterates `key=value` pairs. A value runs to the next space that starts another
    /// `identifier=` token, so comms and filenames with spaces stay whole.
    @inline(__always)
    private func nextField(_ line: ByteLine, _ i: inout Int) -> (keyStart: Int, keyEnd: Int, valueStart: Int, valueEnd: Int)? {
        i = line.skipSpaces(from: i)
        guard i < line.count else { return nil }
        let keyStart = i
        while i < line.count && line[i] != UInt8(ascii: "=") && line[i] != 0x20 { i += 1 }
        if i == line.count || line[i] == 0x20 {
            // A token without '=': skip it.
            return nextField(line, &i)
        }
        let keyEnd = i
        let valueStart = i + 1
        var k = valueStart
        while k < line.count {
            if line[k] == 0x20 && startsField(line, k + 1) { break }
            k += 1
        }
        i = k
        var valueEnd = k
        while valueEnd > valueStart && line[valueEnd - 1] == 0x20 { valueEnd -= 1 }
        return (keyStart, keyEnd, valueStart, valueEnd)
    }

    /// Iterates `key=value` pairs whose values hold no spaces (page and fault events).
    @inline(__always)
    private func nextSimpleField(_ line: ByteLine, _ i: inout Int) -> (keyStart: Int, keyEnd: Int, valueStart: Int, valueEnd: Int)? {
        while true {
            while i < line.count && line[i] == 0x20 { i += 1 }
            guard i < line.count else { return nil }
            let keyStart = i
            while i < line.count && line[i] != UInt8(ascii: "=") && line[i] != 0x20 { i += 1 }
            guard i < line.count, line[i] == UInt8(ascii: "=") else { continue }  // token without '='
            let keyEnd = i
            let valueStart = i + 1
            i = line.skipNonSpaces(from: valueStart)
            return (keyStart, keyEnd, valueStart, i)
        }
    }

    @inline(__always)
    private func startsField(_ line: ByteLine, _ i: Int) -> Bool {
        var k = i
        while k < line.count {
            let c = line[k]
            if c == UInt8(ascii: "=") { return k > i }
            let identifier = (c | 0x20) &- 0x61 < 26 || ParseNumber.isDigit(c) || c == UInt8(ascii: "_")
            if !identifier { return false }
            k += 1
        }
        return false
    }

    private mutating func parseFields(_ known: KnownEvent, _ line: ByteLine, _ start: Int, _ event: inout TraceEvent) -> LineOutcome {
        switch known.kind {
        case .pageAlloc, .pageFree, .pageFreeBatched, .pageAllocZoneLocked, .pagePcpuDrain:
            return parsePageFields(known, line, start, &event)
        case .pageFault:
            return parseFaultFields(known, line, start, &event)
        case .schedSwitch, .processExec, .processFork, .processExit:
            return parseSchedFields(line, start, &event)
        case .rssStat:
            return parseCounterFields(line, start, &event)
        case .lost, .touch:
            return .malformed(reason: "unexpected record kind")
        }
    }

    private mutating func parsePageFields(_ known: KnownEvent, _ line: ByteLine, _ start: Int, _ event: inout TraceEvent) -> LineOutcome {
        var i = start
        var sawPfn = false
        var sawOrder = false
        while let f = nextSimpleField(line, &i) {
            if keys.pfn.matches(line, f.keyStart, f.keyEnd) {
                guard let pfn = ParseNumber.hexOrDecimal(line, f.valueStart, f.valueEnd) else {
                    return .malformed(reason: ParseNumber.problem("pfn", line, f.valueStart, f.valueEnd))
                }
                // 52 physical address bits (x86-64 5-level paging, arm64 LPA) over 4 KiB pages.
                guard pfn < 1 << 40 else {
                    return .malformed(reason: "pfn 0x\(String(pfn, radix: 16)) is beyond a 52-bit physical address space")
                }
                event.pfn = pfn
                sawPfn = true
            } else if keys.order.matches(line, f.keyStart, f.keyEnd) {
                guard let order = ParseNumber.signedDecimal(line, f.valueStart, f.valueEnd), order >= 0, order < 64 else {
                    // `order=0x0 (0)`: tracefs's options/fields layout, gfp_flags a number too.
                    if line.matches("0x", at: f.valueStart), line.find(" (", from: f.valueStart) == f.valueEnd {
                        return .malformed(reason: Self.fieldsLayoutReason)
                    }
                    return .malformed(reason: "order is not a number in 0...63")
                }
                event.order = UInt8(order)
                sawOrder = true
            } else if keys.migratetype.matches(line, f.keyStart, f.keyEnd) {
                guard let migratetype = ParseNumber.signedDecimal(line, f.valueStart, f.valueEnd),
                    migratetype >= -1, migratetype <= 127
                else { return .malformed(reason: "migratetype outside -1...127") }
                event.migratetype = Int8(migratetype)
            } else if keys.gfpFlags.matches(line, f.keyStart, f.keyEnd) {
                parseGFP(line, f.valueStart, f.valueEnd, &event)
            }
        }
        // mm_page_free_batched has no order field: always 0.
        if !sawOrder && known != .mmPageFreeBatched && known != .mmPagevecFree {
            return .malformed(reason: "missing order=")
        }
        guard sawPfn else { return .malformed(reason: "missing pfn=") }
        // A failed allocation prints pfn 0 (the record holds -1).
        if known == .mmPageAlloc && event.pfn == 0 { event.flags.insert(.allocFailed) }
        return .event
    }

    @inline(__always)
    private mutating func parseGFP(_ line: ByteLine, _ start: Int, _ end: Int, _ event: inout TraceEvent) {
        if end - start > 2 && line[start] == 0x30 && line[start + 1] | 0x20 == UInt8(ascii: "x") {
            // Raw hex (kernels between 772dd0342727c and 60295b944ff6).
            let bits = ParseNumber.hexDigits(line, start + 2, end) ?? 0
            event.flags.insert(.gfpIsRaw)
            event.gfpRaw = bits
            event.flags.formUnion(GFPClass.flags(raw: bits, zeroMask: gfpZeroMask))
            return
        }
        let text = line.raw(start, end)
        let id = symbols.intern(text)
        event.gfpSymbol = id
        // What this flag text says is decided once per distinct text.
        let slot = Int(id)
        if slot < gfpClassBySymbol.count, let known = gfpClassBySymbol[slot] {
            event.flags.formUnion(known)
            return
        }
        let flags = GFPClass.flags(text: text)
        if slot >= gfpClassBySymbol.count {
            gfpClassBySymbol.append(contentsOf: repeatElement(nil, count: slot + 1 - gfpClassBySymbol.count))
        }
        gfpClassBySymbol[slot] = flags
        event.flags.formUnion(flags)
    }

    private mutating func parseFaultFields(_ known: KnownEvent, _ line: ByteLine, _ start: Int, _ event: inout TraceEvent) -> LineOutcome {
        if known == .pageFaultKernel { event.flags.insert(.kernelFault) }
        var i = start
        var sawCode = false
        while let f = nextSimpleField(line, &i) {
            if keys.address.matches(line, f.keyStart, f.keyEnd) {
                // `%ps` prints a symbol only for a kernel address (`address=init_task+0x40`): one
                // in the kernel half, never a user page's.
                event.address = ParseNumber.hexOrDecimal(line, f.valueStart, f.valueEnd) ?? .max
            } else if keys.ip.matches(line, f.keyStart, f.keyEnd) {
                if let ip = ParseNumber.hexOrDecimal(line, f.valueStart, f.valueEnd) {
                    event.ip = ip
                } else {
                    event.flags.insert(.symbolicIP)  // `ip=__put_user_4`
                }
            } else if keys.errorCode.matches(line, f.keyStart, f.keyEnd) {
                guard let code = ParseNumber.hexOrDecimal(line, f.valueStart, f.valueEnd) else {
                    return .malformed(reason: ParseNumber.problem("error_code", line, f.valueStart, f.valueEnd))
                }
                event.errorCode = code
                sawCode = true
            }
        }
        return sawCode ? .event : .malformed(reason: "missing error_code=")
    }

    /// `mm_id=%u curr=%d type=%s size=%ldB` (the member's name through `__print_symbolic`; the
    /// first kernels with the event printed `member=%d`). A member a kernel has no name for
    /// prints as hex (`type=0x4`), kept as its number.
    private func parseCounterFields(_ line: ByteLine, _ start: Int, _ event: inout TraceEvent) -> LineOutcome {
        var i = start
        var sawMember = false
        var sawSize = false
        while let f = nextSimpleField(line, &i) {
            let key = (f.keyStart, f.keyEnd)
            if line.equals("mm_id", start: key.0, end: key.1) {
                event.counterMM = ParseNumber.decimal(line, f.valueStart, f.valueEnd) ?? 0
            } else if line.equals("curr", start: key.0, end: key.1) {
                event.counterOfCurrentMM = ParseNumber.decimal(line, f.valueStart, f.valueEnd) == 1
            } else if line.equals("type", start: key.0, end: key.1) || line.equals("member", start: key.0, end: key.1) {
                let (s, e) = (f.valueStart, f.valueEnd)
                let member: TraceEvent.CounterMember? =
                    line.equals("MM_FILEPAGES", start: s, end: e) ? .filePages
                    : line.equals("MM_ANONPAGES", start: s, end: e) ? .anonPages
                    : line.equals("MM_SWAPENTS", start: s, end: e) ? .swapEntries
                    : line.equals("MM_SHMEMPAGES", start: s, end: e) ? .shmemPages : nil
                if let member {
                    event.counterMemberNumber = member.rawValue
                } else if let number = ParseNumber.hexOrDecimal(line, s, e), number < 256 {
                    event.counterMemberNumber = UInt8(number)
                } else {
                    return .malformed(reason: "rss_stat type is not one of MM_FILEPAGES, MM_ANONPAGES, MM_SWAPENTS, MM_SHMEMPAGES or a number")
                }
                sawMember = true
            } else if line.equals("size", start: key.0, end: key.1) {
                // `%ldB`: bytes, with a B after them.
                let end = f.valueEnd > f.valueStart && line[f.valueEnd - 1] == UInt8(ascii: "B") ? f.valueEnd - 1 : f.valueEnd
                guard let bytes = ParseNumber.signedDecimal(line, f.valueStart, end) else {
                    return .malformed(reason: ParseNumber.problem("size", line, f.valueStart, f.valueEnd))
                }
                event.counterBytes = bytes
                sawSize = true
            }
        }
        guard sawMember else { return .malformed(reason: "missing type= (or member=)") }
        return sawSize ? .event : .malformed(reason: "missing size=")
    }

    private mutating func parseSchedFields(_ line: ByteLine, _ start: Int, _ event: inout TraceEvent) -> LineOutcome {
        var i = start
        var sawPid = false
        while let f = nextField(line, &i) {
            let key = (f.keyStart, f.keyEnd)
            // A number ends at a space: the last field's value runs to the line's end, where
            // `perf script -F +ip,+sym` (no callchain) puts the address and symbol.
            let numberEnd = min(f.valueEnd, line.skipNonSpaces(from: f.valueStart))
            switch event.kind {
            case .schedSwitch:
                if line.equals("prev_pid", start: key.0, end: key.1) {
                    guard let v = ParseNumber.signedDecimal(line, f.valueStart, numberEnd) else { return .malformed(reason: "bad prev_pid") }
                    event.prevPid = v
                    sawPid = true
                } else if line.equals("next_pid", start: key.0, end: key.1) {
                    guard let v = ParseNumber.signedDecimal(line, f.valueStart, numberEnd) else { return .malformed(reason: "bad next_pid") }
                    event.nextPid = v
                } else if line.equals("prev_state", start: key.0, end: key.1) {
                    // `R` or `R+` (preempted); a raw number (`trace-cmd report -R`: decimal, or
                    // 0x... from a 32-bit kernel's 4-byte long) is runnable
                    // when no state bit below TASK_REPORT_MAX (0x100, preempted) is set
                    // (include/trace/events/sched.h, __trace_sched_switch_state, since 4.14).
                    let runnable = f.valueEnd > f.valueStart && line[f.valueStart] == UInt8(ascii: "R")
                        || ParseNumber.hexOrDecimal(line, f.valueStart, numberEnd).map { $0 & 0xFF == 0 } ?? false
                    if runnable { event.flags.insert(.prevRunnable) }
                }
            case .processExec:
                if line.equals("filename", start: key.0, end: key.1) {
                    event.symbol = symbols.intern(line.raw(f.valueStart, f.valueEnd))
                } else if line.equals("pid", start: key.0, end: key.1) {
                    guard let v = ParseNumber.signedDecimal(line, f.valueStart, numberEnd) else { return .malformed(reason: "bad pid") }
                    event.subjectPid = v
                    sawPid = true
                } else if line.equals("old_pid", start: key.0, end: key.1) {
                    event.otherPid = ParseNumber.signedDecimal(line, f.valueStart, numberEnd) ?? 0
                }
            case .processFork:
                if line.equals("pid", start: key.0, end: key.1) || line.equals("parent_pid", start: key.0, end: key.1) {
                    guard let v = ParseNumber.signedDecimal(line, f.valueStart, numberEnd) else { return .malformed(reason: "bad pid") }
                    event.subjectPid = v
                    sawPid = true
                } else if line.equals("child_pid", start: key.0, end: key.1) {
                    guard let v = ParseNumber.signedDecimal(line, f.valueStart, numberEnd) else { return .malformed(reason: "bad child_pid") }
                    event.otherPid = v
                } else if line.equals("child_comm", start: key.0, end: key.1) {
                    event.symbol = symbols.intern(line.raw(f.valueStart, f.valueEnd))
                }
            default:  // exit
                if line.equals("pid", start: key.0, end: key.1) {
                    guard let v = ParseNumber.signedDecimal(line, f.valueStart, numberEnd) else { return .malformed(reason: "bad pid") }
                    event.subjectPid = v
                    sawPid = true
                }
            }
        }
        if !sawPid && event.kind == .schedSwitch { return parseTraceCmdSwitch(line, start, &event) }
        return sawPid ? .event : .malformed(reason: "missing pid field")
    }

    /// trace-cmd's sched_switch plugin layout: `prev:PID [PRIO] S ==> next:PID [PRIO]`.
    private func parseTraceCmdSwitch(_ line: ByteLine, _ start: Int, _ event: inout TraceEvent) -> LineOutcome {
        guard let arrow = line.find(" ==> ", from: start) else { return .malformed(reason: "missing prev_pid=") }
        func pid(before end: Int, from begin: Int) -> Int64? {
            // `comm:pid [prio]`: the pid ends at the last " [" and starts after the last ':'.
            var bracket = end - 1
            while bracket > begin && !(line[bracket] == UInt8(ascii: "[") && line[bracket - 1] == 0x20) { bracket -= 1 }
            guard bracket > begin else { return nil }
            let pidEnd = bracket - 1
            var pidStart = pidEnd
            while pidStart > begin && ParseNumber.isDigit(line[pidStart - 1]) { pidStart -= 1 }
            guard pidStart > begin, line[pidStart - 1] == UInt8(ascii: ":") else { return nil }
            return ParseNumber.signedDecimal(line, pidStart, pidEnd)
        }
        // The previous task's state follows its `[prio]`.
        var stateAt = arrow - 1
        while stateAt > start && line[stateAt] == 0x20 { stateAt -= 1 }
        while stateAt > start && line[stateAt - 1] != 0x20 { stateAt -= 1 }
        guard let prev = pid(before: stateAt, from: start), let next = pid(before: line.count, from: arrow + 5) else {
            return .malformed(reason: "sched_switch is neither 'prev_pid=' nor 'comm:pid [prio] S ==> comm:pid [prio]'")
        }
        event.prevPid = prev
        event.nextPid = next
        if line[stateAt] == UInt8(ascii: "R") { event.flags.insert(.prevRunnable) }
        return .event
    }

    // MARK: Lost records

    /// perf `--show-lost-events`: `... time: PERF_RECORD_LOST lost 43`
    /// (or `PERF_RECORD_LOST_SAMPLES lost 43`).
    private func parsePerfLost(_ line: ByteLine, _ start: Int, _ timestamp: UInt64, _ cpu: UInt32, _ event: inout TraceEvent) -> LineOutcome {
        guard let at = line.find("lost ", from: start) else { return .malformed(reason: "PERF_RECORD_LOST without a count") }
        let numberStart = at + 5
        let numberEnd = line.skipNonSpaces(from: numberStart)
        guard let count = ParseNumber.decimal(line, numberStart, numberEnd) else {
            return .malformed(reason: "PERF_RECORD_LOST count is not a number")
        }
        event = TraceEvent(kind: .lost, cpu: cpu, timestampNs: timestamp, a: count)
        return .lost
    }

    /// ftrace: `CPU:1 [LOST 123 EVENTS]`; trace-cmd: `CPU:1 [123 EVENTS DROPPED]`.
    private func parseFtraceLost(_ line: ByteLine, _ start: Int, _ event: inout TraceEvent) -> LineOutcome {
        let cpuStart = start + 4
        var cpuEnd = cpuStart
        while cpuEnd < line.count && ParseNumber.isDigit(line[cpuEnd]) { cpuEnd += 1 }
        guard let cpu = ParseNumber.decimal(line, cpuStart, cpuEnd), cpu <= UInt64(UInt32.max) else {
            return .malformed(reason: "bad CPU:N lost record")
        }
        var numberStart: Int
        if let at = line.find("[LOST ", from: cpuEnd) {
            numberStart = at + 6
        } else if let at = line.find("[", from: cpuEnd), line.find("EVENTS DROPPED", from: at) != nil {
            numberStart = at + 1
        } else {
            return .ignored
        }
        numberStart = line.skipSpaces(from: numberStart)
        if line.matches("EVENTS DROPPED]", at: numberStart) || line.matches("EVENTS]", at: numberStart) {
            // trace-cmd report when the ring buffer did not say how many: a lost record, count unknown.
            event = TraceEvent(kind: .lost, cpu: UInt32(cpu), a: 0)
            return .lost
        }
        let numberEnd = line.skipNonSpaces(from: numberStart)
        guard let count = ParseNumber.decimal(line, numberStart, numberEnd) else {
            return .malformed(reason: "lost-events count is not a number")
        }
        event = TraceEvent(kind: .lost, cpu: UInt32(cpu), a: count)
        return .lost
    }
}

/// Field keys of the hot events, packed once.
struct FieldKeys: Sendable {
    let pfn = PackedName("pfn")
    let order = PackedName("order")
    let migratetype = PackedName("migratetype")
    let gfpFlags = PackedName("gfp_flags")
    let address = PackedName("address")
    let ip = PackedName("ip")
    let errorCode = PackedName("error_code")
}
