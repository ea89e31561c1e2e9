//! What a call step reduces to, and what runs it: a [`Call`] of one target with `u64`
//! arguments, an [`Outcome`], and an [`Executor`] that makes the call. Argument resolution and
//! every check happen around it (in [`super::Env`] and [`super::run`]), so any executor that
//! can call a C function or `neurlang_ext_call` with words can run every script.
//!
//! Two executors: [`Rust`] (function pointers and the registry, so failures carry their
//! [`ExtError`]) and [`Jit`] (each call compiled by the test JIT and run as machine code, so a
//! failure is only its code: what the C ABI carries).

#![allow(unsafe_code)] // Both executors call the C ABI, which takes raw pointers.

use super::Env;
use super::abi;
use crate::jit;
use neurlang::ext::ExtId;
use neurlang::runtime::{Context, Errno, ExtError};
use std::sync::Arc;

/// What a call step calls.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Callee {
    /// A C ABI function by its C name (`"neurlang_file_read"`), one of [`abi::ABI`]; the call
    /// passes exactly its arity.
    Abi(&'static str),
    /// An extension of the environment's registry by ID, called as `neurlang_ext_call(id,
    /// args, args.len(), &result)` would call it.
    Ext(u64),
}

/// One call: the target and its arguments, already resolved to words (pointers, tokens,
/// handles, integers).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Call {
    pub callee: Callee,
    pub args: Vec<u64>,
}

/// What one call gave.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Outcome {
    /// Success: a C function's return value (anything outside `-4095..0`), or an extension's
    /// result (`*result` after `neurlang_ext_call` returned 0).
    Value(u64),
    /// Failure: the code (a C function's `-code`, `neurlang_ext_call`'s return), and what the
    /// executor knows beyond it, if anything (the Rust executor names an extension's
    /// [`ExtError`]: `InvalidHandle`, `OutOfBounds`, the message of `InvalidArgument`, …).
    Failed { code: i64, detail: Option<String> },
}

impl Outcome {
    /// The outcome of a C function that returned `ret`.
    pub fn from_ret(ret: i64) -> Outcome {
        if (-4095..0).contains(&ret) {
            Outcome::Failed {
                code: ret,
                detail: None,
            }
        } else {
            Outcome::Value(ret as u64)
        }
    }

    /// The outcome of `neurlang_ext_call` that returned `ret` with `result` in its slot.
    pub fn from_ext(ret: i64, result: u64) -> Outcome {
        match ret {
            0 => Outcome::Value(result),
            code => Outcome::Failed { code, detail: None },
        }
    }

    /// The outcome of an extension called through the registry.
    pub fn from_ext_result(r: Result<u64, ExtError>) -> Outcome {
        match r {
            Ok(v) => Outcome::Value(v),
            Err(e) => Outcome::Failed {
                code: e.errno().neg(),
                detail: Some(err_name(&e)),
            },
        }
    }

    /// The failure an extension reports as `e`, with its name (as the [`Rust`] executor reports
    /// it).
    pub fn failed(e: ExtError) -> Outcome {
        Outcome::from_ext_result(Err(e))
    }

    /// Whether `self` and `other` are the same outcome as far as both know: the same value, or
    /// the same code and, when both name the error, the same name. An executor that reports
    /// only the code (the [`Jit`]: the C ABI carries no name) is compared by code.
    pub fn agrees(&self, other: &Outcome) -> bool {
        match (self, other) {
            (Outcome::Failed { code, detail }, Outcome::Failed { code: c, detail: d }) => {
                code == c && (detail.is_none() || d.is_none() || detail == d)
            }
            _ => self == other,
        }
    }

    /// The word a step saves: the value, or the negative code.
    pub fn word(&self) -> u64 {
        match self {
            Outcome::Value(v) => *v,
            Outcome::Failed { code, .. } => *code as u64,
        }
    }
}

impl std::fmt::Display for Outcome {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            Outcome::Value(v) if *v > i64::MAX as u64 => write!(f, "{v:#x}"),
            Outcome::Value(v) => write!(f, "{v}"),
            Outcome::Failed { code, detail } => {
                let name = Errno::from_neg(*code).map_or("?", |e| e.name());
                write!(f, "{code} ({name})")?;
                match detail {
                    Some(d) => write!(f, " {d}"),
                    None => Ok(()),
                }
            }
        }
    }
}

/// The name of an extension error as scripts write it after its code: the variant
/// (`InvalidHandle`), or the message of `InvalidArgument`.
pub fn err_name(e: &ExtError) -> String {
    match e {
        ExtError::InvalidArgument(m) => (*m).to_owned(),
        other => {
            let d = format!("{other:?}");
            d.split(['(', ' ', '{'])
                .next()
                .unwrap_or_default()
                .to_owned()
        }
    }
}

/// Makes calls. Implementations run `call` in `env`'s context ([`Env::ctx`], current for the
/// C ABI through [`Context::scoped`]) and report what it gave; they resolve and check nothing.
pub trait Executor {
    /// Makes one call. `call` is well formed: an [`Callee::Abi`] function gets its arity.
    fn call(&mut self, env: &mut Env, call: &Call) -> Outcome;
}

