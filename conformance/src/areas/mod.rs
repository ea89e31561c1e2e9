//! The areas of the suite, one module each, named as the specification names the component.

use crate::script::abi::{ABI, Table};
use crate::{Case, CaseError, Ctx};

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

/// The cases that run against the library of `table` (the report's `--impl`), in the
/// machine-code column only (the other cases test the linked crate through its Rust API, not
/// the library): a row `impl.exports.NAME` per function of the C ABI (failing, by name, for
/// one the library does not export), then the step scripts of `abi` and `stdlib` through the
/// library's C ABI (`abi::loaded`, `stdlib::loaded`).
pub fn loaded(ctx: &Ctx, table: &'static Table) -> Vec<Case> {
    let mut cases: Vec<Case> = ABI
        .iter()
        .map(|f| {
            Case::new("impl", format!("exports.{}", f.name), move || {
                table.addr(f.name).map(|_| ()).map_err(CaseError::Fail)
            })
        })
        .collect();
    for (area, build) in [("abi", abi::loaded as LoadedFn), ("stdlib", stdlib::loaded)] {
        match build(ctx, table) {
            Ok(mut c) => cases.append(&mut c),
            Err(e) => cases.push(Case::new(area, "load", move || Err(CaseError::Fail(e)))),
        }
    }
    cases
}

/// Builds an area's cases against a loaded library.
type LoadedFn = fn(&Ctx, &'static Table) -> Result<Vec<Case>, String>;

#[cfg(test)]
mod tests {
    use super::*;
    use crate::Outcome;

    /// A library without `neurlang_chan_send` (a table where that one name does not resolve):
    /// its export row and every case calling it fail naming it, before calling anything; the
    /// other export rows pass.
    #[test]
    fn a_missing_function_fails_its_row_and_the_cases_calling_it_by_name() {
        let drop = "neurlang_chan_send";
        let table: &'static Table = Box::leak(Box::new(Table::resolve("a test build", |n| {
            (n != drop).then(|| Table::linked().addr(n).ok()).flatten()
        })));
        let named = format!("{drop} is not exported by a test build");
        let mut failed = Vec::new();
        let mut exports_passed = 0;
        for case in loaded(&Ctx::new(), table) {
            let name = case.name.clone();
            let calls_it = case.name == format!("impl.exports.{drop}")
                || case.name.starts_with("abi.chan_send.");
            if !calls_it && !name.starts_with("impl.") {
                continue; // runs against the linked runtime's default context: not here
            }
            match case.run() {
                Outcome::Fail(m) => {
                    assert_eq!(m, named, "{name}");
                    failed.push(name);
                }
                Outcome::Pass(_) => exports_passed += 1,
                other => panic!("{name}: {other:?}"),
            }
        }
        assert!(
            failed.contains(&format!("impl.exports.{drop}")),
            "{failed:?}"
        );
        assert!(
            failed.contains(&"abi.chan_send.ok.mc".to_owned()),
            "{failed:?}"
        );
        assert_eq!(exports_passed, ABI.len() - 1);
    }
}
