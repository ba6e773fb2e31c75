import CZstd

/// Owner of one `ZSTD_DStream`, freed in `deinit` (the shape of swift-system's `IORing`).
///
/// The only file that imports CZstd. Decompresses single frames, concatenated frames and
/// multi-threaded `zstd -T0` output alike: the stream starts a new frame after each one ends.
struct ZstdStream: ~Copyable {
    private let stream: OpaquePointer
    /// The last value `ZSTD_decompressStream` returned: 0 exactly when a frame has been fully
    /// decoded and flushed, so a non-zero value at end of input means the input was cut short.
    private(set) var lastHint: Int = 0
    private(set) var sawFrame = false

    init() throws(ZstdFailure) {
        guard let stream = ZSTD_createDStream() else { throw ZstdFailure(message: "ZSTD_createDStream failed") }
        let ret = ZSTD_initDStream(stream)
        if ZSTD_isError(ret) != 0 {
            ZSTD_freeDStream(stream)
            throw ZstdFailure(message: String(cString: ZSTD_getErrorName(ret)))
        }
        self.stream = stream
    }

    deinit { ZSTD_freeDStream(stream) }

    /// Decompresses from `input[inputPosition...]` into `output`.
    ///
    /// - Returns: bytes written to `output`; `inputPosition` advances by the bytes consumed.
    mutating func decompress(
        _ input: UnsafeRawBufferPointer, inputPosition: inout Int, into output: UnsafeMutableRawBufferPointer
    ) throws(ZstdFailure) -> Int {
        let start = inputPosition
        var inBuffer = ZSTD_inBuffer(src: input.baseAddress, size: input.count, pos: inputPosition)
        var outBuffer = ZSTD_outBuffer(dst: output.baseAddress, size: output.count, pos: 0)
        let ret = ZSTD_decompressStream(stream, &outBuffer, &inBuffer)
        inputPosition = inBuffer.pos
        if ZSTD_isError(ret) != 0 {
            throw ZstdFailure(message: String(cString: ZSTD_getErrorName(ret)))
        }
        sawFrame = true
        // A call that neither read nor wrote (the drain after an exactly full output) starts
        // waiting for the next frame's header and returns its size: that says nothing about
        // whether the last frame ended.
        if outBuffer.pos > 0 || inBuffer.pos > start { lastHint = ret }
        return outBuffer.pos
    }

    /// The recommended output buffer size.
    static var recommendedOutputSize: Int { ZSTD_DStreamOutSize() }
}

struct ZstdFailure: Error {
    var message: String
}

/// Owner of one `ZSTD_CStream`: compresses a byte stream into zstd frames (for writers of
/// synthetic and converted traces).
struct ZstdCompressor: ~Copyable {
    private let stream: OpaquePointer

    init(level: Int32) throws(ZstdFailure) {
        guard let stream = ZSTD_createCStream() else { throw ZstdFailure(message: "ZSTD_createCStream failed") }
        let ret = ZSTD_initCStream(stream, level)
        if ZSTD_isError(ret) != 0 {
            ZSTD_freeCStream(stream)
            throw ZstdFailure(message: String(cString: ZSTD_getErrorName(ret)))
        }
        self.stream = stream
    }

    deinit { ZSTD_freeCStream(stream) }

    /// Compresses `input`, passing compressed bytes to `sink`; `end` closes the frame.
    mutating func compress(_ input: UnsafeRawBufferPointer, end: Bool, sink: (UnsafeRawBufferPointer) throws -> Void) throws {
        let outSize = ZSTD_CStreamOutSize()
        let output = UnsafeMutableRawBufferPointer.allocate(byteCount: outSize, alignment: 16)
        defer { output.deallocate() }
        var inBuffer = ZSTD_inBuffer(src: input.baseAddress, size: input.count, pos: 0)
        while true {
            var outBuffer = ZSTD_outBuffer(dst: output.baseAddress, size: outSize, pos: 0)
            let ret = ZSTD_compressStream2(stream, &outBuffer, &inBuffer, end ? ZSTD_e_end : ZSTD_e_continue)
            if ZSTD_isError(ret) != 0 { throw ZstdFailure(message: String(cString: ZSTD_getErrorName(ret))) }
            if outBuffer.pos > 0 { try sink(UnsafeRawBufferPointer(rebasing: output[0..<outBuffer.pos])) }
            if end ? ret == 0 : inBuffer.pos == inBuffer.size { break }
        }
    }
}
