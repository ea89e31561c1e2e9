//! Extension calls from machine code: the instruction `ext.call rd, id, rs1, rs2`, through the
//! [`ExtensionRegistry`] of the current [`Context`](crate::ctx::Context)
//! ([`Context::extensions`](crate::ctx::Context::extensions)).
//!
//! Both functions return 0 with the extension's full `u64` result in `*result`, or `-code`
//! (`ExtError::errno`) with `*result` and every output buffer untouched. The checks, in order:
//! `result` null (`EFAULT`); no extension with this ID, any `u64` (`ENOSYS`); an argument count
//! that is not the extension's (`EINVAL`, nothing read); `args` null (`EFAULT`); then the
//! extension's own errors. Extensions get no `outputs` slots: everything they return is the
//! result or written through capability tokens.

#![allow(unsafe_code)] // C exports (`no_mangle`) and raw pointers from C callers.

use super::with_ctx;
use crate::errno::Errno;
use crate::ext::{ExtId, ExtensionRegistry};

/// Argument counts up to this are copied to the stack, larger ones to the heap.
const INLINE_ARGS: usize = 8;

/// The extension ID of `id`: `ENOSYS` beyond `u32` (no extension has such an ID).
fn ext_id(id: u64) -> Result<ExtId, Errno> {
    u32::try_from(id).map(ExtId).map_err(|_| Errno::ENOSYS)
}

/// Runs `f` on the current context's registry and stores its value in `*result`.
///
/// # Safety
/// `result` must be null or valid for writing a `u64`.
unsafe fn finish(
    result: *mut u64,
    f: impl FnOnce(&ExtensionRegistry) -> Result<u64, Errno>,
) -> i64 {
    with_ctx(|ctx| {
        if result.is_null() {
            return Err(Errno::EFAULT);
        }
        let v = f(ctx.extensions())?;
        // SAFETY: not null (checked); valid for a write by this function's contract.
        unsafe { result.write(v) };
        Ok(0i64)
    })
}

/// `ext.call rd, id, a, b`: calls extension `id` with the first 0, 1 or 2 of (`a`, `b`) (its
/// argument count; the rest are ignored). An extension taking more than 2 gives `-EINVAL`.
///
/// # Safety
/// `result` must be null or valid for writing a `u64`.
#[unsafe(no_mangle)]
pub unsafe extern "C" fn neurlang_ext_call2(id: u64, a: u64, b: u64, result: *mut u64) -> i64 {
    let call = |registry: &ExtensionRegistry| {
        let id = ext_id(id)?;
        // As many of (a, b) as it takes: the registry refuses an unknown ID, and a count of
        // more than 2 as the wrong count.
        let n = registry.info(id).map_or(0, |i| i.arg_count);
        Ok(registry.call(id, &[a, b][..n.min(2)], &mut [])?)
    };
    // SAFETY: forwarded from this function's contract.
    unsafe { finish(result, call) }
}

