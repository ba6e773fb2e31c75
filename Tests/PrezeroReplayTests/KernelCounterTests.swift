import Foundation
import PrezeroModel
import PrezeroTestSupport
import PrezeroTrace
import Testing

@testable import PrezeroReplay

/// The capture's kernel counters (tools/lib/counted.sh reads them just before it forks the
/// command and just after the command exits) beside the trace's figures, on lines in the layout
/// of a real capture (traces/thp-touch's THP fault, the fork and exit lines of a 6.18 capture).
@Suite("The capture's kernel counters")
struct KernelCounterTests {
    /// A THP zero-fill fault by `pid` at `seconds` (0x6, then `GFP_TRANSHUGE` at order 9).
    static func thpFault(pid: Int, at seconds: Double, pfn: Int) -> String {
        let t = String(format: "%.9f", seconds), p = String(format: "0x%x", pfn)
        return """
                     t  \(pid)/\(pid)  [001]  \(t):     exceptions:page_fault_user: address=0x7f06ed200000 ip=0x55b962da9110 error_code=0x6
                     t  \(pid)/\(pid)  [001]  \(t):             kmem:mm_page_alloc: page=\(p) pfn=\(p) order=9 migratetype=1 gfp_flags=GFP_TRANSHUGE|__GFP_NORETRY|__GFP_THISNODE

            """
    }

    /// The reader (bash 972) forks the command (975), which takes one THP fault and exits; another
    /// task (980) takes one after that exit, before the reader's own; a third (981) one after it.
    static let lines = thpFault(pid: 960, at: 100.0, pfn: 0x100000)
        + "            bash   972/972   [000]   100.100000000:       sched:sched_process_fork: comm=bash pid=972 child_comm=bash child_pid=975\n"
        + thpFault(pid: 975, at: 100.2, pfn: 0x100200)
        + "               t   975/975   [001]   100.300000000:       sched:sched_process_exit: comm=t pid=975 prio=120 group_dead=true\n"
        + thpFault(pid: 980, at: 100.4, pfn: 0x100400)
        + "            bash   972/972   [000]   100.500000000:       sched:sched_process_exit: comm=bash pid=972 prio=120 group_dead=true\n"
        + thpFault(pid: 981, at: 100.6, pfn: 0x100600)

