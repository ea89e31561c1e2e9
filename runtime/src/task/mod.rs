//! Tasks: real OS threads, joined by id.
//!
//! A task returns a `u64`; [`Context::join`](crate::ctx::Context::join) gives it back once.
//! Joining an unknown (or already joined) id gives `ESRCH`; a task that panicked gives `EIO`.
//!
//! ```
//! use neurlang::runtime::{Context, IOPermissions};
//! let ctx = Context::new(IOPermissions::default());
//! let t = ctx.spawn(|| 42).unwrap();
//! assert_eq!(ctx.join(t), Ok(42));
//! ```

use crate::errno::Errno;
use crate::handle::{Handle, HandleTable};
use std::thread::JoinHandle;

/// A context's tasks (see [`Context`](crate::ctx::Context), which owns one).
pub(crate) type Tasks = HandleTable<JoinHandle<u64>, Errno>;

impl crate::handle::ContextService for JoinHandle<u64> {
    const TAG: crate::handle::Tag = crate::handle::Tag::Task;
}

impl Tasks {
    /// Runs `f` on a new thread; returns the task id.
    pub(crate) fn spawn<F>(&self, f: F) -> Result<Handle, Errno>
    where
        F: FnOnce() -> u64 + Send + 'static,
    {
        let handle = std::thread::Builder::new()
            .name("neurlang-task".into())
            .spawn(f)
            .map_err(|e| Errno::from_io_error(&e))?;
        self.insert(handle)
    }

    /// Waits for task `id` and returns its result; the id is freed first, so only one caller
    /// gets it.
    pub(crate) fn join(&self, id: Handle) -> Result<u64, Errno> {
        let handle = self.remove(id).map_err(|_| Errno::ESRCH)?;
        handle.join().map_err(|_| Errno::EIO)
    }
}
