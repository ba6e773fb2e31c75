/// Whether a capture holds what a verdict on prezeroing needs: user page faults, page
/// allocations, and zero-fill faults among them. Without them a replay measures nothing of the
/// workload, so every command says "no verdict" instead of reporting the model's defaults.
public enum Evidence {
    /// nil when a verdict can be made; else why not and what to do.
    /// - Parameters:
    ///   - events: event lines by canonical name (`TraceReadSummary.eventNameCounts`).
    ///   - zeroFillFaults: user writes to not-present pages (stat) or zero-fill faults replayed.
    public static func missing(events: [String: Int], zeroFillFaults: UInt64) -> String? {
        let capture = "; capture with tools/capture-perf.sh (it records kmem and exceptions tracepoints)"
        var absent: [String] = []
        if (events["kmem:mm_page_alloc"] ?? 0) == 0 { absent.append("kmem:mm_page_alloc") }
        if (events["exceptions:page_fault_user"] ?? 0) == 0 { absent.append("exceptions:page_fault_user") }
        if !absent.isEmpty {
            return "no verdict: the capture has no " + absent.joined(separator: " and no ") + " events" + capture
        }
        if zeroFillFaults == 0 {
            return "no verdict: the capture has no zero-fill faults (a user write to a not-present page followed by its allocation)"
        }
        return nil
    }
}
