//! The runtime context: the state that runtime library functions act on.
//!
//! A [`Context`] is composed of one state value per service, each owned by its module: its
//! [`Sandbox`] (`perm`: its [`IOPermissions`] with the allowed roots opened), its open files
//! (`fs`), its sockets (`net`), its tasks (`task`), its channels (`chan`) and its console
//! (`io`), and its [`ExtensionRegistry`] (what `ext.call` reaches). Each table is a [`HandleTable`](crate::handle::HandleTable) of its own handle type,
//! so a channel id given to a file function is `EBADF`, never some other file (`ctx/tests.rs`:
//! `a_handle_of_one_service_is_refused_by_the_others`,
//! `a_closed_descriptor_stays_closed_when_its_slot_is_reused`). The methods
//! below are the public API (and what the C ABI calls); each passes the context's permissions
//! or sandbox to the service that needs them. The services do not know the context.
//!
//! Rust users create as many contexts as they like (tests run contexts with different
//! permissions in parallel); the C ABI acts on the *process-default* context, which an
//! embedder replaces with [`Context::set_default`] before running generated code.
//!
//! ```
//! use neurlang::runtime::{Context, IOPermissions};
//! let ctx = Context::new(IOPermissions::default());
//! assert!(ctx.permissions().io_print);
//! ```

pub use crate::handle::Handle;

use crate::chan::Channels;
use crate::errno::Errno;
use crate::ext::ExtensionRegistry;
use crate::fs::Files;
use crate::io::{Console, Input, Output};
use crate::net::Sockets;
use crate::perm::{IOPermissions, Sandbox};
use crate::task::Tasks;
use std::cell::{Cell, RefCell};
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Arc, OnceLock, RwLock};

/// A runtime context. See the [module](self) documentation.
pub struct Context {
    sandbox: Sandbox,
    files: Files,
    sockets: Sockets,
    tasks: Tasks,
    chans: Channels,
    console: Console,
    /// Built on first use ([`Context::extensions`]) unless given, so that a context that never
    /// calls an extension pays nothing for the built-ins (nor links them: `ci/size.sh`).
    extensions: OnceLock<ExtensionRegistry>,
}

impl std::fmt::Debug for Context {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Context")
            .field("sandbox", &self.sandbox)
            .finish_non_exhaustive()
    }
}

thread_local! {
    /// The context [`Context::scoped`] installed on this thread, null for none. It points into
    /// the `Arc<Context>` that the innermost active `scoped` call borrows for its whole extent
    /// (each call puts the previous pointer back when it returns or unwinds).
    static SCOPED: Cell<*const Context> = const { Cell::new(std::ptr::null()) };
    /// This thread's copy of the process-default context, with the [`GENERATION`] it was read
    /// at: the C ABI's hot path reads it without the lock or a reference count, both shared
    /// by every thread (one cache line all threads write, on every call through the ABI).
    static DEFAULT_COPY: RefCell<Option<(u64, Arc<Context>)>> = const { RefCell::new(None) };
}

#[cfg(test)]
thread_local! {
    /// Calls of [`Context::with_current`] on this thread that took the slow way (tests only).
    pub(crate) static SLOW_CALLS: Cell<u32> = const { Cell::new(0) };
}

static DEFAULT: OnceLock<RwLock<Arc<Context>>> = OnceLock::new();
/// Bumped by every [`Context::set_default`], while it holds the write lock.
static GENERATION: AtomicU64 = AtomicU64::new(0);

fn default_slot() -> &'static RwLock<Arc<Context>> {
    DEFAULT.get_or_init(|| RwLock::new(Arc::new(Context::new(IOPermissions::default()))))
}

/// Reads the process default into this thread's copy (found older than `generation`), unless an `f` of this thread is using the copy (in a nested call its borrow is still held,
/// and the copy stays as it is: the caller then takes the slow way).
#[cold]
#[inline(never)]
fn refresh(copy: &RefCell<Option<(u64, Arc<Context>)>>, generation: u64) {
    let Ok(mut slot) = copy.try_borrow_mut() else {
        return;
    };
    let current = Arc::clone(&default_slot().read().unwrap_or_else(|p| p.into_inner()));
    let old = slot.replace((generation, current));
    // The old context may be dropped here, and its drop may call the ABI: not while this
    // thread's copy or the default's lock is held.
    drop(slot);
    drop(old);
}

