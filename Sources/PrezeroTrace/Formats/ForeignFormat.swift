/// Files that are not traces prezero reads but that users have at hand: recognised by their
/// magic bytes and named, with the command that turns them into a trace prezero reads.
enum ForeignFormat {
    static let known: [(magic: [UInt8], name: String, advice: String)] = [
        ([0x1F, 0x8B], "gzip-compressed", "decompress it: gzip -dc FILE | prezero COMMAND - (or recompress with zstd)"),
        (Array("BZh".utf8), "bzip2-compressed", "decompress it: bzip2 -dc FILE | prezero COMMAND - (or recompress with zstd)"),
        ([0xFD, 0x37, 0x7A, 0x58, 0x5A, 0x00], "xz-compressed", "decompress it: xz -dc FILE | prezero COMMAND - (or recompress with zstd)"),
        ([0x04, 0x22, 0x4D, 0x18], "lz4-compressed", "decompress it: lz4 -dc FILE | prezero COMMAND - (or recompress with zstd)"),
    ]

    /// Throws when the first bytes of the (decompressed) input are one of the known formats.
    static func check(_ head: UnsafeRawBufferPointer, name: String) throws(TraceError) {
        for format in known where head.count >= format.magic.count && zip(head, format.magic).allSatisfy({ $0 == $1 }) {
            throw TraceError(
                .unrecognizedFormat, "this is \(format.name), not a trace prezero reads; \(format.advice)",
                at: InputLocation(file: name, byteOffset: 0))
        }
    }
}
