import CCalibrate
import Foundation
import PrezeroModel

/// One measured quantity: the median of its repetitions (after a warm-up that is not counted),
/// with their minimum and maximum.
package struct Measured: Sendable, Codable, Equatable {
    package var median: Double
    package var min: Double
    package var max: Double
    package var reps: Int
    package var unit: String

    package init(_ values: [Double], unit: String) {
        let sorted = values.sorted()
        median = sorted.isEmpty ? .nan : sorted.count % 2 == 1
            ? sorted[sorted.count / 2] : (sorted[sorted.count / 2 - 1] + sorted[sorted.count / 2]) / 2
        min = sorted.first ?? .nan
        max = sorted.last ?? .nan
        reps = sorted.count
        self.unit = unit
    }

    /// (max - min) / median: above 0.25 the machine was noisy while this was measured.
    package var spread: Double { median > 0 ? (max - min) / median : .infinity }

    package var text: String { "\(Self.format(median)) [\(Self.format(min))-\(Self.format(max))] \(unit)" }

    package static func format(_ v: Double) -> String {
        guard v.isFinite else { return "n/a" }
        return abs(v) >= 100 ? String(format: "%.0f", v) : abs(v) >= 10 ? String(format: "%.1f", v) : String(format: "%.2f", v)
    }
}

