//! A dropped pool gives its memory back to the system. Alone in its test binary: no other
//! thread maps memory between the drop and the check, so the freed range cannot be reused
//! meanwhile.
#![cfg(target_os = "linux")]
#![allow(unsafe_code)] // msync on an address the test no longer owns, to ask whether it is mapped.

use neurlang::runtime::{Backend, BufferPool, PoolConfig};

#[test]
fn a_dropped_pool_unmaps_its_memory() {
    let pool = BufferPool::with_config(&PoolConfig::new(4)).unwrap();
    if pool.backend() == Some(Backend::Heap) {
        return; // heap memory goes back to the allocator, not to the system
    }
    // SAFETY: sysconf reads a system constant.
    let page = usize::try_from(unsafe { libc::sysconf(libc::_SC_PAGESIZE) }).unwrap();
    let addr = (pool.acquire().unwrap().as_ptr() as usize) & !(page - 1);
    let mapped = || {
        // SAFETY: msync only asks the kernel about the page at `addr`; it reads and writes no
        // memory of this process.
        unsafe { libc::msync(addr as *mut libc::c_void, page, libc::MS_ASYNC) == 0 }
    };
    assert!(mapped(), "a live buffer's page is mapped");
    drop(pool);
    let still = mapped();
    let errno = std::io::Error::last_os_error().raw_os_error();
    assert!(
        !still && errno == Some(libc::ENOMEM),
        "still mapped after the drop"
    );
}
