/// What a capture's sched_switch events say of where its idle time can come from. The
/// tracepoint fires in the task switched out, so a capture of some tasks only (perf record
/// without -a, a pid filter) never records the idle task's switches, and misses the switch out
/// of every task it does not trace: on a CPU, a switch then does not take off the task the one
/// before put on. A capture of every task has switches out of idle wherever a CPU was idle, and
/// chains its switches on every CPU.
public struct SwitchChains: Sendable {
    private var lastNext: [Int64] = []  // per CPU: the task the last switch put on; -1 none yet
    public private(set) var switches: UInt64 = 0
    /// Switches out of the idle task (prev_pid 0).
    public private(set) var outOfIdle: UInt64 = 0
    /// Switches after another on their CPU whose task switched out is not the one that switch put on.
    public private(set) var unchained: UInt64 = 0
    public private(set) var chained: UInt64 = 0

    public init() {}

    public mutating func record(cpu: UInt32, prevPid: Int64, nextPid: Int64) {
        switches += 1
        if prevPid == 0 { outOfIdle += 1 }
        guard cpu < 65_536 else { return }
        let i = Int(cpu)
        if i >= lastNext.count { lastNext.append(contentsOf: repeatElement(-1, count: i + 1 - lastNext.count)) }
        if lastNext[i] >= 0 {
            if lastNext[i] == prevPid { chained += 1 } else { unchained += 1 }
        }
        lastNext[i] = nextPid
    }

    public enum Scope: String, Sendable, Codable {
        /// No sched_switch events.
        case none
        /// Switches out of the idle task: every task's switches are recorded, and they give idle time.
        case everyTask = "every_task"
        /// No switch out of idle, but the switches chain on every CPU (at most 1 in 20 does not,
        /// for lost events): every task's switches, and no CPU was idle (but after a last switch
        /// into idle, until the capture's end).
        case everyTaskNeverIdle = "every_task_never_idle"
        /// No switch out of idle, and no chain, or more than 1 in 20 switches out of it: some
        /// tasks' switches only, and idle time unknown.
        case someTasks = "some_tasks"
    }

    /// At most 1 in `unchainedTolerance` switches may fail to chain in a capture of every task
    /// (lost events, the capture's first moments): 3 of 422 in a perf record -a fixture; a
    /// capture of one task has 11 of 11 (Tests/PrezeroTraceTests/Fixtures).
    public static let unchainedTolerance: UInt64 = 20

    public var scope: Scope {
        if switches == 0 { return .none }
        if outOfIdle > 0 { return .everyTask }
        return chained > 0 && unchained * Self.unchainedTolerance <= chained + unchained ? .everyTaskNeverIdle : .someTasks
    }
}