/// `prezero calibrate`: measures this machine in-process (the timing loops are C, `CCalibrate`)
/// and turns the measurements into a `MachineProfile` whose every measured field says how it
/// was measured. Traps of a VM (notes §4): memory a host reclaimed is warmed first and its first
/// touch reported apart; tracepoints left on are reported; a wide spread is reported.
package struct Calibration: Sendable {
    package struct Settings: Sendable {
        /// Repetitions counted (after one warm-up).
        package var reps = 5
        package var faultBytes = 256 << 20
        package var thpBytes = 512 << 20
        package var clearBytes = 64 << 20
        package var streamBytes = 256 << 20
        package var chaseLoads = 2_000_000
        /// Faults a repetition of write_fault_cold_ns (its median), each after a pass over the LLC's size.
        package var coldFaults = 64
        package static let full = Settings()
        package static let quick = Settings(
            reps: 5, faultBytes: 64 << 20, thpBytes: 128 << 20, clearBytes: 32 << 20, streamBytes: 128 << 20, chaseLoads: 500_000, coldFaults: 32)
    }

    package struct Result: Sendable {
        package var host: HostFacts
        package var values: [(key: String, meaning: String, value: Measured)] = []
        /// Per-fault latencies of the counted 4 KiB write-fault reps, ns (p1 .. p99.9).
        package var writeFaultPercentiles: [(Double, Double)] = []
        package var notes: [String] = []
        package var seconds: Double = 0

        package subscript(_ key: String) -> Measured? { values.first { $0.key == key }?.value }
    }

    package let settings: Settings
    package init(settings: Settings) { self.settings = settings }

    /// The measurements, in order; `progress(step, of, name)` before each.
    package func run(progress: (Int, Int, String) -> Void = { _, _, _ in }) throws -> Result {
        let start = pz_now_ns()
        var result = Result(host: HostFacts.current())
        let page = result.host.pageBytes, line = result.host.lineBytes
        let steps = ["4 KiB write faults", "read faults (zero page)", "2 MiB THP faults", "clears", "non-temporal clears",
                     "touches of cold zeroed pages", "load latency", "memory bandwidth", "cache pollution by inline clears",
                     "4 KiB faults after the program's own work"]
        var step = 0
        func next() { progress(step + 1, steps.count, steps[step]); step += 1 }
        /// `difference`: the value is a difference of two timings and may fall below 0 in noise.
        func measure(_ key: String, _ meaning: String, unit: String, difference: Bool = false, _ rep: () -> Double) throws {
            _ = rep()  // warm-up: memory the host reclaimed, caches, TLB
            var values: [Double] = []
            for _ in 0..<settings.reps {
                let v = rep()
                guard v.isFinite, difference || v >= 0 else { throw CalibrationError("\(key): the measurement failed (out of memory?)") }
                values.append(v)
            }
            result.values.append((key, meaning, Measured(values, unit: unit)))
        }

        // 4 KiB write faults: the first touch of memory a VM host reclaimed is reported apart.
        next()
        let faults = settings.faultBytes / page
        var samples = [Double](repeating: 0, count: faults)
        let firstTouch = pz_faults(settings.faultBytes, page, 0, 1, nil, 0)
        var latencies: [Double] = []
        try measure("write_fault_ns", "4 KiB anonymous write fault, 1 byte a page (allocate, clear, map)", unit: "ns") {
            let mean = samples.withUnsafeMutableBufferPointer { pz_faults(settings.faultBytes, page, 0, 1, $0.baseAddress, faults) }
            latencies += samples
            return mean
        }
        latencies.sort()
        result.writeFaultPercentiles = [1, 10, 50, 90, 99, 99.9].map { q in
            (q, latencies.isEmpty ? .nan : latencies[Swift.min(latencies.count - 1, Int(Double(latencies.count) * q / 100))])
        }
        if let steady = result["write_fault_ns"]?.median, steady > 0, firstTouch > 1.5 * steady {
            result.notes.append(String(format: "first touch of fresh memory: %.0f ns a fault, %.1fx the steady %.0f ns (memory the VM's host had reclaimed; not in the profile)", firstTouch, firstTouch / steady, steady))
        }
        next()
        try measure("read_fault_ns", "4 KiB read fault (maps the shared zero page: no allocation, no clear)", unit: "ns") {
            pz_faults(settings.faultBytes, page, 0, 0, nil, 0)
        }
        next()
        if let why = HostFacts.thpUnavailable() {
            result.notes.append("2 MiB THP faults skipped: \(why)")
        } else {
            let before = HostFacts.vmstat("thp_fault_alloc")
            try measure("thp_fault_ns", "2 MiB THP write fault (MADV_HUGEPAGE)", unit: "ns") {
                pz_faults(settings.thpBytes, 2 << 20, 1, 1, nil, 0)
            }
            let got = HostFacts.vmstat("thp_fault_alloc").flatMap { after in before.map { after - $0 } } ?? 0
            let wanted = (settings.reps + 1) * (settings.thpBytes >> 21)
            if got < wanted / 2 {
                result.values.removeAll { $0.key == "thp_fault_ns" }
                result.notes.append("2 MiB THP faults skipped: the kernel gave \(got) of \(wanted) THPs (fragmented memory or defrag settings)")
            }
        }

        // Clears, by extent, as the kernel does them (4 KiB at a time for a THP).
        next()
        let clearBuffer = try Buffer(bytes: settings.clearBytes)
        let scratch = try Buffer(bytes: Swift.max(4 * result.host.llcBytes, 64 << 20))
        try measure("clear_4k_hot_ns", "clear 4 KiB with rep stosb, the target in cache", unit: "ns") {
            _ = pz_clear(clearBuffer.pointer, 64 << 10, 4096, 0)  // 16 pages: in cache after this
            return pz_clear(clearBuffer.pointer, 64 << 10, 4096, 0) / 16
        }
        try measure("clear_4k_cold_ns", "clear 4 KiB with rep stosb, back to back over memory out of cache", unit: "ns") {
            pz_evict(scratch.pointer, scratch.bytes)
            return pz_clear(clearBuffer.pointer, settings.clearBytes, 4096, 0) / Double(settings.clearBytes / 4096)
        }
        try measure("clear_2m_chunked_ns", "clear 2 MiB out of cache 4 KiB at a time (folio_zero_user)", unit: "ns") {
            pz_evict(scratch.pointer, scratch.bytes)
            return pz_clear(clearBuffer.pointer, 2 << 20, 4096, 0)
        }
        try measure("clear_2m_one_ns", "clear 2 MiB out of cache in one rep stosb (clear_pages)", unit: "ns") {
            pz_evict(scratch.pointer, scratch.bytes)
            return pz_clear(clearBuffer.pointer, 2 << 20, 2 << 20, 0)
        }
        next()
        try measure("clear_nt_4k_ns", "clear 4 KiB with non-temporal stores and an sfence", unit: "ns") {
            pz_clear(clearBuffer.pointer, 4096 * 256, 4096, 1) / 256
        }
        try measure("clear_nt_2m_ns", "clear 2 MiB with non-temporal stores", unit: "ns") {
            pz_clear(clearBuffer.pointer, 2 << 20, 2 << 20, 1)
        }

        // A program's first touches of a page zeroed long ago (out of cache).
        next()
        let touchBuffer = try Buffer(bytes: settings.clearBytes)
        let pages = Double(settings.clearBytes / page)
        try measure("touch_one_store_ns", "one store to a cold, long-zeroed page (streaming over pages)", unit: "ns a page") {
            pz_evict(scratch.pointer, scratch.bytes)
            return pz_touch_pages(touchBuffer.pointer, settings.clearBytes, page, line, 1) / pages
        }
        try measure("touch_every_line_ns", "a store to every line of a cold, long-zeroed page", unit: "ns a page") {
            pz_evict(scratch.pointer, scratch.bytes)
            return pz_touch_pages(touchBuffer.pointer, settings.clearBytes, page, line, page / line) / pages
        }

        // Dependent loads: L2, LLC, memory.
        next()
        let chase = try Buffer(bytes: Swift.max(8 * result.host.llcBytes, 256 << 20))
        try measure("load_l2_ns", "dependent load hitting the L2 (a set of a quarter of it)", unit: "ns") {
            pz_chase(chase.pointer, Swift.max(result.host.l2Bytes / 4, 64 << 10), line, settings.chaseLoads)
        }
        try measure("load_llc_ns", "dependent load hitting the LLC (a set of a quarter of it)", unit: "ns") {
            pz_chase(chase.pointer, Swift.max(result.host.llcBytes / 4, 4 * result.host.l2Bytes), line, settings.chaseLoads)
        }
        try measure("load_memory_ns", "dependent load missing to memory (a set of 8x the LLC, at least 256 MiB)", unit: "ns") {
            pz_chase(chase.pointer, chase.bytes, line, settings.chaseLoads / 4)
        }

        next()
        let stream = try Buffer(bytes: settings.streamBytes)
        let gb = Double(settings.streamBytes)
        let kinds = [(0, "read", "read"), (1, "write", "write zeros (rep stosb: what a clear writes)"),
                     (3, "write_data", "write non-zero bytes (rep stosb)"), (2, "nt_write", "write zeros with non-temporal stores")]
        for (mode, name, what) in kinds {
            try measure("bandwidth_\(name)_1cpu", "memory bandwidth, one CPU, \(what)", unit: "GB/s") {
                gb / pz_stream(stream.pointer, settings.streamBytes, Int32(mode))
            }
        }
        let cpus = result.host.cpus
        for (mode, name, what) in kinds {
            try measure("bandwidth_\(name)_all", "memory bandwidth, all \(cpus) CPUs, \(what)", unit: "GB/s") {
                let ns = pz_stream_threads(settings.streamBytes / 2, Int32(mode), Int32(cpus))
                return ns > 0 ? Double(settings.streamBytes / 2) * Double(cpus) / ns : -1
            }
        }

        next()
        try measure("l2_pollution_ns", "re-reading an L2-sized working set after 256 fresh 4 KiB faults, extra per fault", unit: "ns", difference: true) {
            pz_pollution(result.host.l2Bytes, line, 256)
        }
        try measure("llc_pollution_ns", "re-reading an LLC-sized working set after as many 4 KiB faults as fill the LLC, extra per fault", unit: "ns", difference: true) {
            pz_pollution(result.host.llcBytes, line, Swift.max(result.host.llcBytes / 4096, 1))
        }

        // The fault path's own warmth: write_fault_ns is back to back, its code and data in cache;
        // a program whose work between faults passes through as much data as the LLC holds
        // leaves them out of every cache (docs/model.md, "The fault path's own warmth").
        next()
        try measure("write_fault_cold_ns", "4 KiB write fault after the program stored to an LLC-sized buffer (the fault path's code and data out of cache)", unit: "ns") {
            pz_cold_faults(scratch.pointer, result.host.llcBytes, settings.coldFaults)
        }

        if let on = HostFacts.tracepointsEnabled() {
            result.notes.append("tracepoints enabled while measuring (\(on)): each fault ~25 % slower (notes §4); disable them and calibrate again")
        }
        for (key, _, value) in result.values where value.spread > 0.25 {
            result.notes.append("\(key): wide spread (\(value.text)): the machine was busy or the host noisy")
        }
        result.seconds = (pz_now_ns() - start) / 1e9
        return result
    }
}

package struct CalibrationError: Error, CustomStringConvertible {
    package var description: String
    init(_ description: String) { self.description = description }
}

/// Page-aligned memory for the timing loops, faulted in (the fault is not what they time).
final class Buffer: @unchecked Sendable {
    let pointer: UnsafeMutableRawPointer
    let bytes: Int

    init(bytes: Int) throws {
        guard let p = mmap(nil, bytes, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0), p != MAP_FAILED else {
            throw CalibrationError("cannot map \(bytes >> 20) MiB for a measurement")
        }
        pointer = p
        self.bytes = bytes
        memset(p, 1, bytes)
    }

    deinit { munmap(pointer, bytes) }
}
