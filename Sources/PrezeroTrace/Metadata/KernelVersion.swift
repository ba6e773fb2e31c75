/// A kernel release such as `6.18.44-fc` compared by its first two numbers.
public struct KernelVersion: Sendable, Comparable, Codable, CustomStringConvertible {
    public var major: Int
    public var minor: Int

    public init(major: Int, minor: Int) {
        self.major = major
        self.minor = minor
    }

    /// Parses `MAJOR.MINOR[...]`, e.g. `6.18.44-fc-v669` or `4.3`.
    public init?(_ text: String) {
        let numbers = text.split(whereSeparator: { !$0.isNumber }).prefix(2).compactMap { Int($0) }
        guard numbers.count == 2, text.first?.isNumber == true else { return nil }
        major = numbers[0]
        minor = numbers[1]
    }

    public static func < (lhs: KernelVersion, rhs: KernelVersion) -> Bool {
        (lhs.major, lhs.minor) < (rhs.major, rhs.minor)
    }

    public var description: String { "\(major).\(minor)" }

    /// Numbering changed in 4.4 (016c13daa5c9): MOVABLE and RECLAIMABLE swapped, RESERVE
    /// became HIGHATOMIC.
    public static let migratetypeRenumbering = KernelVersion(major: 4, minor: 4)
}

/// Names of migratetype numbers, by kernel version.
public enum Migratetype {
    /// The label of `value` on kernel `version`; `perf kmem` always prints the pre-4.4 labels.
    public static func label(_ value: Int, kernel version: KernelVersion) -> String {
        let modern = version >= KernelVersion.migratetypeRenumbering
        switch value {
        case 0: return "Unmovable"
        case 1: return modern ? "Movable" : "Reclaimable"
        case 2: return modern ? "Reclaimable" : "Movable"
        // Before 4.4, perf kmem's own words ("Reserved", "CMA/Isolated"), so the table matches its.
        case 3: return modern ? "HighAtomic" : "Reserved"
        case 4: return modern ? "CMA/Isolate" : "CMA/Isolated"
        case 5: return "Isolate"
        default: return "Type\(value)"
        }
    }
}