/// The table entry of C function `name` (a [`Callee::Abi`] names one).
fn entry(name: &str) -> &'static abi::AbiFn {
    abi::ABI
        .iter()
        .find(|f| f.name == name)
        .unwrap_or_else(|| panic!("{name} is not in the ABI table"))
}

/// The default executor: C functions through Rust function pointers ([`abi::ABI`]),
/// extensions through [`ExtensionRegistry::call`](neurlang::runtime::ExtensionRegistry::call)
/// of the context's registry, so that failures carry their [`ExtError`].
#[derive(Debug)]
pub struct Rust;

impl Executor for Rust {
    fn call(&mut self, env: &mut Env, call: &Call) -> Outcome {
        let ctx = Arc::clone(env.ctx());
        match call.callee {
            Callee::Abi(name) => {
                let f = entry(name);
                // SAFETY: the pointers come from `Env::resolve`, which keeps what they point at
                // alive and sized as the length passed beside them (or null; `args:…/N` may
                // claim more than there is, which the runtime must refuse unread); result slots
                // are one `u64`; task entries are real `extern "C" fn(u64) -> u64`.
                let ret = Context::scoped(&ctx, || unsafe { f.call(&call.args) });
                Outcome::from_ret(ret.unwrap_or_else(|| panic!("{name}: wrong argument count")))
            }
            Callee::Ext(id) => {
                let r = match u32::try_from(id) {
                    Ok(id) => Context::scoped(&ctx, || {
                        ctx.extensions().call(ExtId(id), &call.args, &mut [])
                    }),
                    Err(_) => Err(ExtError::UnknownExtension(u32::MAX)),
                };
                Outcome::from_ext_result(r)
            }
        }
    }
}

/// The machine-code executor: each call is compiled by the test JIT ([`crate::jit`]) for the
/// host's calling convention and run from a pool buffer, against the environment's runtime
/// ([`Env::table`]: the linked one, in the environment's context, or a library loaded with
/// `--impl`). A C function is called through its address in that table ([`jit::call_c`]), an
/// extension through its `neurlang_ext_call2` (at most 2 arguments) or `neurlang_ext_call`
/// ([`jit::ext_call`]). A failure is only its code (`detail` is `None`), so a check that names
/// an [`ExtError`] is compared by code (see [`Check`](super::Check)).
///
/// Panics when the JIT cannot compile or load a call, or the table lacks its function (a run
/// against a loaded library checks that first: [`super::unresolved`]); [`jit::unsupported`]
/// says beforehand whether this host can run it at all.
#[derive(Debug)]
pub struct Jit;

impl Executor for Jit {
    fn call(&mut self, env: &mut Env, call: &Call) -> Outcome {
        let table = env.table();
        let in_ctx = |f: &mut dyn FnMut() -> Result<(i64, u64), jit::Error>| match env.linked() {
            Some(ctx) => Context::scoped(ctx, f),
            None => f(),
        };
        let missing = |e: String| -> ! { panic!("{e}") };
        let failed = |e: jit::Error| -> ! { panic!("the test JIT could not make {call:?}: {e}") };
        match call.callee {
            Callee::Abi(name) => {
                let addr = table.addr(name).unwrap_or_else(|e| missing(e));
                // SAFETY: `addr` is the runtime's `name`, an `extern "C"` function (of the
                // table's origin, resolved by that name) taking `entry(name).args.len()` integer
                // or pointer words and returning `i64`; `Call` holds exactly that many
                // (`Executor::call`). The pointers come from `Env::resolve`, as for `Rust`.
                let run = || unsafe { jit::call_c(addr, &call.args) }.map(|r| (r as i64, 0));
                let (ret, _) = in_ctx(&mut { run }).unwrap_or_else(|e| failed(e));
                Outcome::from_ret(ret)
            }
            Callee::Ext(id) => {
                let entries = table.ext_entries().unwrap_or_else(|e| missing(e));
                // SAFETY: both entries are of the one runtime of `table`.
                let run = || unsafe { jit::ext_call(entries, id, &call.args) };
                let (status, result) = in_ctx(&mut { run }).unwrap_or_else(|e| failed(e));
                Outcome::from_ext(status, result)
            }
        }
    }
}

/// The executors a run can choose (`$NEURLANG_SCRIPT_EXECUTOR`, default `rust`).
pub const EXECUTORS: &[&str] = &["rust", "jit"];

/// The executor named `name`.
pub fn executor(name: &str) -> Result<Box<dyn Executor>, String> {
    match name {
        "rust" => Ok(Box::new(Rust)),
        "jit" => Ok(Box::new(Jit)),
        other => Err(format!(
            "unknown script executor `{other}` (known: {})",
            EXECUTORS.join(", ")
        )),
    }
}

/// The executor this run uses: `$NEURLANG_SCRIPT_EXECUTOR`, else `rust`.
pub fn selected() -> String {
    std::env::var("NEURLANG_SCRIPT_EXECUTOR").unwrap_or_else(|_| "rust".into())
}
