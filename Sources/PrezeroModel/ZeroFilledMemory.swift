#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

/// `count` elements of zero bytes in a fresh anonymous mapping, which the host kernel zero-fills
/// page by page on first touch: tables sized by the modelled machine (page records, cache sets
/// and residency) cost host memory only where a replay reaches them, and nothing to set up.
/// Transparent huge pages are turned off for it (`MADV_NOHUGEPAGE`): these tables are touched
/// sparsely, and with THP `enabled=always` every first touch would fault in 2 MiB. Release it
/// with `releaseZeroFilledMemory` and the same count.
func zeroFilledMemory<T>(_ type: T.Type, count: Int) -> UnsafeMutablePointer<T> {
    let bytes = mappedBytes(T.self, count)
    let raw = mmap(nil, bytes, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0)
    guard let raw, raw != MAP_FAILED else {
        fatalError("prezero: out of memory mapping \(count) x \(MemoryLayout<T>.stride) bytes")
    }
    #if os(Linux)
    _ = madvise(raw, bytes, MADV_NOHUGEPAGE)
    #endif
    return raw.bindMemory(to: T.self, capacity: max(count, 1))
}

func releaseZeroFilledMemory<T>(_ pointer: UnsafeMutablePointer<T>?, count: Int) {
    guard let pointer else { return }
    munmap(pointer, mappedBytes(T.self, count))
}

private func mappedBytes<T>(_ type: T.Type, _ count: Int) -> Int { max(count, 1) * MemoryLayout<T>.stride }
