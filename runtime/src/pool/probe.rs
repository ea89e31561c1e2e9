//! The dual mapping's executing self-test.
//!
//! Two views of the same pages are coherent for instruction fetch on real hardware (after the
//! cache maintenance the pool does), but not under every emulator: qemu-user detects
//! self-modifying code only through writes to the executed address, so code rewritten through
//! the other view keeps running its stale translation. At start-up the pool therefore writes a
//! function through the writable view, calls it, rewrites it, and calls it again; a view that
//! still runs the old code is refused and the next backend is tried.
#![allow(unsafe_code)] // calling the probe's own machine code.

use super::{Backend, arch, region::Region};

/// `extern "C" fn() -> u32` returning `value`, for the architectures the probe knows.
fn return_const(value: u16) -> Option<Vec<u8>> {
    if cfg!(target_arch = "x86_64") {
        let mut code = vec![0xB8]; // mov eax, imm32
        code.extend_from_slice(&u32::from(value).to_le_bytes());
        code.push(0xC3); // ret
        Some(code)
    } else if cfg!(target_arch = "aarch64") {
        let movz = 0x5280_0000u32 | (u32::from(value) << 5); // movz w0, #value
        let mut code = movz.to_le_bytes().to_vec();
        code.extend_from_slice(&0xd65f_03c0u32.to_le_bytes()); // ret
        Some(code)
    } else {
        None
    }
}

/// True when code rewritten in `region` through its writable view runs as rewritten.
/// Architectures without probe code are trusted. Leaves the probed bytes poisoned.
pub(crate) fn coherent(region: &Region) -> bool {
    if cfg!(miri) {
        return true;
    }
    let (Some(a), Some(b)) = (return_const(0x1234), return_const(0x4321)) else {
        return true;
    };
    let run = |code: &[u8]| -> Option<u32> {
        region
            .modify(Backend::DualMap, 0, code.len(), |s| s.copy_from_slice(code))
            .ok()?;
        let (_, rx) = region.at(0);
        // SAFETY: `code` is a complete `extern "C" fn() -> u32` for this architecture, just
        // written and published at `rx`; nobody else can see the region yet.
        let f = unsafe { std::mem::transmute::<*const u8, extern "C" fn() -> u32>(rx.as_ptr()) };
        Some(f())
    };
    let ok = run(&a) == Some(0x1234) && run(&b) == Some(0x4321);
    let n = arch::poison_len(a.len().max(b.len()));
    ok && region
        .modify(Backend::DualMap, 0, n, arch::fill_trap)
        .is_ok()
}

#[cfg(all(test, not(miri)))]
mod tests {
    use super::*;
    use crate::sys;

    /// Two views that are not the same memory, as under an emulator that keeps running its
    /// stale translation: the code executed is not the code written, and the probe says so.
    #[test]
    fn views_that_do_not_share_memory_are_refused() {
        let Some(stale) = return_const(0) else {
            return; // no probe code for this architecture: it trusts the views
        };
        let region = Region::incoherent(sys::page_size(), &stale).unwrap();
        assert!(!coherent(&region));
    }
}
