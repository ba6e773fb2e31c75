/// Lines 0-127 of a page as two masks: the lines a page-touch record carries (`touchMaskLow`,
/// `touchMaskHigh`), and what the statistics, the touch profile and the replay accumulate per page.
public struct LineMask: Sendable, Equatable {
    public var low: UInt64 = 0
    public var high: UInt64 = 0

    public init(low: UInt64 = 0, high: UInt64 = 0) {
        self.low = low
        self.high = high
    }

    /// The lines of a touch record.
    public init(touch event: TraceEvent) { self.init(low: event.touchMaskLow, high: event.touchMaskHigh) }

    public var count: Int { low.nonzeroBitCount + high.nonzeroBitCount }

    public mutating func insert(line: Int) {
        if line < 64 { low |= 1 << UInt64(line) } else if line < 128 { high |= 1 << UInt64(line - 64) }
    }

    public func union(_ other: LineMask) -> LineMask { LineMask(low: low | other.low, high: high | other.high) }
}
