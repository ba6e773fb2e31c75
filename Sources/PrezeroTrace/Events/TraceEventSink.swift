/// Receives decoded events in trace order. Generic sinks let the compiler specialise the
/// decode loop: no existential call per event.
public protocol TraceEventSink {
    mutating func consume(_ event: TraceEvent)
}

/// Collects every event into an array (tests and small traces).
public struct CollectingSink: TraceEventSink {
    public var events: [TraceEvent] = []
    public init() {}
    public mutating func consume(_ event: TraceEvent) { events.append(event) }
}
