import Foundation
import PrezeroTestSupport
import Testing

@testable import PrezeroTrace

/// One line of every layout variant in docs (../shared/notes/trace-formats.md), copied from real
/// captures (or, for kernels we cannot run, from the kernel's print fmt of that version), with the
/// values a reader would write down by hand.
struct Variant: CustomTestStringConvertible, Sendable {
    var name: String
    var line: String
    var kind: EventKind
    var comm: String
    var pid: Int32
    var cpu: UInt32
    var timestampNs: UInt64
    var a: UInt64 = 0
    var order: UInt8 = 0
    var migratetype: Int8 = -1
    var flags: EventFlags = []
    var errorCode: UInt64? = nil
    var testDescription: String { name }
}

let variants: [Variant] = [
    Variant(
        name: "perf default fields, µs, tid only",
        line: "         python3  2250 [001]   111.349737:         kmem:mm_page_alloc: page=0x11f578 pfn=0x11f578 order=0 migratetype=0 gfp_flags=GFP_KERNEL_ACCOUNT|__GFP_ZERO|__GFP_COMP",
        kind: .pageAlloc, comm: "python3", pid: 2250, cpu: 1, timestampNs: 111_349_737_000, a: 0x11f578, migratetype: 0,
        flags: [.gfpZero]),
    Variant(
        name: "perf -F comm,pid,tid --ns",
        line: "            perf  2051/2051  [001]    96.285076496:           kmem:mm_page_alloc: page=0x11f309 pfn=0x11f309 order=0 migratetype=0 gfp_flags=GFP_HIGHUSER|__GFP_ACCOUNT",
        kind: .pageAlloc, comm: "perf", pid: 2051, cpu: 1, timestampNs: 96_285_076_496, a: 0x11f309, migratetype: 0, flags: [.gfpUser]),
    Variant(
        name: "perf comm with spaces",
        line: "       CPU 0/KVM  3101/3105  [000]  5120.000000123:           kmem:mm_page_free: page=0x1a2b3c pfn=0x1a2b3c order=2",
        kind: .pageFree, comm: "CPU 0/KVM", pid: 3105, cpu: 0, timestampNs: 5_120_000_000_123, a: 0x1a2b3c, order: 2),
    Variant(
        name: "perf comm ending in dash-digits",
        line: "   gmain-thread-2  4411 [001]    12.000001:    kmem:mm_page_free_batched: page=0x10 pfn=0x10 order=0",
        kind: .pageFreeBatched, comm: "gmain-thread-2", pid: 4411, cpu: 1, timestampNs: 12_000_001_000, a: 0x10),
    Variant(
        name: "perf kernel fault with symbolic ip",
        line: "              sh  2053 [001]    96.286723: exceptions:page_fault_kernel: address=0x55a5bdfb4240 ip=elf_load error_code=0x2",
        kind: .pageFault, comm: "sh", pid: 2053, cpu: 1, timestampNs: 96_286_723_000, a: 0x55a5bdfb4240,
        flags: [.kernelFault, .symbolicIP], errorCode: 2),
    Variant(
        name: "perf failed allocation (pfn printed 0)",
        line: "            java  9000 [001]   300.000001:         kmem:mm_page_alloc: page=(nil) pfn=0x0 order=9 migratetype=1 gfp_flags=GFP_TRANSHUGE|__GFP_THISNODE",
        kind: .pageAlloc, comm: "java", pid: 9000, cpu: 1, timestampNs: 300_000_001_000, a: 0, order: 9, migratetype: 1,
        flags: [.allocFailed, .gfpUser, .gfpTransHuge]),
    Variant(
        name: "ftrace 5-char flags, 7-wide pid",
        line: "            bash-5312    [001] .....   456.586138: mm_page_alloc: page=0000000072adc30f pfn=0x147cab order=0 migratetype=0 gfp_flags=GFP_KERNEL_ACCOUNT|__GFP_ZERO|__GFP_COMP",
        kind: .pageAlloc, comm: "bash", pid: 5312, cpu: 1, timestampNs: 456_586_138_000, a: 0x147cab, migratetype: 0,
        flags: [.gfpZero]),
    Variant(
        name: "ftrace 4-char flags, 5-wide pid (pre-2020)",
        line: "          <idle>-0     [002] d.h3  1024.000100: mm_page_free: page=ffffea0004a2b000 pfn=1216172 order=0",
        kind: .pageFree, comm: "<idle>", pid: 0, cpu: 2, timestampNs: 1_024_000_100_000, a: 1_216_172),
    Variant(
        name: "ftrace comm with dashes and spaces",
        line: " systemd-journal d-245     [000] d..1.    10.500000: page_fault_user: address=0x7f0000001000 ip=0x55d0c0de0000 error_code=0x6",
        kind: .pageFault, comm: "systemd-journal d", pid: 245, cpu: 0, timestampNs: 10_500_000_000, a: 0x7f00_0000_1000,
        errorCode: 6),
    Variant(
        name: "ftrace record-tgid, irq-info off",
        line: "            bash-2415    (   2415) [001]    319.461723: mm_page_alloc: page=00000000ee90505e pfn=0x10a43a order=0 migratetype=0 gfp_flags=GFP_KERNEL_ACCOUNT|__GFP_ZERO|__GFP_COMP",
        kind: .pageAlloc, comm: "bash", pid: 2415, cpu: 1, timestampNs: 319_461_723_000, a: 0x10a43a, migratetype: 0,
        flags: [.gfpZero]),
    Variant(
        name: "ftrace record-tgid with flags",
        line: "            bash-2415    (   2415) [001] d....   319.461682: page_fault_user: address=0x55a61cb01ebc ip=0x55a5fcd8f2c3 error_code=0x7",
        kind: .pageFault, comm: "bash", pid: 2415, cpu: 1, timestampNs: 319_461_682_000, a: 0x55a6_1cb0_1ebc, errorCode: 7),
    Variant(
        name: "trace-cmd report (padded event name)",
        line: "            bash-4522  [000]   660.747333: mm_page_alloc:        page=0x10666b pfn=0x10666b order=0 migratetype=0 gfp_flags=GFP_KERNEL_ACCOUNT|__GFP_ZERO|__GFP_COMP",
        kind: .pageAlloc, comm: "bash", pid: 4522, cpu: 0, timestampNs: 660_747_333_000, a: 0x10666b, migratetype: 0,
        flags: [.gfpZero]),
    Variant(
        name: "decimal pfn (before 5.14)",
        line: "           cc1-30300 [000] ....  7001.123456: mm_page_alloc: page=ffffea00002d4b40 pfn=742701 order=0 migratetype=1 gfp_flags=GFP_HIGHUSER_MOVABLE|__GFP_ZERO",
        kind: .pageAlloc, comm: "cc1", pid: 30300, cpu: 0, timestampNs: 7_001_123_456_000, a: 742_701, migratetype: 1,
        flags: [.gfpZero, .gfpUser]),
    Variant(
        name: "raw hex gfp flags with the zero bit",
        line: "             gcc  8001 [000]    50.000002:         kmem:mm_page_alloc: page=0x1234 pfn=0x1234 order=0 migratetype=1 gfp_flags=0x140dca",
        kind: .pageAlloc, comm: "gcc", pid: 8001, cpu: 0, timestampNs: 50_000_002_000, a: 0x1234, migratetype: 1,
        flags: [.gfpIsRaw, .gfpZero, .gfpUser, .gfpTransHuge]),
    Variant(
        name: "raw hex gfp flags without the zero bit",
        line: "             gcc  8001 [000]    50.000003:         kmem:mm_page_alloc: page=0x1235 pfn=0x1235 order=1 migratetype=0 gfp_flags=0x140cca",
        kind: .pageAlloc, comm: "gcc", pid: 8001, cpu: 0, timestampNs: 50_000_003_000, a: 0x1235, order: 1, migratetype: 0,
        flags: [.gfpIsRaw, .gfpUser, .gfpTransHuge]),
    Variant(
        name: "pre-4.15 mm_page_free_batched with cold=",
        line: "           kswapd0-41    [001] ....   88.000001: mm_page_free_batched: page=ffffea0001c4b2c0 pfn=463564 order=0 cold=0",
        kind: .pageFreeBatched, comm: "kswapd0", pid: 41, cpu: 1, timestampNs: 88_000_001_000, a: 463_564),
    Variant(
        name: "pre-3.3 mm_page_free_direct",
        line: "            make-1200  [000]    20.000001: mm_page_free_direct: page=ffffea0000b6c720 pfn=186857 order=1",
        kind: .pageFree, comm: "make", pid: 1200, cpu: 0, timestampNs: 20_000_001_000, a: 186_857, order: 1),
    Variant(
        name: "pre-3.3 mm_pagevec_free",
        line: "            make-1200  [000]    20.000002: mm_pagevec_free: page=ffffea0000b6c758 pfn=186858 order=0 cold=1",
        kind: .pageFreeBatched, comm: "make", pid: 1200, cpu: 0, timestampNs: 20_000_002_000, a: 186_858),
    Variant(
        name: "unknown fields ignored",
        line: "            perf  2051/2051  [001]    96.285076496:           kmem:mm_page_alloc: page=0x11f309 pfn=0x11f309 order=3 migratetype=2 gfp_flags=GFP_KERNEL node=1 new_field=abc",
        kind: .pageAlloc, comm: "perf", pid: 2051, cpu: 1, timestampNs: 96_285_076_496, a: 0x11f309, order: 3, migratetype: 2),
    Variant(
        name: "CRLF line ending",
        line: "         python3  2250 [001]   111.349737:         kmem:mm_page_free: page=0x11f578 pfn=0x11f578 order=0\r",
        kind: .pageFree, comm: "python3", pid: 2250, cpu: 1, timestampNs: 111_349_737_000, a: 0x11f578),
]

