//! Instruction-cache maintenance after code is written to memory that will be executed.
#![allow(unsafe_code)] // cache-maintenance instructions and the Darwin FFI call.

/// Makes `len` bytes just written through `rw` visible to instruction fetch through `rx`
/// (the same physical memory, possibly at another address). A no-op on x86, whose caches are
/// coherent with instruction fetch.
#[inline]
pub(crate) fn flush_icache(rw: *const u8, rx: *const u8, len: usize) {
    #[cfg(neurlang_icache = "darwin")]
    {
        unsafe extern "C" {
            fn sys_icache_invalidate(start: *mut libc::c_void, len: libc::size_t);
        }
        let _ = rw;
        // SAFETY: sys_icache_invalidate only performs cache maintenance on the range, which the
        // caller has mapped.
        unsafe { sys_icache_invalidate(rx.cast_mut().cast(), len) };
    }
    #[cfg(neurlang_icache = "armv8")]
    sync_aarch64(rw, rx, len);
    #[cfg(neurlang_icache = "coherent")]
    let _ = (rw, rx, len);
}

/// The ARMv8 sequence: clean the data cache lines of the written range to the point of
/// unification, then invalidate the instruction cache lines of the executed range, with the
/// barriers in between (as in the Arm ARM, B2.4.4, and libgcc's `__clear_cache`).
#[cfg(neurlang_icache = "armv8")]
fn sync_aarch64(rw: *const u8, rx: *const u8, len: usize) {
    use std::arch::asm;
    if len == 0 {
        return;
    }
    let ctr: u64;
    // SAFETY: CTR_EL0 is readable at EL0 on Linux (the kernel enables or emulates it).
    unsafe { asm!("mrs {0}, ctr_el0", out(reg) ctr, options(nomem, nostack, preserves_flags)) };
    let dline = 4usize << ((ctr >> 16) & 0xf);
    let iline = 4usize << (ctr & 0xf);
    let mut a = (rw as usize) & !(dline - 1);
    while a < rw as usize + len {
        // SAFETY: `dc cvau` cleans the line holding `a`, which lies in the caller's mapped range.
        unsafe { asm!("dc cvau, {0}", in(reg) a, options(nostack, preserves_flags)) };
        a += dline;
    }
    // SAFETY: a data synchronization barrier has no operands.
    unsafe { asm!("dsb ish", options(nostack, preserves_flags)) };
    let mut a = (rx as usize) & !(iline - 1);
    while a < rx as usize + len {
        // SAFETY: `ic ivau` invalidates the line holding `a`, which lies in the mapped range.
        unsafe { asm!("ic ivau, {0}", in(reg) a, options(nostack, preserves_flags)) };
        a += iline;
    }
    // SAFETY: barriers have no operands.
    unsafe { asm!("dsb ish", "isb", options(nostack, preserves_flags)) };
}
