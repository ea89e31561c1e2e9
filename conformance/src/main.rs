//! `neurlang-conformance`: the conformance report.
//!
//! ```text
//! neurlang-conformance [--json FILE] [--filter TEXT] [--threads N] [--quiet] [--verbose]
//!                      [--impl LIBRARY]
//! neurlang-conformance merge REPORT.json... [--markdown FILE]
//! ```

use neurlang_conformance::report::{self, Report, RunOptions};
use neurlang_conformance::script::abi::Table;
use neurlang_conformance::{Ctx, child, collect};
use std::path::PathBuf;
use std::process::ExitCode;

const USAGE: &str = "\
usage: neurlang-conformance [--json FILE] [--filter TEXT] [--threads N] [--quiet] [--verbose]
                            [--impl LIBRARY]
       neurlang-conformance merge REPORT.json... [--markdown FILE]

Runs the whole conformance suite on this platform and prints a table per area, the skips
grouped by reason (the first few cases of each; --verbose names every case) and every failure
with its message; exits 1 if any case fails. --json also writes a machine-readable report of
every case.
--impl LIBRARY runs against another build of the runtime, a shared library exporting the C
ABI (Unix: dlopen), instead of the linked one: a row impl.exports.NAME per C function (a
function the library lacks fails by name, and so does every case calling it), then the step
scripts of the abi and stdlib areas in the machine-code column only, set up through the
library's own C ABI, one at a time. The other cases test the linked crate through its Rust
API, not the library, and do not run; a script that needs the linked runtime (its output or
input, the memory of a token a call made) is skipped, saying why.
`merge` combines the JSON reports of several platforms into one markdown matrix (stdout, or
--markdown FILE); it exits 1 if any merged report has a failure.";

fn main() -> ExitCode {
    child::run_if_child();
    let args: Vec<String> = std::env::args().skip(1).collect();
    match run(&args) {
        Ok(code) => code,
        Err(msg) => {
            eprintln!("neurlang-conformance: {msg}\n\n{USAGE}");
            ExitCode::from(2)
        }
    }
}

fn run(args: &[String]) -> Result<ExitCode, String> {
    if args.first().map(String::as_str) == Some("merge") {
        return merge(&args[1..]);
    }
    let mut json: Option<PathBuf> = None;
    let mut library: Option<PathBuf> = None;
    let mut verbose = false;
    let mut opts = RunOptions {
        filter: None,
        threads: std::thread::available_parallelism().map_or(2, |n| n.get()),
        progress: true,
    };
    let mut it = args.iter();
    while let Some(a) = it.next() {
        match a.as_str() {
            "--json" => json = Some(value(&mut it, a)?.into()),
            "--filter" => opts.filter = Some(value(&mut it, a)?),
            "--threads" => {
                opts.threads = value(&mut it, a)?
                    .parse()
                    .map_err(|_| "--threads takes a number")?
            }
            "--impl" => library = Some(value(&mut it, a)?.into()),
            "--quiet" => opts.progress = false,
            "--verbose" => verbose = true,
            "-h" | "--help" => {
                println!("{USAGE}");
                return Ok(ExitCode::SUCCESS);
            }
            other => return Err(format!("unknown argument `{other}`")),
        }
    }
    let mut ctx = Ctx::new();
    if let Some(path) = library {
        ctx.loaded = Some(Box::leak(Box::new(Table::load(&path)?)));
    }
    let cases = collect(&ctx);
    if opts.progress {
        let against = ctx
            .loaded
            .map_or("the linked runtime", |t| t.origin.as_str());
        eprintln!(
            "running {} cases on {} with {} threads against {against}",
            cases.len(),
            ctx.host.label(),
            opts.threads
        );
    }
    let report = report::run(ctx.host.clone(), cases, &opts);
    print!("{}", report.render_text(verbose));
    if let Some(path) = json {
        let text = serde_json::to_string_pretty(&report).map_err(|e| e.to_string())?;
        std::fs::write(&path, text).map_err(|e| format!("{}: {e}", path.display()))?;
        eprintln!("JSON report written to {}", path.display());
    }
    Ok(if report.totals().fail == 0 {
        ExitCode::SUCCESS
    } else {
        ExitCode::FAILURE
    })
}

fn merge(args: &[String]) -> Result<ExitCode, String> {
    let mut out: Option<PathBuf> = None;
    let mut reports: Vec<Report> = Vec::new();
    let mut it = args.iter();
    while let Some(a) = it.next() {
        if a == "--markdown" {
            out = Some(value(&mut it, a)?.into());
            continue;
        }
        let text = std::fs::read_to_string(a).map_err(|e| format!("{a}: {e}"))?;
        let r: Report =
            serde_json::from_str(&text).map_err(|e| format!("{a}: not a report: {e}"))?;
        if r.schema != report::SCHEMA {
            return Err(format!(
                "{a}: report schema {} (this tool reads {})",
                r.schema,
                report::SCHEMA
            ));
        }
        reports.push(r);
    }
    if reports.is_empty() {
        return Err("merge needs at least one JSON report".into());
    }
    let md = report::merge_markdown(&reports);
    match out {
        Some(path) => std::fs::write(&path, &md).map_err(|e| format!("{}: {e}", path.display()))?,
        None => print!("{md}"),
    }
    let failed = reports.iter().any(|r| r.totals().fail > 0);
    Ok(if failed {
        ExitCode::FAILURE
    } else {
        ExitCode::SUCCESS
    })
}

fn value(it: &mut std::slice::Iter<'_, String>, flag: &str) -> Result<String, String> {
    it.next()
        .cloned()
        .ok_or_else(|| format!("{flag} needs a value"))
}
