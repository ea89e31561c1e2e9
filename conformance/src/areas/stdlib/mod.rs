//! Area `stdlib`: the standard-library extensions ([`neurlang::ext::ids::STDLIB`]) through the
//! extension registry.
//!
//! - `stdlib.registry.NAME`: the spec's ID, name and argument count (`cases/stdlib-ops.toml`,
//!   the spec's tables as data) are what the registry has.
//! - `stdlib.registry_complete`: every extension the registry has in the stdlib range has a row
//!   in `cases/stdlib-ops.toml`.
//! - `stdlib.invalid.NAME`: for every handle argument of every operation, a freed handle, a
//!   forged one (0, a bumped generation) and a live handle of another type are `InvalidHandle`.
//! - `stdlib.script.NAME`: step scripts (`cases/stdlib-*.toml`, in the language of
//!   [`crate::script`]) over a registry with handle tables of their own ([`Env::stdlib`]):
//!   create, operate, free, use after free, each ending with a leak check.
//! - `stdlib.script.NAME.mc`: the same script in the machine-code column
//!   ([`script::in_machine_code`]): every call made from machine code through
//!   `neurlang_ext_call2`/`neurlang_ext_call`, agreeing call by call with a Rust run. The checks
//!   that name an error (`EINVAL index out of range`, `EBADF InvalidHandle`, …) compare only the
//!   code there: the C ABI returns no name; the Rust run of the case checks the name.
//! - `stdlib.coverage`: every operation is called by some script.
//! - `stdlib.jsontestsuite.…`: JSONTestSuite through `string_from_bytes` → `json_parse` (see
//!   [`jsonsuite`]).

mod jsonsuite;

use crate::script::abi::Table;
use crate::script::{self, Env, err_name};
use crate::{Case, CaseError, CaseResult, Ctx, MACHINE_CODE, ensure, ensure_eq};
use neurlang::ext::ids;
use neurlang::runtime::{ExtensionRegistry, IOPermissions};
use serde::Deserialize;

#[derive(Debug, Deserialize)]
struct OpsFile {
    op: Vec<OpRow>,
    /// Scripts may sit beside the rows too (a new operation's first one, say).
    #[serde(default)]
    script: Vec<script::Script>,
}

#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
struct OpRow {
    id: u32,
    name: String,
    /// Argument kinds: vec, map, str, jobj, jarr, json (any JSON value), u64, cap, len.
    args: Vec<String>,
}

#[derive(Debug, Deserialize)]
struct ScriptsFile {
    script: Vec<script::Script>,
}

const SCRIPT_FILES: &[&str] = &[
    "stdlib-vec.toml",
    "stdlib-hashmap.toml",
    "stdlib-string.toml",
    "stdlib-json.toml",
];

pub fn cases(ctx: &Ctx) -> Result<Vec<Case>, String> {
    let mut ops: OpsFile = ctx.table("stdlib-ops.toml")?;
    let mut scripts = std::mem::take(&mut ops.script);
    for f in SCRIPT_FILES {
        let file: ScriptsFile = ctx.table(f)?;
        scripts.extend(file.script);
    }
    let mut cases = Vec::new();
    let rows: Vec<u32> = ops.op.iter().map(|o| o.id).collect();
    cases.push(Case::new("stdlib", "registry_complete", move || {
        let table = "cases/stdlib-ops.toml";
        super::ext::rows_complete(
            &ExtensionRegistry::with_builtins(),
            ids::STDLIB_RANGE,
            &rows,
            table,
        )
    }));
    for op in &ops.op {
        let row = op.clone();
        cases.push(Case::new(
            "stdlib",
            format!("registry.{}", op.name),
            move || registry_row(&row),
        ));
        let row = op.clone();
        cases.push(Case::new(
            "stdlib",
            format!("invalid.{}", op.name),
            move || invalid_handles(&row),
        ));
    }
    let names: Vec<String> = ops.op.iter().map(|o| o.name.clone()).collect();
    let missing: Vec<String> = script::uncalled(names.iter().map(String::as_str), &scripts)
        .into_iter()
        .map(str::to_owned)
        .collect();
    cases.push(Case::new("stdlib", "coverage", move || {
        ensure!(
            missing.is_empty(),
            "operations no script calls: {missing:?}"
        );
        Ok(())
    }));
    cases.extend(script::cases("stdlib", "script.", scripts, Env::stdlib)?);
    cases.extend(jsonsuite::cases(ctx)?);
    Ok(cases)
}

