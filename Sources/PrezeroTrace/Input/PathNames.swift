/// Path arithmetic on the names users give. Foundation's `NSString.deletingLastPathComponent`
/// traps on a one-character relative path (`d`, `.`: swift-corelibs-foundation with Swift 6.3),
/// so `prezero compare -o d/report.md` crashed; this is the same rule without the trap.
public enum PathNames {
    /// The directory part of `path`: `a/b` -> `a`, `a/b/` -> `a`, `/a` -> `/`, `d` -> "", `/` -> `/`.
    public static func directory(of path: String) -> String {
        var trimmed = Substring(path)
        while trimmed.count > 1 && trimmed.hasSuffix("/") { trimmed = trimmed.dropLast() }
        guard let slash = trimmed.lastIndex(of: "/") else { return "" }
        var head = trimmed[..<slash]
        while head.count > 1 && head.hasSuffix("/") { head = head.dropLast() }
        return head.isEmpty ? "/" : String(head)
    }
}
