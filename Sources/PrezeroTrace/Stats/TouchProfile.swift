import Foundation

/// How many distinct lines of each faulted page a program touched over the page's life, per
/// command: measured from a page-touch capture (valgrind lackey, or a `.pzt` made from one) and
/// applied to a kernel capture of the same program (`--touch profile:FILE`), which cannot see
/// touches. Written by `prezero touch-profile`, read as JSON.
public struct TouchProfile: Codable, Sendable, Equatable {
    public static let currentFormat = 1
    /// The hot set's window: 131,072 data accesses, ~0.1 ms of running at about one access a ns,
    /// about the time a task re-reads a 1 MiB hot set (notes §4: ~112 µs).
    public static let hotSetWindowAccesses: UInt64 = 1 << 17

    /// One command's measured distribution.
    public struct Distribution: Codable, Sendable, Equatable {
        /// `pages[k]`: faulted pages whose life touched `k + 1` distinct lines.
        public var pages: [UInt64]
        /// The command's hot set, bytes: the median, over windows of `hotSetWindowAccesses` data
        /// accesses, of the lines it touched again in the same window (times the line size);
        /// nil in profiles made before it was measured.
        public var hotSetBytes: Int?
        /// How many windows the median is over (0: the command ran less than one; its partial
        /// window counted).
        public var hotSetWindows: Int?

        public init(pages: [UInt64], hotSetBytes: Int? = nil, hotSetWindows: Int? = nil) {
            self.pages = pages
            self.hotSetBytes = hotSetBytes
            self.hotSetWindows = hotSetWindows
        }

        enum CodingKeys: String, CodingKey {
            case pages
            case hotSetBytes = "hot_set_bytes"
            case hotSetWindows = "hot_set_windows"
        }

        public var total: UInt64 { pages.reduce(0, +) }
        public var meanLines: Double {
            let total = self.total
            guard total > 0 else { return 0 }
            return pages.enumerated().reduce(0.0) { $0 + Double($1.offset + 1) * Double($1.element) } / Double(total)
        }

        /// Draws line counts from the distribution.
        public var sampler: Sampler { Sampler(self) }
    }

    /// The lines of the `n`-th fault drawn: the distribution's quantile at the `n`-th point of a
    /// golden-ratio sequence, so any run of draws follows the distribution closely and a replay
    /// stays deterministic. Its running sums are computed once, not per fault.
    public struct Sampler: Sendable {
        let cumulative: [UInt64]
        public let total: UInt64

        init(_ d: Distribution) {
            var sum: UInt64 = 0
            cumulative = d.pages.map { sum &+= $0; return sum }
            total = sum
        }

        public func lines(draw n: UInt64) -> Int {
            guard total > 0 else { return 1 }
            let u = (Double(n) * 0.618_033_988_749_894_9).truncatingRemainder(dividingBy: 1)
            let target = UInt64(u * Double(total))
            return (cumulative.firstIndex { target < $0 } ?? cumulative.count - 1) + 1
        }
    }

    public var format = TouchProfile.currentFormat
    public var linesPerPage: Int
    /// The captures it was measured from.
    public var sources: [String]
    /// By command name as the kernel prints it (`commKey`).
    public var commands: [String: Distribution]

    public init(linesPerPage: Int, sources: [String], commands: [String: Distribution]) {
        self.linesPerPage = linesPerPage
        self.sources = sources
        self.commands = commands
    }

    enum CodingKeys: String, CodingKey {
        case format, sources, commands
        case linesPerPage = "lines_per_page"
    }

    /// The kernel keeps a task's name in 16 bytes (`TASK_COMM_LEN`): 15 and a NUL. A lackey log
    /// names the whole executable, so both sides are compared on that prefix.
    public static func commKey(_ name: String) -> String { String(decoding: Array(name.utf8.prefix(15)), as: UTF8.self) }

    /// Two captures' counts added, command by command (same lines a page).
    public func merging(_ other: TouchProfile) -> TouchProfile {
        var out = self
        out.sources += other.sources
        for (name, d) in other.commands {
            if let mine = out.commands[name] {
                // The hot set of the capture with more windows of the command.
                let hot = (mine.hotSetWindows ?? -1) >= (d.hotSetWindows ?? -1) ? mine : d
                out.commands[name] = Distribution(
                    pages: zip(mine.pages, d.pages).map { $0 + $1 }, hotSetBytes: hot.hotSetBytes, hotSetWindows: hot.hotSetWindows)
            } else {
                out.commands[name] = d
            }
        }
        return out
    }

