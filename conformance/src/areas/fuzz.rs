//! Fuzz inputs replayed on stable: every committed regression input (`fuzz/regressions/TARGET/*`,
//! inputs that once made a fuzz target fail) and every seed (`fuzz/seeds/TARGET/*`) runs through
//! its target's body (`neurlang_fuzz_cases`, the same code the cargo-fuzz targets wrap), one case
//! each: `fuzz.regression.TARGET.FILE`, `fuzz.seed.TARGET.FILE`. The body panics when the
//! property it checks is violated; the case fails with the file and the panic.
//!
//! Files are found at run time, so an input that `ci/fuzz.sh` copied into `fuzz/regressions`
//! is a case as soon as it is there. A directory named after no target is a failing case.

use crate::{Case, CaseError, Ctx};
use std::path::{Path, PathBuf};

pub fn cases(ctx: &Ctx) -> Result<Vec<Case>, String> {
    let mut cases = Vec::new();
    for (kind, dir) in [("regression", "regressions"), ("seed", "seeds")] {
        let root = ctx.fuzz_dir.join(dir);
        for target_dir in list(&root, true)? {
            let target = file_name(&target_dir);
            let Some(body) = neurlang_fuzz_cases::target(&target) else {
                let msg = format!(
                    "{}: no fuzz target is named `{target}` (targets: {})",
                    target_dir.display(),
                    neurlang_fuzz_cases::TARGETS
                        .iter()
                        .map(|(n, _)| *n)
                        .collect::<Vec<_>>()
                        .join(", ")
                );
                cases.push(Case::new(
                    "fuzz",
                    format!("{kind}.{}", sanitise(&target)),
                    move || Err(CaseError::Fail(msg)),
                ));
                continue;
            };
            for file in list(&target_dir, false)? {
                let name = format!("{kind}.{target}.{}", sanitise(&file_name(&file)));
                let case = Case::new("fuzz", name, move || replay(body, &file));
                cases.push(case.skip_if(neurlang_fuzz_cases::unsupported(&target)));
            }
        }
    }
    Ok(cases)
}

/// Runs `body` on the bytes of `file`; a panic is a failure naming the file.
fn replay(body: neurlang_fuzz_cases::Body, file: &Path) -> Result<(), CaseError> {
    let bytes = std::fs::read(file).map_err(|e| format!("{}: {e}", file.display()))?;
    std::panic::catch_unwind(|| body(&bytes)).map_err(|payload| {
        let msg = payload
            .downcast_ref::<&str>()
            .map(|s| s.to_string())
            .or_else(|| payload.downcast_ref::<String>().cloned())
            .unwrap_or_else(|| "a panic with a non-string payload".into());
        CaseError::Fail(format!(
            "{} ({} bytes) fails its fuzz target: {msg}",
            file.display(),
            bytes.len()
        ))
    })
}

/// The directories (`dirs`) or files of `dir`, sorted, without hidden entries. A missing
/// directory has none.
fn list(dir: &Path, dirs: bool) -> Result<Vec<PathBuf>, String> {
    let entries = match std::fs::read_dir(dir) {
        Ok(e) => e,
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => return Ok(Vec::new()),
        Err(e) => return Err(format!("{}: {e}", dir.display())),
    };
    let mut v: Vec<PathBuf> = entries
        .filter_map(|e| e.ok().map(|e| e.path()))
        .filter(|p| p.is_dir() == dirs && !file_name(p).starts_with('.'))
        .collect();
    v.sort();
    Ok(v)
}

fn file_name(p: &Path) -> String {
    p.file_name()
        .unwrap_or_default()
        .to_string_lossy()
        .into_owned()
}

/// A file name as part of a case name: letters, digits, `_`, `-` and `.` are kept, anything
/// else becomes `_`.
fn sanitise(name: &str) -> String {
    name.chars()
        .map(|c| {
            if c.is_ascii_alphanumeric() || matches!(c, '_' | '-' | '.') {
                c
            } else {
                '_'
            }
        })
        .collect()
}
