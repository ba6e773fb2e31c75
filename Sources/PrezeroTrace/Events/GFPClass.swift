/// What an allocation's gfp flags say about it: `__GFP_ZERO`, a user page, a transparent huge page.
///
/// The fault path allocates user pages with `GFP_HIGHUSER_MOVABLE` (order 0, `__GFP_ZERO` on x86:
/// `vma_alloc_zeroed_movable_folio`) and THP/mTHP folios with `vma_thp_gfp_mask()`, printed
/// `GFP_TRANSHUGE` or `GFP_TRANSHUGE_LIGHT` and never with `__GFP_ZERO` (`folio_zero_user` clears
/// them after allocation). Page tables (`GFP_PGTABLE_USER`, printed `GFP_KERNEL_ACCOUNT|__GFP_ZERO`)
/// are allocated inside the same fault and are not user pages.
public enum GFPClass {
    /// `___GFP_HIGHMEM` and `___GFP_MOVABLE`: the zone-modifier bits, 0x02 and 0x08 in every
    /// kernel since 2.6.24 (`include/linux/gfp_types.h`).
    public static let userBits: UInt64 = 0x02 | 0x08

    /// Flags of a raw-hex gfp value. Raw values do not tell a THP from another movable compound
    /// allocation, so a user page above order 0 counts as a THP/mTHP folio.
    public static func flags(raw bits: UInt64, zeroMask: UInt64) -> EventFlags {
        var flags: EventFlags = []
        if bits & zeroMask != 0 { flags.insert(.gfpZero) }
        if bits & userBits != 0 { flags.formUnion([.gfpUser, .gfpTransHuge]) }
        return flags
    }

    /// Flags of symbolic gfp text (`GFP_TRANSHUGE|__GFP_NORETRY|__GFP_THISNODE`), by '|'-separated
    /// names.
    public static func flags(text: UnsafeRawBufferPointer) -> EventFlags {
        var flags: EventFlags = []
        var start = 0
        while start <= text.count {
            var end = start
            while end < text.count && text[end] != UInt8(ascii: "|") { end += 1 }
            flags.formUnion(nameFlags(UnsafeRawBufferPointer(rebasing: text[start..<end])))
            start = end + 1
        }
        return flags
    }

    public static func flags(text: String) -> EventFlags {
        var text = text
        return text.withUTF8 { flags(text: UnsafeRawBufferPointer($0)) }
    }

    private static func nameFlags(_ name: UnsafeRawBufferPointer) -> EventFlags {
        if equals(name, "__GFP_ZERO") { return .gfpZero }
        if hasPrefix(name, "GFP_TRANSHUGE") { return [.gfpUser, .gfpTransHuge] }
        if hasPrefix(name, "GFP_HIGHUSER") || equals(name, "__GFP_HIGHMEM") || equals(name, "__GFP_MOVABLE") {
            return .gfpUser
        }
        return []
    }

    private static func hasPrefix(_ bytes: UnsafeRawBufferPointer, _ prefix: StaticString) -> Bool {
        let count = prefix.utf8CodeUnitCount
        guard bytes.count >= count else { return false }
        let p = prefix.utf8Start
        for k in 0..<count where bytes[k] != p[k] { return false }
        return true
    }

    private static func equals(_ bytes: UnsafeRawBufferPointer, _ name: StaticString) -> Bool {
        bytes.count == name.utf8CodeUnitCount && hasPrefix(bytes, name)
    }
}
