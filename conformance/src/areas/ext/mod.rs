//! Area `ext`: the Extension Registry's table of built-ins (a row per ID, and a row for every
//! registered crypto ID: `table.crypto_complete`) and the crypto extensions
//! ([`neurlang::ext::ids::CRYPTO`]) against known-answer vectors and the Wycheproof sets
//! (`vectors/wycheproof`, see [`wycheproof`]): each vector a case and its machine-code (`.mc`)
//! sibling, called with capability tokens.
//!
//! - `ext.table.ID.NAME`: the spec's ID, name, argument count, category and taint flag
//!   (`cases/ext.toml`, `[[ext]]`) are what the registry has, and one argument too many is
//!   refused.
//! - `ext.NAME`: a known-answer vector (FIPS 180-2, RFC 4231, RFC 7914, RFC 8032, RFC 7748, the
//!   GCM specification's test cases) typed into `cases/ext.toml` as a step script
//!   (`[[script]]`, the language of [`crate::script`]) over the built-in extensions
//!   ([`Env::builtins`]).
//! - `ext.NAME.mc`: the same script in the machine-code column ([`script::in_machine_code`]),
//!   every call made from machine code through `neurlang_ext_call2`/`neurlang_ext_call`,
//!   agreeing call by call with a Rust run. A check for a named error (`EINVAL CryptoFailure` of
//!   a rejected X25519 derivation or AES-GCM decryption) compares the code only there, as the C
//!   ABI returns no name; the name is checked when the selected executor is Rust.
//! - `ext.coverage`: every crypto ID the registry has is called by some vector script.

mod wycheproof;

use std::ops::RangeInclusive;
use std::sync::OnceLock;

use crate::script::{self, Env, Script};
use crate::{Case, CaseResult, Ctx, ensure, ensure_eq, fail};
use neurlang::ext::ids;
use neurlang::runtime::{ExtError, ExtId, ExtensionRegistry};
use serde::Deserialize;

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
struct ExtFile {
    ext: Vec<Row>,
    script: Vec<Script>,
}

#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
struct Row {
    id: u32,
    name: String,
    args: usize,
    category: String,
    taint: bool,
}

/// The registry every case calls through.
fn registry() -> &'static ExtensionRegistry {
    static R: OnceLock<ExtensionRegistry> = OnceLock::new();
    R.get_or_init(ExtensionRegistry::with_builtins)
}

pub fn cases(ctx: &Ctx) -> Result<Vec<Case>, String> {
    let file: ExtFile = ctx.table("ext.toml")?;
    let mut cases = Vec::new();
    let rows: Vec<u32> = file.ext.iter().map(|r| r.id).collect();
    cases.push(Case::new("ext", "table.crypto_complete", move || {
        rows_complete(registry(), ids::CRYPTO_RANGE, &rows, "cases/ext.toml")
    }));
    for row in file.ext {
        cases.push(Case::new(
            "ext",
            format!("table.{}.{}", row.id, row.name),
            move || table_row(&row),
        ));
    }
    let missing = uncovered(registry(), &file.script);
    cases.push(Case::new("ext", "coverage", move || {
        ensure!(
            missing.is_empty(),
            "crypto extensions no vector script in cases/ext.toml calls: {missing:?}"
        );
        Ok(())
    }));
    cases.extend(script::cases("ext", "", file.script, Env::builtins)?);
    cases.extend(wycheproof::cases(ctx)?);
    Ok(cases)
}

/// The crypto IDs of `registry` (as `ID NAME`) that no call step of `scripts` calls by name.
fn uncovered(registry: &ExtensionRegistry, scripts: &[Script]) -> Vec<String> {
    let crypto: Vec<_> = registry
        .iter()
        .filter(|i| ids::CRYPTO_RANGE.contains(&i.id.get()))
        .collect();
    let missing = script::uncalled(crypto.iter().map(|i| i.name.as_str()), scripts);
    crypto
        .iter()
        .filter(|i| missing.contains(&i.name.as_str()))
        .map(|i| format!("{} {}", i.id, i.name))
        .collect()
}

/// Every ID in `range` that `registry` has is one of `rows` (the IDs of the spec's table
/// `table`); that every row is registered is each row's own case.
pub(crate) fn rows_complete(
    registry: &ExtensionRegistry,
    range: RangeInclusive<u32>,
    rows: &[u32],
    table: &str,
) -> CaseResult {
    let missing: Vec<String> = registry
        .iter()
        .filter(|i| range.contains(&i.id.get()) && !rows.contains(&i.id.get()))
        .map(|i| format!("{} {}", i.id, i.name))
        .collect();
    ensure!(
        missing.is_empty(),
        "registered extensions with no row in {table}: {missing:?}"
    );
    Ok(())
}

fn table_row(row: &Row) -> CaseResult {
    let r = registry();
    let Some(info) = r.info(row.id) else {
        fail!("ID {} is not registered", row.id)
    };
    ensure_eq!(info.name, row.name, "name");
    ensure_eq!(
        r.lookup(&row.name).map(|i| i.get()),
        Some(row.id),
        "lookup by name"
    );
    ensure_eq!(info.arg_count, row.args, "argument count");
    ensure_eq!(info.category.name(), row.category, "category");
    ensure_eq!(info.propagate_taint, row.taint, "taint flag");
    let wrong = vec![0u64; row.args + 1];
    let got = r.call(ExtId(row.id), &wrong, &mut [0u64; 1]);
    ensure_eq!(
        got,
        Err(ExtError::WrongArgCount {
            expected: row.args,
            got: row.args + 1
        }),
        "call with one argument too many"
    );
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;
    use neurlang::runtime::ExtCategory;

    fn script(steps: &[&str]) -> Script {
        Script {
            name: "s".into(),
            steps: steps.iter().map(|s| s.to_string()).collect(),
        }
    }

    #[test]
    fn a_crypto_id_no_script_calls_is_uncovered() {
        let all: Vec<String> = ids::CRYPTO
            .iter()
            .map(|&id| {
                let name = &registry().info(id).expect("built-in").name;
                format!("o = buf 8\n{name} $o")
            })
            .collect();
        let steps: Vec<&str> = all.iter().flat_map(|s| s.lines()).collect();
        let mut reg = ExtensionRegistry::with_builtins();
        assert_eq!(uncovered(&reg, &[script(&steps)]), Vec::<String>::new());
        let spare = *ids::CRYPTO_RANGE.end();
        reg.register_with_id(
            ExtId(spare),
            "fake_hash",
            "a crypto ID with no vector",
            1,
            true,
            ExtCategory::Crypto,
            std::sync::Arc::new(|_: &[u64], _: &mut [u64]| Ok(0)),
        )
        .expect("the last crypto ID is free");
        assert_eq!(
            uncovered(&reg, &[script(&steps)]),
            [format!("{spare} fake_hash")]
        );
        // A step that names it but does not parse calls nothing.
        let broken = script(&["fake_hash \"unterminated"]);
        assert_eq!(uncovered(&reg, &[script(&steps), broken]).len(), 1);
    }
}
