//! Tasks and channels.

#![allow(unsafe_code)] // C exports (`no_mangle`).

use super::{guard, handle, id, positive, with_ctx};
use crate::ctx::Context;
use crate::errno::Errno;
use std::sync::Arc;

/// The entry point of a task: called with the `arg` given to `neurlang_spawn`.
pub type TaskEntry = extern "C" fn(u64) -> u64;

/// Runs `entry(arg)` on a new thread; returns the task id.
///
/// # Safety
/// `entry` must be 0 (giving `-EINVAL`) or the address of a function with the signature
/// `extern "C" fn(u64) -> u64` that is safe to call with `arg` on another thread.
#[unsafe(no_mangle)]
pub unsafe extern "C" fn neurlang_spawn(entry: u64, arg: u64) -> i64 {
    guard(|| {
        if entry == 0 {
            return Err(Errno::EINVAL);
        }
        let addr = usize::try_from(entry).map_err(|_| Errno::EINVAL)?;
        // SAFETY: the caller guarantees `entry` is the address of a `TaskEntry`; a function
        // pointer and `usize` have the same size on every supported target.
        let f: TaskEntry = unsafe { std::mem::transmute::<usize, TaskEntry>(addr) };
        // One lookup: the task runs in the context whose table holds it, even if another
        // thread replaces the default meanwhile.
        let ctx = Context::current();
        let inherited = Arc::clone(&ctx);
        ctx.spawn(move || Context::scoped(&inherited, || f(arg)))
            .map(id)
    })
}

/// Waits for task `task_id`; returns its result (`-EOVERFLOW` if it is above `i64::MAX`).
#[unsafe(no_mangle)]
pub extern "C" fn neurlang_join(task_id: u64) -> i64 {
    with_ctx(|ctx| ctx.join(handle(task_id)).and_then(positive))
}

/// Creates a channel; returns its id.
#[unsafe(no_mangle)]
pub extern "C" fn neurlang_chan_create() -> i64 {
    with_ctx(|ctx| ctx.chan_create().map(id))
}

/// Sends `value` (at most `i64::MAX`); returns 0.
#[unsafe(no_mangle)]
pub extern "C" fn neurlang_chan_send(chan_id: u64, value: u64) -> i64 {
    with_ctx(|ctx| {
        positive(value).map_err(|_| Errno::EINVAL)?;
        ctx.chan_send(handle(chan_id), value).map(|()| 0)
    })
}

/// Receives the next value, blocking until one arrives or the channel is closed.
#[unsafe(no_mangle)]
pub extern "C" fn neurlang_chan_recv(chan_id: u64) -> i64 {
    with_ctx(|ctx| ctx.chan_recv(handle(chan_id)).and_then(positive))
}

/// Receives the next value if there is one (`-EAGAIN` if not).
#[unsafe(no_mangle)]
pub extern "C" fn neurlang_chan_try_recv(chan_id: u64) -> i64 {
    with_ctx(|ctx| ctx.chan_try_recv(handle(chan_id)).and_then(positive))
}

/// Closes the channel, waking blocked receivers; returns 0.
#[unsafe(no_mangle)]
pub extern "C" fn neurlang_chan_close(chan_id: u64) -> i64 {
    with_ctx(|ctx| ctx.chan_close(handle(chan_id)).map(|()| 0))
}

/// Closes the channel if open and frees its id; returns 0.
#[unsafe(no_mangle)]
pub extern "C" fn neurlang_chan_destroy(chan_id: u64) -> i64 {
    with_ctx(|ctx| ctx.chan_destroy(handle(chan_id)).map(|()| 0))
}
