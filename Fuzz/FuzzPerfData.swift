// libFuzzer target: perf.data as prezero reads it (tools/fuzz.sh): each input written to a file
// and read through the prezero-perf-data helper, whose output, exit status or crash this process
// must turn into events or a clear error, never a crash of its own.
#if canImport(Glibc)
import Glibc
#endif

private let fuzzPath = "/tmp/prezero-fuzz-perf-data-\(getpid()).data"
private let removeAtExit: Void = { atexit { unlink(fuzzPath) } }()

@_cdecl("LLVMFuzzerTestOneInput")
public func fuzzPerfData(_ data: UnsafePointer<UInt8>, _ size: Int) -> CInt {
    _ = removeAtExit
    guard let file = fopen(fuzzPath, "wb") else { return 0 }
    _ = fwrite(data, 1, size, file)
    fclose(file)
    var sink = CollectingSink()
    _ = try? BinaryTraceDecoder.decode(.perfData, path: fuzzPath, fileName: "fuzz", gfpZeroMask: nil, into: &sink)
    return 0
}
