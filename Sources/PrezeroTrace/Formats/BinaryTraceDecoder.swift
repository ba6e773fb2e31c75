import Foundation

#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

/// The binary trace files prezero reads through a helper process: trace-cmd's `trace.dat` and
/// perf's `perf.data`. The helper writes page and fault records as binary events from their
/// numeric fields and every other record as the line of text their own tools print
/// (`HelperStreamDecoder` reads both). Both helpers are C programs built beside `prezero` (`Sources/prezero-trace-dat`,
/// `Sources/prezero-perf-data`), on libtraceevent (and libtracecmd), the libraries `trace-cmd`
/// and `perf` render events with; processes of their own because those libraries can crash on a
/// damaged file (a libFuzzer run crashed libtracecmd within 11 inputs): a crash there is an error
/// here, naming the file. Both read the file by seeking or mapping it, so a compressed or piped
/// one is first written to a temporary file (`TraceReader`).
enum BinaryTraceFormat: CaseIterable, Sendable {
    /// trace-cmd's trace.dat, printed as `trace-cmd report -t` lines.
    case traceDat
    /// perf's perf.data (file mode), printed as `perf script -F comm,pid,tid,cpu,time,event,trace
    /// --ns --show-lost-events` lines.
    case perfData

    var magic: [UInt8] {
        switch self {
        case .traceDat: [0x17, 0x08, 0x44] + Array("tracing".utf8)  // every trace.dat version
        case .perfData: Array("PERFILE2".utf8)
        }
    }

    var name: String {
        switch self {
        case .traceDat: "trace.dat"
        case .perfData: "perf.data"
        }
    }

    /// The layout of the helper's text lines.
    var layout: TextFormat {
        switch self {
        case .traceDat: .ftrace
        case .perfData: .perfScript
        }
    }

    var helperName: String {
        switch self {
        case .traceDat: "prezero-trace-dat"
        case .perfData: "prezero-perf-data"
        }
    }

    /// What the user can run to learn more about a file the helper refused.
    var advice: String {
        switch self {
        case .traceDat: "expected a whole file from `trace-cmd record` or `trace-cmd extract` (`trace-cmd report -i FILE` says more)"
        case .perfData: "expected a whole file from `perf record -e kmem:...` (`perf script -i FILE` says more)"
        }
    }

    init?(head: UnsafeRawBufferPointer) {
        guard let format = Self.allCases.first(where: { head.count >= $0.magic.count && zip(head, $0.magic).allSatisfy { $0 == $1 } })
        else { return nil }
        self = format
    }
}

enum BinaryTraceDecoder {
    /// The helper: `$PREZERO_TRACE_DAT_HELPER` / `$PREZERO_PERF_DATA_HELPER`, else beside the
    /// running executable (where `swift build` puts them), else on `PATH`.
    static func helperPath(_ format: BinaryTraceFormat) -> String? {
        let environment = ProcessInfo.processInfo.environment
        let variable = format == .traceDat ? "PREZERO_TRACE_DAT_HELPER" : "PREZERO_PERF_DATA_HELPER"
        if let path = environment[variable], !path.isEmpty { return path }
        var candidates: [String] = []
        if let executable = try? FileManager.default.destinationOfSymbolicLink(atPath: "/proc/self/exe") {
            candidates.append(PathNames.directory(of: executable) + "/" + format.helperName)
        }
        if let first = CommandLine.arguments.first, first.contains("/") {
            candidates.append(PathNames.directory(of: first) + "/" + format.helperName)
        }
        for directory in (environment["PATH"] ?? "").split(separator: ":") { candidates.append("\(directory)/\(format.helperName)") }
        return candidates.first { access($0, X_OK) == 0 }
    }

