// libFuzzer target: perf script / ftrace text lines through the decoder (tools/fuzz.sh).
@_cdecl("LLVMFuzzerTestOneInput")
public func fuzzTextParser(_ data: UnsafePointer<UInt8>, _ size: Int) -> CInt {
    var decoder = TextTraceDecoder(fileName: "fuzz")
    decoder.maxLineBytes = 1 << 16
    var sink = CollectingSink()
    let bytes = UnsafeRawBufferPointer(start: data, count: size)
    // Feed in two pieces to exercise the carried line.
    let cut = size / 3
    do {
        try decoder.feed(UnsafeRawBufferPointer(rebasing: bytes[0..<cut]), into: &sink)
        try decoder.feed(UnsafeRawBufferPointer(rebasing: bytes[cut...]), into: &sink)
        try decoder.finish(into: &sink)
    } catch {}
    return 0
}
