//! What a call step reduces to, and what runs it: a [`Call`] of one target with `u64`
//! arguments, an [`Outcome`], and an [`Executor`] that makes the call. Argument resolution and
//! every check happen around it (in [`super::Env`] and [`super::run`]), so any executor that
//! can call a C function or `neurlang_ext_call` with words can run every script.

#![allow(unsafe_code)] // The Rust executor calls the C ABI through its table.

use super::Env;
use super::abi;
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

/// The executor of today's suite: C functions through Rust function pointers ([`abi::ABI`]),
/// extensions through [`ExtensionRegistry::call`](neurlang::runtime::ExtensionRegistry::call)
/// of the context's registry, so that failures carry their [`ExtError`].
#[derive(Debug)]
pub struct Rust;

impl Executor for Rust {
    fn call(&mut self, env: &mut Env, call: &Call) -> Outcome {
        let ctx = Arc::clone(env.ctx());
        match call.callee {
            Callee::Abi(name) => {
                let f = abi::ABI
                    .iter()
                    .find(|f| f.name == name)
                    .unwrap_or_else(|| panic!("{name} is not in the ABI table"));
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

/// The executors a run can choose (`$NEURLANG_SCRIPT_EXECUTOR`, default `rust`).
pub const EXECUTORS: &[&str] = &["rust"];

/// The executor named `name`.
pub fn executor(name: &str) -> Result<Box<dyn Executor>, String> {
    match name {
        "rust" => Ok(Box::new(Rust)),
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
