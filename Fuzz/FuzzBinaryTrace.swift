// libFuzzer target: trace.dat or perf.data as prezero reads them (tools/fuzz.sh trace-dat |
// perf-data, which sets PREZERO_FUZZ_FORMAT): each input written to a file and read through its
// helper process, whose output, exit status or crash this process must turn into events or a
// clear error, never a crash of its own.
#if canImport(Glibc)
import Glibc
#endif

private let format: BinaryTraceFormat = getenv("PREZERO_FUZZ_FORMAT").map { String(cString: $0) } == "perf-data" ? .perfData : .traceDat
private let fuzzPath = "/tmp/prezero-fuzz-\(format.helperName)-\(getpid())"
private let removeAtExit: Void = { atexit { unlink(fuzzPath) } }()

@_cdecl("LLVMFuzzerTestOneInput")
public func fuzzBinaryTrace(_ data: UnsafePointer<UInt8>, _ size: Int) -> CInt {
    _ = removeAtExit
    guard let file = fopen(fuzzPath, "wb") else { return 0 }
    _ = fwrite(data, 1, size, file)
    fclose(file)
    var sink = CollectingSink()
    _ = try? BinaryTraceDecoder.decode(format, path: fuzzPath, fileName: "fuzz", gfpZeroMask: nil, into: &sink)
    return 0
}
