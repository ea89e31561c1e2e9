//! Area `errno`: the canonical error-code table, one row per code per platform, and real OS
//! failures provoked on this platform.

mod provoke;

use crate::{Case, CaseResult, Ctx, ensure, ensure_eq, fail};
use neurlang::errno::TABLE;
use neurlang::runtime::{Errno, Platform};
use serde::Deserialize;

#[derive(Debug, Deserialize)]
struct CodesFile {
    code: Vec<CodeRow>,
}

#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
struct CodeRow {
    name: String,
    code: i32,
    darwin: Vec<i64>,
    freebsd: Vec<i64>,
    windows: Vec<i64>,
}

impl CodeRow {
    fn expected(&self, p: Platform) -> Vec<i64> {
        match p {
            Platform::Linux => vec![i64::from(self.code)],
            Platform::Darwin => self.darwin.clone(),
            Platform::FreeBsd => self.freebsd.clone(),
            Platform::Windows => self.windows.clone(),
            _ => Vec::new(),
        }
    }
}

pub fn cases(ctx: &Ctx) -> Result<Vec<Case>, String> {
    let file: CodesFile = ctx.table("errno.toml")?;
    let mut cases = Vec::new();

    let names: Vec<String> = file.code.iter().map(|r| r.name.clone()).collect();
    cases.push(Case::new("errno", "table.complete", move || {
        complete(&names)
    }));

    for row in &file.code {
        for p in Platform::ALL {
            let row = row.clone();
            cases.push(Case::new(
                "errno",
                format!("table.{}.{}", row.name, p.name()),
                move || table_row(&row, p),
            ));
        }
    }
    cases.extend(provoke::cases(ctx)?);
    Ok(cases)
}

/// The runtime's table and the conformance table list the same codes.
fn complete(names: &[String]) -> CaseResult {
    let runtime: Vec<&str> = TABLE.iter().map(|r| r.name).collect();
    let missing: Vec<&&str> = runtime
        .iter()
        .filter(|n| !names.iter().any(|m| m == *n))
        .collect();
    let extra: Vec<&String> = names
        .iter()
        .filter(|m| !runtime.contains(&m.as_str()))
        .collect();
    ensure!(
        missing.is_empty(),
        "runtime codes with no row in cases/errno.toml: {missing:?}"
    );
    ensure!(
        extra.is_empty(),
        "rows in cases/errno.toml the runtime does not define: {extra:?}"
    );
    Ok(())
}

/// One code on one platform: numbering, both lookup directions, and on the host a real
/// `io::Error` carrying each host number. Off the host this compares the runtime's table with
/// `cases/errno.toml`; what checks the numbers themselves is in that file's header.
fn table_row(row: &CodeRow, p: Platform) -> CaseResult {
    let Some(errno) = Errno::from_name(&row.name) else {
        fail!("the runtime has no code named {}", row.name);
    };
    ensure_eq!(errno.code(), row.code, "canonical number of {}", row.name);
    ensure_eq!(
        errno.neg(),
        -i64::from(row.code),
        "returned value of {}",
        row.name
    );
    let expected = row.expected(p);
    let runtime: Vec<i64> = errno.row().host_codes(p).collect();
    ensure_eq!(
        runtime,
        expected,
        "{} host numbers of {}",
        p.name(),
        row.name
    );
    for &host in &expected {
        ensure_eq!(
            Errno::from_platform_code(p, host),
            Some(errno),
            "{} host number {host} maps to",
            p.name()
        );
    }
    if Platform::HOST == Some(p) {
        for &host in &expected {
            let err = std::io::Error::from_raw_os_error(host as i32);
            ensure_eq!(
                Errno::from_io_error(&err),
                errno,
                "io::Error for host number {host} ({err})"
            );
        }
    }
    Ok(())
}