@Suite("Line layout variants")
struct LineVariantTests {
    @Test(arguments: variants)
    func parsesVariant(_ v: Variant) {
        var parser = TextLineParser()
        let (outcome, event) = parseLine(v.line, parser: &parser)
        #expect(outcome == .event)
        #expect(event.kind == v.kind)
        #expect(parser.symbols.name(event.comm) == v.comm)
        #expect(event.pid == v.pid)
        #expect(event.cpu == v.cpu)
        #expect(event.timestampNs == v.timestampNs)
        #expect(event.a == v.a)
        #expect(event.order == v.order)
        if v.kind == .pageAlloc { #expect(event.migratetype == v.migratetype) }
        #expect(event.flags == v.flags)
        if let code = v.errorCode { #expect(event.errorCode == code) }
    }

    /// `kmem:rss_stat` as kernels print it: a named member, the first kernels' number, a member
    /// the kernel has no name for (hex); a line without a member or size is malformed.
    @Test func memoryCounterLinesParse() throws {
        let prefix = "         fault-paths 21803/21803 [000] 65364.9:                  kmem:rss_stat: "
        var parser = TextLineParser()
        for (fields, member, bytes) in [
            ("mm_id=9 curr=1 type=MM_SHMEMPAGES size=8192B", UInt8(3), Int64(8192)), ("mm_id=9 curr=0 member=1 size=4096B", 1, 4096),
            ("mm_id=9 curr=1 type=0x4 size=0B", 4, 0),
        ] {
            let (outcome, event) = parseLine(prefix + fields, parser: &parser)
            #expect(outcome == .event, "\(fields)")
            #expect(event.kind == .rssStat && event.counterMM == 9 && event.counterMemberNumber == member && event.counterBytes == bytes)
            #expect(event.counterOfCurrentMM == fields.contains("curr=1"))
        }
        for fields in [
            "mm_id=9 curr=1 type=MM_PAGES size=8192B", "mm_id=9 curr=1 type=MM_ANONPAGES", "mm_id=9 curr=1 size=1B",
            "mm_id=9 curr=1 type=MM_ANONPAGES size=99999999999999999999B", "mm_id=9 curr=1 type=0x1ff size=1B",
        ] {
            guard case .malformed = parseLine(prefix + fields, parser: &parser).0 else {
                Issue.record("\(fields) parsed")
                continue
            }
        }
    }

    @Test func formatIsDetectedFromTheFirstEventLine() {
        var perf = TextLineParser()
        _ = parseLine(variants[0].line, parser: &perf)
        #expect(perf.format == .perfScript)
        var ftrace = TextLineParser()
        _ = parseLine(variants[6].line, parser: &ftrace)
        #expect(ftrace.format == .ftrace)
        _ = parseLine(variants[0].line, parser: &ftrace)
        #expect(ftrace.mixedFormatLines == 1)
    }

    /// A line of tracefs with trace_clock x86-tsc (captured on this project's VM): a count of
    /// cycles, not seconds, which the reason names with what to capture instead.
    @Test func aCycleCountClockIsNamed() {
        var parser = TextLineParser()
        let line = "            bash-19067   [000] ..... 198936113827815: mm_page_alloc: page=0000000096502dd8 pfn=0x12a774 order=0 migratetype=0 gfp_flags=GFP_KERNEL_ACCOUNT|__GFP_ZERO|__GFP_COMP"
        let reason = malformedReason(line, parser: &parser) ?? ""
        #expect(reason.contains("trace_clock counts cycles, ticks or events (x86-tsc, uptime, counter)"), "\(reason)")
    }

    /// Every clock that counts rather than measures prints no fraction: tracefs `counter` and
    /// `uptime`, x86-tsc in the latency format, and `trace-cmd report` of a `counter` capture
    /// (real lines, captured on this project's VM). Before, a bare number was read as seconds
    /// (an 8 ms capture spanned 1975 s).
    @Test(arguments: [
        "   ftrace_cap.sh-10913   [000] .....            4: mm_page_alloc: page=00000000283e59fa pfn=0x15c438 order=0 migratetype=1 gfp_flags=GFP_HIGHUSER_MOVABLE|__GFP_ZERO|__GFP_COMP",
        "         prezero-10991   [000] d..2.      1200783: sched_switch: prev_comm=prezero prev_pid=10991 prev_prio=120 prev_state=R ==> next_comm=memfd:sealed-91 next_pid=7861 next_prio=120",
        "ftrace_c-11173     0d.... 28777268: page_fault_user: address=0x7f5b7abe0010 ip=0x7f5b7abe0010 error_code=0x14",
        " oot.default-qos-14034 [000]        1984: mm_page_alloc:        page=0x27550b pfn=0x27550b order=0 migratetype=1 gfp_flags=GFP_HIGHUSER_MOVABLE|__GFP_ZERO|__GFP_COMP",
    ])
    func countingClocksAreNamed(_ line: String) {
        var parser = TextLineParser()
        let reason = malformedReason(line, parser: &parser) ?? ""
        #expect(reason.contains("trace_clock counts cycles, ticks or events"), "\(reason)")
    }

    /// `perf script -F comm,pid,tid,time,event,trace` has no cpu column; a comm ending `-N`
    /// (`pool-1-thread-1`) made `pid/tid` pass for the latency format's cpu and flags (cpu 16902,
    /// pid 1). The flags are the kernel's characters, never a slash.
    @Test func perfPidTidIsNotALatencyCPU() {
        var parser = TextLineParser()
        let line = " pool-1-thread-1 16902/16944 12284.232173: exceptions:page_fault_user: address=0x7f0da4689000 ip=0x7f0da5eb3f4b error_code=0x6"
        #expect(parseLine(line, parser: &parser).0 == .malformed(reason: "no ' [CPU] ' column"))
        #expect(TextLineParser.isLatencyFlag(UInt8(ascii: "d")) && TextLineParser.isLatencyFlag(UInt8(ascii: ".")))
        #expect(!TextLineParser.isLatencyFlag(UInt8(ascii: "/")))
    }

    /// perf prints tid -1 and comm `:-1` for a task that has died (its last switch, prev_state
    /// X; bundled zstd-15 and git-clone captures): the switch is prev_pid's. Before, the line read
    /// as ftrace's `comm-pid` with comm `:-1  5830/` and pid 1.
    /// The default layout (comm,tid) prints `:-1    -1`, and pid,tid `-1/-1` when perf lost the
    /// pid too; a page freed in such a sample names no task (pid -1); a sample of another event
    /// with no task to name is malformed, counted.
    @Test(arguments: [
        "             :-1  5830/-1    [001]   747.709458639:             sched:sched_switch: prev_comm=zstd prev_pid=5832 prev_prio=120 prev_state=X ==> next_comm=zstd next_pid=5830 next_prio=120",
        "             :-1    -1 [001]   755.337328508:             sched:sched_switch: prev_comm=git prev_pid=5832 prev_prio=120 prev_state=X ==> next_comm=git next_pid=6143 next_prio=120",
        "             :-1    -1/-1    [001]   747.709458639:             sched:sched_switch: prev_comm=zstd prev_pid=5832 prev_prio=120 prev_state=X ==> next_comm=zstd next_pid=5830 next_prio=120",
    ])
    func perfDeadTaskSwitchIsPrevPids(_ line: String) {
        var parser = TextLineParser()
        let (outcome, event) = parseLine(line, parser: &parser)
        #expect(outcome == .event)
        #expect(event.pid == 5832)
        #expect(parser.symbols.name(event.comm) == ":-1")
        #expect(parser.format == .perfScript)
        // A page it gives back needs no task, and perf kmem counts it (a helper's capture: 42
        // such frees, perf kmem's free requests 14553, prezero's 14511 before); an allocation
        // has no task to give it.
        let free = "             :-1    -1/-1 [000]  5245.021498422:              kmem:mm_page_free: page=0x100d87 pfn=0x100d87 order=0"
        let (freeOutcome, freed) = parseLine(free, parser: &parser)
        #expect(freeOutcome == .event && freed.kind == .pageFree && freed.pid == TraceEvent.noTask && freed.pfn == 0x100d87)
        let alloc = "             :-1    -1 [001]   755.337328508:              kmem:mm_page_alloc: page=0x158f3c pfn=0x158f3c order=0 migratetype=1 gfp_flags=GFP_HIGHUSER_MOVABLE|__GFP_ZERO"
        let reason = malformedReason(alloc, parser: &parser) ?? ""
        #expect(reason.contains("task that had died"), "\(reason)")
    }

    /// Every need-resched, irq and depth character the kernel prints in the latency format
    /// (trace_output.c, 6.13's lazy `B`, `L`, `l` too) reads; a slash does not.
    @Test func latencyFlagsOfCurrentKernelsRead() {
        var parser = TextLineParser()
        for flags in ["1dL.2.", "1dB.2.", "1d.l2.", "0dLh2.", "1Xbz1f", "1Dps.."] {
            let line = "    bash-4567     \(flags) 1234us : mm_page_alloc: page=0x27550b pfn=0x27550b order=0 migratetype=1 gfp_flags=GFP_HIGHUSER_MOVABLE|__GFP_ZERO|__GFP_COMP"
            #expect(parseLine(line, parser: &parser).0 == .event, "\(flags)")
        }
    }

    /// `trace-cmd report -R` prints sched_switch's prev_state as its number: 0 is R, and the
    /// TASK_REPORT_MAX bit (0x100) alone is R+ (preempted); the others are sleeping states.
    @Test(arguments: [("0", true), ("256", true), ("1", false), ("2", false), ("258", false), ("0x0", true), ("0x100", true), ("0x1", false), ("R+", true), ("S", false)])
    func rawPrevStateIsRead(_ state: String, _ runnable: Bool) {
        var parser = TextLineParser()
        let line = "       tc_cap.sh-13341 [000] 12098.257952: sched_switch:          prev_comm=tc_cap.sh prev_pid=13341 prev_prio=120 prev_state=\(state) next_comm=tc_cap.sh next_pid=13342 next_prio=120"
        let (outcome, event) = parseLine(line, parser: &parser)
        #expect(outcome == .event)
        #expect(event.flags.contains(.prevRunnable) == runnable)
    }

    /// `perf script -F +ip,+sym` of a capture without callchains puts the address and symbol at
    /// the end of the line, after the last field: a number ends at its space (old_pid read 0).
    @Test func numbersEndBeforeATrailingAddress() {
        var parser = TextLineParser()
        let exec = parseLine("            bash 12236 [001] 12028.051367:       sched:sched_process_exec: filename=/usr/bin/bash pid=12236 old_pid=12235 ffffffff813a5e19 __traceiter_sched_process_exec", parser: &parser)
        #expect(exec.0 == .event)
        #expect(exec.1.otherPid == 12235)
        let fork = parseLine("              sh  2053 [001]    96.288116:     sched:sched_process_fork: comm=sh pid=2053 child_comm=sh child_pid=2055 ffffffff813a5e19 __traceiter_sched_process_fork", parser: &parser)
        #expect(fork.0 == .event)
        #expect(fork.1.otherPid == 2055)
    }

    /// A comm starting as a tool's own lines do (`#tag`, `cpus=2`, set by prctl) is right-aligned,
    /// so not at column 0: a record (a real `#tag` thread's faults were dropped uncounted).
    @Test func commsLikeHeadersAreRecords() {
        var parser = TextLineParser()
        let line = "            #tag-17686   [001] d.... 12337.795272: page_fault_user: address=0x7f37b7806f78 ip=0x7f37b7f278ea error_code=0x6"
        let (outcome, event) = parseLine(line, parser: &parser)
        #expect(outcome == .event)
        #expect(parser.symbols.name(event.comm) == "#tag")
        #expect(parseLine("          cpus=2-17687   [001] d.... 12337.795272: page_fault_user: address=0x7f37b7806f78 ip=0x7f37b7f278ea error_code=0x6", parser: &parser).0 == .event)
    }

    /// `lines` written as a trace file in the scratch directory; its path.
    static func file(_ name: String, _ lines: [String]) throws -> String {
        let path = Scratch.directory + name
        try Data((lines.joined(separator: "\n") + "\n").utf8).write(to: URL(fileURLWithPath: path))
        return path
    }

    /// `perf script -F comm,pid,cpu,time,event,trace` (pid without tid) prints the process id
    /// where the thread's belongs, in the same columns as the tid: a switch runs in its prev_pid,
    /// so a switch by another pid is counted (`stat` says so; `--strict` refuses). Real lines: a
    /// single-threaded task's switch, then a worker thread's (tid 12224 of process 12222).
    @Test func switchesNotByTheirPrevTaskAreCounted() throws {
        let lines = [
            "            perf 12234 [000] 12028.050019:             sched:sched_switch: prev_comm=perf prev_pid=12234 prev_prio=120 prev_state=D ==> next_comm=migration/0 next_pid=18 next_prio=0",
            "         prezero 12222 [000] 12028.051803:             sched:sched_switch: prev_comm=prezero prev_pid=12224 prev_prio=120 prev_state=S ==> next_comm=swapper/0 next_pid=0 next_prio=120",
        ]
        var statistics = TraceStatistics()
        _ = try TraceReader.read(path: try Self.file("pid-column.txt", lines), into: &statistics)
        #expect(statistics.switchesNotByTheirPrevTask == 1)
    }

    /// tracefs's options/fields prints `order=0x0 (0)` and gfp_flags as a number (a helper's
    /// capture, real lines): every page event would be malformed while its faults read, so the
    /// trace is refused at the first, naming the option, where it read as a fault trace with no
    /// allocator activity (exit 0).
    @Test func theFieldsLayoutIsRefusedNamingTheOption() throws {
        let lines = [
            "            bash-28414   [001] d....  5352.508890: page_fault_user: address=0x5627389b1ecc (94726453403340) ip=0x5627370e52c3 (94726427398851) error_code=0x7 (7)",
            "            bash-28414   [001] .....  5352.508893: mm_page_alloc: pfn=0x1e51d4 (1987028) order=0x0 (0) gfp_flags=0x140cca (1313994) migratetype=0x1 (1)",
        ]
        let path = try Self.file("fields-layout.txt", lines)
        var statistics = TraceStatistics()
        let error = try #require(throws: TraceError.self) { try TraceReader.read(path: path, into: &statistics) }
        #expect("\(error)".contains("options/fields") && "\(error)".contains(":2 "), "\(error)")
    }

    /// The tracefs `trace` file says how many events its ring buffer overwrote in its header:
    /// entries-written less entries-in-buffer (a real 16 KiB buffer: 949/2597, and its
    /// `trace_pipe` said LOST 645 and 1003, 1,648 in all). Before, 0 were counted lost.
    @Test func overwrittenEntriesAreLost() {
        var parser = TextLineParser()
        let header = parseLine("# entries-in-buffer/entries-written: 949/2597   #P:2", parser: &parser)
        #expect(header.0 == .lost)
        #expect(header.1.lostCount == 1648)
        #expect(parseLine("# entries-in-buffer/entries-written: 949/949   #P:2", parser: &parser).0 == .ignored)
    }

    /// `trace-cmd report --raw-ts` of the trace-cmd-rss-stat fixture: the raw clock right after the
    /// cpu column, which may be nanoseconds or cycles; named, not "no [CPU] column". A record
    /// whose fields hold ` [N]` (sched_switch's prio) still reads.
    @Test func rawTimestampsAreNamed() {
        var parser = TextLineParser()
        let line = "            bash-8175  [000]717260473961: page_fault_user:      address=0x563039f80308 ip=0x7fa10929faa2 error_code=0x7"
        let reason = malformedReason(line, parser: &parser) ?? ""
        #expect(reason.contains("trace-cmd report --raw-ts output"), "\(reason)")
        let record = "          <idle>-0       [001]   717.260500000: sched_switch:         swapper/1:0 [120] R ==> bash:8175 [120]"
        #expect(parseLine(record, parser: &parser).0 == .event)
        // Another line with no cpu column keeps its reason.
        #expect(parseLine("bash-8175 (000) 717.260474: page_fault_user: address=0x1", parser: &parser).0 == .malformed(reason: "no ' [CPU] ' column"))
    }

    @Test func schedSwitchWithSpacesInComm() {
        var parser = TextLineParser()
        let line = "       CPU 0/KVM  3101/3105  [000]  5120.000000123:           sched:sched_switch: prev_comm=CPU 0/KVM prev_pid=3105 prev_prio=120 prev_state=R+ ==> next_comm=swapper/0 next_pid=0 next_prio=120"
        let (outcome, event) = parseLine(line, parser: &parser)
        #expect(outcome == .event)
        #expect(event.kind == .schedSwitch)
        #expect(event.prevPid == 3105)
        #expect(event.nextPid == 0)
        #expect(event.flags.contains(.prevRunnable))
    }

    @Test func traceCmdSchedSwitchPlugin() {
        var parser = TextLineParser()
        let line = "            bash-4586  [001]   667.539372: sched_switch:         bash:4586 [120] S ==> swapper/1:0 [120]"
        let (outcome, event) = parseLine(line, parser: &parser)
        #expect(outcome == .event)
        #expect(event.prevPid == 4586)
        #expect(event.nextPid == 0)
        #expect(!event.flags.contains(.prevRunnable))
    }

    @Test func processEvents() {
        var parser = TextLineParser()
        let exec = parseLine("              sh  2053 [001]    96.286811:     sched:sched_process_exec: filename=/usr/bin/my tool pid=2053 old_pid=2053", parser: &parser)
        #expect(exec.0 == .event)
        #expect(exec.1.kind == .processExec)
        #expect(exec.1.subjectPid == 2053)
        #expect(parser.symbols.name(exec.1.symbol) == "/usr/bin/my tool")
        let fork = parseLine("              sh  2053 [001]    96.288116:     sched:sched_process_fork: comm=sh pid=2053 child_comm=sh child_pid=2055", parser: &parser)
        #expect(fork.1.kind == .processFork)
        #expect(fork.1.subjectPid == 2053)
        #expect(fork.1.otherPid == 2055)
        let exit = parseLine("             git  2055 [001]    96.290557:     sched:sched_process_exit: comm=git pid=2055 prio=120 group_dead=true", parser: &parser)
        #expect(exit.1.kind == .processExit)
        #expect(exit.1.subjectPid == 2055)
    }

    @Test func lostRecords() {
        var parser = TextLineParser()
        let perf = parseLine("       perf-exec  2271/2271  [001]   312.665833225: PERF_RECORD_LOST lost 43", parser: &parser)
        #expect(perf.0 == .lost)
        #expect(perf.1.lostCount == 43)
        let ftrace = parseLine("CPU:1 [LOST 1234 EVENTS]", parser: &parser)
        #expect(ftrace.0 == .lost)
        #expect(ftrace.1.lostCount == 1234)
        #expect(ftrace.1.cpu == 1)
        let traceCmd = parseLine("CPU:0 [77 EVENTS DROPPED]", parser: &parser)
        #expect(traceCmd.0 == .lost)
        #expect(traceCmd.1.lostCount == 77)
        // An instance buffer's, after its name (trace-read.c prints the name, then the drop).
        let instance = parseLine("pz: CPU:1 [5 EVENTS DROPPED]", parser: &parser)
        #expect(instance.0 == .lost)
        #expect(instance.1.lostCount == 5)
        #expect(instance.1.cpu == 1)
    }

    /// `trace-cmd report` of a file with instance buffers (or of several files) puts the buffer's
    /// name, right-aligned, and `: ` before each of its lines, then the comm in 16 columns
    /// (trace-read.c `print_handle_file`); the top buffer's lines get spaces. The comm is the
    /// task's, colons of its own kept.
    @Test(arguments: [
        ("pz:             bash-32765 [000] 80821.085826916: page_fault_user:      address=0x560164e74410 ip=0x5601432b23d2 error_code=0x7", "bash"),
        ("pz:      kworker/1:0-7062  [001] 80821.085824888: page_fault_user:      address=0x560164e74410 ip=0x5601432b23d2 error_code=0x7", "kworker/1:0"),
        ("    kworker/1:0-7062  [001] 80821.085824888: page_fault_user:      address=0x560164e74410 ip=0x5601432b23d2 error_code=0x7", "kworker/1:0"),
        ("trace.dat:        CPU 0/KVM-7062  [001] 80821.085824888: page_fault_user:      address=0x560164e74410 ip=0x5601432b23d2 error_code=0x7", "CPU 0/KVM"),
        ("          a: b-7062  [001] 80821.085824888: page_fault_user:      address=0x560164e74410 ip=0x5601432b23d2 error_code=0x7", "a: b"),
    ])
    func bufferNamesAreNotComms(_ line: String, _ comm: String) {
        var parser = TextLineParser()
        let (outcome, event) = parseLine(line, parser: &parser)
        #expect(outcome == .event)
        #expect(parser.symbols.name(event.comm) == comm)
        #expect(event.pid == 7062 || event.pid == 32765)
    }

    /// The `trace` file with tracefs options/latency-format on (trace_output.c
    /// `lat_print_generic`, `lat_print_timestamp`): comm in 8 columns, the cpu right before the
    /// irq flags, and microseconds since the buffer was reset with a mark for a long gap (`+`,
    /// `!`, or a space before the colon). Lines from a real capture; the mark's width varies.
    @Test(arguments: [
        ("    bash-4423      0d.... 13996us : page_fault_user: address=0x560164e5eecc ip=0x5601432ae2c3 error_code=0x7", 13_996_000 as UInt64, 0 as UInt32),
        ("    bash-4423      1..... 14005us!: mm_page_alloc: page=0000000063688173 pfn=0x18ff77 order=0 migratetype=1 gfp_flags=GFP_HIGHUSER_MOVABLE|__GFP_COMP", 14_005_000, 1),
        ("    bash-4423      0..... 14109us+: mm_page_alloc: page=00000000198c7001 pfn=0x11ee23 order=0 migratetype=0 gfp_flags=GFP_KERNEL_ACCOUNT|__GFP_ZERO|__GFP_COMP", 14_109_000, 0),
    ])
    func latencyFormatTraceFile(_ line: String, _ ns: UInt64, _ cpu: UInt32) {
        var parser = TextLineParser()
        let (outcome, event) = parseLine(line, parser: &parser)
        #expect(outcome == .event)
        #expect(event.timestampNs == ns)
        #expect(event.cpu == cpu)
        #expect(event.pid == 4423)
        #expect(parser.symbols.name(event.comm) == "bash")
    }

    /// `perf script -F +period` prints the sample's period between the time and the event.
    @Test func perfPeriodColumn() {
        var parser = TextLineParser()
        let (outcome, event) = parseLine(
            "     migration/0    18 [000] 81422.693283:          1         kmem:mm_page_alloc: page=0x1 pfn=0x17f53d order=0 migratetype=1 gfp_flags=GFP_HIGHUSER_MOVABLE",
            parser: &parser)
        #expect(outcome == .event)
        #expect(event.kind == .pageAlloc)
        #expect(event.pfn == 0x17f53d)
    }

    /// options/raw, hex and bin print event ids, not names; `perf trace` has no cpu and leaves
    /// out fields that are 0 (no order, no migratetype here): errors that name them.
    @Test(arguments: [
        ("4423 1 81177462645696 type: 653", "options/raw"), ("00001147 00000000 000049d49cf42e85 type: 653", "options/raw"),
        ("     0.432 :12024/12024 kmem:mm_page_alloc(pfn: 1064467, gfp_flags: 4459968)", "perf trace"),
        ("     0.000 :12024/12024 exceptions:page_fault_user(address: 0x7f6057e44270, ip: 140051768164976, error_code: 20)", "perf trace"),
    ])
    func unreadableOutputIsNamed(_ line: String, _ named: String) {
        var parser = TextLineParser()
        let reason = malformedReason(line, parser: &parser) ?? ""
        #expect(reason.contains(named), "\(reason)")
    }

    /// Stack traces are not records, nor malformed: `perf script` of a `perf record -g` capture
    /// prints each sample's callchain after it, a tab and a frame a line (4,264 of a capture's
    /// 5,246 lines here were counted malformed); ftrace's stacktrace option (or trigger) records
    /// a `<stack trace>` (`<user stack trace>`) event followed by ` => ` frames.
    @Test(arguments: [
        "\tffffffff8163eab7 __alloc_frozen_pages_noprof+0x2b7 ([kernel.kallsyms])",
        "\t           f838f __GI___libc_write+0x4f (/usr/lib/x86_64-linux-gnu/libc.so.6)",
        " => trace_event_raw_event_mm_page_alloc",
        " =>  <00005601432ae2c3>",
        "            bash-4423    [000] d.... 81177.275539: <stack trace>",
        "            bash-4423    [000] d.... 81177.555170: <user stack trace>",
    ])
    func stackTracesAreIgnored(_ line: String) {
        var parser = TextLineParser()
        #expect(parseLine(line, parser: &parser).0 == .ignored)
    }

    @Test(arguments: [
        "# tracer: nop", "#", "", "   ", "cpus=2", "#           TASK-PID     CPU#  |||||  TIMESTAMP  FUNCTION",
    ])
    func headersAreIgnored(_ line: String) {
        var parser = TextLineParser()
        #expect(parseLine(line, parser: &parser).0 == .ignored)
    }

    @Test func unknownEventsAreCountedByName() {
        var parser = TextLineParser()
        let line = "            perf  2051/2051  [001]    96.285076496:                 kmem:kmalloc: call_site=foo ptr=0x1 bytes_req=8"
        #expect(parseLine(line, parser: &parser).0 == .unknownEvent)
        #expect(parseLine(line, parser: &parser).0 == .unknownEvent)
        #expect(parser.unknownEvents == ["kmem:kmalloc": 2])
    }

    @Test(arguments: [
        ("binary", "\u{7f}ELF\u{2}\u{1}\u{1}\0\0\0"),
        ("no cpu column", "hello world this is not a trace"),
        ("no timestamp", "            bash-5312    [001] .....   notatime mm_page_alloc: pfn=0x1 order=0"),
        ("order overflow", "            bash-5312    [001] .....   456.586138: mm_page_alloc: pfn=0x1 order=99999999999999999999999 migratetype=0 gfp_flags=GFP_KERNEL"),
        ("negative order", "            bash-5312    [001] .....   456.586138: mm_page_free: pfn=0x1 order=-1"),
        ("pfn overflow", "            bash-5312    [001] .....   456.586138: mm_page_free: pfn=0x1ffffffffffffffffff order=0"),
        ("missing pfn", "            bash-5312    [001] .....   456.586138: mm_page_free: order=0"),
        ("timestamp overflow", "            bash-5312    [001] .....   99999999999999999999.586138: mm_page_free: pfn=0x1 order=0"),
    ])
    func malformedLines(_ name: String, _ line: String) {
        var parser = TextLineParser()
        let (outcome, _) = parseLine(line, parser: &parser)
        guard case .malformed = outcome else {
            Issue.record("\(name): expected malformed, got \(outcome)")
            return
        }
    }

    @Test func eventLayoutStaysSmall() {
        #expect(MemoryLayout<TraceEvent>.stride == 48)
    }
}
