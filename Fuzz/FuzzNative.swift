// libFuzzer target: the .pzt record stream decoder (tools/fuzz.sh).
@_cdecl("LLVMFuzzerTestOneInput")
public func fuzzNative(_ data: UnsafePointer<UInt8>, _ size: Int) -> CInt {
    var decoder = PztDecoder(fileName: "fuzz")
    var sink = CollectingSink()
    let bytes = UnsafeRawBufferPointer(start: data, count: size)
    let cut = size / 2
    do {
        try decoder.feed(UnsafeRawBufferPointer(rebasing: bytes[0..<cut]), into: &sink)
        try decoder.feed(UnsafeRawBufferPointer(rebasing: bytes[cut...]), into: &sink)
        try decoder.finish(into: &sink)
    } catch {}
    return 0
}
