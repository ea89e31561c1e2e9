//! The runtime's C ABI functions as one table: name, argument types, `unsafe`, address and a
//! caller that passes `u64` words. Each entry coerces the function to a typed function pointer
//! of the listed signature, so a table that disagrees with the runtime does not compile; the
//! area `abi` checks the table against `cases/abi.toml` and `neurlang.h` (`abi.contract.*`).

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
