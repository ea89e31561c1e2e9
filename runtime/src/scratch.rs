//! Per-thread scratch memory: where the C ABI and the extension bridge copy a capability's bytes
//! so that no runtime code reads or writes memory another thread may be using (see
//! [`crate::cap`]).
//!
//! A thread keeps up to [`KEEP`] bytes from call to call, unzeroed: they hold what earlier calls
//! left, so a caller exposes only bytes it wrote. A larger call, a nested call (the memory is
//! in use) and a call during thread exit get fresh zeroed memory of their own.

use std::cell::RefCell;

/// Scratch memory a thread keeps between calls, at most this many bytes.
pub(crate) const KEEP: usize = 64 * 1024;

thread_local! {
    pub(crate) static SCRATCH: RefCell<Vec<u8>> = const { RefCell::new(Vec::new()) };
}

/// Runs `f` on `len` initialized bytes of scratch memory (see the module docs).
pub(crate) fn with<R>(len: usize, f: impl FnOnce(&mut [u8]) -> R) -> R {
    let mut f = Some(f);
    if len <= KEEP {
        let done = SCRATCH.try_with(|cell| {
            let mut kept = cell.try_borrow_mut().ok()?;
            let grown = kept.len().max(len);
            kept.resize(grown, 0);
            f.take().map(|f| f(&mut kept[..len]))
        });
        if let Ok(Some(r)) = done {
            return r;
        }
    }
    let f = f.expect("`f` runs only once, and returns");
    f(&mut vec![0; len])
}

#[cfg(test)]
mod tests {
    use super::*;

    fn kept() -> usize {
        SCRATCH.with(|s| s.borrow().len())
    }

    #[test]
    fn a_thread_keeps_at_most_keep_bytes() {
        std::thread::spawn(|| {
            with(16, |b| b.copy_from_slice(&[7; 16]));
            assert_eq!(kept(), 16);
            // Kept memory is reused as it is: what an earlier call left is still there.
            with(8, |b| assert_eq!(b, [7; 8]));
            with(KEEP, |b| assert_eq!(b.len(), KEEP));
            assert_eq!(kept(), KEEP);
            // More than KEEP bytes: memory of its own, zeroed, and gone after the call.
            with(KEEP + 1, |b| {
                assert_eq!(b.len(), KEEP + 1);
                assert!(b.iter().all(|&x| x == 0));
            });
            assert_eq!(kept(), KEEP);
        })
        .join()
        .unwrap();
    }

    #[test]
    fn a_nested_call_gets_memory_of_its_own() {
        std::thread::spawn(|| {
            with(4, |outer| {
                outer.copy_from_slice(&[1; 4]);
                with(4, |inner| {
                    assert_eq!(inner, [0; 4]);
                    inner.copy_from_slice(&[2; 4]);
                });
                assert_eq!(outer, [1; 4]);
            });
        })
        .join()
        .unwrap();
    }
}
