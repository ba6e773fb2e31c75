import PrezeroModel

/// `init-on-alloc`: Linux 5.3's `init_on_alloc=1` (Potapenko, commit 6471384af2a6): the
/// allocator clears every block it hands out (`post_alloc_hook` -> `kernel_init_pages`), asked
/// for zero or not, and the fault path then skips its own clear (`user_alloc_needs_zeroing()`
/// is false). Nothing is zeroed ahead of time: the baseline plus a clear of every allocation
/// that did not need one (page cache, slab, copy-on-write copies).
package struct InitOnAlloc: PrezeroPolicy {
    package static let name = "init-on-alloc"
    package static let summary = "clear every allocation in the allocator (init_on_alloc=1)"
    package let parameters: NoParameters
    package init(parameters: NoParameters, profile: MachineProfile) { self.parameters = parameters }
    package var zeroesEveryAllocation: Bool { true }
}