/// The step scripts in the machine-code column against the library of `table` (the report's
/// `--impl`): `stdlib.script.NAME.mc`, each in a fresh context of the library, whose registry
/// is the built-ins ([`Env::loaded`]; its handle tables are out of reach, so no leak check).
pub fn loaded(ctx: &Ctx, table: &'static Table) -> Result<Vec<Case>, String> {
    let mut scripts = ctx.table::<OpsFile>("stdlib-ops.toml")?.script;
    for f in SCRIPT_FILES {
        scripts.extend(ctx.table::<ScriptsFile>(f)?.script);
    }
    let mut cases = Vec::new();
    for s in scripts {
        let skip = script::parse(&s.steps)
            .ok()
            .and_then(|steps| script::needs_linked(&steps));
        cases.push(
            Case::new(
                "stdlib",
                format!("script.{}{MACHINE_CODE}", s.name),
                move || {
                    if let Some(why) = crate::jit::unsupported() {
                        return Err(CaseError::Skip(why));
                    }
                    let steps = script::parse(&s.steps)?;
                    let perms = IOPermissions::default();
                    let env = Env::loaded(table, None, &perms, &steps)?;
                    Ok(script::run_in(env, &mut script::Jit, &steps)?)
                },
            )
            .skip_if(skip),
        );
    }
    Ok(cases)
}

fn registry_row(row: &OpRow) -> CaseResult {
    let r = ExtensionRegistry::with_builtins();
    let Some(info) = r.info(row.id) else {
        crate::fail!("ID {} is not registered", row.id);
    };
    ensure_eq!(info.name, row.name, "name of ID {}", row.id);
    ensure_eq!(
        info.arg_count,
        row.args.len(),
        "argument count of {}",
        row.name
    );
    ensure_eq!(
        r.lookup(&row.name).map(|i| i.get()),
        Some(row.id),
        "ID of {}",
        row.name
    );
    Ok(())
}

fn is_handle(kind: &str) -> bool {
    matches!(kind, "vec" | "map" | "str" | "jobj" | "jarr" | "json")
}

/// A fresh valid argument of `kind`.
fn make(env: &mut Env, kind: &str) -> Result<u64, String> {
    let r = match kind {
        "vec" => env.ext("vec_new", &[]),
        "map" => env.ext("hashmap_new", &[]),
        "str" => return env.string(b"x"),
        "jobj" => env.ext("json_new_object", &[]),
        "jarr" | "json" => env.ext("json_new_array", &[]),
        "cap" => return env.token(b"x", neurlang::cap::CapPermissions::READ),
        "len" => Ok(1),
        _ => Ok(0),
    };
    r.map_err(|e| format!("making a {kind}: {e}"))
}

/// Every handle argument, replaced in turn by a freed, a forged and a wrong-type handle, gives
/// `InvalidHandle`, and changes nothing (no handle leaks or disappears).
fn invalid_handles(row: &OpRow) -> CaseResult {
    let mut env = Env::stdlib();
    for (p, kind) in row.args.iter().enumerate() {
        if !is_handle(kind) {
            continue;
        }
        let valid: Vec<u64> = row
            .args
            .iter()
            .map(|k| make(&mut env, k))
            .collect::<Result<_, _>>()?;
        let freed = make(&mut env, kind)?;
        env.free(freed)?;
        let other = if kind == "vec" {
            make(&mut env, "map")?
        } else {
            make(&mut env, "vec")?
        };
        let bumped = valid[p].wrapping_add(1 << 32);
        for (what, bad) in [
            ("freed", freed),
            ("zero", 0),
            ("bumped generation", bumped),
            ("other type", other),
        ] {
            let mut args = valid.clone();
            args[p] = bad;
            let live = env.lib()?.live();
            let got = env.ext(&row.name, &args);
            ensure!(
                matches!(&got, Err(e) if err_name(e) == "InvalidHandle"),
                "{} with a {what} handle as argument {}: got {got:?}",
                row.name,
                p + 1
            );
            ensure_eq!(
                env.lib()?.live(),
                live,
                "live handles after the failed call"
            );
        }
        env.free(other)?;
        for (k, v) in row.args.iter().zip(valid) {
            if is_handle(k) {
                env.free(v)?;
            }
        }
    }
    Ok(env.finish()?)
}
