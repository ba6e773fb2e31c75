import Histogram
import PrezeroTrace

/// What the engine accumulates during a replay: the counted metrics themselves (in `counted`,
/// reached as `metrics.faults` etc.), plus what the result only carries in derived form (the
/// latency histogram, the optional first-empty time, the first anomaly texts). `RunMetrics(_:)`
/// fills in the derived metrics through `Metric.all`. No policy is special-cased.
@dynamicMemberLookup
package struct ReplayMetrics: Sendable {
    package var counted = RunMetrics()
    package var faultLatency = Histogram<UInt64>(highestTrackableValue: 3_600_000_000_000, numberOfSignificantValueDigits: .three)
    /// The order-0 faults' alone: what the capture's own fault times (order 0) compare with. Two
    /// significant digits: a 36 KB table where three took 256 KB (a tiny replay's RSS passed 20 MB).
    package var baseFaultLatency = Histogram<UInt64>(highestTrackableValue: 3_600_000_000_000, numberOfSignificantValueDigits: .two)
    /// The capture's own order-0 zero-fill faults, timed by their memory counters.
    package var capturedFaultTime = CapturedFaultTime()
    package var firstPoolEmptyNs: Double?
    /// The first of each anomaly, by metric name, with its timestamp: for messages.
    package var firstAnomaly: [String: String] = [:]

    package init() {}

    /// In place (`_modify`): appending to a series or a dictionary metric through a get and a
    /// set copied the whole collection on every append.
    package subscript<Value>(dynamicMember path: WritableKeyPath<RunMetrics, Value>) -> Value {
        get { counted[keyPath: path] }
        _modify { yield &counted[keyPath: path] }
    }

    /// `[latency_ns, fraction of faults at or below it]` at fixed percentiles (for CDF charts).
    package func latencyCDF() -> [[Double]] {
        guard faultLatency.totalCount > 0 else { return [] }
        let percentiles: [Double] = [0.1, 1, 5, 10, 20, 30, 40, 50, 60, 70, 80, 90, 95, 98, 99, 99.5, 99.9, 99.99, 100]
        return percentiles.map { [Double(faultLatency.valueAtPercentile($0)), $0 / 100] }
    }
}
