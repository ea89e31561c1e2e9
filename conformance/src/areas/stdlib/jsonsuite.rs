//! JSONTestSuite (vendored under `vectors/JSONTestSuite`, MIT, see its LICENSE and SOURCE),
//! each file through `string_from_bytes` → `json_parse`, one case per file:
//!
//! - `y_*`: must be accepted; `n_*`: must be rejected (by `string_from_bytes` for invalid UTF-8,
//!   or by `json_parse`); `i_*`: either, and the outcome of every `i_` file is pinned in the
//!   snapshot `stdlib_jsontestsuite_i` (case `stdlib.jsontestsuite.i_outcomes`);
//! - `test_transform/*`: parse → stringify, the output of every file pinned in the snapshot
//!   `stdlib_jsontestsuite_transform`; a rejected file is recorded as such.

use crate::script::{Env, err_name};
use crate::{Case, CaseError, CaseResult, Ctx, ensure, fail};
use std::path::{Path, PathBuf};

pub fn cases(ctx: &Ctx) -> Result<Vec<Case>, String> {
    let root = ctx.vectors_dir.join("JSONTestSuite");
    let parsing = list(&root.join("test_parsing"))?;
    let transforms = list(&root.join("test_transform"))?;
    let mut cases = Vec::new();
    for path in &parsing {
        let name = file_name(path);
        let path = path.clone();
        cases.push(Case::new(
            "stdlib",
            format!("jsontestsuite.parsing.{name}"),
            move || parsing_case(&path),
        ));
    }
    for path in &transforms {
        let name = file_name(path);
        let path = path.clone();
        cases.push(Case::new(
            "stdlib",
            format!("jsontestsuite.transform.{name}"),
            move || transform(&path).map(|_| ()),
        ));
    }
    let i_files: Vec<PathBuf> = parsing
        .into_iter()
        .filter(|p| file_name(p).starts_with("i_"))
        .collect();
    cases.push(Case::new("stdlib", "jsontestsuite.i_outcomes", move || {
        let mut lines = Vec::new();
        for p in &i_files {
            lines.push(format!("{}: {}", file_name(p), outcome(p)?));
        }
        crate::snapshot::check("stdlib_jsontestsuite_i", &lines.join("\n"))
    }));
    cases.push(Case::new(
        "stdlib",
        "jsontestsuite.transform_outputs",
        move || {
            let mut lines = Vec::new();
            for p in &transforms {
                lines.push(format!("{}: {}", file_name(p), self::transform(p)?));
            }
            crate::snapshot::check("stdlib_jsontestsuite_transform", &lines.join("\n"))
        },
    ));
    Ok(cases)
}

fn list(dir: &Path) -> Result<Vec<PathBuf>, String> {
    let mut v: Vec<PathBuf> = std::fs::read_dir(dir)
        .map_err(|e| format!("{}: {e}", dir.display()))?
        .filter_map(|e| e.ok().map(|e| e.path()))
        .filter(|p| p.extension().is_some_and(|x| x == "json"))
        .collect();
    v.sort();
    Ok(v)
}

fn file_name(p: &Path) -> String {
    p.file_stem()
        .unwrap_or_default()
        .to_string_lossy()
        .into_owned()
}

/// Parses a file's bytes through the registry: `Ok(json handle)` or the rejecting step's error.
fn parse(env: &mut Env, bytes: &[u8]) -> Result<Result<u64, String>, String> {
    let tok = env.token(bytes, neurlang::cap::CapPermissions::READ)?;
    let s = match env.ext("string_from_bytes", &[tok, bytes.len() as u64]) {
        Ok(s) => s,
        Err(e) => return Ok(Err(format!("string_from_bytes: {}", err_name(&e)))),
    };
    let j = env.ext("json_parse", &[s]);
    env.free(s).map_err(|e| e.to_string())?;
    Ok(j.map_err(|e| format!("json_parse: {}", err_name(&e))))
}

fn outcome(path: &Path) -> Result<String, CaseError> {
    let bytes = std::fs::read(path)?;
    let mut env = Env::stdlib();
    let r = match parse(&mut env, &bytes)? {
        Ok(j) => {
            env.free(j)?;
            "accepted".to_owned()
        }
        Err(e) => format!("rejected ({e})"),
    };
    env.finish()?;
    Ok(r)
}

fn parsing_case(path: &Path) -> CaseResult {
    let name = file_name(path);
    let got = outcome(path)?;
    match name.as_bytes().first() {
        Some(b'y') => ensure!(got == "accepted", "{name} must be accepted, got {got}"),
        Some(b'n') => ensure!(
            got.starts_with("rejected"),
            "{name} must be rejected, got {got}"
        ),
        Some(b'i') => {}
        _ => fail!("unexpected file name {name}"),
    }
    Ok(())
}

/// Parse → stringify; for accepted files, stringify(parse(stringify(x))) == stringify(x).
fn transform(path: &Path) -> Result<String, CaseError> {
    let bytes = std::fs::read(path)?;
    let mut env = Env::stdlib();
    let r = match parse(&mut env, &bytes)? {
        Err(e) => format!("rejected ({e})"),
        Ok(j) => {
            let s = env.ext("json_stringify", &[j])?;
            let out = env.text(s)?;
            let j2 = env.ext("json_parse", &[s])?;
            let s2 = env.ext("json_stringify", &[j2])?;
            let again = env.text(s2)?;
            for h in [j, s, j2, s2] {
                env.free(h)?;
            }
            ensure!(again == out, "not a fixed point: {out} then {again}");
            out
        }
    };
    env.finish()?;
    Ok(r)
}