    /// Commands in a fixed order: a fault's `commClass` is an index into it, plus one.
    public var classNames: [String] { commands.keys.sorted() }

    /// Mean distinct lines a page over every command's pages: the profile as a whole.
    public var meanLines: Double {
        let pages = commands.values.reduce(0) { $0 + $1.total }
        guard pages > 0 else { return 0 }
        return commands.values.reduce(0.0) { $0 + $1.meanLines * Double($1.total) } / Double(pages)
    }

    public struct LoadError: Error, CustomStringConvertible {
        public var description: String
    }

    public static func load(path: String) throws -> TouchProfile {
        let data: Data
        do { data = try Data(contentsOf: URL(fileURLWithPath: path)) } catch {
            throw LoadError(description: "\(path): cannot read the touch profile (\(error.localizedDescription))")
        }
        let profile: TouchProfile
        do { profile = try JSONDecoder().decode(TouchProfile.self, from: data) } catch {
            throw LoadError(description: "\(path): not a touch profile of `prezero touch-profile` (\(error))")
        }
        guard profile.format <= currentFormat else {
            throw LoadError(description: "\(path): touch profile format \(profile.format) is newer than this prezero reads (\(currentFormat))")
        }
        guard profile.linesPerPage >= 1, profile.linesPerPage <= 128,
            profile.commands.values.allSatisfy({ $0.pages.count == profile.linesPerPage && $0.total > 0 })
        else {
            throw LoadError(description: "\(path): each command needs \(profile.linesPerPage) page counts (lines_per_page 1...128), not all zero")
        }
        guard profile.commands.count < 255 else { throw LoadError(description: "\(path): more than 254 commands") }
        return profile
    }
}

/// Measures a `TouchProfile` from a page-touch trace: a lackey first touch is a fault and an
/// allocation whose pfn is the virtual page, later touches are line masks of that page; at the
/// end each page's distinct lines count once, under its command.
public struct TouchProfileBuilder: TraceEventSink {
    struct Page {
        var comm: SymbolID
        var lines = LineMask()
    }

    /// One command's current hot-set window: when it began (in accesses), how many records
    /// touched each line in it, and the hot lines of its finished windows.
    struct HotSetWindow {
        var start: UInt64
        var touches: [UInt64: UInt8] = [:]
        var finished: [Int] = []
        var reused: Int { touches.values.reduce(0) { $0 + ($1 == 2 ? 1 : 0) } }

        /// A touch record's lines (its timestamp counts accesses); a window that is over gives
        /// its hot lines first.
        mutating func add(_ event: TraceEvent) {
            if event.timestampNs &- start >= TouchProfile.hotSetWindowAccesses {
                finished.append(reused)
                touches.removeAll(keepingCapacity: true)
                start = event.timestampNs
            }
            let base = event.touchPage &* 128
            for (word, mask) in [event.touchMaskLow, event.touchMaskHigh].enumerated() {
                var bits = mask
                while bits != 0 {
                    let bit = UInt64(bits.trailingZeroBitCount)
                    bits &= bits &- 1
                    let line = base &+ UInt64(word * 64) &+ bit
                    touches[line] = min((touches[line] ?? 0) + 1, 2)  // 2: touched again
                }
            }
        }
    }

    public let pageBytes: Int
    public let lineBytes: Int
    var pages: [UInt64: Page] = [:]
    /// Pages freed (a process that ended or exec'd): a later allocation of the pfn is a new page.
    var freedPages: [Page] = []
    var lastFault: [Int32: UInt64] = [:]
    var hotSets: [SymbolID: HotSetWindow] = [:]
    public private(set) var touchRecords = 0
    /// Touch records came (a fault's line's too): the trace measures touches.
    public private(set) var isPageTouchTrace = false

    public init(pageBytes: Int = 4096, lineBytes: Int = 64) {
        self.pageBytes = pageBytes
        self.lineBytes = lineBytes
    }

