//! The runtime's C ABI functions as one table: name, argument types, `unsafe`, address and a
//! caller that passes `u64` words. Each entry coerces the function to a typed function pointer
//! of the listed signature, so a table that disagrees with the runtime does not compile; the
//! area `abi` checks the table against `cases/abi.toml` and `neurlang.h` (`abi.contract.*`).
//!
//! Where the functions are is a [`Table`] of addresses in the order of [`ABI`]: the linked
//! runtime's ([`Table::linked`]), or those a shared library exports ([`Table::load`], the
//! report's `--impl PATH`), where a name may be missing.

#![allow(unsafe_code)] // Calls the C ABI, which takes raw pointers.

use neurlang::abi::*;

/// One exported function of the C ABI.
#[derive(Debug)]
pub struct AbiFn {
    /// The C name, such as `"neurlang_file_read"`.
    pub name: &'static str,
    /// The Rust argument types, such as `["u64", "* const u8"]` (as `stringify!` writes them).
    pub args: &'static [&'static str],
    /// Whether the Rust function is `unsafe` (it takes a pointer).
    pub is_unsafe: bool,
    /// The function's address, for callers that jump to it from machine code.
    pub addr: fn() -> usize,
    /// Calls the function with exactly `args.len()` words, each converted to its argument's
    /// type (`as`: pointers from addresses, `i64` two's complement).
    invoke: unsafe fn(&[u64]) -> i64,
}

impl AbiFn {
    /// The name without `neurlang_`, as scripts and `cases/abi.toml` write it.
    pub fn short_name(&self) -> &'static str {
        self.name.trim_start_matches("neurlang_")
    }

    /// Calls the function with `args`; `None` unless there are exactly as many as it takes.
    ///
    /// # Safety
    /// Every pointer argument must be null or valid as the function's contract requires
    /// (pointing at live memory of the length passed beside it, a writable `u64` for a result
    /// slot, a real `extern "C" fn(u64) -> u64` for a task entry).
    pub unsafe fn call(&self, args: &[u64]) -> Option<i64> {
        if args.len() != self.args.len() {
            return None;
        }
        // SAFETY: the caller's contract (above); the count is the function's own.
        Some(unsafe { (self.invoke)(args) })
    }
}

/// A `u64` word as an argument of type `Self`.
trait Word {
    fn from_word(w: u64) -> Self;
}

macro_rules! words {
    ($($t:ty),*) => { $(impl Word for $t { fn from_word(w: u64) -> Self { w as usize as $t } })* };
}
words!(*const u8, *mut u8, *const u64, *mut u64);

impl Word for u64 {
    fn from_word(w: u64) -> Self {
        w
    }
}

impl Word for i64 {
    fn from_word(w: u64) -> Self {
        w as i64
    }
}

macro_rules! table {
    ($( $name:ident : $($uns:ident)? ( $($t:ty),* ) ),* $(,)?) => {
        /// Every exported function of the C ABI, in the order of `neurlang.h`.
        pub static ABI: &[AbiFn] = &[$(
            {
                fn addr() -> usize {
                    let f: $($uns)? extern "C" fn($($t),*) -> i64 = $name;
                    f as usize
                }
                /// # Safety
                /// As [`AbiFn::call`]; `a` holds exactly as many words as the function takes.
                #[allow(unused_unsafe, unused_mut, unused_variables)] // safe and 0-ary functions
                unsafe fn invoke(a: &[u64]) -> i64 {
                    let mut w = a.iter().copied();
                    // SAFETY: the caller's contract (above): every pointer is valid for the
                    // function, and arguments are converted in order from the words.
                    unsafe { $name($(<$t as Word>::from_word(w.next().unwrap_or(0))),*) }
                }
                AbiFn {
                    name: stringify!($name),
                    args: &[$(stringify!($t)),*],
                    is_unsafe: table!(@u $($uns)?),
                    addr,
                    invoke,
                }
            }
        ),*];
    };
    (@u unsafe) => { true };
    (@u) => { false };
}

table! {
    neurlang_file_open: unsafe (*const u8, u64, u64),
    neurlang_file_read: (u64, u64, u64),
    neurlang_file_write: (u64, u64, u64),
    neurlang_file_seek: (u64, i64, u64),
    neurlang_file_size: (u64),
    neurlang_file_close: (u64),
    neurlang_file_unlink: unsafe (*const u8, u64),
    neurlang_net_connect: unsafe (*const u8, u64, u64),
    neurlang_net_listen: unsafe (*const u8, u64, u64),
    neurlang_net_accept: (u64),
    neurlang_net_port: (u64),
    neurlang_net_send: (u64, u64, u64),
    neurlang_net_recv: (u64, u64, u64),
    neurlang_net_close: (u64),
    neurlang_io_print: (u64, u64),
    neurlang_io_read_line: (u64, u64),
    neurlang_spawn: unsafe (u64, u64),
    neurlang_join: (u64),
    neurlang_chan_create: (),
    neurlang_chan_send: (u64, u64),
    neurlang_chan_recv: (u64),
    neurlang_chan_try_recv: (u64),
    neurlang_chan_close: (u64),
    neurlang_chan_destroy: (u64),
    neurlang_cap_create: unsafe (*mut u8, u64, u64),
    neurlang_cap_restrict: (u64, u64),
    neurlang_cap_slice: (u64, u64, u64),
    neurlang_cap_revoke: (u64),
    neurlang_cap_check: (u64, u64, u64),
    neurlang_time_now: (),
    neurlang_time_monotonic: (),
    neurlang_time_sleep: (u64),
    neurlang_rand_fill: (u64, u64),
    neurlang_ext_call2: unsafe (u64, u64, u64, *mut u64),
    neurlang_ext_call: unsafe (u64, *const u64, u64, *mut u64),
    neurlang_sandbox_init: unsafe (u64, *const u8, u64, *const u8, u64),
}

