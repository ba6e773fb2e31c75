/// What `stat` and the report say of free page reporting (mm/page_reporting.c): a VM's balloon
/// device hands free blocks of `page_reporting_order` and up back to its host, which discards
/// them; the guest's next touch of one (a fault's clear, a scrubber's) waits for the host to
/// fault it in again. The model prices no such refault under any policy.
enum FreePageReporting {
    /// One line for `stat`: the capture's device and order, or that it had none or did not look,
    /// and the module's other parameters (a vendor's kernel may add its own).
    static func summary(device: String?, order: Int?, parameters: [String: String]? = nil, pageBytes: UInt64) -> String {
        guard let device else { return "not recorded" }
        guard device != "none" else { return "none (no VM balloon device took free memory back)" }
        var text = "\(device), " + blocks(order: order, pageBytes: pageBytes) + " go back to the VM host, which refaults them on their next touch"
        let others = (parameters ?? [:]).filter { $0.key != "page_reporting_order" }.sorted { $0.key < $1.key }
        if !others.isEmpty { text += " (module parameters: " + others.map { "\($0.key) \($0.value)" }.joined(separator: ", ") + ")" }
        return text
    }

    /// The report's paragraph when the capture's machine reported free pages; nil otherwise.
    static func reportText(device: String?, order: Int?, pageBytes: UInt64) -> String? {
        guard let device, device != "none" else { return nil }
        var text = "**The capture's machine gave free memory back to its VM host** (free page reporting, `\(device)`: "
        text += blocks(order: order, pageBytes: pageBytes) + ", mm/page_reporting.c). The host discards a block left free for a few "
        text += "seconds, and the next touch of it, a fault's clear or a scrubber's, waits for the host to fault it in again: a 2 MiB THP "
        text += "fault cost 4.4-6.7 ms at the median (4.5 ms typically) on blocks free for 10 s or more, against 176-196 us on blocks "
        text += "just freed (measured on this project's AMD EPYC Zen 4 KVM guest, not on the capture's machine: `tools/workloads/thp-idle.c`, "
        text += "docs/thp-idle-zen4.txt). No policy here prices "
        text += "that refault: a scrubber "
        text += "that zeroes a discarded block pays it off the fault path, and a zeroed block left free for seconds is discarded again, "
        text += "so where the trace's faults take blocks that sat free, the verdicts miss a cost whose side this replay cannot tell."
        return text
    }

    /// "free blocks of order 9 (2048 KiB) and up", or without the order when it was not read.
    private static func blocks(order: Int?, pageBytes: UInt64) -> String {
        guard let order, (0..<32).contains(order) else { return "free blocks from its reporting order up" }
        let bytes = pageBytes.multipliedReportingOverflow(by: 1 << UInt64(order))
        return "free blocks of order \(order)" + (bytes.overflow || pageBytes == 0 ? "" : " (\(bytes.partialValue >> 10) KiB)") + " and up"
    }
}