    /// Reads the file at `path` through its helper into `sink`; returns the decoder that read the
    /// helper's output (its text decoder's parser and diagnostics make the summary).
    /// `progress` gets the fraction of the file done, as the helper reports it on its fd 3.
    static func decode<S: TraceEventSink>(
        _ format: BinaryTraceFormat, path: String, fileName: String, gfpZeroMask: UInt64?, into sink: inout S,
        progress: ((Double) -> Void)? = nil
    ) throws -> HelperStreamDecoder {
        guard let helper = helperPath(format) else {
            throw TraceError(
                .cannotOpen,
                "reading a \(format.name) needs the \(format.helperName) helper, built beside prezero by `swift build`; "
                    + "not found beside this executable or on PATH",
                at: InputLocation(file: fileName))
        }
        var decoder = HelperStreamDecoder(fileName: fileName, layout: format.layout)
        if let gfpZeroMask { decoder.text.parser.gfpZeroMask = gfpZeroMask }
        // Records of other events come as OTHER frames, counted by name, not rendered as text.
        let known = KnownEvent.names.map(\.0).joined(separator: ",")
        let child = try HelperProcess(helper, arguments: ["--known-events", known, path], fileName: fileName)
        let buffer = UnsafeMutableRawBufferPointer.allocate(byteCount: 1 << 20, alignment: 16)
        defer { buffer.deallocate() }
        var failure: Error?
        while failure == nil {
            let n = read(child.output, buffer.baseAddress, buffer.count)
            if n < 0 && errno == EINTR { continue }
            guard n > 0 else { break }
            do { try decoder.feed(UnsafeRawBufferPointer(rebasing: buffer[0..<n]), into: &sink) } catch { failure = error }
            sink.endOfChunk(symbols: decoder.text.parser.symbols)
            if let progress, let fraction = child.latestProgress() { progress(fraction) }
        }
        let (status, message) = child.finish()
        // A helper that failed explains its output better than the output does.
        if let failure, status == .exited(0) { throw failure }
        let (version, size) = versionAndSize(path, format)
        let described = format == .traceDat ? "this trace.dat (version \(version), \(size) bytes)" : "this perf.data (\(size) bytes)"
        switch status {
        case .exited(0):
            break
        case .exited(5) where format == .perfData:
            // Read, but for a pipe-mode stream's cut last record (perf reads up to it too).
            decoder.notes.append("\(fileName): \(message.isEmpty ? "the stream ends inside its last record" : message)")
        case .exited(let code) where format == .perfData || code == 4:
            // The perf.data helper says "byte offset N: what it found"; either helper exits 4 when
            // it read the file and refuses what it holds (a sampled tracepoint, a clock that is
            // not nanoseconds), which no advice about damaged files fits.
            var offset: UInt64?
            var reason = message.isEmpty ? "no reason given" : message
            if reason.hasPrefix("byte offset "), let colon = reason.firstIndex(of: ":") {
                offset = UInt64(reason[reason.index(reason.startIndex, offsetBy: 12)..<colon])
                reason = String(reason[reason.index(after: colon)...]).trimmingCharacters(in: .whitespaces)
            }
            let advice = code == 4 ? "" : "; \(format.advice)"
            throw TraceError(.unrecognizedFormat, "cannot read \(described): \(reason)\(advice)", at: InputLocation(file: fileName, byteOffset: offset))
        case .exited:
            throw TraceError(
                .unrecognizedFormat,
                "libtracecmd cannot read \(described): its headers are truncated or corrupt, or the version is one this "
                    + "libtracecmd does not know (\(message.isEmpty ? "no reason given" : message)); \(format.advice)",
                at: InputLocation(file: fileName, byteOffset: size))
        case .signaled(let signal):
            throw TraceError(
                .unrecognizedFormat,
                "\(format == .traceDat ? "libtracecmd" : "libtraceevent") crashed (signal \(signal)) reading \(described) after "
                    + "\(decoder.text.diagnostics.lines) records: the file is damaged; \(format.advice)",
                at: InputLocation(file: fileName, byteOffset: size))
        }
        if let failure { throw failure }
        try decoder.finish(into: &sink)
        sink.endOfChunk(symbols: decoder.text.parser.symbols)
        return decoder
    }

    /// The version string after a trace.dat's magic ("6", "7") and the file size, for messages.
    private static func versionAndSize(_ path: String, _ format: BinaryTraceFormat) -> (String, UInt64) {
        var info = stat()
        let size = stat(path, &info) == 0 ? UInt64(info.st_size) : 0
        guard format == .traceDat, let file = fopen(path, "rb") else { return ("?", size) }
        defer { fclose(file) }
        var head = [UInt8](repeating: 0, count: 16)
        let n = fread(&head, 1, head.count, file)
        let version = head.prefix(n).dropFirst(format.magic.count).prefix { $0 != 0 }
        return (version.isEmpty ? "?" : String(decoding: version, as: UTF8.self), size)
    }
}

