//! The guest's allocator: the first 64 KiB of allocations of an instance come from an arena
//! inside its initial memory, later ones from the standard allocator.
//!
//! Why: the standard allocator gets its heap by growing linear memory on the very first
//! allocation, and every call allocates (its arguments are copied into the guest). On the
//! host's pooling allocator a growth costs an `mprotect` to make the pages writable, and
//! another when the next instance in that slot starts smaller again: two system calls for
//! every fresh instance's first call. Serving the first allocations from an arena that is
//! already part of the instance's memory avoids both. Memory given back from the arena is not
//! reused (an instance lives for a few calls or is recycled); once the arena is spent,
//! everything goes to the standard allocator.

use std::alloc::{GlobalAlloc, Layout, System};
use std::cell::UnsafeCell;

const ARENA_BYTES: usize = 64 * 1024;

#[repr(C, align(16))]
struct Arena {
    bytes: UnsafeCell<[u8; ARENA_BYTES]>,
    used: UnsafeCell<usize>,
}

// SAFETY: a WebAssembly instance runs one thread (the component model has no shared memory
// here); the arena is never touched from two threads.
unsafe impl Sync for Arena {}

static ARENA: Arena = Arena {
    bytes: UnsafeCell::new([0; ARENA_BYTES]),
    used: UnsafeCell::new(0),
};

/// The allocator (see the module documentation).
pub struct FirstCallAllocator;

impl FirstCallAllocator {
    fn contains(ptr: *mut u8) -> bool {
        let base = ARENA.bytes.get() as usize;
        (base..base + ARENA_BYTES).contains(&(ptr as usize))
    }
}

// SAFETY: every block handed out is inside the arena and never overlaps another (the bump
// pointer only moves forward), or comes from `System`, which frees its own blocks.
unsafe impl GlobalAlloc for FirstCallAllocator {
    unsafe fn alloc(&self, layout: Layout) -> *mut u8 {
        let base = ARENA.bytes.get() as usize;
        // SAFETY: single-threaded (see `Sync` above).
        let used = unsafe { &mut *ARENA.used.get() };
        let start = (base + *used + layout.align() - 1) & !(layout.align() - 1);
        match start.checked_add(layout.size()) {
            Some(end) if end <= base + ARENA_BYTES => {
                *used = end - base;
                start as *mut u8
            }
            // SAFETY: the layout is the caller's, as `GlobalAlloc::alloc` requires.
            _ => unsafe { System.alloc(layout) },
        }
    }

    unsafe fn dealloc(&self, ptr: *mut u8, layout: Layout) {
        if !Self::contains(ptr) {
            // SAFETY: not from the arena, so from `System` with this layout.
            unsafe { System.dealloc(ptr, layout) }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    // The one test that touches the arena (natively it is not the global allocator).
    #[test]
    #[allow(unsafe_code)]
    fn first_blocks_come_from_the_arena_then_from_the_system() {
        let a = FirstCallAllocator;
        let small = Layout::from_size_align(100, 8).unwrap_or_else(|e| panic!("{e}"));
        let aligned = Layout::from_size_align(64, 64).unwrap_or_else(|e| panic!("{e}"));
        let big = Layout::from_size_align(ARENA_BYTES, 8).unwrap_or_else(|e| panic!("{e}"));
        // SAFETY: layouts are non-zero; every block is freed with its own layout.
        unsafe {
            let p = a.alloc(small);
            let q = a.alloc(aligned);
            assert!(FirstCallAllocator::contains(p) && FirstCallAllocator::contains(q));
            assert_eq!(q as usize % 64, 0, "alignment kept");
            assert!(q as usize >= p as usize + 100, "blocks do not overlap");
            p.write_bytes(0xAB, 100);
            // The arena cannot hold this one: the system allocator serves it.
            let r = a.alloc(big);
            assert!(!r.is_null() && !FirstCallAllocator::contains(r));
            r.write_bytes(1, ARENA_BYTES);
            a.dealloc(r, big);
            a.dealloc(q, aligned);
            a.dealloc(p, small);
        }
    }
}
