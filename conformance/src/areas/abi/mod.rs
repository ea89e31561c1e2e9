//! Area `abi`: the runtime library functions of the C ABI.
//!
//! - `abi.contract.*`: the contract table `cases/abi.toml` against the Rust signatures and the
//!   C header, and every documented error covered by a row;
//! - `abi.<function>.<row>`: a step script per row (the language of [`crate::script`]) whose
//!   last step gets the row's `expect` as its check, then the `then` steps;
//! - `abi.<function>.<row>.mc`: the same row in the machine-code column
//!   ([`script::in_machine_code`]): each call made from machine code through the function's
//!   address (`jit::call_c`), agreeing call by call with a Rust run (a C function's failure is
//!   a code in both, so nothing is compared by code only here that was not already);
//! - `abi.escape.*`: sandbox-escape attempts (`cases/abi-escape.toml`), each denied with nothing
//!   touched outside the allowed root;
//! - `abi.race.*`: race trials of the sandbox (`cases/abi-race.toml`), a thread swapping
//!   directories and files for links to outside while others open, create, truncate and
//!   unlink through them, once per resolver;
//! - `abi.concurrency.*`: spawn/join, blocking channels, close waking receivers, rayon stress;
//! - `abi.syscall.*`: the spec's platform mapping (`cases/abi-syscalls.toml`), verified by
//!   behaviour with a per-thread seccomp filter on Linux and through the executable's import
//!   table on Windows ([`iat`]);
//! - `abi.c_client`: a C program built against the static library and the header.

mod client;
mod concurrency;
mod contract;
mod escape;
#[cfg(windows)]
mod iat;
mod race;
mod syscall;

use crate::script::abi::Table;
use crate::script::{self, Check, Env};
use crate::{Case, CaseError, CaseResult, Ctx, MACHINE_CODE, Scratch, ensure, fail};
use neurlang::runtime::Errno;
use serde::Deserialize;
use std::collections::BTreeMap;
use std::path::PathBuf;

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
struct AbiFile {
    function: Vec<Function>,
    case: Vec<Row>,
}

/// One function's contract.
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
struct Function {
    name: String,
    args: Vec<String>,
    #[serde(default, rename = "unsafe")]
    is_unsafe: bool,
    returns: String,
    #[serde(default)]
    errors: BTreeMap<String, String>,
}

/// One case: a script and its expected last result.
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
struct Row {
    #[serde(rename = "fn")]
    function: String,
    name: String,
    #[serde(default)]
    perms: Vec<String>,
    #[serde(default)]
    hosts: Vec<String>,
    #[serde(default)]
    stdin: String,
    steps: Vec<String>,
    expect: toml::Value,
    #[serde(default)]
    then: Vec<String>,
    #[serde(default)]
    skip_on: BTreeMap<String, String>,
}

pub fn cases(ctx: &Ctx) -> Result<Vec<Case>, String> {
    let file: AbiFile = ctx.table("abi.toml")?;
    let executor = script::selected();
    script::executor(&executor)?;
    let platform = ctx.host.platform_name().to_string();
    let header = PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../runtime/include/neurlang.h");
    let mut cases = Vec::new();

    let functions = file.function.clone();
    cases.push(Case::new("abi", "contract.rust_signatures", move || {
        contract_vs_rust(&functions)
    }));
    let functions = file.function.clone();
    cases.push(Case::new("abi", "contract.c_header", move || {
        contract_vs_header(&functions, &header)
    }));
    let (functions, rows) = (file.function.clone(), file.case.clone());
    cases.push(Case::new("abi", "contract.coverage", move || {
        coverage(&functions, &rows)
    }));

    for row in file.case {
        let want = Check::from_toml(&row.expect)
            .map_err(|e| format!("abi.toml {}.{}: {e}", row.function, row.name))?;
        if !file.function.iter().any(|f| f.name == row.function) {
            return Err(format!(
                "abi.toml: case for undocumented function {}",
                row.function
            ));
        }
        let skip = row.skip_on.get(&platform).cloned();
        let name = format!("{}.{}", row.function, row.name);
        let executor = executor.clone();
        let (row2, want2) = (row.clone(), want.clone());
        cases.push(
            Case::new("abi", name.clone(), move || {
                run_row(&row, want, script::executor(&executor)?.as_mut(), None)
            })
            .skip_if(skip.clone()),
        );
        cases.push(
            Case::new("abi", format!("{name}{MACHINE_CODE}"), move || {
                in_machine_code(&row2, &want2)
            })
            .skip_if(skip),
        );
    }
    cases.extend(escape::cases(ctx)?);
    cases.extend(race::cases(ctx)?);
    cases.extend(concurrency::cases());
    cases.extend(syscall::cases(ctx)?);
    cases.push(client::case(ctx));
    Ok(cases)
}

/// Runs a row in the machine-code column ([`script::in_machine_code`]).
fn in_machine_code(row: &Row, want: &Check) -> CaseResult {
    let mut labels = script::call_labels(&script::parse(&row.steps)?, "");
    labels.extend(script::call_labels(
        &script::parse(&row.then)?,
        "after the call: ",
    ));
    script::in_machine_code(
        |exec| run_row(row, want.clone(), exec, None),
        |i, _| labels[i].clone(),
    )
}