/// Calls extension `id` with `nargs` arguments read from `args` (which may be null when
/// `nargs` is 0); `nargs` must be the extension's argument count, else `-EINVAL` before `args`
/// is read.
///
/// # Safety
/// `result` must be null or valid for writing a `u64`; when `nargs` is the extension's
/// argument count, `args` must be null or valid for reading `nargs` `u64`s.
#[unsafe(no_mangle)]
pub unsafe extern "C" fn neurlang_ext_call(
    id: u64,
    args: *const u64,
    nargs: u64,
    result: *mut u64,
) -> i64 {
    let call = |registry: &ExtensionRegistry| {
        let id = ext_id(id)?;
        // No extension takes `usize::MAX` arguments: a count beyond `usize` is the wrong one.
        let n = usize::try_from(nargs).unwrap_or(usize::MAX);
        registry.check_args(id, n)?;
        if n == 0 {
            return Ok(registry.call(id, &[], &mut [])?);
        }
        if args.is_null() {
            return Err(Errno::EFAULT);
        }
        let mut inline = [0u64; INLINE_ARGS];
        let mut heap = Vec::new();
        let copy: &mut [u64] = if n <= INLINE_ARGS {
            &mut inline[..n]
        } else {
            heap.resize(n, 0);
            &mut heap
        };
        // SAFETY: `args` is not null (checked) and, `nargs` being `n`, valid for reading `n`
        // `u64`s by this function's contract; `copy` is `n` long and ours.
        unsafe { std::ptr::copy_nonoverlapping(args, copy.as_mut_ptr(), n) };
        Ok(registry.call(id, copy, &mut [])?)
    };
    // SAFETY: forwarded from this function's contract.
    unsafe { finish(result, call) }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::ctx::Context;
    use crate::ext::{ExtCategory, ids};
    use crate::perm::IOPermissions;
    use std::sync::Arc;

    const SENTINEL: u64 = 0xdead_beef_dead_beef;

    /// Runs `f` with a result slot holding [`SENTINEL`]: the slot's value on success, else the
    /// code, after checking that nothing was written.
    fn slot(f: impl FnOnce(*mut u64) -> i64) -> Result<u64, i64> {
        let mut r = SENTINEL;
        match f(&mut r) {
            0 => Ok(r),
            e => {
                assert_eq!(r, SENTINEL, "written on failure {e}");
                Err(e)
            }
        }
    }

    fn call2(id: u64, a: u64, b: u64) -> Result<u64, i64> {
        // SAFETY: the slot is a live local.
        slot(|r| unsafe { neurlang_ext_call2(id, a, b, r) })
    }

    fn call(id: u64, args: &[u64]) -> Result<u64, i64> {
        // SAFETY: `args` is valid for its length, the slot is a live local.
        slot(|r| unsafe { neurlang_ext_call(id, args.as_ptr(), args.len() as u64, r) })
    }

    fn id(id: ExtId) -> u64 {
        u64::from(id.get())
    }

    /// Several threads push to and read back their own vecs at once, all through
    /// `neurlang_ext_call2` on one context: each sees exactly its own values.
    #[test]
    fn threads_on_distinct_handles_see_their_own_values() {
        let ctx = Arc::new(Context::new(IOPermissions::default()));
        let threads: Vec<_> = (0..4u64)
            .map(|t| {
                let ctx = Arc::clone(&ctx);
                std::thread::spawn(move || {
                    Context::scoped(&ctx, || {
                        let h = call2(id(ids::VEC_NEW), 0, 0).unwrap();
                        for i in 0..500 {
                            assert_eq!(call2(id(ids::VEC_PUSH), h, t << 32 | i), Ok(0));
                        }
                        assert_eq!(call2(id(ids::VEC_LEN), h, 0), Ok(500));
                        for i in 0..500 {
                            assert_eq!(call2(id(ids::VEC_GET), h, i), Ok(t << 32 | i));
                        }
                        assert_eq!(call2(id(ids::VEC_FREE), h, 0), Ok(0));
                        assert_eq!(call2(id(ids::VEC_LEN), h, 0), Err(Errno::EBADF.neg()));
                    })
                })
            })
            .collect();
        for t in threads {
            t.join().unwrap();
        }
    }

    #[test]
    fn the_embedders_extensions_are_reached_and_errors_leave_the_result() {
        let mut registry = ExtensionRegistry::with_builtins();
        let custom = registry.register(
            "three",
            "",
            3,
            false,
            ExtCategory::Custom,
            Arc::new(|a, _| Ok(a[0] ^ a[1] ^ a[2])),
        );
        let panics = registry.register(
            "panics",
            "",
            0,
            false,
            ExtCategory::Custom,
            Arc::new(|_, _| panic!("extension bug")),
        );
        let ctx = Arc::new(Context::new(IOPermissions::default()).with_extensions(registry));
        Context::scoped(&ctx, || {
            assert_eq!(call(id(custom), &[1, 2, 4]), Ok(7));
            assert_eq!(call(id(custom), &[1, 2]), Err(Errno::EINVAL.neg()));
            // The count and the ID are checked before `args` is read: null is not reached.
            let unread = |id, n| {
                // SAFETY: `args` is null, never read when `n` is not the count (the contract).
                slot(|r| unsafe { neurlang_ext_call(id, std::ptr::null(), n, r) })
            };
            assert_eq!(unread(id(custom), 2), Err(Errno::EINVAL.neg()));
            assert_eq!(unread(id(custom), u64::MAX), Err(Errno::EINVAL.neg()));
            assert_eq!(unread(id(custom) + 1000, 3), Err(Errno::ENOSYS.neg()));
            assert_eq!(unread(id(custom), 3), Err(Errno::EFAULT.neg()));
            assert_eq!(call2(id(custom), 1, 2), Err(Errno::EINVAL.neg()));
            assert_eq!(call(id(panics), &[]), Err(Errno::EIO.neg()));
            let big: Vec<u64> = vec![0; INLINE_ARGS + 1];
            assert_eq!(call(id(custom), &big), Err(Errno::EINVAL.neg()));
            assert_eq!(
                call2((1 << 32) + id(ids::VEC_NEW), 0, 0),
                Err(Errno::ENOSYS.neg())
            );
            // SAFETY: a null result is refused before anything is written.
            let null = unsafe { neurlang_ext_call2(id(ids::VEC_NEW), 0, 0, std::ptr::null_mut()) };
            assert_eq!(null, Errno::EFAULT.neg());
        });
        // Another context has its own registry: the custom ID is unknown there.
        let other = Arc::new(Context::new(IOPermissions::default()));
        Context::scoped(&other, || {
            assert_eq!(call(id(custom), &[1, 2, 4]), Err(Errno::ENOSYS.neg()));
        });
    }

    #[test]
    fn more_than_the_inline_arguments_are_read() {
        let mut registry = ExtensionRegistry::new();
        let n = INLINE_ARGS + 3;
        let sum = registry.register(
            "sum",
            "",
            n,
            false,
            ExtCategory::Custom,
            Arc::new(|a, _| Ok(a.iter().sum())),
        );
        let ctx = Arc::new(Context::new(IOPermissions::default()).with_extensions(registry));
        let args: Vec<u64> = (1..=n as u64).collect();
        Context::scoped(&ctx, || {
            assert_eq!(call(id(sum), &args), Ok(args.iter().sum()));
        });
    }
}
