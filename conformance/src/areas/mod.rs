//! The areas of the suite, one module each, named as the specification names the component.

use crate::{Case, Ctx};

mod errno;
mod ext;
mod stdlib;

/// Builds an area's cases from its tables.
pub type AreaFn = fn(&Ctx) -> Result<Vec<Case>, String>;

/// Every area, in report order. Every area must produce the same case names on every platform
/// (inapplicable cases are skipped with a reason, not left out), so that the inventory snapshot
/// and the cross-platform matrix line up.
pub static ALL: &[(&str, AreaFn)] = &[
    ("errno", errno::cases),
    ("ext", ext::cases),
    ("stdlib", stdlib::cases),
];