/// The step-script rows in the machine-code column against the library of `table` (the
/// report's `--impl`): `abi.<function>.<row>.mc`, each with its own fresh context of the
/// library ([`Env::loaded`]). A row that reads the context's input (`stdin`) or needs the
/// linked runtime for a step ([`script::needs_linked`]) is skipped, saying which.
pub fn loaded(ctx: &Ctx, table: &'static Table) -> Result<Vec<Case>, String> {
    let file: AbiFile = ctx.table("abi.toml")?;
    let platform = ctx.host.platform_name().to_string();
    let mut cases = Vec::new();
    for row in file.case {
        let want = Check::from_toml(&row.expect)
            .map_err(|e| format!("abi.toml {}.{}: {e}", row.function, row.name))?;
        let all = [row.steps.clone(), row.then.clone()].concat();
        let needs = match (row.stdin.is_empty(), script::parse(&all)) {
            (false, _) => Some(script::needs_linked_because("stdin", script::STDIN)),
            (true, Ok(steps)) => script::needs_linked(&steps),
            // The case fails on it.
            (true, Err(_)) => None,
        };
        let skip = row.skip_on.get(&platform).cloned().or(needs);
        let name = format!("{}.{}{MACHINE_CODE}", row.function, row.name);
        cases.push(
            Case::new("abi", name, move || {
                if let Some(why) = crate::jit::unsupported() {
                    return Err(CaseError::Skip(why));
                }
                run_row(&row, want, &mut script::Jit, Some(table))
            })
            .skip_if(skip),
        );
    }
    Ok(cases)
}

/// Runs a row's steps with `exec`, the last with the row's `expect` as its check, then its
/// `then` steps: against the linked runtime, or the library of `table` ([`Env::loaded`]).
fn run_row(
    row: &Row,
    want: Check,
    exec: &mut dyn script::Executor,
    table: Option<&'static Table>,
) -> CaseResult {
    let scratch = Scratch::new("abi").map_err(|e| CaseError::Fail(e.to_string()))?;
    let root = scratch
        .path()
        .canonicalize()
        .map_err(|e| CaseError::Fail(e.to_string()))?;
    let perms = script::permissions(&row.perms, root.clone(), &row.hosts)?;
    let mut steps = script::parse(&row.steps)?;
    let then = script::parse(&row.then)?;
    let mut env = match table {
        None => Env::sandboxed(root, perms, &row.stdin),
        Some(t) => Env::loaded(t, Some(root), &perms, &[&steps[..], &then[..]].concat())?,
    };
    let last = steps.last_mut().ok_or(CaseError::Fail("no steps".into()))?;
    ensure!(
        last.check.is_none(),
        "the last step has no check of its own: the row's `expect` is its check"
    );
    last.check = Some(want);
    script::run(&mut env, exec, &steps)?;
    script::run(&mut env, exec, &then).map_err(|e| format!("after the call: {e}"))?;
    Ok(env.finish()?)
}

fn contract_vs_rust(functions: &[Function]) -> CaseResult {
    for abi in script::abi::ABI {
        let name = abi.short_name();
        let Some(f) = functions.iter().find(|f| f.name == *name) else {
            fail!("neurlang_{name} is exported but has no contract row");
        };
        let types: Vec<String> = f
            .args
            .iter()
            .map(|a| {
                a.split_once(':')
                    .map_or(a.as_str(), |(_, t)| t)
                    .replace(' ', "")
            })
            .collect();
        let rust: Vec<String> = abi.args.iter().map(|t| t.replace(' ', "")).collect();
        ensure!(
            types == rust,
            "{name}: table says {types:?}, Rust says {rust:?}"
        );
        ensure!(f.is_unsafe == abi.is_unsafe, "{name}: unsafe differs");
    }
    for f in functions {
        ensure!(
            script::abi::find(&f.name).is_some(),
            "contract row {} names no exported function",
            f.name
        );
    }
    Ok(())
}

fn contract_vs_header(functions: &[Function], header: &std::path::Path) -> CaseResult {
    let text = std::fs::read_to_string(header)
        .map_err(|e| CaseError::Fail(format!("{}: {e}", header.display())))?;
    let protos = contract::header_prototypes(&text);
    ensure!(
        protos.len() == functions.len(),
        "header declares {} functions, table {}",
        protos.len(),
        functions.len()
    );
    for f in functions {
        let Some((_, c)) = protos.iter().find(|(n, _)| *n == f.name) else {
            fail!("neurlang_{} is missing from neurlang.h", f.name);
        };
        let want: Vec<&str> = f
            .args
            .iter()
            .map(|a| {
                contract::c_type(a.split_once(':').map_or(a.as_str(), |(_, t)| t)).unwrap_or("?")
            })
            .collect();
        ensure!(
            *c == want,
            "neurlang_{}: header {c:?}, table {want:?}",
            f.name
        );
    }
    Ok(())
}

fn coverage(functions: &[Function], rows: &[Row]) -> CaseResult {
    for f in functions {
        let mine: Vec<Check> = rows
            .iter()
            .filter(|r| r.function == f.name)
            .filter_map(|r| Check::from_toml(&r.expect).ok())
            .collect();
        let error = |c: &Check| match c {
            Check::Error { code, .. } => Some(*code),
            _ => None,
        };
        ensure!(
            mine.iter().any(|c| error(c).is_none()),
            "{} has no success row ({})",
            f.name,
            f.returns
        );
        for code in f.errors.keys() {
            let e = Errno::from_name(code)
                .ok_or(CaseError::Fail(format!("{}: unknown {code}", f.name)))?;
            ensure!(
                mine.iter().any(|c| error(c) == Some(e)),
                "{}: no row for documented error {code}",
                f.name
            );
        }
        for e in mine.iter().filter_map(error) {
            ensure!(
                f.errors.contains_key(e.name()),
                "{}: a row expects undocumented {}",
                f.name,
                e.name()
            );
        }
    }
    Ok(())
}
