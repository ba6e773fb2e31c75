#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

/// Writes the LLC access stream in Dinero IV's `din` format: `label hexaddr` per line, label 0
/// read, 1 write. Written to a temporary name and renamed on `close`, so no half file remains.
final class DinWriter {
    private let path: String
    private let temporary: String
    private var fd: Int32
    private var buffer: [UInt8] = []

    init(path: String) throws {
        self.path = path
        temporary = path + ".tmp-\(getpid())"
        fd = open(temporary, O_WRONLY | O_CREAT | O_TRUNC, 0o644)
        guard fd >= 0 else { throw DinError(message: "cannot create \(temporary): \(String(cString: strerror(errno)))") }
        buffer.reserveCapacity(1 << 16)
    }

    func write(label: Int, line: UInt64, lineBytes: Int) {
        buffer.append(UInt8(ascii: "0") + UInt8(label))
        buffer.append(UInt8(ascii: " "))
        let address = line &* UInt64(lineBytes)
        var digits = 0
        var v = address
        repeat {
            digits += 1
            v >>= 4
        } while v != 0
        for k in stride(from: digits - 1, through: 0, by: -1) {
            let d = UInt8((address >> UInt64(k * 4)) & 0xF)
            buffer.append(d < 10 ? UInt8(ascii: "0") + d : UInt8(ascii: "a") + d - 10)
        }
        buffer.append(UInt8(ascii: "\n"))
        if buffer.count >= 1 << 16 { flush() }
    }

    private func flush() {
        buffer.withUnsafeBytes { bytes in
            var offset = 0
            while offset < bytes.count {
                guard let base = bytes.baseAddress else { return }
                let n = Glibc.write(fd, base + offset, bytes.count - offset)
                if n <= 0 { return }
                offset += n
            }
        }
        buffer.removeAll(keepingCapacity: true)
    }

    func close() {
        guard fd >= 0 else { return }
        flush()
        Glibc.close(fd)
        fd = -1
        rename(temporary, path)
    }
}

struct DinError: Error, CustomStringConvertible {
    var message: String
    var description: String { message }
}