impl Context {
    /// A context with these permissions (its sandbox's roots opened now), the process's stdin
    /// and stdout, and empty tables.
    pub fn new(perms: IOPermissions) -> Context {
        Context::with_sandbox(Sandbox::new(perms))
    }

    /// A context with this sandbox, the process's stdin and stdout, and empty tables.
    pub fn with_sandbox(sandbox: Sandbox) -> Context {
        Context::with_io(
            sandbox,
            Box::new(std::io::BufReader::new(std::io::stdin())),
            Box::new(std::io::stdout()),
        )
    }

    /// A context whose `read_line` reads `stdin` and whose `print` writes `stdout`.
    pub fn with_io(sandbox: impl Into<Sandbox>, stdin: Input, stdout: Output) -> Context {
        Context {
            sandbox: sandbox.into(),
            files: Files::for_context(),
            sockets: Sockets::for_context(),
            tasks: Tasks::for_context(),
            chans: Channels::for_context(),
            console: Console::new(stdin, stdout),
            extensions: OnceLock::new(),
        }
    }

    /// This context with `registry` as its extensions instead of the built-ins: the embedder
    /// registers its own (usually on [`ExtensionRegistry::with_builtins`]) before the context is
    /// shared, so the registry is fixed while generated code calls it.
    ///
    /// ```
    /// use neurlang::runtime::{Context, ExtCategory, ExtensionRegistry, IOPermissions};
    /// use std::sync::Arc;
    /// let mut registry = ExtensionRegistry::with_builtins();
    /// let id = registry.register("answer", "", 0, false, ExtCategory::Custom, Arc::new(|_, _| Ok(42)));
    /// let ctx = Context::new(IOPermissions::default()).with_extensions(registry);
    /// assert_eq!(ctx.extensions().call(id, &[], &mut []), Ok(42));
    /// ```
    pub fn with_extensions(mut self, registry: ExtensionRegistry) -> Context {
        self.extensions = OnceLock::from(registry);
        self
    }

    /// The extensions `ext.call` reaches in this context: the ones given to
    /// [`Context::with_extensions`], else the built-ins (with stdlib handle tables of this
    /// context's own).
    pub fn extensions(&self) -> &ExtensionRegistry {
        self.extensions
            .get_or_init(ExtensionRegistry::with_builtins)
    }

    /// This context's permissions (fixed for its life: make a new context to change them).
    pub fn permissions(&self) -> &IOPermissions {
        self.sandbox.permissions()
    }

    /// This context's file sandbox.
    pub fn sandbox(&self) -> &Sandbox {
        &self.sandbox
    }

    /// The context the C ABI acts on in this thread: the one installed by [`Context::scoped`]
    /// if any, else the process-default context (deny-by-default permissions until
    /// [`Context::set_default`] is called). Tasks spawned through the ABI inherit it.
    #[allow(unsafe_code)] // rebuilds an `Arc` from the pointer `scoped` installed
    pub fn current() -> Arc<Context> {
        let p = SCOPED.with(Cell::get);
        if !p.is_null() {
            // SAFETY: `p` is `Arc::as_ptr` of the `Arc<Context>` that the innermost active
            // `scoped` call on this thread borrows (see `SCOPED`), so that `Arc` is alive: one
            // more strong count for it, then the `Arc` that owns that count.
            unsafe { Arc::increment_strong_count(p) };
            // SAFETY: as above; the count just added is the one the new `Arc` owns.
            return unsafe { Arc::from_raw(p) };
        }
        let slot = default_slot().read().unwrap_or_else(|p| p.into_inner());
        Arc::clone(&slot)
    }

