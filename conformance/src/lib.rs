//! # The Neurlang conformance suite
//!
//! Checks, on the platform it runs on, that the runtime conforms to the specification: every
//! extension ID (`ext.table.*`, `stdlib.registry.*`), every error code (`errno.table.*`,
//! `errno.provoke.*`), every platform syscall mapping (`abi.syscall.*`; rows that cannot be
//! observed say why) and each runtime component through its area (`src/areas/`). Every case
//! name is in `src/snapshots/case_inventory.snap`.
//!
//! Cases are **data**: TOML tables and step scripts under `conformance/cases/` (and vendored
//! external vectors under `conformance/vectors/`), read at run time. Each *area* module turns
//! its tables into [`Case`]s; the same list feeds two front ends:
//!
//! - `cargo test -p neurlang-conformance`: one libtest-mimic trial per case, filterable by
//!   name (`cargo test -p neurlang-conformance -- errno.provoke`);
//! - `cargo run --release -p neurlang-conformance`: the conformance report, a table per area
//!   with the skips grouped by reason (`--verbose` names every skipped case), `--json` for
//!   machines (every case) and `merge` for a cross-platform matrix.
//!
//! The `abi` and `stdlib` areas share one step-script language ([`script`]): every call step is
//! one [`script::Call`] made by a [`script::Executor`], with arguments resolved and results
//! checked in Rust. Each script, and each crypto vector of `ext`, also runs in the machine-code
//! column: a sibling case `….mc` ([`MACHINE_CODE`]) whose calls the test JIT ([`jit`]) makes
//! from machine code, agreeing call by call with a Rust run ([`script::in_machine_code`]); the
//! report counts those cases in a row `AREA (machine code)` of their own.
//!
//! Known failures are data too (`cases/known-failures.toml`): they run, and their outcome is
//! inverted, so a fix that makes one pass is noticed.
//!
//! ## Adding an area
//!
//! Write `src/areas/NAME.rs` with `pub fn cases(ctx: &Ctx) -> Result<Vec<Case>, String>`, list
//! it in [`areas::ALL`], put its tables in `cases/NAME*.toml`, and accept the inventory
//! snapshot change (`cargo insta review`).

pub mod areas;
mod case;
pub mod child;
pub mod harness;
pub mod host;
pub mod jit;
pub mod report;
pub mod scratch;
pub mod script;
pub mod snapshot;

pub use case::{Case, CaseError, CaseResult, MACHINE_CODE, Outcome, is_machine_code, note};
pub use host::Host;
pub use scratch::Scratch;

use serde::Deserialize;
use serde::de::DeserializeOwned;
use std::path::{Path, PathBuf};

/// What every area gets to build its cases: where the data is and what this host can do.
#[derive(Debug)]
pub struct Ctx {
    /// `conformance/cases`.
    pub cases_dir: PathBuf,
    /// `conformance/vectors`.
    pub vectors_dir: PathBuf,
    /// `fuzz` (beside `conformance`): the fuzz targets' seeds and regression inputs.
    pub fuzz_dir: PathBuf,
    /// The platform and its probed capabilities.
    pub host: Host,
    /// A shared library exporting the C ABI to run against instead of the linked runtime
    /// (`--impl PATH`): only the cases of [`areas::loaded`] run.
    pub loaded: Option<&'static script::abi::Table>,
}

impl Ctx {
    /// The context for this process: data next to the crate (or under `$NEURLANG_CONFORMANCE_DIR`),
    /// fuzz inputs in `fuzz` beside it.
    pub fn new() -> Ctx {
        let root = std::env::var_os("NEURLANG_CONFORMANCE_DIR")
            .map(PathBuf::from)
            .unwrap_or_else(|| PathBuf::from(env!("CARGO_MANIFEST_DIR")));
        Ctx {
            cases_dir: root.join("cases"),
            vectors_dir: root.join("vectors"),
            fuzz_dir: root.join("..").join("fuzz"),
            host: Host::detect(),
            loaded: None,
        }
    }

    /// Reads and parses a TOML table under `cases/`.
    pub fn table<T: DeserializeOwned>(&self, file: &str) -> Result<T, String> {
        read_toml(&self.cases_dir.join(file))
    }
}

impl Default for Ctx {
    fn default() -> Self {
        Ctx::new()
    }
}

/// Reads and parses a TOML file, with the path in every error.
pub fn read_toml<T: DeserializeOwned>(path: &Path) -> Result<T, String> {
    let text = std::fs::read_to_string(path).map_err(|e| format!("{}: {e}", path.display()))?;
    toml::from_str(&text).map_err(|e| format!("{}: {e}", path.display()))
}

#[derive(Debug, Deserialize)]
struct KnownFailures {
    #[serde(default)]
    known: Vec<KnownFailure>,
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
struct KnownFailure {
    case: String,
    /// Where it fails: a platform (`linux`, `darwin`, `freebsd`, `windows`) or a platform and
    /// runner (`windows-wine`, `linux-qemu-aarch64`); everywhere when empty.
    #[serde(default)]
    platforms: Vec<String>,
    reason: String,
}

/// Collects every case of every area, with known failures applied.
///
/// A table that cannot be read becomes a failing case named `AREA.load`, so a broken data file
/// is reported, not silently dropped.
/// With [`Ctx::loaded`], the cases of [`areas::loaded`] only, and a known failure of a case
/// that is not among them is not reported.
pub fn collect(ctx: &Ctx) -> Vec<Case> {
    let mut cases = Vec::new();
    match ctx.loaded {
        Some(table) => cases = areas::loaded(ctx, table),
        None => {
            for (area, build) in areas::ALL {
                match build(ctx) {
                    Ok(mut c) => cases.append(&mut c),
                    Err(e) => cases.push(Case::new(area, "load", move || Err(CaseError::Fail(e)))),
                }
            }
        }
    }
    let known: Result<KnownFailures, String> = ctx.table("known-failures.toml");
    match known {
        Ok(known) => {
            let platform = ctx.host.platform_name();
            let with_runner = format!("{platform}-{}", ctx.host.runner);
            for k in known.known {
                let applies = k.platforms.is_empty()
                    || k.platforms
                        .iter()
                        .any(|p| *p == platform || *p == with_runner);
                match cases.iter_mut().find(|c| c.name == k.case) {
                    Some(case) if applies => case.known_failure = Some(k.reason),
                    Some(_) => {}
                    None if ctx.loaded.is_some() => {}
                    None => {
                        let msg =
                            format!("known-failures.toml names `{}`, which no area has", k.case);
                        cases.push(Case::new(
                            "meta",
                            format!("known_failures.{}", k.case),
                            move || Err(CaseError::Fail(msg)),
                        ));
                    }
                }
            }
        }
        Err(e) => cases.push(Case::new("meta", "known_failures.load", move || {
            Err(CaseError::Fail(e))
        })),
    }
    let mut seen = std::collections::HashSet::new();
    let dups: Vec<String> = cases
        .iter()
        .filter(|c| !seen.insert(c.name.clone()))
        .map(|c| c.name.clone())
        .collect();
    if !dups.is_empty() {
        let msg = format!("duplicate case names: {}", dups.join(", "));
        cases.push(Case::new("meta", "unique_names", move || {
            Err(CaseError::Fail(msg))
        }));
    }
    cases
}
