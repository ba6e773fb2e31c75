import PrezeroTrace

/// The runs a fault's first touches take in its page: from the faulting line to the page's end,
/// then from the page's start, at most 64 lines each (a cache answers a run in one call).
struct FirstTouchRuns: Sequence, IteratorProtocol {
    var remaining: Int
    var start: Int
    let linesPerPage: Int

    init(from firstLine: Int, lines count: Int, linesPerPage: Int) {
        remaining = count
        start = firstLine
        self.linesPerPage = linesPerPage
    }

    mutating func next() -> (start: Int, count: Int)? {
        guard remaining > 0 else { return nil }
        let run = Swift.min(remaining, linesPerPage - start, 64)
        defer {
            remaining -= run
            start = (start + run) % linesPerPage
        }
        return (start, run)
    }
}

/// The lines a page-touch record names, in order: bit n of its two masks is line n of the page
/// whose first line is `base`.
struct RecordedTouches: Sequence, IteratorProtocol {
    var words: (UInt64, UInt64)
    var word = 0
    let base: UInt64
    let linesPerPage: Int

    init(_ event: TraceEvent, base: UInt64, linesPerPage: Int) {
        words = (event.touchMaskLow, event.touchMaskHigh)
        self.base = base
        self.linesPerPage = linesPerPage
    }

    mutating func next() -> UInt64? {
        while word < 2 {
            let bits = word == 0 ? words.0 : words.1
            guard bits != 0 else {
                word += 1
                continue
            }
            let bit = bits.trailingZeroBitCount
            if word == 0 { words.0 &= bits - 1 } else { words.1 &= bits - 1 }
            return base + UInt64((word * 64 + bit) % linesPerPage)
        }
        return nil
    }
}
