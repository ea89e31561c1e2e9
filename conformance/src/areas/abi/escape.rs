//! Sandbox-escape attempts (`cases/abi-escape.toml`): each denied, nothing outside touched.

use crate::{Case, CaseError, CaseResult, Ctx, Scratch, ensure, ensure_eq};
use neurlang::runtime::{Context, Errno, IOPermissions, NetOp, OpenMode, Resolver, Sandbox};
use serde::Deserialize;
use std::collections::BTreeMap;
use std::path::Path;

#[derive(Debug, Deserialize)]
struct EscapeFile {
    path: Vec<PathRow>,
    host: Vec<HostRow>,
}

#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
struct PathRow {
    name: String,
    path: String,
    op: String,
    #[serde(default)]
    #[cfg_attr(not(unix), allow(dead_code))] // Symlinks are made on Unix only.
    links: Vec<(String, String)>,
    #[serde(default)]
    unix_only: bool,
    #[serde(default)]
    bytes_invalid_utf8: bool,
    #[serde(default)]
    expect: Option<String>,
}

#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
struct HostRow {
    name: String,
    host: String,
    op: String,
}

pub fn cases(ctx: &Ctx) -> Result<Vec<Case>, String> {
    let file: EscapeFile = ctx.table("abi-escape.toml")?;
    let mut cases = Vec::new();
    for row in file.path {
        let skip = (row.unix_only && !cfg!(unix))
            .then(|| "symlinks need privileges on Windows".to_string());
        let expect = match row.expect.as_deref() {
            Some(e) => Errno::from_name(e).ok_or(format!("abi-escape.toml: unknown {e}"))?,
            None => Errno::EACCES,
        };
        for (suffix, resolver) in [("", Resolver::Kernel), (".walk", Resolver::Walk)] {
            let row = row.clone();
            cases.push(
                Case::new(
                    "abi",
                    format!("escape.path.{}{suffix}", row.name),
                    move || path_case(&row, expect, resolver),
                )
                .skip_if(skip.clone()),
            );
        }
    }
    for row in file.host {
        cases.push(Case::new(
            "abi",
            format!("escape.host.{}", row.name),
            move || host_case(&row),
        ));
    }
    Ok(cases)
}

fn snapshot(dir: &Path) -> BTreeMap<String, Vec<u8>> {
    let mut out = BTreeMap::new();
    if let Ok(entries) = std::fs::read_dir(dir) {
        for e in entries.flatten() {
            let data = std::fs::read(e.path()).unwrap_or_default();
            out.insert(e.file_name().to_string_lossy().into_owned(), data);
        }
    }
    out
}

fn path_case(row: &PathRow, expect: Errno, resolver: Resolver) -> CaseResult {
    let scratch = Scratch::new("escape").map_err(|e| CaseError::Fail(e.to_string()))?;
    let base = scratch
        .path()
        .canonicalize()
        .map_err(|e| CaseError::Fail(e.to_string()))?;
    let root = base.join("root");
    let outside = base.join("outside");
    std::fs::create_dir_all(root.join("a")).map_err(|e| CaseError::Fail(e.to_string()))?;
    std::fs::create_dir_all(&outside).map_err(|e| CaseError::Fail(e.to_string()))?;
    std::fs::write(outside.join("secret"), b"secret")
        .map_err(|e| CaseError::Fail(e.to_string()))?;
    let (r, o) = (
        root.to_string_lossy().into_owned(),
        outside.to_string_lossy().into_owned(),
    );
    let fill = |s: &str| {
        s.replace("{root}", &r)
            .replace("{ROOT}", &r.to_uppercase())
            .replace("{outside}", &o)
            .replace("{long}", &"x".repeat(5000))
    };
    #[cfg(unix)]
    for (name, target) in &row.links {
        std::os::unix::fs::symlink(fill(target), root.join(name))
            .map_err(|e| CaseError::Fail(format!("symlink: {e}")))?;
    }
    let mut path = fill(&row.path).into_bytes();
    if row.bytes_invalid_utf8 {
        path.pop();
        path.pop();
        path.push(0xff);
    }
    let before = snapshot(&outside);
    let ctx = Context::with_sandbox(Sandbox::with_resolver(
        IOPermissions::files_under(&root),
        resolver,
    ));
    let got = match row.op.as_str() {
        "read" => ctx.file_open(&path, OpenMode::READ).map(drop),
        "write" => ctx
            .file_open(&path, OpenMode::WRITE | OpenMode::CREATE | OpenMode::TRUNC)
            .map(drop),
        "unlink" => ctx.file_unlink(&path),
        other => return Err(CaseError::Fail(format!("unknown op {other}"))),
    };
    ensure_eq!(
        got,
        Err(expect),
        "{} {:?}",
        row.op,
        String::from_utf8_lossy(&path)
    );
    ensure!(
        snapshot(&outside) == before,
        "the directory outside the root changed"
    );
    ensure!(
        !base.join("outside").join("created").exists(),
        "a file was created outside"
    );
    Ok(())
}

fn host_case(row: &HostRow) -> CaseResult {
    let perms = IOPermissions {
        net_connect: true,
        net_listen: true,
        net_hosts: vec!["localhost".into()],
        ..IOPermissions::default()
    };
    let op = if row.op == "listen" {
        NetOp::Listen
    } else {
        NetOp::Connect
    };
    ensure_eq!(
        perms.check_host(row.host.as_bytes(), op).map(drop),
        Err(Errno::EACCES),
        "host {:?}",
        row.host
    );
    let ctx = Context::new(perms);
    let got = match op {
        NetOp::Listen => ctx.net_listen(row.host.as_bytes(), 0),
        _ => ctx.net_connect(row.host.as_bytes(), 9),
    };
    ensure_eq!(
        got.map(drop),
        Err(Errno::EACCES),
        "{} {:?}",
        row.op,
        row.host
    );
    Ok(())
}
