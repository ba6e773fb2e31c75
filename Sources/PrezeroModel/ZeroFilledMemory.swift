#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

/// `count` elements of zero bytes from `calloc`, which for a large block is a fresh anonymous
/// mapping the host kernel zero-fills page by page on first touch: tables sized by the modelled
/// machine (page records, cache residency) cost host memory only where a replay reaches them,
/// and nothing to set up. Free with `free(3)`.
func zeroFilledMemory<T>(_ type: T.Type, count: Int) -> UnsafeMutablePointer<T> {
    guard let raw = calloc(max(count, 1), MemoryLayout<T>.stride) else {
        fatalError("prezero: out of memory for \(count) x \(MemoryLayout<T>.stride) bytes")
    }
    return raw.bindMemory(to: T.self, capacity: max(count, 1))
}