    /// The check of `lines` against `counters`, as `stat` makes it.
    static func check(
        _ lines: String, _ counters: TraceMetadata.KernelCounters, lostEvents: UInt64 = 0, kernel: KernelVersion? = nil
    ) throws -> (KernelCounterCheck, TraceStatistics) {
        let path = Scratch.directory + "prezero-counters-\(UUID().uuidString).perf.txt"
        try lines.write(toFile: path, atomically: true, encoding: .utf8)
        var statistics = TraceStatistics(kernel: kernel, counters: counters)
        _ = try TraceReader.read(path: path, into: &statistics)
        let check = try #require(KernelCounterCheck(
            counters: counters, tally: statistics.kernelCounts, folios: statistics.zeroFillMatcher.hugeFolios,
            pmdOrder: statistics.pmdOrder, pageBytes: 4096, lostEvents: lostEvents, someCPUs: false))
        return (check, statistics)
    }

    func check(kernelTHPFaults: UInt64, pids: (Int64, Int64)? = (975, 972), lostEvents: UInt64 = 0) throws -> KernelCounterCheck {
        let counters = TraceMetadata.KernelCounters(
            pid: pids?.0, readerPid: pids?.1, rise: ["thp_fault_alloc": kernelTHPFaults, "thp_fault_fallback_charge": 0])
        return try Self.check(Self.lines, counters, lostEvents: lostEvents).0
    }

    /// Between the readings the kernel counted the command's fault for certain (inside the fork
    /// and exit) and at most the faults from the trace's start to the reader's exit: 1 to 3, by
    /// hand. The one after the reader's exit came after the second reading.
    @Test func theTraceBracketsWhatTheKernelCountedBetweenItsReadings() throws {
        for (kernel, agrees) in [(0, false), (1, true), (3, true), (4, false)] as [(UInt64, Bool)] {
            let check = try check(kernelTHPFaults: kernel)
            let row = try #require(check.rows.first { $0.counter == "thp_fault_alloc" })
            #expect(row.trace == 1, "the command's own fault")
            #expect(row.expectedText == "1 to 3")
            #expect(row.agrees == agrees, "thp_fault_alloc \(kernel)")
            #expect(check.traceSpan == "from the fork of pid 975 to its exit")
            #expect(check.sentence.hasPrefix(agrees ? "The capture's kernel counters" : "**The capture's kernel counters disagree"))
        }
        // Readings around the whole recording (no pid): the kernel counted at least the whole
        // trace's 4 faults, and perhaps more.
        let whole = try check(kernelTHPFaults: 5, pids: nil)
        #expect(whole.rows.first?.expectedText == "4 or more")
        #expect(whole.disagreements.isEmpty)
        #expect(try check(kernelTHPFaults: 3, pids: nil).disagreements.map(\.counter) == ["thp_fault_alloc"])
        // Lost events: the lower bound stands, the upper one goes.
        let lost = try check(kernelTHPFaults: 9, lostEvents: 2)
        #expect(lost.rows.first?.expectedText == "1 or more")
        #expect(lost.disagreements.isEmpty && lost.upperBoundsDropped?.contains("lost 2 events") == true)
    }

    /// A short-lived process's THP, freed by its exit (after its exit event on 6.18) or after its
    /// memory counter rose, is a counted fault, not a lost race: the lower bound keeps it. Its
    /// page table comes after the folio, as in every anonymous THP fault.
    @Test func aFolioFreedAfterItsTaskMovedOnIsNotALostRace() throws {
        let fault = Self.thpFault(pid: 975, at: 100.2, pfn: 0x100200)
            + "               t   975/975   [001]   100.200050000:             kmem:mm_page_alloc: page=0x15aeaf pfn=0x15aeaf order=0 migratetype=0 gfp_flags=GFP_KERNEL_ACCOUNT|__GFP_ZERO|__GFP_COMP\n"
        let rise = "               t   975/975   [001]   100.200100000:                 kmem:rss_stat: mm_id=58302838 curr=1 type=MM_ANONPAGES size=2195456B\n"
        let free = "               t   975/975   [001]   100.200200000:              kmem:mm_page_free: page=0x100200 pfn=0x100200 order=9\n"
        let fork = "            bash   972/972   [000]   100.100000000:       sched:sched_process_fork: comm=bash pid=972 child_comm=bash child_pid=975\n"
        let exit = "               t   975/975   [001]   100.300000000:       sched:sched_process_exit: comm=t pid=975 prio=120 group_dead=true\n"
        let counters = TraceMetadata.KernelCounters(pid: 975, readerPid: 972, rise: ["thp_fault_alloc": 1])
        for (lines, race) in [(fork + fault + rise + free + exit, false), (fork + fault + exit + free, false), (fork + fault + free + exit, true)] {
            let (check, _) = try Self.check(lines, counters)
            #expect(check.rows.first?.expectedText == (race ? "0 to 1" : "1"), "\(lines)")
        }
    }

    /// A shmem THP mapped by a capture without kmem:rss_stat, freed after its task's exit (a
    /// memfd's pages go at exit_files, after the exit event): no counter decides it, but the exit
    /// does, so it is not freed unmapped (it was cleared; without the counters it counts as a THP
    /// zero-fill, as shmem's huge folios do there). Lines of `fault-paths shmem-thp`'s layout.
    @Test func aFolioFreedAfterItsTasksExitIsNotFreedUnmapped() throws {
        let fork = "            bash   972/972   [000]   100.100000000:       sched:sched_process_fork: comm=bash pid=972 child_comm=bash child_pid=975\n"
        // Both within 10.5 us of the allocation, sooner than a clear: only the exit tells.
        let exit = "               t   975/975   [001]   100.200002000:       sched:sched_process_exit: comm=t pid=975 prio=120 group_dead=true\n"
        let free = "               t   975/975   [001]   100.200004000:              kmem:mm_page_free: page=0x100200 pfn=0x100200 order=9\n"
        let counters = TraceMetadata.KernelCounters(pid: 975, readerPid: 972, rise: ["thp_fault_alloc": 0, "thp_file_alloc": 1])
        let (_, statistics) = try Self.check(fork + Self.thpFault(pid: 975, at: 100.2, pfn: 0x100200) + exit + free, counters)
        #expect(statistics.zeroFillFaults == 1 && statistics.zeroFillMatcher.tally.hugeFoliosFreedUnmapped == 0)
        let (_, unexited) = try Self.check(fork + Self.thpFault(pid: 975, at: 100.2, pfn: 0x100200) + free, counters)
        #expect(unexited.zeroFillFaults == 0 && unexited.zeroFillMatcher.tally.hugeFoliosFreedUnmapped == 1)
    }

    /// On 6.18 a command's exit event comes before exit_mm frees its memory, in its own task (a
    /// helper's capture: exit at 917.245901534, its first THP freed at 917.246128957): those frees
    /// are the command's, inside the readings once the reader, which the exit wakes, is switched
    /// in (a free after, task_frag's page after exit_notify, may follow the reading). By hand: its
    /// THP (512 pages) and a page freed in its span, 513 or more; another task's free after the
    /// exit is not the command's, nor its own after the reader's switch-in (8 pages); without the
    /// switch-in, only the span's page.
    @Test func theCommandsExitFreesAreItsOwn() throws {
        let fork = "            bash   972/972   [000]   100.100000000:       sched:sched_process_fork: comm=bash pid=972 child_comm=bash child_pid=975\n"
        let freeInSpan = "               t   975/975   [001]   100.250000000:              kmem:mm_page_free: page=0x200000 pfn=0x200000 order=0\n"
        let exit = "               t   975/975   [001]   100.300000000:       sched:sched_process_exit: comm=t pid=975 prio=120 group_dead=true\n"
        let teardown = "               t   975/975   [001]   100.300227423:              kmem:mm_page_free: page=0x100200 pfn=0x100200 order=9\n"
        let other = "            bash   980/980   [000]   100.300300000:              kmem:mm_page_free: page=0x200001 pfn=0x200001 order=0\n"
        let wake = "            bash   980/980   [000]   100.300400000:       sched:sched_switch: prev_comm=bash prev_pid=980 prev_prio=120 prev_state=S ==> next_comm=bash next_pid=972 next_prio=120\n"
        let late = "               t   975/975   [001]   100.300500000:              kmem:mm_page_free: page=0x200008 pfn=0x200008 order=3\n"
        let reader = "            bash   972/972   [000]   100.500000000:       sched:sched_process_exit: comm=bash pid=972 prio=120 group_dead=true\n"
        let lines = fork + Self.thpFault(pid: 975, at: 100.2, pfn: 0x100200) + freeInSpan + exit + teardown + other + wake + late + reader
        for (kernel, agrees) in [(514, true), (513, true), (512, false)] as [(UInt64, Bool)] {
            let counters = TraceMetadata.KernelCounters(pid: 975, readerPid: 972, rise: ["pgfree": kernel])
            let row = try #require(try Self.check(lines, counters).0.rows.first { $0.counter == "pgfree" })
            #expect(row.trace == 513 && row.expectedText == "513 or more" && row.agrees == agrees, "kernel \(kernel)")
        }
        let counters = TraceMetadata.KernelCounters(pid: 975, readerPid: 972, rise: ["pgfree": 513])
        let unwoken = fork + Self.thpFault(pid: 975, at: 100.2, pfn: 0x100200) + freeInSpan + exit + teardown + other + late + reader
        #expect(try Self.check(unwoken, counters).0.rows.first { $0.counter == "pgfree" }?.expectedText == "1 or more")
    }

    /// shmem's huge folios look like anonymous THP faults and refusals in the trace; the kernel
    /// counts them apart (thp_file_alloc, thp_file_fallback_charge), so the lower bounds leave
    /// them out: 4 THP faults, 2 of them shmem's, allow 2 to 4.
    @Test func shmemsHugeFoliosLeaveTheLowerBounds() throws {
        let counters = TraceMetadata.KernelCounters(
            pid: 975, readerPid: 972,
            rise: ["thp_fault_alloc": 2, "thp_file_alloc": 2, "thp_fault_fallback_charge": 0, "thp_file_fallback_charge": 0])
        let lines = "            bash   972/972   [000]   100.100000000:       sched:sched_process_fork: comm=bash pid=972 child_comm=bash child_pid=975\n"
            + (0..<4).map { Self.thpFault(pid: 975, at: 100.2 + Double($0) / 100, pfn: 0x100000 + $0 * 0x200) }.joined()
            + "               t   975/975   [001]   100.300000000:       sched:sched_process_exit: comm=t pid=975 prio=120 group_dead=true\n"
            + "            bash   972/972   [000]   100.500000000:       sched:sched_process_exit: comm=bash pid=972 prio=120 group_dead=true\n"
        let (check, _) = try Self.check(lines, counters)
        #expect(check.rows.first { $0.counter == "thp_fault_alloc" }?.expectedText == "2 to 4")
        #expect(check.disagreements.isEmpty)
        // A sidecar without thp_file_fallback_charge cannot say which refusals were shmem's.
        var older = counters
        older.rise["thp_file_fallback_charge"] = nil
        older.rise["thp_fault_fallback_charge"] = 3
        let row = try Self.check(lines, older).0.rows.first { $0.counter == "thp_fault_fallback_charge" }
        #expect(row?.expectedLow == 0 && row?.note.contains("No lower bound") == true, "\(String(describing: row))")
    }

    /// Real lines of a 6.18 capture on this VM (THP `always`, shmem_enabled `always`: a program
    /// writing one byte a page over a 32 MiB memfd, then over 32 MiB of private anonymous memory):
    /// one of each's THP fault. shmem's folio carries the same THP mask as the anonymous one;
    /// `__do_fault` preallocates the page table before it, and `do_set_pmd` raises the task's
    /// `MM_SHMEMPAGES` 5.7 ms later, after `shmem_get_folio_gfp`'s clear; the anonymous THP's
    /// deposited page table and `MM_ANONPAGES` come after. The kernel counted one of each
    /// (`thp_fault_alloc` 16, `thp_file_alloc` 16 over the whole run).
    static let shmemAndAnonymousTHPFaults = """
                        bash   972/972   [000] 47324.000000000:       sched:sched_process_fork: comm=bash pid=972 child_comm=bash child_pid=29412
                          fp 29412/29412 [001] 47324.089140877:     exceptions:page_fault_user: address=0x7f066e800000 ip=0x5617a17ae263 error_code=0x6
                          fp 29412/29412 [001] 47324.089141895:             kmem:mm_page_alloc: page=0x1dbc91 pfn=0x1dbc91 order=0 migratetype=0 gfp_flags=GFP_KERNEL_ACCOUNT|__GFP_ZERO|__GFP_COMP
                          fp 29412/29412 [001] 47324.089150531:             kmem:mm_page_alloc: page=0x16fa00 pfn=0x16fa00 order=9 migratetype=1 gfp_flags=GFP_TRANSHUGE_LIGHT|__GFP_NORETRY|__GFP_THISNODE
                          fp 29412/29412 [001] 47324.089155259:              kmem:mm_page_free: page=0x224483 pfn=0x224483 order=0
                          fp 29412/29412 [001] 47324.089155485:              kmem:mm_page_free: page=0x10ddf6 pfn=0x10ddf6 order=0
                          fp 29412/29412 [001] 47324.089155791:      kmem:mm_page_free_batched: page=0x224483 pfn=0x224483 order=0
                          fp 29412/29412 [001] 47324.089156035:      kmem:mm_page_free_batched: page=0x10ddf6 pfn=0x10ddf6 order=0
                     swapper     0/0     [000] 47324.091269923:             sched:sched_switch: prev_comm=swapper/0 prev_pid=0 prev_prio=120 prev_state=R ==> next_comm=rcu_preempt next_pid=15 next_prio=120
                 rcu_preempt    15/15    [000] 47324.091273032:             sched:sched_switch: prev_comm=rcu_preempt prev_pid=15 prev_prio=120 prev_state=I ==> next_comm=swapper/0 next_pid=0 next_prio=120
                          fp 29412/29412 [001] 47324.094848644:                  kmem:rss_stat: mm_id=3635388516 curr=1 type=MM_SHMEMPAGES size=2097152B
                          fp 29412/29412 [001] 47324.094853498:              kmem:mm_page_free: page=0x1dbc91 pfn=0x1dbc91 order=0
                          fp 29412/29412 [001] 47324.244182876:     exceptions:page_fault_user: address=0x7f066e000000 ip=0x5617a17ae263 error_code=0x6
                          fp 29412/29412 [001] 47324.244184489: kmem:mm_page_alloc_zone_locked: page=0x21f400 pfn=0x21f400 order=9 migratetype=1 percpu_refill=1
                          fp 29412/29412 [001] 47324.244192267:             kmem:mm_page_alloc: page=0x21f400 pfn=0x21f400 order=9 migratetype=1 gfp_flags=GFP_TRANSHUGE_LIGHT|__GFP_NORETRY|__GFP_THISNODE
                          fp 29412/29412 [001] 47324.249453811:             kmem:mm_page_alloc: page=0x11d178 pfn=0x11d178 order=0 migratetype=0 gfp_flags=GFP_KERNEL_ACCOUNT|__GFP_ZERO|__GFP_COMP
                          fp 29412/29412 [001] 47324.249455334:                  kmem:rss_stat: mm_id=3635388516 curr=1 type=MM_ANONPAGES size=29454336B
                          fp 29412/29412 [001] 47324.300000000:       sched:sched_process_exit: comm=fp pid=29412 prio=120 group_dead=true
                        bash   972/972   [000] 47324.310000000:       sched:sched_process_exit: comm=bash pid=972 prio=120 group_dead=true

        """

    /// shmem's THP is told apart by the counter its fault raises: one THP zero-fill fault, and one
    /// first write shmem's 512 pages served, no verdict's; the kernel's counts are then exact (1
    /// and 1), where taking shmem's THP for a fault allowed "1 to 2". Without kmem:rss_stat the
    /// two are not told apart: both are THP faults, and the lower bound leaves out thp_file_alloc.
    @Test func shmemsHugeFolioIsToldApartByItsCounter() throws {
        let counters = TraceMetadata.KernelCounters(
            pid: 29412, readerPid: 972,
            rise: ["thp_fault_alloc": 1, "thp_file_alloc": 1, "thp_fault_fallback_charge": 0, "thp_file_fallback_charge": 0])
        let (check, statistics) = try Self.check(Self.shmemAndAnonymousTHPFaults, counters)
        #expect(statistics.zeroFillFaults == 1)
        let tally = statistics.zeroFillMatcher.tally
        #expect(tally.shmemHugePages == 512)
        #expect(tally.firstWritesWithoutGFPZero == 1 && tally.shmemZeroFills == 1, "\(tally)")
        #expect(tally.hugeUserPagesWithoutFault == 0)
        #expect(check.rows.first { $0.counter == "thp_fault_alloc" }?.expectedText == "1")
        #expect(check.disagreements.isEmpty)
        #expect(check.rows.first { $0.counter == "thp_file_alloc" }?.expectedText == "1 to 2")
        // The kernel counting both as anonymous faults would disagree on both counters.
        var both = counters
        both.rise["thp_fault_alloc"] = 2
        both.rise["thp_file_alloc"] = 0
        #expect(try Self.check(Self.shmemAndAnonymousTHPFaults, both).0.disagreements.map(\.counter) == ["thp_fault_alloc", "thp_file_alloc"])

        let withoutCounters = Self.shmemAndAnonymousTHPFaults.split(separator: "\n").filter { !$0.contains("rss_stat") }.joined(separator: "\n") + "\n"
        let (blind, blindStatistics) = try Self.check(withoutCounters, counters)
        #expect(blindStatistics.zeroFillFaults == 2 && blindStatistics.zeroFillMatcher.tally.shmemHugePages == 0)
        #expect(blind.rows.first { $0.counter == "thp_fault_alloc" }?.expectedText == "1 to 2")

        // The replay takes the same folio for shmem's: one THP fault replayed, 512 pages apart.
        let path = Scratch.directory + "prezero-shmem-thp-\(UUID().uuidString).perf.txt"
        try Self.shmemAndAnonymousTHPFaults.write(toFile: path, atomically: true, encoding: .utf8)
        let metrics = try replay(path, policy: "zero-on-fault", profile: BuiltinProfiles.epycZen5VM.withMemory(1 << 30), timebase: .trace).metrics
        #expect(metrics.faults == 1 && metrics.hugeFaults == 1 && metrics.shmemHugePages == 512, "\(metrics.faults) \(metrics.shmemHugePages)")
    }

    /// The shmem THP fault of `shmemAndAnonymousTHPFaults`, moved by `seconds` and `pfn` pages,
    /// with its page's rise to `bytes`; its allocation `allocationDelayNs` after the fault event.
    static func shmemTHPFault(after seconds: Double, pfn: Int, bytes: Int, allocationDelayNs: Int = 9_654) -> String {
        let t = { (ns: Int) in String(format: "%.9f", 47324.089140877 + seconds + Double(ns) / 1e9) }
        let p = String(format: "0x%x", 0x16fa00 + pfn)
        return """
                              fp 29412/29412 [001] \(t(0)):     exceptions:page_fault_user: address=0x7f066e800000 ip=0x5617a17ae263 error_code=0x6
                              fp 29412/29412 [001] \(t(1_018)):             kmem:mm_page_alloc: page=0x1dbc91 pfn=0x1dbc91 order=0 migratetype=0 gfp_flags=GFP_KERNEL_ACCOUNT|__GFP_ZERO|__GFP_COMP
                              fp 29412/29412 [001] \(t(allocationDelayNs)):             kmem:mm_page_alloc: page=\(p) pfn=\(p) order=9 migratetype=1 gfp_flags=GFP_TRANSHUGE_LIGHT|__GFP_NORETRY|__GFP_THISNODE
                              fp 29412/29412 [001] \(t(5_707_767)):                  kmem:rss_stat: mm_id=3635388516 curr=1 type=MM_SHMEMPAGES size=\(bytes)B
                              fp 29412/29412 [001] \(t(5_712_621)):              kmem:mm_page_free: page=0x1dbc91 pfn=0x1dbc91 order=0

            """
    }

    /// Built on the real shmem fault: a second one rises from a counter seen before; one whose
    /// folio came 60 us after the fault event (72 us here on an ftrace capture) is still the
    /// fault's; an anonymous THP with no counter move before it (a collapse over mapped memory)
    /// is not marked by the shmem fault's rise; a shmem THP populated with no fault is in
    /// thp_collapse_alloc's upper bound, not in thp_file_alloc's lower one; large swap-ins
    /// (swpin) leave the lower bounds, and a sidecar without swpin keeps none where the trace
    /// shows swap.
    @Test func shmemFoliosBeyondTheFirst() throws {
        let fork = "            bash   972/972   [000] 47324.000000000:       sched:sched_process_fork: comm=bash pid=972 child_comm=bash child_pid=29412\n"
        let exit = "              fp 29412/29412 [001] 47325.000000000:       sched:sched_process_exit: comm=fp pid=29412 prio=120 group_dead=true\n"
            + "            bash   972/972   [000] 47325.010000000:       sched:sched_process_exit: comm=bash pid=972 prio=120 group_dead=true\n"
        let counters = TraceMetadata.KernelCounters(
            pid: 29412, readerPid: 972, rise: ["thp_fault_alloc": 0, "thp_file_alloc": 2, "thp_collapse_alloc": 0, "hugepages-2048kB/swpin": 0])
        let two = fork + Self.shmemTHPFault(after: 0, pfn: 0, bytes: 2 << 20) + Self.shmemTHPFault(after: 0.1, pfn: 0x200, bytes: 4 << 20, allocationDelayNs: 60_000) + exit
        let (check, statistics) = try Self.check(two, counters)
        let tally = statistics.zeroFillMatcher.tally
        #expect(tally.shmemHugePages == 1024 && tally.shmemZeroFills == 2 && statistics.zeroFillFaults == 0, "\(tally)")
        #expect(check.rows.first { $0.counter == "thp_file_alloc" }?.expectedText == "2")
        #expect(check.disagreements.isEmpty)

        // A shmem THP populated with no fault (MADV_POPULATE_WRITE): the kernel counts it in
        // thp_file_alloc, and the check also allows it to be a collapse.
        let populatedFolio = Self.shmemTHPFault(after: 0, pfn: 0, bytes: 2 << 20).split(separator: "\n")
            .filter { !$0.contains("page_fault_user") }.joined(separator: "\n") + "\n"
        let populated = fork + populatedFolio + exit
        // An anonymous THP allocated with no fault and no counter move (a collapse over mapped
        // memory), then, with no page table or fault between, the shmem folio: its rise marks it alone.
        let collapse = "              fp 29412/29412 [001] 47324.089000000:             kmem:mm_page_alloc: page=0x200000 pfn=0x200000 order=9 migratetype=1 gfp_flags=GFP_TRANSHUGE\n"
        let noPageTable = populatedFolio.split(separator: "\n").filter { !$0.contains("__GFP_ZERO") }.joined(separator: "\n") + "\n"
        let mixed = try Self.check(fork + collapse + noPageTable + exit, counters).1.zeroFillMatcher.tally
        #expect(mixed.shmemHugePages == 512 && mixed.hugeUserPagesWithoutFault == 512, "\(mixed)")
        for (file, collapses, agrees) in [(1, 0, true), (0, 1, true), (0, 2, false)] as [(UInt64, UInt64, Bool)] {
            var c = counters
            c.rise["thp_file_alloc"] = file
            c.rise["thp_collapse_alloc"] = collapses
            let (populatedCheck, populatedStatistics) = try Self.check(populated, c)
            #expect(populatedStatistics.zeroFillMatcher.tally.shmemHugePages == 512)
            #expect(populatedCheck.rows.first { $0.counter == "thp_file_alloc" }?.expectedText == "0 to 1")
            #expect(populatedCheck.rows.first { $0.counter == "thp_collapse_alloc" }?.expectedText == "0 to 1")
            #expect(populatedCheck.disagreements.isEmpty == agrees, "thp_file_alloc \(file), thp_collapse_alloc \(collapses)")
        }

        // One large swap-in between the readings: the two folios may include it.
        var swapped = counters
        swapped.rise["hugepages-2048kB/swpin"] = 1
        #expect(try Self.check(two, swapped).0.rows.first { $0.counter == "thp_file_alloc" }?.expectedText == "1 to 2")
        // No swpin in the sidecar of a kernel with mTHP stats: without swap in the trace, none;
        // with it, no lower bound.
        swapped.rise["hugepages-2048kB/swpin"] = nil
        swapped.rise["hugepages-2048kB/anon_fault_alloc"] = 0
        #expect(try Self.check(two, swapped).0.rows.first { $0.counter == "thp_file_alloc" }?.expectedText == "2")
        let swap = "              fp 29412/29412 [001] 47324.500000000:                  kmem:rss_stat: mm_id=3635388516 curr=1 type=MM_SWAPENTS size=0B\n"
        #expect(try Self.check(fork + Self.shmemTHPFault(after: 0, pfn: 0, bytes: 2 << 20) + swap + exit, swapped).0.rows
            .first { $0.counter == "thp_file_alloc" }?.expectedText == "0 to 1")
    }

    /// What does not make shmem's THP: another thread's rise (its own fault's), a rise of another
    /// process's memory (curr=0), a rise after a fall (a collapse's unmapping, below). Each leaves
    /// the folio unmarked: two THP zero-fill faults, as without kmem:rss_stat.
    @Test(arguments: [
        ("another thread's rise", "fp 29412/29412 [001] 47324.094848644:                  kmem:rss_stat", "fp 29412/29413 [000] 47324.094848644:                  kmem:rss_stat"),
        ("another process's memory", "curr=1 type=MM_SHMEMPAGES size=2097152B", "curr=0 type=MM_SHMEMPAGES size=2097152B"),
        ("a fall first", "size=2097152B\n", "size=2093056B\n                          fp 29412/29412 [001] 47324.094848700:                  kmem:rss_stat: mm_id=3635388516 curr=1 type=MM_SHMEMPAGES size=2097152B\n"),
    ])
    func noShmemFaultOfTheTaskMarksNothing(_ name: String, _ line: String, _ replacement: String) throws {
        let lines = Self.shmemAndAnonymousTHPFaults.replacingOccurrences(of: line, with: replacement)
        #expect(lines != Self.shmemAndAnonymousTHPFaults)
        let counters = TraceMetadata.KernelCounters(pid: 29412, readerPid: 972, rise: ["thp_fault_alloc": 1, "thp_file_alloc": 1])
        let (check, statistics) = try Self.check(lines, counters)
        #expect(statistics.zeroFillFaults == 2 && statistics.zeroFillMatcher.tally.shmemHugePages == 0, "\(name)")
        #expect(check.rows.first { $0.counter == "thp_fault_alloc" }?.expectedText == "1 to 2", "\(name)")
        #expect(check.disagreements.isEmpty, "\(name)")
    }

    /// Real lines of `MADV_COLLAPSE` on 16 MiB of shared anonymous memory (a helper agent's capture,
    /// 6.18 on this VM): `collapse_file` allocates the THP, unmaps the small pages it replaces (the
    /// task's MM_SHMEMPAGES falls, once a page: 3 of 512 here) and maps the THP (the rise). The
    /// kernel counts it in thp_collapse_alloc, not thp_file_alloc: it is no shmem fault's folio.
    @Test func aShmemCollapseIsNoShmemFault() throws {
        let lines = """
                        bash   972/972   [000] 55588.000000000:       sched:sched_process_fork: comm=bash pid=972 child_comm=bash child_pid=21720
                           t 21720/21720 [001] 55588.552570008:             kmem:mm_page_alloc: page=0x143800 pfn=0x143800 order=9 migratetype=1 gfp_flags=GFP_TRANSHUGE
                           t 21720/21720 [001] 55588.552576866:                  kmem:rss_stat: mm_id=1468232879 curr=1 type=MM_SHMEMPAGES size=16773120B
                           t 21720/21720 [001] 55588.552578582:                  kmem:rss_stat: mm_id=1468232879 curr=1 type=MM_SHMEMPAGES size=16769024B
                           t 21720/21720 [001] 55588.552579864:                  kmem:rss_stat: mm_id=1468232879 curr=1 type=MM_SHMEMPAGES size=16764928B
                           t 21720/21720 [001] 55588.559541475:              kmem:mm_page_free: page=0x1fd86c pfn=0x1fd86c order=0
                           t 21720/21720 [001] 55588.559547189:                  kmem:rss_stat: mm_id=1468232879 curr=1 type=MM_SHMEMPAGES size=16777216B
                           t 21720/21720 [001] 55588.600000000:       sched:sched_process_exit: comm=t pid=21720 prio=120 group_dead=true
                        bash   972/972   [000] 55588.610000000:       sched:sched_process_exit: comm=bash pid=972 prio=120 group_dead=true

            """
        let counters = TraceMetadata.KernelCounters(
            pid: 21720, readerPid: 972, rise: ["thp_fault_alloc": 0, "thp_file_alloc": 0, "thp_collapse_alloc": 1])
        let (check, statistics) = try Self.check(lines, counters)
        #expect(statistics.zeroFillMatcher.tally.shmemHugePages == 0 && statistics.zeroFillMatcher.tally.hugeUserPagesWithoutFault == 512)
        #expect(check.rows.first { $0.counter == "thp_collapse_alloc" }?.expectedText == "0 to 1")
        #expect(check.disagreements.isEmpty, "\(check.disagreements)")
    }

    /// Real lines (a helper agent's capture, 6.18): a first write maps a shmem THP already in the
    /// page cache (its task's MM_SHMEMPAGES rises, no allocation), then the program's pwrite()
    /// allocates the next THP of the memfd. On a kernel that raises a fault's counter as it maps
    /// (6.2 on) that THP is not the fault's; before 6.2 the rise may have been handle_mm_fault's
    /// sync, and the THP pairs with the fault as it did.
    @Test func aFaultThatMappedACachedPageTakesNoLaterFolio() throws {
        let lines = """
                           t 16784/16784 [000] 55485.289658819:     exceptions:page_fault_user: address=0x7f88d3000000 ip=0x55c5fa723390 error_code=0x6
                           t 16784/16784 [000] 55485.289661899:             kmem:mm_page_alloc: page=0x11a842 pfn=0x11a842 order=0 migratetype=0 gfp_flags=GFP_KERNEL_ACCOUNT|__GFP_ZERO|__GFP_COMP
                           t 16784/16784 [000] 55485.289663742:                  kmem:rss_stat: mm_id=3745378755 curr=1 type=MM_SHMEMPAGES size=2097152B
                           t 16784/16784 [000] 55485.289665250:              kmem:mm_page_free: page=0x11a842 pfn=0x11a842 order=0
                           t 16784/16784 [000] 55485.289677332:             kmem:mm_page_alloc: page=0x182600 pfn=0x182600 order=9 migratetype=1 gfp_flags=GFP_TRANSHUGE_LIGHT|__GFP_NORETRY|__GFP_THISNODE

            """
        let counters = TraceMetadata.KernelCounters(pid: nil, readerPid: nil, rise: ["thp_fault_alloc": 0])
        #expect(try Self.check(lines, counters, kernel: KernelVersion(major: 6, minor: 18)).1.zeroFillFaults == 0)
        #expect(try Self.check(lines, counters, kernel: KernelVersion(major: 6, minor: 1)).1.zeroFillFaults == 1)
    }

    /// Real lines of a thread that lost a race for a 2 MiB range (a helper agent's capture on this
    /// VM, 6.18, THP `always`: two threads writing the same fresh 32 MiB): its THP is allocated,
    /// cleared, and freed with its deposited page table when `__do_huge_pmd_anonymous_page` finds
    /// the PMD mapped, and `thp_fault_alloc` (counted in `map_anon_folio_pmd`) does not count it.
    /// The trace pairs it with the fault, so the lower bound leaves out folios their task freed at once.
    /// A counter of another process's memory moving meanwhile (a reclaim in the charge, `curr=0`;
    /// added here) says nothing of the folio.
    @Test func aHugeFaultThatLostItsRaceIsNotTheKernels() throws {
        let lines = """
                        bash   972/972   [000] 47189.000000000:       sched:sched_process_fork: comm=bash pid=972 child_comm=bash child_pid=15709
                          fp 15709/15710 [000] 47189.011406307:     exceptions:page_fault_user: address=0x7f578aa00000 ip=0x55f792cb1263 error_code=0x6
                          fp 15709/15710 [000] 47189.011413997:             kmem:mm_page_alloc: page=0x15ce00 pfn=0x15ce00 order=9 migratetype=1 gfp_flags=GFP_TRANSHUGE_LIGHT|__GFP_NORETRY|__GFP_THISNODE
                          fp 15709/15710 [000] 47189.011631589:             kmem:mm_page_alloc: page=0x15aeaf pfn=0x15aeaf order=0 migratetype=0 gfp_flags=GFP_KERNEL_ACCOUNT|__GFP_ZERO|__GFP_COMP
                          fp 15709/15710 [000] 47189.011632491:              kmem:mm_page_free: page=0x15aeaf pfn=0x15aeaf order=0
                          fp 15709/15710 [000] 47189.011632900:                  kmem:rss_stat: mm_id=11111 curr=0 type=MM_FILEPAGES size=4096B
                          fp 15709/15710 [000] 47189.011633497:              kmem:mm_page_free: page=0x15ce00 pfn=0x15ce00 order=9
                          fp 15709/15709 [001] 47189.020000000:       sched:sched_process_exit: comm=fp pid=15709 prio=120 group_dead=true
                        bash   972/972   [000] 47189.030000000:       sched:sched_process_exit: comm=bash pid=972 prio=120 group_dead=true

            """
        let counters = TraceMetadata.KernelCounters(pid: 15709, readerPid: 972, rise: ["thp_fault_alloc": 0, "thp_fault_fallback_charge": 0])
        let (check, statistics) = try Self.check(lines, counters)
        #expect(statistics.zeroFillFaults == 1, "the trace pairs the lost race's THP with its fault")
        #expect(check.rows.first?.expectedText == "0 to 1")
        // Its page table came before its free: no refusal whose fallback found the range mapped.
        #expect(check.rows.first { $0.counter == "thp_fault_fallback_charge" }?.expectedText == "0")
        #expect(check.disagreements.isEmpty)
    }

    /// Real lines (this project's capture, 6.18, `fault-paths shmem-race`: two threads write each
    /// 2 MiB of one MADV_HUGEPAGE memfd at once, shmem_enabled advise): both fault on one range,
    /// each after its preallocated page table. 10970 wins; 10969's THP is freed 5 us after its
    /// allocation, before any clear, as `shmem_add_to_page_cache` finds 10970's folio; it sleeps
    /// on that folio's lock, frees its page table (the PMD is mapped) and faults on the next range,
    /// raising no counter. The kernel counted no `thp_fault_alloc` and one `thp_file_alloc`. An
    /// anonymous THP's page table comes between its folio and the race (the lost race above), so
    /// this folio is no zero-fill; on a write to the huge zero page (0x7, here made so) it is a
    /// cleared one, as `do_huge_zero_wp_pmd` allocates no page table.
    @Test func aShmemFaultThatLostItsFolioToThePageCacheIsNoZeroFill() throws {
        func lines(loserErrorCode: String, loserOrder: Int = 9, beforeNextFault: String = "") -> String {
            """
                       bash 10967/10967 [000]   931.459069443:       sched:sched_process_fork: comm=bash pid=10967 child_comm=bash child_pid=10969
                fault-paths 10969/10969 [001]   932.045320910:                  kmem:rss_stat: mm_id=1344288933 curr=1 type=MM_SHMEMPAGES size=216006656B
                fault-paths 10969/10969 [001]   932.045399322:     exceptions:page_fault_user: address=0x7f811dc00000 ip=0x557023397c05 error_code=\(loserErrorCode)
                fault-paths 10969/10970 [000]   932.045400203:     exceptions:page_fault_user: address=0x7f811dc00000 ip=0x557023397c05 error_code=0x6
                fault-paths 10969/10969 [001]   932.045403222:             kmem:mm_page_alloc: page=0x120449 pfn=0x120449 order=0 migratetype=0 gfp_flags=GFP_KERNEL_ACCOUNT|__GFP_ZERO|__GFP_COMP
                fault-paths 10969/10970 [000]   932.045403384:             kmem:mm_page_alloc: page=0x11acb8 pfn=0x11acb8 order=0 migratetype=0 gfp_flags=GFP_KERNEL_ACCOUNT|__GFP_ZERO|__GFP_COMP
                fault-paths 10969/10969 [001]   932.045407488: kmem:mm_page_alloc_zone_locked: page=0x138800 pfn=0x138800 order=9 migratetype=1 percpu_refill=1
                fault-paths 10969/10969 [001]   932.045408611: kmem:mm_page_alloc_zone_locked: page=0x13a200 pfn=0x13a200 order=9 migratetype=1 percpu_refill=1
                fault-paths 10969/10970 [000]   932.045410488:             kmem:mm_page_alloc: page=0x134800 pfn=0x134800 order=9 migratetype=1 gfp_flags=GFP_TRANSHUGE|__GFP_NORETRY|__GFP_THISNODE
                fault-paths 10969/10969 [001]   932.045413368:             kmem:mm_page_alloc: page=0x138800 pfn=0x138800 order=\(loserOrder) migratetype=1 gfp_flags=GFP_TRANSHUGE|__GFP_NORETRY|__GFP_THISNODE
                fault-paths 10969/10969 [001]   932.045418172:              kmem:mm_page_free: page=0x138800 pfn=0x138800 order=\(loserOrder)
                fault-paths 10969/10969 [001]   932.045424764:             sched:sched_switch: prev_comm=fault-paths prev_pid=10969 prev_prio=120 prev_state=D ==> next_comm=swapper/1 next_pid=0 next_prio=120
                fault-paths 10969/10970 [000]   932.050902180:                  kmem:rss_stat: mm_id=1344288933 curr=1 type=MM_SHMEMPAGES size=218103808B
                fault-paths 10969/10970 [000]   932.050922169:              kmem:mm_page_free: page=0x11acb8 pfn=0x11acb8 order=0
                fault-paths 10969/10969 [001]   932.051065875:              kmem:mm_page_free: page=0x120449 pfn=0x120449 order=0
            \(beforeNextFault)    fault-paths 10969/10969 [001]   932.051089611:     exceptions:page_fault_user: address=0x7f811de00000 ip=0x557023397c05 error_code=0x6
                fault-paths 10969/10969 [001]   932.060000000:       sched:sched_process_exit: comm=fault-paths pid=10969 prio=120 group_dead=true
                       bash 10967/10967 [000]   932.070000000:       sched:sched_process_exit: comm=bash pid=10967 prio=120 group_dead=true

            """
        }
        let counters = TraceMetadata.KernelCounters(
            pid: 10969, readerPid: 10967, rise: ["thp_fault_alloc": 0, "thp_file_alloc": 1, "thp_file_fallback_charge": 0, "thp_fault_fallback_charge": 0])
        let (check, statistics) = try Self.check(lines(loserErrorCode: "0x6"), counters, kernel: KernelVersion(major: 6, minor: 18))
        let tally = statistics.zeroFillMatcher.tally
        #expect(statistics.zeroFillFaults == 0, "the loser's THP was never cleared")
        #expect(tally.hugeFoliosFreedUnmapped == 1 && tally.hugePagesChargeRefused == 0)
        #expect(tally.shmemHugePages == 512, "the winner's, told by its MM_SHMEMPAGES rise")
        #expect(tally.firstWritesWithoutAllocation == 1 && tally.firstWritesWithoutGFPZero == 1)
        #expect(check.rows.first { $0.counter == "thp_fault_alloc" }?.expectedText == "0")
        #expect(check.rows.first { $0.counter == "thp_file_alloc" }?.expectedText == "1")
        #expect(check.disagreements.isEmpty, "\(check.disagreements)")
        let zeroPageWrite = try Self.check(lines(loserErrorCode: "0x7"), counters, kernel: KernelVersion(major: 6, minor: 18)).1
        #expect(zeroPageWrite.zeroFillFaults == 1 && zeroPageWrite.zeroFillMatcher.tally.hugeFoliosFreedUnmapped == 0)
        // The fault ends at its freed folio: a zeroed page the task takes later (added: a populate)
        // is no zero-fill of it.
        let populate = "    fault-paths 10969/10969 [001]   932.051070000:             kmem:mm_page_alloc: page=0x150000 pfn=0x150000 order=0 migratetype=1 gfp_flags=GFP_HIGHUSER_MOVABLE|__GFP_ZERO\n"
        let later = try Self.check(lines(loserErrorCode: "0x6", beforeNextFault: populate), counters, kernel: KernelVersion(major: 6, minor: 18)).1
        #expect(later.zeroFillFaults == 0 && later.zeroFillMatcher.tally.zeroedUserPagesWithoutFault == 1)
        #expect(later.zeroFillMatcher.tally.hugeFoliosFreedUnmapped == 1 && later.zeroFillMatcher.tally.firstWritesWithoutAllocation == 1)
        // An mTHP freed so is not marked (an anonymous mTHP that lost its race was cleared, with no
        // page table after it either): an mTHP zero-fill.
        let mthp = try Self.check(lines(loserErrorCode: "0x6", loserOrder: 4), counters, kernel: KernelVersion(major: 6, minor: 18)).1
        #expect(mthp.zeroFillFaults == 1 && mthp.zeroFillMatcher.tally.hugeFoliosFreedUnmapped == 0)
        // A .pzt of the lines keeps no mark; reading it marks the folio again.
        let text = Scratch.directory + "prezero-race-\(UUID().uuidString).perf.txt", pzt = text + ".pzt"
        try lines(loserErrorCode: "0x6").write(toFile: text, atomically: true, encoding: .utf8)
        _ = try TraceConverter.convert(input: text, output: pzt, metadata: nil)
        var fromPzt = TraceStatistics(kernel: KernelVersion(major: 6, minor: 18))
        _ = try TraceReader.read(path: pzt, into: &fromPzt)
        #expect(fromPzt.zeroFillFaults == 0 && fromPzt.zeroFillMatcher.tally.hugeFoliosFreedUnmapped == 1)
    }

    /// Real lines (this project's capture, 6.18, `fault-paths anon-race` in a 48 MiB memory
    /// cgroup; the exits are added): two threads fault on one 2 MiB range. 16632's THP is charged,
    /// cleared and mapped; 16633's is refused after 420 us of reclaim (sched_switch lines, one
    /// kept) and freed, and its fallback finds the PMD mapped: no page table, no fallback page, the
    /// next fault. Freed too late to tell from a cleared folio, it is a lost race here; the kernel
    /// counted it in `thp_fault_fallback_charge`, so the refusal rows allow the lost races too.
    @Test func aRefusedFolioWhoseRangeWasMappedMeanwhileLooksLikeALostRace() throws {
        let lines = """
                   bash 16630/16630 [000]  1629.446741861:       sched:sched_process_fork: comm=bash pid=16630 child_comm=bash child_pid=16632
            fault-paths 16632/16632 [001]  1629.538405144:     exceptions:page_fault_user: address=0x7f1894a00000 ip=0x56425ad7dc05 error_code=0x6
            fault-paths 16632/16632 [001]  1629.538408000:             kmem:mm_page_alloc: page=0x127800 pfn=0x127800 order=9 migratetype=1 gfp_flags=GFP_TRANSHUGE|__GFP_NORETRY|__GFP_THISNODE
            fault-paths 16632/16633 [000]  1629.538414466:     exceptions:page_fault_user: address=0x7f1894a00000 ip=0x56425ad7dc05 error_code=0x6
            fault-paths 16632/16633 [000]  1629.538419505:             kmem:mm_page_alloc: page=0x1bd800 pfn=0x1bd800 order=9 migratetype=1 gfp_flags=GFP_TRANSHUGE|__GFP_NORETRY|__GFP_THISNODE
            fault-paths 16632/16633 [000]  1629.538434641:             sched:sched_switch: prev_comm=fault-paths prev_pid=16633 prev_prio=120 prev_state=R+ ==> next_comm=kworker/0:3 next_pid=102 next_prio=120
            fault-paths 16632/16632 [001]  1629.538623915:             kmem:mm_page_alloc: page=0x10cdbf pfn=0x10cdbf order=0 migratetype=0 gfp_flags=GFP_KERNEL_ACCOUNT|__GFP_ZERO|__GFP_COMP
            fault-paths 16632/16632 [001]  1629.538627640:                  kmem:rss_stat: mm_id=212813725 curr=1 type=MM_ANONPAGES size=48345088B
            fault-paths 16632/16633 [000]  1629.538839421:              kmem:mm_page_free: page=0x1bd800 pfn=0x1bd800 order=9
            fault-paths 16632/16633 [000]  1629.538854224:     exceptions:page_fault_user: address=0x7f1894c00000 ip=0x56425ad7dc05 error_code=0x6
            fault-paths 16632/16632 [000]  1629.542155258:       sched:sched_process_exit: comm=fault-paths pid=16632 prio=120 group_dead=true
                   bash 16630/16630 [000]  1629.550000000:       sched:sched_process_exit: comm=bash pid=16630 prio=120 group_dead=true

            """
        let counters = TraceMetadata.KernelCounters(
            pid: 16632, readerPid: 16630, rise: ["thp_fault_alloc": 1, "thp_fault_fallback_charge": 1, "thp_fault_fallback": 1])
        let (check, statistics) = try Self.check(lines, counters, kernel: KernelVersion(major: 6, minor: 18))
        #expect(statistics.zeroFillFaults == 2 && statistics.zeroFillMatcher.tally.hugeFoliosFreedUnmapped == 0)
        #expect(check.rows.first { $0.counter == "thp_fault_alloc" }?.expectedText == "1 to 2")
        #expect(check.rows.first { $0.counter == "thp_fault_fallback_charge" }?.expectedText == "0 to 1")
        #expect(check.disagreements.isEmpty, "\(check.disagreements)")
    }

    /// Real lines (this project's capture, 6.18, `fault-paths shmem-race` in a 48 MiB memory
    /// cgroup; the exits are added): shmem's THP is refused by the memory cgroup 530 us after its
    /// allocation and freed, and the fault falls back to an order-0 page without __GFP_ZERO
    /// (`shmem_alloc_and_add_folio` at order 0), where an anonymous fault's fallback is zeroed. The
    /// kernel counted it in `thp_file_fallback_charge`, not `thp_fault_fallback_charge`: the
    /// anonymous row is exact; shmem's has no lower bound (an -ENOSPC, or before 6.7 a lost race,
    /// falls back so too, uncounted).
    @Test func aShmemFolioTheMemoryCgroupRefusedIsToldApartByItsFallback() throws {
        let lines = """
                   bash 17137/17137 [001]  1631.944449921:       sched:sched_process_fork: comm=bash pid=17137 child_comm=bash child_pid=17139
            fault-paths 17139/17139 [001]  1632.068635864:     exceptions:page_fault_user: address=0x7fc638200000 ip=0x563afa1b5c05 error_code=0x6
            fault-paths 17139/17139 [001]  1632.068639639:             kmem:mm_page_alloc: page=0x10cdae pfn=0x10cdae order=0 migratetype=0 gfp_flags=GFP_KERNEL_ACCOUNT|__GFP_ZERO|__GFP_COMP
            fault-paths 17139/17139 [001]  1632.068648597:             kmem:mm_page_alloc: page=0x1ea200 pfn=0x1ea200 order=9 migratetype=1 gfp_flags=GFP_TRANSHUGE|__GFP_NORETRY|__GFP_THISNODE
            fault-paths 17139/17139 [001]  1632.069176130:              kmem:mm_page_free: page=0x1ea200 pfn=0x1ea200 order=9
            fault-paths 17139/17139 [001]  1632.069179922:             kmem:mm_page_alloc: page=0x22824d pfn=0x22824d order=0 migratetype=1 gfp_flags=GFP_HIGHUSER_MOVABLE|__GFP_COMP
            fault-paths 17139/17139 [001]  1632.069187010:                  kmem:rss_stat: mm_id=4228100529 curr=1 type=MM_SHMEMPAGES size=48238592B
            fault-paths 17139/17139 [001]  1632.080000000:       sched:sched_process_exit: comm=fault-paths pid=17139 prio=120 group_dead=true
                   bash 17137/17137 [001]  1632.090000000:       sched:sched_process_exit: comm=bash pid=17137 prio=120 group_dead=true

            """
        let counters = TraceMetadata.KernelCounters(
            pid: 17139, readerPid: 17137,
            rise: ["thp_fault_alloc": 0, "thp_file_alloc": 0, "thp_fault_fallback_charge": 0, "thp_file_fallback_charge": 1])
        let (check, statistics) = try Self.check(lines, counters, kernel: KernelVersion(major: 6, minor: 18))
        #expect(statistics.zeroFillFaults == 0 && statistics.zeroFillMatcher.tally.hugePagesChargeRefused == 512)
        #expect(statistics.zeroFillMatcher.hugeFolios.chargeRefusedShmem[9] == 1)
        #expect(check.rows.first { $0.counter == "thp_fault_fallback_charge" }?.expectedText == "0")
        #expect(check.rows.first { $0.counter == "thp_file_fallback_charge" }?.expectedText == "0 to 1")
        #expect(check.rows.first { $0.counter == "thp_file_fallback_charge" }?.trace == 1)
        #expect(check.disagreements.isEmpty, "\(check.disagreements)")
    }

    /// Real lines (a helper agent's capture, 6.18, `zp-zap`: a reader thread reads a fresh
    /// MADV_HUGEPAGE range and zaps it with MADV_DONTNEED, a writer writes it): the writer's first
    /// write (0x6) found the huge zero page the reader's read mapped meanwhile, so
    /// `do_huge_zero_wp_pmd` took it: a THP cleared with no page table after it, freed 212 us later
    /// when the zap changed the PMD. Freed too late to be uncleared, it stays a zero-fill fault,
    /// as does the write after it (0x7).
    @Test func aClearedTHPFreedWithNoPageTableIsAZeroFill() throws {
        let lines = """
                  zp-zap  2940/2941  [000]  3331.354502395:     exceptions:page_fault_user: address=0x7fa348e02000 ip=0x55cd4e7303af error_code=0x4
                  zp-zap  2940/2941  [000]  3331.354503591:             kmem:mm_page_alloc: page=0x106a08 pfn=0x106a08 order=0 migratetype=0 gfp_flags=GFP_KERNEL_ACCOUNT|__GFP_ZERO|__GFP_COMP
                  zp-zap  2940/2941  [000]  3331.354504848:              kmem:mm_page_free: page=0x106a08 pfn=0x106a08 order=0
                  zp-zap  2940/2942  [001]  3331.354520475:     exceptions:page_fault_user: address=0x7fa348e01100 ip=0x55cd4e730328 error_code=0x6
                  zp-zap  2940/2942  [001]  3331.354523133:             kmem:mm_page_alloc: page=0x166a00 pfn=0x166a00 order=9 migratetype=1 gfp_flags=GFP_TRANSHUGE|__GFP_NORETRY|__GFP_THISNODE
                  zp-zap  2940/2941  [000]  3331.354535978:     exceptions:page_fault_user: address=0x7fa348e02000 ip=0x55cd4e7303af error_code=0x4
                  zp-zap  2940/2941  [000]  3331.354537032:             kmem:mm_page_alloc: page=0x106a08 pfn=0x106a08 order=0 migratetype=0 gfp_flags=GFP_KERNEL_ACCOUNT|__GFP_ZERO|__GFP_COMP
                  zp-zap  2940/2941  [000]  3331.354537995:              kmem:mm_page_free: page=0x106a08 pfn=0x106a08 order=0
                  zp-zap  2940/2942  [001]  3331.354735143:              kmem:mm_page_free: page=0x166a00 pfn=0x166a00 order=9
                  zp-zap  2940/2942  [001]  3331.354739239:     exceptions:page_fault_user: address=0x7fa348e01100 ip=0x55cd4e730328 error_code=0x7
                  zp-zap  2940/2942  [001]  3331.354740907:             kmem:mm_page_alloc: page=0x166a00 pfn=0x166a00 order=9 migratetype=1 gfp_flags=GFP_TRANSHUGE|__GFP_NORETRY|__GFP_THISNODE

            """
        let path = Scratch.directory + "prezero-zero-wp-\(UUID().uuidString).perf.txt"
        try lines.write(toFile: path, atomically: true, encoding: .utf8)
        var statistics = TraceStatistics(kernel: KernelVersion(major: 6, minor: 18))
        _ = try TraceReader.read(path: path, into: &statistics)
        #expect(statistics.zeroFillFaults == 2 && statistics.zeroFillMatcher.tally.hugeFoliosFreedUnmapped == 0)
    }

    /// A pid whose fork the trace does not hold leaves no lower bound, and says so.
    @Test func aMissingForkChecksNoLowerBound() throws {
        let check = try check(kernelTHPFaults: 0, pids: (999, 972))
        #expect(check.rows.first?.expectedText == "0 to 3")
        #expect(check.traceSpan == "none" && check.lowerBoundsDropped?.contains("no fork of pid 999") == true)
    }
}
