// libFuzzer target: valgrind lackey logs (tools/fuzz.sh).
@_cdecl("LLVMFuzzerTestOneInput")
public func fuzzLackey(_ data: UnsafePointer<UInt8>, _ size: Int) -> CInt {
    var decoder = LackeyDecoder(fileName: "fuzz", intervalAccesses: 7)
    decoder.maxLineBytes = 1 << 16
    var sink = CollectingSink()
    do {
        try decoder.feed(UnsafeRawBufferPointer(start: data, count: size), into: &sink)
        try decoder.finish(into: &sink)
    } catch {}
    return 0
}