/// A child process whose standard output is read through a pipe. Its standard error goes to a
/// temporary file, read (its first 4 KiB) once the child has ended, for the message when it
/// fails: a child that writes much to standard error cannot block on it while this side waits
/// for its standard output. Its fd 3 is a pipe for (done, total) progress pairs.
final class HelperProcess {
    enum Status: Equatable {
        case exited(Int32)
        case signaled(Int32)
    }

    let output: Int32
    private let progressInput: Int32
    private let errorPath: String
    private let pid: pid_t
    private var finished = false

    init(_ executable: String, arguments: [String], fileName: String) throws(TraceError) {
        func failure(_ what: String) -> TraceError {
            TraceError(.readFailed, "cannot start \(executable): \(what): \(String(cString: strerror(errno)))", at: InputLocation(file: fileName))
        }
        var outPipe: [Int32] = [-1, -1]
        guard pipe(&outPipe) == 0 else { throw failure("no pipe") }
        for fd in outPipe { _ = fcntl(fd, F_SETFD, FD_CLOEXEC) }
        #if os(Linux)
        // A 1 MiB pipe (F_SETPIPE_SZ, the default limit), not 64 KiB: the helper writes 1 MiB at a
        // time, and each 64 KiB would be a switch between the two processes.
        _ = fcntl(outPipe[1], 1031, Int32(1 << 20))
        #endif
        var progressPipe: [Int32] = [-1, -1]
        guard pipe(&progressPipe) == 0 else {
            let error = failure("no pipe")
            close(outPipe[0])
            close(outPipe[1])
            throw error
        }
        for fd in progressPipe { _ = fcntl(fd, F_SETFD, FD_CLOEXEC) }
        _ = fcntl(progressPipe[0], F_SETFL, O_NONBLOCK)
        guard let (errorFD, path) = temporaryFile(prefix: "prezero-helper-stderr") else {
            let error = failure("no temporary file in \(temporaryDirectory()) for its messages")
            for fd in outPipe + progressPipe { close(fd) }
            throw error
        }
        errorPath = path
        var actions = posix_spawn_file_actions_t()
        posix_spawn_file_actions_init(&actions)
        defer { posix_spawn_file_actions_destroy(&actions) }
        posix_spawn_file_actions_adddup2(&actions, outPipe[1], 1)
        posix_spawn_file_actions_adddup2(&actions, errorFD, 2)
        posix_spawn_file_actions_adddup2(&actions, progressPipe[1], 3)
        // A crash is reported here; the Swift runtime's backtrace there would only fill the file.
        let environment = ProcessInfo.processInfo.environment.filter { $0.key != "SWIFT_BACKTRACE" }
            .map { "\($0.key)=\($0.value)" } + ["SWIFT_BACKTRACE=enable=no"]
        var child: pid_t = 0
        let argv = ([executable] + arguments).map { strdup($0) } + [nil]
        let envp = environment.map { strdup($0) } + [nil]
        defer {
            for p in argv { free(p) }
            for p in envp { free(p) }
        }
        let result = posix_spawn(&child, executable, &actions, nil, argv, envp)
        close(outPipe[1])
        close(progressPipe[1])
        close(errorFD)
        guard result == 0 else {
            close(outPipe[0])
            close(progressPipe[0])
            unlink(errorPath)
            errno = result
            throw failure("posix_spawn")
        }
        pid = child
        output = outPipe[0]
        progressInput = progressPipe[0]
    }

