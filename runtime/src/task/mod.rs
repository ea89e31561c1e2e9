//! Tasks: real OS threads, joined by id.
//!
//! A task returns a `u64`; [`Context::join`] gives it back once. Joining an unknown (or already
//! joined) id gives `ESRCH`; a task that panicked gives `EIO`.
//!
//! ```
//! use neurlang::runtime::{Context, IOPermissions};
//! let ctx = Context::new(IOPermissions::default());
//! let t = ctx.spawn(|| 42).unwrap();
//! assert_eq!(ctx.join(t), Ok(42));
//! ```

use crate::ctx::{Context, Handle};
use crate::errno::Errno;
use std::sync::Mutex;

impl Context {
    /// Runs `f` on a new thread; returns the task id.
    pub fn spawn<F>(&self, f: F) -> Result<Handle, Errno>
    where
        F: FnOnce() -> u64 + Send + 'static,
    {
        let handle = std::thread::Builder::new()
            .name("neurlang-task".into())
            .spawn(f)
            .map_err(|e| Errno::from_io_error(&e))?;
        self.tasks.insert(Mutex::new(Some(handle)))
    }

    /// Waits for task `id` and returns its result.
    pub fn join(&self, id: Handle) -> Result<u64, Errno> {
        let slot = self.tasks.remove(id).ok_or(Errno::ESRCH)?;
        let handle = slot
            .lock()
            .unwrap_or_else(|p| p.into_inner())
            .take()
            .ok_or(Errno::ESRCH)?;
        handle.join().map_err(|_| Errno::EIO)
    }
}