    public mutating func consume(_ event: TraceEvent) {
        switch event.kind {
        case .pageFault:
            lastFault[event.pid] = event.address
        case .pageAlloc where event.wantsZero && pages[event.pfn] == nil:
            var page = Page(comm: event.comm)
            if let address = lastFault.removeValue(forKey: event.pid) {
                page.lines.insert(line: Int((address % UInt64(pageBytes)) / UInt64(lineBytes)))
            }
            pages[event.pfn] = page
        case .touch:
            isPageTouchTrace = true
            // The faulting line's record: its line is the fault's, counted above.
            if event.isReaderAnnotation { return }
            touchRecords += 1
            countHotSet(event)
            guard var page = pages[event.touchPage] else { return }
            page.lines = page.lines.union(LineMask(touch: event))
            pages[event.touchPage] = page
        case .pageFree:
            if let page = pages.removeValue(forKey: event.pfn) { freedPages.append(page) }
        default:
            break
        }
    }

    /// A touch record's lines in its command's window (its timestamp counts accesses); a window
    /// that is over gives its hot lines.
    mutating func countHotSet(_ event: TraceEvent) {
        // Changed in place: a copy taken out of the dictionary copied its line counts on every write.
        hotSets[event.comm, default: HotSetWindow(start: event.timestampNs)].add(event)
    }

    /// The profile, with command names from the trace's symbols; nil when the trace had no
    /// touch records (a kernel capture: it cannot measure touches).
    public func profile(symbols: SymbolTable, sources: [String]) -> TouchProfile? {
        guard isPageTouchTrace else { return nil }
        let linesPerPage = min(max(pageBytes / max(lineBytes, 1), 1), 128)
        var commands: [String: TouchProfile.Distribution] = [:]
        for page in freedPages + pages.values {
            let key = TouchProfile.commKey(symbols.name(page.comm))
            var d = commands[key] ?? TouchProfile.Distribution(pages: Array(repeating: 0, count: linesPerPage))
            d.pages[min(max(page.lines.count, 1), linesPerPage) - 1] += 1
            commands[key] = d
        }
        // In symbol order: commands whose names share their first 15 bytes share a key, and the
        // last one written wins, the same one every run.
        for (comm, window) in hotSets.sorted(by: { $0.key < $1.key }) {
            let key = TouchProfile.commKey(symbols.name(comm))
            guard commands[key] != nil else { continue }  // a command with no faulted page
            let samples = window.finished.isEmpty ? [window.reused] : window.finished.sorted()
            commands[key]?.hotSetBytes = samples[samples.count / 2] * lineBytes
            commands[key]?.hotSetWindows = window.finished.count
        }
        return TouchProfile(linesPerPage: linesPerPage, sources: sources, commands: commands)
    }
}

/// Tags each fault with its task's class in a touch profile (`TraceEvent.commClass`: the index of
/// its command in `TouchProfile.classNames`, plus one; 0 for the others). Events wait until the
/// decoder's chunk ends, when the names of the comms it interned can be looked up.
public struct CommTagger<Base: TraceEventSink>: TraceEventSink {
    public var base: Base
    let classes: [String: UInt8]
    var pending: [TraceEvent] = []
    /// By symbol id: 0 none, class + 1 when known (255: not looked up yet).
    var classBySymbol: [UInt8] = []

    public init(base: Base, classNames: [String]) {
        self.base = base
        var classes: [String: UInt8] = [:]
        for (i, name) in classNames.prefix(254).enumerated() { classes[TouchProfile.commKey(name)] = UInt8(i + 1) }
        self.classes = classes
    }

    public mutating func consume(_ event: TraceEvent) { pending.append(event) }

    public mutating func endOfChunk(symbols: SymbolTable) {
        for i in pending.indices where pending[i].kind == .pageFault {
            let id = Int(pending[i].comm)
            if id >= classBySymbol.count { classBySymbol += Array(repeating: 255, count: id + 1 - classBySymbol.count) }
            if classBySymbol[id] == 255 {
                classBySymbol[id] = id < symbols.count ? classes[TouchProfile.commKey(symbols.name(pending[i].comm))] ?? 0 : 0
            }
            pending[i].commClass = classBySymbol[id]
        }
        for event in pending { base.consume(event) }
        pending.removeAll(keepingCapacity: true)
    }
}
