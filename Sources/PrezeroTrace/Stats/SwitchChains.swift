/// What a capture's sched_switch events say of where its idle time can come from. The
/// tracepoint fires in the task switched out, so a capture of some tasks only (perf record
/// without -a, a pid filter) never records the idle task's switches, and misses the switch out
/// of every task it does not trace: on a CPU, a switch then takes off a task other than the one
/// the switch before put on. A capture of every task has switches out of idle wherever a CPU
/// was idle (though kernel 6.18 in a KVM guest records few of them: docs/trace-input.md), and
/// chains its switches on every CPU.
public struct SwitchChains: Sendable {
    private var lastNext: [Int64] = []  // per CPU: the task the last switch put on; -1 none yet
    public private(set) var switches: UInt64 = 0
    /// Switches out of the idle task (prev_pid 0), and into it (next_pid 0).
    public private(set) var outOfIdle: UInt64 = 0
    public private(set) var intoIdle: UInt64 = 0
    /// Switches after one that put a task other than idle on their CPU, taking off that task
    /// (chained) or another (unchained). After a switch into idle no switch counts either way: the
    /// switch out of idle is often missing in captures of every task.
    public private(set) var chained: UInt64 = 0
    public private(set) var unchained: UInt64 = 0

    public init() {}

    public mutating func record(cpu: UInt32, prevPid: Int64, nextPid: Int64) {
        switches += 1
        if prevPid == 0 { outOfIdle += 1 }
        if nextPid == 0 { intoIdle += 1 }
        guard cpu < 65_536 else { return }
        let i = Int(cpu)
        if i >= lastNext.count { lastNext.append(contentsOf: repeatElement(-1, count: i + 1 - lastNext.count)) }
        if lastNext[i] > 0 {
            if lastNext[i] == prevPid { chained += 1 } else { unchained += 1 }
        }
        lastNext[i] = nextPid
    }

    public enum Scope: String, Sendable, Codable {
        /// No sched_switch events.
        case none
        /// Switches out of the idle task: every task's switches are recorded, and they give idle time.
        case everyTask = "every_task"
        /// No switch out of idle, none into it, and the switches chain (`missesSwitches` false):
        /// every task's switches, and no CPU was idle.
        case everyTaskNeverIdle = "every_task_never_idle"
        /// The switches chain, and some go into idle, but none comes out: every task's switches,
        /// on a kernel that did not record the idle task's, so how long each CPU was idle is unknown.
        case everyTaskNoIdleExits = "every_task_no_idle_exits"
        /// No switch out of idle, and none chains or they miss switches: some tasks' only.
        case someTasks = "some_tasks"
    }

    /// At most 1 in `unchainedTolerance` switches may fail to chain in a capture of every task
    /// (lost events, the capture's first moments): the bundled captures and the bench's have 0 to
    /// 22 of 20 to 29,384, a perf record -a fixture 3 of 424; the fixture of one task's capture
    /// 1 of 12, none chained (Tests/PrezeroTraceTests/Fixtures; docs/model.md).
    public static let unchainedTolerance: UInt64 = 20

    public var scope: Scope {
        if switches == 0 { return .none }
        if outOfIdle > 0 { return .everyTask }
        guard chained > 0 && !missesSwitches else { return .someTasks }
        return intoIdle == 0 ? .everyTaskNeverIdle : .everyTaskNoIdleExits
    }

    /// More than 1 in 20 switches do not chain. Beside switches out of idle this is a tracefs
    /// pid filter (set_event_pid, trace-cmd -P), which records a switch when either side is a
    /// task it traces, idle included: the gaps between its tasks' switches may hold other tasks'
    /// runs, so the idle times taken from them are upper bounds.
    public var missesSwitches: Bool { Self.missesSwitches(unchained: unchained, switches: switches) }

    public static func missesSwitches(unchained: UInt64, switches: UInt64) -> Bool {
        unchained > switches / unchainedTolerance  // unchained x 20 > switches, without overflow
    }
}
