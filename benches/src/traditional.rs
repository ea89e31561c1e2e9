//! The per-compilation path the specification compares the buffer pool against: map a fresh
//! page read-write, copy the code in, make it executable, call it, unmap it.
#![allow(unsafe_code)] // maps, protects and calls machine code.

/// Runs `code` (at most a page: an `extern "C" fn() -> u32` for the host) the traditional way
/// and returns what it returned.
pub fn run(code: &[u8]) -> u32 {
    let len = 4096;
    assert!(code.len() <= len, "at most a page of code");
    // SAFETY: a fresh anonymous mapping at an address the kernel chooses.
    let p = unsafe {
        libc::mmap(
            std::ptr::null_mut(),
            len,
            libc::PROT_READ | libc::PROT_WRITE,
            libc::MAP_PRIVATE | libc::MAP_ANONYMOUS,
            -1,
            0,
        )
    };
    assert_ne!(p, libc::MAP_FAILED);
    // SAFETY: `code` fits in the fresh writable page (checked above), which nobody else sees.
    unsafe { std::ptr::copy_nonoverlapping(code.as_ptr(), p.cast::<u8>(), code.len()) };
    // SAFETY: the page is ours.
    let rc = unsafe { libc::mprotect(p, len, libc::PROT_READ | libc::PROT_EXEC) };
    assert_eq!(rc, 0);
    #[cfg(target_arch = "aarch64")]
    {
        unsafe extern "C" {
            fn __clear_cache(start: *mut libc::c_void, end: *mut libc::c_void);
        }
        let end = p.wrapping_byte_add(code.len());
        // SAFETY: cache maintenance over the range just written, which is mapped.
        unsafe { __clear_cache(p, end) };
    }
    // SAFETY: the page now holds the caller's `extern "C" fn() -> u32` for this architecture.
    let f = unsafe { std::mem::transmute::<*mut libc::c_void, extern "C" fn() -> u32>(p) };
    let r = f();
    // SAFETY: unmaps our own page; `f` is not used again.
    let rc = unsafe { libc::munmap(p, len) };
    assert_eq!(rc, 0);
    r
}
