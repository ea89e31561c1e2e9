//! The areas of the suite, one module each, named as the specification names the component.

use crate::{Case, Ctx};

mod abi;
mod aio;
mod errno;
mod ext;
mod fuzz;
mod http;
mod jit;
pub(crate) mod pool;
mod stdlib;

/// Builds an area's cases from its tables.
pub type AreaFn = fn(&Ctx) -> Result<Vec<Case>, String>;

/// Every area, in report order. Every area must produce the same case names on every platform
/// (inapplicable cases are skipped with a reason, not left out), so that the inventory snapshot
/// and the cross-platform matrix line up.
pub static ALL: &[(&str, AreaFn)] = &[
    ("errno", errno::cases),
    ("abi", abi::cases),
    ("ext", ext::cases),
    ("pool", pool::cases),
    ("stdlib", stdlib::cases),
    ("jit", jit::cases),
    ("aio", aio::cases),
    ("http", http::cases),
    ("fuzz", fuzz::cases),
];