    /// The newest of the (done, total) pairs the child wrote on its fd 3 since the last call, as a
    /// fraction; nil when it wrote none. Non-blocking, so it never waits for the child.
    func latestProgress() -> Double? {
        var pair = [UInt64](repeating: 0, count: 2 * 64)
        var latest: Double?
        while true {
            let n = pair.withUnsafeMutableBytes { read(progressInput, $0.baseAddress, $0.count) }
            if n < 0 && errno == EINTR { continue }
            guard n > 0 else { break }
            let pairs = n / 16  // the child writes whole 16-byte pairs, atomically (under PIPE_BUF)
            if pairs > 0, pair[2 * pairs - 1] > 0 {
                latest = min(1, Double(pair[2 * pairs - 2]) / Double(pair[2 * pairs - 1]))
            }
        }
        return latest
    }

    /// Waits for the child; returns how it ended and what it wrote to standard error.
    func finish() -> (Status, String) {
        finished = true
        close(output)  // a child still writing gets EPIPE and ends
        close(progressInput)
        var status: Int32 = 0
        var waited: pid_t = -1
        repeat { waited = waitpid(pid, &status, 0) } while waited < 0 && errno == EINTR
        var bytes = [UInt8](repeating: 0, count: 4096)
        var count = 0
        if let file = fopen(errorPath, "rb") {
            count = fread(&bytes, 1, bytes.count, file)
            fclose(file)
        }
        unlink(errorPath)
        let message = String(decoding: bytes.prefix(count), as: UTF8.self).trimmingCharacters(in: .whitespacesAndNewlines)
        guard waited == pid else { return (.exited(-1), "the helper process could not be waited for") }
        // WIFSIGNALED / WTERMSIG / WEXITSTATUS, which Swift does not import (macros).
        let signal = status & 0x7F
        return (signal == 0 ? .exited((status >> 8) & 0xFF) : .signaled(signal), message)
    }

    deinit {
        if !finished { _ = finish() }
    }
}

/// `$TMPDIR`, else /tmp.
func temporaryDirectory() -> String {
    ProcessInfo.processInfo.environment["TMPDIR"].flatMap { $0.isEmpty ? nil : $0 } ?? "/tmp"
}

/// A new file `temporaryDirectory()/PREFIX-XXXXXX` (mkstemp), open for writing, close-on-exec;
/// nil with errno set when it cannot be made.
func temporaryFile(prefix: String) -> (fd: Int32, path: String)? {
    var template = Array("\(temporaryDirectory())/\(prefix)-XXXXXX".utf8CString)
    let fd = template.withUnsafeMutableBufferPointer { buffer in buffer.baseAddress.map { mkstemp($0) } ?? -1 }
    guard fd >= 0 else { return nil }
    _ = fcntl(fd, F_SETFD, FD_CLOEXEC)
    return (fd, String(decoding: template.prefix { $0 != 0 }.map { UInt8(bitPattern: $0) }, as: UTF8.self))
}

/// A compressed or piped trace.dat or perf.data written out for its helper, in `$TMPDIR`,
/// removed after.
final class BinarySpool {
    let path: String
    private var fd: Int32
    private let name: String

    init(name: String, format: BinaryTraceFormat) throws(TraceError) {
        self.name = name
        guard let (fd, path) = temporaryFile(prefix: format.helperName) else {
            throw TraceError(
                .readFailed,
                "cannot create a temporary file in \(temporaryDirectory()) for the \(format.name) (\(String(cString: strerror(errno)))); set TMPDIR to a writable directory",
                at: InputLocation(file: name))
        }
        self.fd = fd
        self.path = path
    }

    func append(_ chunk: UnsafeRawBufferPointer) throws(TraceError) {
        guard let base = chunk.baseAddress else { return }
        var done = 0
        while done < chunk.count {
            let n = write(fd, base + done, chunk.count - done)
            if n < 0 && errno == EINTR { continue }
            guard n > 0 else {
                throw TraceError(
                    .readFailed, "cannot write the binary trace out to \(path) (\(String(cString: strerror(errno)))); free space or set TMPDIR",
                    at: InputLocation(file: name))
            }
            done += n
        }
    }

    func finish() throws(TraceError) {
        guard fd >= 0 else { return }
        let result = close(fd)
        fd = -1
        if result != 0 {
            throw TraceError(.readFailed, "cannot write the binary trace out to \(path)", at: InputLocation(file: name))
        }
    }

    func remove() {
        if fd >= 0 { _ = close(fd) }
        fd = -1
        unlink(path)
    }

    deinit { remove() }
}