/// The function scripts call `name` (without `neurlang_`).
pub fn find(name: &str) -> Option<&'static AbiFn> {
    ABI.iter().find(|f| f.short_name() == name)
}

/// Calls `neurlang_NAME` with `args`; `None` for an unknown name or a wrong count.
///
/// # Safety
/// As [`AbiFn::call`].
pub unsafe fn call(name: &str, args: &[u64]) -> Option<i64> {
    // SAFETY: forwarded from this function's contract.
    find(name).and_then(|f| unsafe { f.call(args) })
}

/// The address of every function of [`ABI`], in its order, and what they are from: the linked
/// runtime, or a shared library exporting the C ABI, where a name may not resolve (`None`).
#[derive(Debug)]
pub struct Table {
    /// What the addresses are from, for messages: `the linked runtime` or the library's path.
    pub origin: String,
    addrs: Vec<Option<usize>>,
}

impl Table {
    /// The linked runtime's functions.
    pub fn linked() -> &'static Table {
        static LINKED: std::sync::OnceLock<Table> = std::sync::OnceLock::new();
        LINKED.get_or_init(|| {
            Table::resolve("the linked runtime", |name| {
                ABI.iter().find(|f| f.name == name).map(|f| (f.addr)())
            })
        })
    }

    /// The table `symbol` gives, name by name (`None`: not there).
    pub fn resolve(origin: &str, symbol: impl Fn(&str) -> Option<usize>) -> Table {
        Table {
            origin: origin.to_owned(),
            addrs: ABI.iter().map(|f| symbol(f.name)).collect(),
        }
    }

    /// Loads the shared library at `path` (kept loaded for the life of the process, with its
    /// symbols local to it) and resolves every name of [`ABI`] in it.
    #[cfg(unix)]
    pub fn load(path: &std::path::Path) -> Result<Table, String> {
        use std::ffi::{CStr, CString};
        use std::os::unix::ffi::OsStrExt;
        let c = CString::new(path.as_os_str().as_bytes())
            .map_err(|_| format!("{}: a path with a NUL byte", path.display()))?;
        // SAFETY: `c` is a NUL-terminated path; loading runs the library's initialisers, which
        // the caller chose to trust by naming it (a Rust `cdylib` of the runtime has none that
        // touch this process's state).
        let lib = unsafe { libc::dlopen(c.as_ptr(), libc::RTLD_NOW | libc::RTLD_LOCAL) };
        if lib.is_null() {
            // SAFETY: `dlerror` returns null or a NUL-terminated message owned by libc, copied
            // here before any other `dl*` call.
            let why = unsafe { libc::dlerror() };
            let why = match why.is_null() {
                true => "dlopen failed".to_owned(),
                // SAFETY: non-null: a NUL-terminated string (above).
                false => unsafe { CStr::from_ptr(why) }
                    .to_string_lossy()
                    .into_owned(),
            };
            return Err(format!("{}: {why}", path.display()));
        }
        Ok(Table::resolve(&path.display().to_string(), |name| {
            let sym = CString::new(name).ok()?;
            // SAFETY: `lib` is a live handle from `dlopen` (never closed), `sym` a
            // NUL-terminated name; the address is only called with the signature of `ABI`'s
            // entry of that name.
            let addr = unsafe { libc::dlsym(lib, sym.as_ptr()) };
            (!addr.is_null()).then_some(addr as usize)
        }))
    }

    /// Loading a library needs `dlopen`.
    #[cfg(not(unix))]
    pub fn load(path: &std::path::Path) -> Result<Table, String> {
        Err(format!(
            "{}: loading a library is implemented with dlopen (Unix) only",
            path.display()
        ))
    }

    /// The address of C function `name` (`"neurlang_chan_send"`), or why there is none.
    pub fn addr(&self, name: &str) -> Result<usize, String> {
        match ABI.iter().position(|f| f.name == name) {
            Some(i) => {
                self.addrs[i].ok_or_else(|| format!("{name} is not exported by {}", self.origin))
            }
            None => Err(format!("{name} is not a function of the C ABI")),
        }
    }

    /// The functions an `ext.call` becomes a call of, or why they are missing.
    pub fn ext_entries(&self) -> Result<crate::jit::ExtEntries, String> {
        Ok(crate::jit::ExtEntries {
            call2: self.addr("neurlang_ext_call2")?,
            call: self.addr("neurlang_ext_call")?,
        })
    }
}
