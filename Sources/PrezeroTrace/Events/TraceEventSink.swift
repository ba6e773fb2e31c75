/// Receives decoded events in trace order. Generic sinks let the compiler specialise the
/// decode loop: no existential call per event.
public protocol TraceEventSink {
    mutating func consume(_ event: TraceEvent)
    /// The decoder finished a chunk of input; `symbols` names every id its events carry so far
    /// (`CommTagger` waits for it). Most sinks ignore it.
    mutating func endOfChunk(symbols: SymbolTable)
}

extension TraceEventSink {
    @inline(__always)
    public mutating func endOfChunk(symbols: SymbolTable) {}
}

/// Collects every event into an array (tests and small traces).
public struct CollectingSink: TraceEventSink {
    public var events: [TraceEvent] = []
    public init() {}
    public mutating func consume(_ event: TraceEvent) { events.append(event) }
}