    /// Runs `f` on [`Context::current`] without taking a reference count: the C ABI's path.
    /// The scoped context is reached through its pointer, the default one through this
    /// thread's copy (read again when [`Context::set_default`] has run since).
    #[allow(unsafe_code)] // dereferences the pointer `scoped` installed
    pub(crate) fn with_current<R>(f: impl FnOnce(&Context) -> R) -> R {
        let p = SCOPED.with(Cell::get);
        if !p.is_null() {
            // SAFETY: `p` points into the `Arc<Context>` that the innermost active `scoped`
            // call on this thread borrows until it returns (see `SCOPED`), which is after `f`
            // returns: `f` runs inside it.
            return f(unsafe { &*p });
        }
        let generation = GENERATION.load(Ordering::Acquire);
        let mut f = Some(f);
        let done = DEFAULT_COPY.try_with(|copy| {
            // The common case: the copy is current, one shared borrow.
            if let Ok(Some((g, ctx))) = copy.try_borrow().as_deref()
                && *g == generation
            {
                return f.take().map(|f| f(ctx));
            }
            refresh(copy, generation);
            match copy.try_borrow().as_deref() {
                Ok(Some((g, ctx))) if *g == generation => f.take().map(|f| f(ctx)),
                _ => None,
            }
        });
        match (done, f) {
            (Ok(Some(r)), _) => r,
            // A nested call after a `set_default`, or during thread exit: the slow way.
            (_, Some(f)) => {
                #[cfg(test)]
                SLOW_CALLS.with(|n| n.set(n.get() + 1));
                f(&Context::current())
            }
            (_, None) => unreachable!("`f` ran, so its result is in `done`"),
        }
    }

    /// Runs `f` with `ctx` as this thread's current context (for the C ABI), then restores
    /// the previous one. Lets tests with different permissions call the ABI in parallel.
    pub fn scoped<R>(ctx: &Arc<Context>, f: impl FnOnce() -> R) -> R {
        struct Restore(*const Context);
        impl Drop for Restore {
            fn drop(&mut self) {
                SCOPED.with(|s| s.set(self.0));
            }
        }
        let prev = SCOPED.with(|s| s.replace(Arc::as_ptr(ctx)));
        let _restore = Restore(prev);
        f()
    }

    /// Replaces the process-default context; returns the previous one. Descriptors, tasks and
    /// channels of the previous context stay with it. Each thread that called the C ABI keeps
    /// a reference to the default it last used until its next call through the ABI or its
    /// exit, so the previous context is dropped (its files closed) only then, not when the
    /// returned `Arc` is.
    pub fn set_default(ctx: Arc<Context>) -> Arc<Context> {
        let mut slot = default_slot().write().unwrap_or_else(|p| p.into_inner());
        GENERATION.fetch_add(1, Ordering::Release);
        std::mem::replace(&mut slot, ctx)
    }
}

/// Files (see [`crate::fs`]).
impl Context {
    /// Opens `path` with `flags` (see [`crate::fs`]); returns its descriptor.
    pub fn file_open(&self, path: &[u8], flags: u64) -> Result<Handle, Errno> {
        self.files.open(&self.sandbox, path, flags)
    }

    /// Reads up to `buf.len()` bytes; 0 at end of file.
    pub fn file_read(&self, fd: Handle, buf: &mut [u8]) -> Result<usize, Errno> {
        self.files.read(fd, buf)
    }

    /// Writes up to `buf.len()` bytes; returns how many were written.
    pub fn file_write(&self, fd: Handle, buf: &[u8]) -> Result<usize, Errno> {
        self.files.write(fd, buf)
    }

    /// Moves the file position; returns the new position from the start.
    pub fn file_seek(&self, fd: Handle, offset: i64, whence: u64) -> Result<u64, Errno> {
        self.files.seek(fd, offset, whence)
    }

    /// The file's size in bytes.
    pub fn file_size(&self, fd: Handle) -> Result<u64, Errno> {
        self.files.size(fd)
    }

    /// Closes a file descriptor.
    pub fn file_close(&self, fd: Handle) -> Result<(), Errno> {
        self.files.close(fd)
    }

    /// Removes the file at `path` (needs `file_write` and a path on the allow-list).
    pub fn file_unlink(&self, path: &[u8]) -> Result<(), Errno> {
        self.sandbox.unlink(path)
    }
}

