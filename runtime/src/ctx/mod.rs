//! The runtime context: the state that runtime library functions act on.
//!
//! A [`Context`] owns its [`Sandbox`] (its [`IOPermissions`] with the allowed roots opened),
//! its descriptor table (files and sockets), its task
//! table, its channels and its [`ExtensionRegistry`] (what `ext.call` reaches). Rust users create as many as they like (tests run contexts with
//! different permissions in parallel); the C ABI acts on the *process-default* context, which
//! an embedder replaces with [`Context::set_default`] before running generated code.
//!
//! ```
//! use neurlang::runtime::{Context, IOPermissions};
//! let ctx = Context::new(IOPermissions::default());
//! assert!(ctx.permissions().io_print);
//! ```

mod table;

pub use table::Handle;
pub(crate) use table::Table;

use crate::chan::Channel;
use crate::ext::ExtensionRegistry;
use crate::perm::{IOPermissions, Sandbox};
use std::fs::File;
use std::io::{BufRead, Write};
use std::net::{TcpListener, TcpStream};
use std::sync::{Arc, Mutex, OnceLock, RwLock};
use std::thread::JoinHandle;

/// What a descriptor refers to.
#[derive(Debug)]
pub(crate) enum Object {
    File(File, crate::perm::OpenMode),
    Stream(TcpStream),
    Listener(TcpListener),
}

type Input = Box<dyn BufRead + Send>;
type Output = Box<dyn Write + Send>;

/// A runtime context. See the [module](self) documentation.
pub struct Context {
    sandbox: Sandbox,
    pub(crate) objects: Table<Object>,
    pub(crate) tasks: Table<Mutex<Option<JoinHandle<u64>>>>,
    pub(crate) chans: Table<Channel>,
    pub(crate) stdin: Mutex<Input>,
    pub(crate) stdout: Mutex<Output>,
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
    static SCOPED: std::cell::RefCell<Option<Arc<Context>>> = const { std::cell::RefCell::new(None) };
}

static DEFAULT: OnceLock<RwLock<Arc<Context>>> = OnceLock::new();

fn default_slot() -> &'static RwLock<Arc<Context>> {
    DEFAULT.get_or_init(|| RwLock::new(Arc::new(Context::new(IOPermissions::default()))))
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
            objects: Table::new(),
            tasks: Table::new(),
            chans: Table::new(),
            stdin: Mutex::new(stdin),
            stdout: Mutex::new(stdout),
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
    pub fn current() -> Arc<Context> {
        if let Some(ctx) = SCOPED.with(|s| s.borrow().clone()) {
            return ctx;
        }
        let slot = default_slot().read().unwrap_or_else(|p| p.into_inner());
        Arc::clone(&slot)
    }

    /// Runs `f` with `ctx` as this thread's current context (for the C ABI), then restores
    /// the previous one. Lets tests with different permissions call the ABI in parallel.
    pub fn scoped<R>(ctx: &Arc<Context>, f: impl FnOnce() -> R) -> R {
        struct Restore(Option<Arc<Context>>);
        impl Drop for Restore {
            fn drop(&mut self) {
                let prev = self.0.take();
                SCOPED.with(|s| *s.borrow_mut() = prev);
            }
        }
        let prev = SCOPED.with(|s| s.borrow_mut().replace(Arc::clone(ctx)));
        let _restore = Restore(prev);
        f()
    }

    /// Replaces the process-default context; returns the previous one. Descriptors, tasks and
    /// channels of the previous context stay with it.
    pub fn set_default(ctx: Arc<Context>) -> Arc<Context> {
        let mut slot = default_slot().write().unwrap_or_else(|p| p.into_inner());
        std::mem::replace(&mut slot, ctx)
    }
}
