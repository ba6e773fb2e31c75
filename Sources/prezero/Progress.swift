#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

/// Progress on stderr when stderr is a terminal: done/total, rate, time left. Silent otherwise.
final class ProgressReporter {
    enum Unit { case bytes, lines }
    private let label: String
    private let unit: Unit
    private let enabled: Bool
    private let start: Double
    private var lastDraw: Double = 0
    /// Reports with work done in the last `window` seconds: the rate is measured over them, so
    /// a slow start (models built, their memory first touched) does not slow the estimate for
    /// the rest of the run.
    private var recent: [(time: Double, done: UInt64)] = []
    private let window = 2.0

    init(label: String, unit: Unit = .bytes, force: Bool? = nil) {
        self.label = label
        self.unit = unit
        enabled = force ?? (isatty(2) != 0)
        start = ProgressReporter.now()
    }

    static func now() -> Double {
        var ts = timespec()
        clock_gettime(CLOCK_MONOTONIC, &ts)
        return Double(ts.tv_sec) + Double(ts.tv_nsec) / 1e9
    }

    /// Bytes done of an optional total.
    func update(done: UInt64, total: UInt64?) {
        guard enabled else { return }
        let t = ProgressReporter.now()
        guard t - lastDraw >= 0.2 else { return }
        lastDraw = t
        if done > 0 { recent.append((t, done)) }
        while recent.count > 2, t - recent[1].time >= window { recent.removeFirst() }
        var rate = Double(done) / max(t - start, 1e-6)
        if let first = recent.first, t - first.time >= 0.5, done > first.done {
            rate = Double(done - first.done) / (t - first.time)
        }
        var line = "\r\(label): \(mib(done))"
        if let total, total > 0 {
            let fraction = min(Double(done) / Double(total), 1)
            let left = rate > 0 ? Double(total - min(done, total)) / rate : 0
            line += " / \(mib(total)) (\(Int(fraction * 100))%), \(mib(UInt64(rate)))/s, \(Self.seconds(left)) left"
        } else {
            line += ", \(mib(UInt64(rate)))/s"
        }
        writeStandardError(line + "   ")
    }

    /// `4.2 s` below ten seconds, `37 s` above.
    static func seconds(_ s: Double) -> String {
        s < 10 ? "\(Int((s * 10).rounded()) / 10).\(Int((s * 10).rounded()) % 10) s" : "\(Int(s.rounded())) s"
    }

    func finish() {
        guard enabled, lastDraw > 0 else { return }
        writeStandardError("\r\u{1B}[K")
    }

    private func mib(_ bytes: UInt64) -> String {
        if unit == .lines { return bytes >= 1_000_000 ? "\(bytes / 100_000 / 10).\(bytes / 100_000 % 10) M lines" : "\(bytes / 1000) k lines" }
        let tenths = bytes * 10 / (1 << 20)
        return "\(tenths / 10).\(tenths % 10) MiB"
    }
}