/// Sockets (see [`crate::net`]). Files and sockets share the descriptor namespace: a socket
/// operation on an open file is `ENOTSOCK`.
impl Context {
    fn socket<T>(&self, fd: Handle, r: Result<T, Errno>) -> Result<T, Errno> {
        match r {
            Err(Errno::EBADF) if self.files.contains(fd) => Err(Errno::ENOTSOCK),
            r => r,
        }
    }

    /// Connects to `host:port` over TCP; returns the socket's descriptor.
    pub fn net_connect(&self, host: &[u8], port: u64) -> Result<Handle, Errno> {
        self.sockets.connect(self.permissions(), host, port)
    }

    /// Listens on `host:port` (port 0 picks a free one, see [`Context::net_port`]).
    pub fn net_listen(&self, host: &[u8], port: u64) -> Result<Handle, Errno> {
        self.sockets.listen(self.permissions(), host, port)
    }

    /// Waits for a connection on a listening socket; returns the new socket's descriptor.
    pub fn net_accept(&self, fd: Handle) -> Result<Handle, Errno> {
        self.socket(fd, self.sockets.accept(fd))
    }

    /// The local port of a socket.
    pub fn net_port(&self, fd: Handle) -> Result<u16, Errno> {
        self.socket(fd, self.sockets.port(fd))
    }

    /// Sends up to `buf.len()` bytes; returns how many were sent.
    pub fn net_send(&self, fd: Handle, buf: &[u8]) -> Result<usize, Errno> {
        self.socket(fd, self.sockets.send(fd, buf))
    }

    /// Receives up to `buf.len()` bytes; 0 when the peer has closed.
    pub fn net_recv(&self, fd: Handle, buf: &mut [u8]) -> Result<usize, Errno> {
        self.socket(fd, self.sockets.recv(fd, buf))
    }

    /// Closes a socket descriptor.
    pub fn net_close(&self, fd: Handle) -> Result<(), Errno> {
        self.socket(fd, self.sockets.close(fd))
    }
}

/// Tasks (see [`crate::task`]) and channels (see [`crate::chan`]).
impl Context {
    /// Runs `f` on a new thread; returns the task id.
    pub fn spawn<F>(&self, f: F) -> Result<Handle, Errno>
    where
        F: FnOnce() -> u64 + Send + 'static,
    {
        self.tasks.spawn(f)
    }

    /// Waits for task `id` and returns its result.
    pub fn join(&self, id: Handle) -> Result<u64, Errno> {
        self.tasks.join(id)
    }

    /// Creates a channel; returns its id.
    pub fn chan_create(&self) -> Result<Handle, Errno> {
        self.chans.create()
    }

    /// Queues `value`.
    pub fn chan_send(&self, id: Handle, value: u64) -> Result<(), Errno> {
        self.chans.send(id, value)
    }

    /// Takes the next value, blocking until there is one or the channel is closed.
    pub fn chan_recv(&self, id: Handle) -> Result<u64, Errno> {
        self.chans.recv(id)
    }

    /// Takes the next value if there is one.
    pub fn chan_try_recv(&self, id: Handle) -> Result<u64, Errno> {
        self.chans.try_recv(id)
    }

    /// Closes the channel, waking blocked receivers. Closing twice gives `EPIPE`. The id stays
    /// valid (receivers drain it) until [`Context::chan_destroy`].
    pub fn chan_close(&self, id: Handle) -> Result<(), Errno> {
        self.chans.close(id)
    }

    /// Closes the channel (if open) and frees its id.
    pub fn chan_destroy(&self, id: Handle) -> Result<(), Errno> {
        self.chans.destroy(id)
    }
}

/// Console (see [`crate::io`]).
impl Context {
    /// Writes `bytes` to the context's output; returns the count. `EPERM` without `io_print`.
    pub fn io_print(&self, bytes: &[u8]) -> Result<usize, Errno> {
        self.console.print(self.permissions(), bytes)
    }

    /// Reads one line (with its `\n`, if any) into `buf`; returns its length, 0 at end of input.
    /// A line longer than `buf` is cut: the rest is returned by the next call. `EPERM` without
    /// `io_read`.
    pub fn io_read_line(&self, buf: &mut [u8]) -> Result<usize, Errno> {
        self.console.read_line(self.permissions(), buf)
    }
}

#[cfg(test)]
mod tests;
