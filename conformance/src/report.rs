//! The conformance report: runs every case on this platform, prints a table per area, writes
//! JSON, and merges JSON reports from several platforms into one markdown matrix.

use crate::{Case, Host, Outcome};
use serde::{Deserialize, Serialize};
use std::collections::BTreeMap;
use std::fmt::Write as _;
use std::io::{IsTerminal, Write as _};
use std::sync::Mutex;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::time::{Duration, Instant};

/// Version of the JSON report layout.
pub const SCHEMA: u32 = 1;

/// A machine-readable report of one run.
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct Report {
    /// Layout version ([`SCHEMA`]).
    pub schema: u32,
    /// Where it ran.
    pub host: Host,
    /// The runtime's crate version.
    pub runtime_version: String,
    /// Wall time of the whole run, in seconds.
    pub seconds: f64,
    /// Every case, in collection order.
    pub cases: Vec<CaseReport>,
}

/// One case's result.
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct CaseReport {
    /// Full case name.
    pub name: String,
    /// Its area.
    pub area: String,
    /// `pass`, `fail`, `skip` or `known_failure`.
    pub status: Status,
    /// The failure message, skip reason or known-failure reason.
    #[serde(default, skip_serializing_if = "String::is_empty")]
    pub detail: String,
    /// How long it ran, in milliseconds.
    pub ms: f64,
}

impl CaseReport {
    /// The row of the tables that counts it: its area, or `AREA (machine code)`.
    pub fn row(&self) -> String {
        match crate::is_machine_code(&self.name) {
            true => format!("{} (machine code)", self.area),
            false => self.area.clone(),
        }
    }
}

/// A case's status in a report.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, PartialOrd, Ord)]
#[serde(rename_all = "snake_case")]
pub enum Status {
    /// Passed.
    Pass,
    /// Failed.
    Fail,
    /// Did not run here.
    Skip,
    /// A recorded known failure that failed as expected.
    KnownFailure,
}

/// Options of a run.
#[derive(Debug, Clone)]
pub struct RunOptions {
    /// Only cases whose name contains this.
    pub filter: Option<String>,
    /// Worker threads.
    pub threads: usize,
    /// Show progress on stderr.
    pub progress: bool,
}

/// Runs `cases` on `threads` workers and collects the report.
pub fn run(host: Host, cases: Vec<Case>, opts: &RunOptions) -> Report {
    let cases: Vec<Case> = match &opts.filter {
        Some(f) => cases
            .into_iter()
            .filter(|c| c.name.contains(f.as_str()))
            .collect(),
        None => cases,
    };
    let total = cases.len();
    let slots: Vec<Mutex<Option<Case>>> = cases.into_iter().map(|c| Mutex::new(Some(c))).collect();
    let results: Vec<Mutex<Option<CaseReport>>> = (0..total).map(|_| Mutex::new(None)).collect();
    let next = AtomicUsize::new(0);
    let done = AtomicUsize::new(0);
    let failed = AtomicUsize::new(0);
    let progress = Progress::new(opts.progress, total);
    let start = Instant::now();

    std::thread::scope(|s| {
        for _ in 0..opts.threads.max(1) {
            s.spawn(|| {
                loop {
                    let i = next.fetch_add(1, Ordering::Relaxed);
                    if i >= total {
                        break;
                    }
                    let case = slots[i]
                        .lock()
                        .unwrap()
                        .take()
                        .expect("each case runs once");
                    let (name, area) = (case.name.clone(), case.area.to_string());
                    let t = Instant::now();
                    let outcome = case.run();
                    let ms = t.elapsed().as_secs_f64() * 1e3;
                    let (status, detail) = match outcome {
                        Outcome::Pass(note) => (Status::Pass, note),
                        Outcome::Fail(m) => (Status::Fail, m),
                        Outcome::Skip(r) => (Status::Skip, r),
                        Outcome::KnownFailure(r) => (Status::KnownFailure, r),
                    };
                    if status == Status::Fail {
                        failed.fetch_add(1, Ordering::Relaxed);
                        progress.note(&format!("FAIL {name}: {detail}"));
                    }
                    let n = done.fetch_add(1, Ordering::Relaxed) + 1;
                    progress.tick(n, failed.load(Ordering::Relaxed), &name);
                    *results[i].lock().unwrap() = Some(CaseReport {
                        name,
                        area,
                        status,
                        detail,
                        ms,
                    });
                }
            });
        }
    });
    progress.finish();

    Report {
        schema: SCHEMA,
        host,
        runtime_version: env!("CARGO_PKG_VERSION").to_string(),
        seconds: start.elapsed().as_secs_f64(),
        cases: results
            .into_iter()
            .map(|r| r.into_inner().unwrap().expect("every case ran"))
            .collect(),
    }
}

/// Progress on stderr: a rewritten line on a terminal, a line every few seconds otherwise.
struct Progress {
    enabled: bool,
    tty: bool,
    total: usize,
    last: Mutex<Instant>,
}

impl Progress {
    fn new(enabled: bool, total: usize) -> Progress {
        Progress {
            enabled,
            tty: std::io::stderr().is_terminal(),
            total,
            last: Mutex::new(Instant::now()),
        }
    }

    fn tick(&self, done: usize, failed: usize, name: &str) {
        if !self.enabled {
            return;
        }
        let mut last = self.last.lock().unwrap();
        let every = if self.tty {
            Duration::from_millis(50)
        } else {
            Duration::from_secs(5)
        };
        if last.elapsed() < every && done != self.total {
            return;
        }
        *last = Instant::now();
        let line = format!("[{done:>5}/{}] {failed} failed  {name}", self.total);
        let mut err = std::io::stderr().lock();
        if self.tty {
            let _ = write!(err, "\r\x1b[2K{}", truncate(&line, 100));
        } else {
            let _ = writeln!(err, "{line}");
        }
    }

    fn note(&self, msg: &str) {
        if self.enabled {
            let prefix = if self.tty { "\r\x1b[2K" } else { "" };
            let _ = writeln!(std::io::stderr().lock(), "{prefix}{}", truncate(msg, 300));
        }
    }

    fn finish(&self) {
        if self.enabled && self.tty {
            let _ = writeln!(std::io::stderr().lock());
        }
    }
}

fn truncate(s: &str, max: usize) -> String {
    match s.char_indices().nth(max) {
        Some((i, _)) => format!("{}…", &s[..i]),
        None => s.to_string(),
    }
}

/// Counts per status.
#[derive(Debug, Default, Clone, Copy, PartialEq, Eq)]
pub struct Counts {
    /// Passed.
    pub pass: usize,
    /// Failed.
    pub fail: usize,
    /// Skipped.
    pub skip: usize,
    /// Known failures that failed as expected.
    pub known: usize,
}

impl Counts {
    fn add(&mut self, s: Status) {
        match s {
            Status::Pass => self.pass += 1,
            Status::Fail => self.fail += 1,
            Status::Skip => self.skip += 1,
            Status::KnownFailure => self.known += 1,
        }
    }

    /// All cases counted.
    pub fn total(&self) -> usize {
        self.pass + self.fail + self.skip + self.known
    }
}

impl Report {
    /// Counts per row of the tables, in name order: each area's cases, then (a row named
    /// `AREA (machine code)`, right after its area's) the area's cases of the machine-code column
    /// ([`crate::MACHINE_CODE`]), which its first row does not count.
    pub fn by_area(&self) -> BTreeMap<String, Counts> {
        let mut m: BTreeMap<String, Counts> = BTreeMap::new();
        for c in &self.cases {
            m.entry(c.row()).or_default().add(c.status);
        }
        m
    }

    /// Counts over all cases.
    pub fn totals(&self) -> Counts {
        let mut t = Counts::default();
        for c in &self.cases {
            t.add(c.status);
        }
        t
    }

    /// The human-readable report: a table per area, the skips grouped by reason (every skipped
    /// case named when `verbose`), then every known failure and failure with its message.
    pub fn render_text(&self, verbose: bool) -> String {
        let mut out = String::new();
        let _ = writeln!(
            out,
            "Neurlang runtime {} — conformance on {} ({:.1} s)\n",
            self.runtime_version,
            self.host.label(),
            self.seconds
        );
        let _ = writeln!(
            out,
            "{:<22} {:>7} {:>7} {:>7} {:>7} {:>7}",
            "area", "passed", "failed", "skipped", "known", "total"
        );
        let _ = writeln!(out, "{}", "-".repeat(63));
        for (area, c) in self.by_area() {
            let _ = writeln!(
                out,
                "{area:<22} {:>7} {:>7} {:>7} {:>7} {:>7}",
                c.pass,
                c.fail,
                c.skip,
                c.known,
                c.total()
            );
        }
        let t = self.totals();
        let _ = writeln!(out, "{}", "-".repeat(63));
        let _ = writeln!(
            out,
            "{:<22} {:>7} {:>7} {:>7} {:>7} {:>7}",
            "all",
            t.pass,
            t.fail,
            t.skip,
            t.known,
            t.total()
        );
        let skips = SkipGroups::of(
            self.cases
                .iter()
                .filter(|c| c.status == Status::Skip)
                .map(|c| (c.name.as_str(), c.detail.as_str())),
        );
        if !skips.groups.is_empty() {
            let hint = if verbose {
                ""
            } else {
                "; `--verbose` names every case"
            };
            let _ = writeln!(out, "\nSkipped here, and why ({}{hint}):", skips.summary());
            skips.render(&mut out, verbose);
        }
        let measured: Vec<&CaseReport> = self
            .cases
            .iter()
            .filter(|c| c.status == Status::Pass && !c.detail.is_empty())
            .collect();
        if !measured.is_empty() {
            let _ = writeln!(out, "\nWhat passing cases measured ({}):", measured.len());
            for c in measured {
                let _ = writeln!(out, "  {}: {}", c.name, c.detail);
            }
        }
        for (status, title) in [
            (Status::KnownFailure, "Known failures (failed as recorded)"),
            (Status::Fail, "FAILURES"),
        ] {
            let list: Vec<&CaseReport> = self.cases.iter().filter(|c| c.status == status).collect();
            if list.is_empty() {
                continue;
            }
            let _ = writeln!(out, "\n{title} ({}):", list.len());
            for c in list {
                let _ = writeln!(out, "  {}: {}", c.name, c.detail);
            }
        }
        let verdict = if t.fail == 0 {
            "CONFORMS"
        } else {
            "DOES NOT CONFORM"
        };
        let _ = writeln!(
            out,
            "\n{verdict}: {} passed, {} failed, {} skipped, {} known failures",
            t.pass, t.fail, t.skip, t.known
        );
        out
    }
}

/// How many case names a skip reason shows unless the listing is verbose.
const NAMES_SHOWN: usize = 3;

/// Skipped cases grouped by reason, for people: one line per reason with the count and the
/// first few names (every name when verbose). Both front ends print skips this way.
///
/// A reason written `GENERAL; SPECIFIC` is grouped by its general part: the text after the
/// first `; ` says what differs from case to case (`…; vector has key 128, nonce 96, tag 128
/// bits`), and shows in the verbose listing beside each name.
#[derive(Debug, Default)]
pub struct SkipGroups<'a> {
    /// In order of size, then of first appearance.
    pub groups: Vec<SkipGroup<'a>>,
}

/// The skipped cases that share a reason.
#[derive(Debug)]
pub struct SkipGroup<'a> {
    /// The reason, or its general part when the cases' reasons differ after the `; `.
    pub reason: &'a str,
    /// Each case's name and its whole reason, in the order given.
    pub cases: Vec<(&'a str, &'a str)>,
}

impl<'a> SkipGroups<'a> {
    /// Groups `(name, reason)` pairs.
    pub fn of(skips: impl IntoIterator<Item = (&'a str, &'a str)>) -> SkipGroups<'a> {
        let mut groups: Vec<SkipGroup<'a>> = Vec::new();
        for (name, reason) in skips {
            let general = reason.split_once("; ").map_or(reason, |(g, _)| g);
            match groups.iter_mut().find(|g| g.reason == general) {
                Some(g) => g.cases.push((name, reason)),
                None => groups.push(SkipGroup {
                    reason: general,
                    cases: vec![(name, reason)],
                }),
            }
        }
        // Stable: equal sizes keep their first appearance's order.
        groups.sort_by_key(|g| std::cmp::Reverse(g.cases.len()));
        SkipGroups { groups }
    }

    /// `273 cases, 4 reasons`.
    pub fn summary(&self) -> String {
        let cases: usize = self.groups.iter().map(|g| g.cases.len()).sum();
        let plural =
            |n: usize, one: &str, many: &str| format!("{n} {}", if n == 1 { one } else { many });
        format!(
            "{}, {}",
            plural(cases, "case", "cases"),
            plural(self.groups.len(), "reason", "reasons")
        )
    }

    /// Appends one line per reason: `  COUNT  REASON: NAME, NAME, NAME and N more`; when
    /// `verbose`, the reason line is followed by every name (with its specific part).
    pub fn render(&self, out: &mut String, verbose: bool) {
        for g in &self.groups {
            let _ = write!(out, "  {:>5}  {}", g.cases.len(), g.display_reason());
            if verbose {
                let _ = writeln!(out, ":");
                for &(name, reason) in &g.cases {
                    match reason.split_once("; ") {
                        Some((_, specific)) if g.varies() => {
                            let _ = writeln!(out, "           {name}: {specific}");
                        }
                        _ => {
                            let _ = writeln!(out, "           {name}");
                        }
                    }
                }
                continue;
            }
            let shown: Vec<&str> = g.cases.iter().take(NAMES_SHOWN).map(|c| c.0).collect();
            let _ = write!(out, ": {}", shown.join(", "));
            match g.cases.len().saturating_sub(NAMES_SHOWN) {
                0 => {}
                more => {
                    let _ = write!(out, " and {more} more");
                }
            }
            let _ = writeln!(out);
        }
    }
}

impl SkipGroup<'_> {
    /// True when the cases' whole reasons are not all the same.
    fn varies(&self) -> bool {
        self.cases.iter().any(|c| c.1 != self.cases[0].1)
    }

    /// The whole reason when every case has it, else the general part and how many variants.
    fn display_reason(&self) -> String {
        if !self.varies() {
            return self.cases[0].1.to_string();
        }
        let mut variants: Vec<&str> = self.cases.iter().map(|c| c.1).collect();
        variants.sort_unstable();
        variants.dedup();
        format!("{}; … ({} variants)", self.reason, variants.len())
    }
}

/// Merges reports of several platforms into one markdown matrix: counts per area and platform
/// (the machine-code column in a row of its own under each area that has one), then every case whose status is not `pass` on at least one platform.
pub fn merge_markdown(reports: &[Report]) -> String {
    let mut out = String::from("# Neurlang conformance matrix\n\n");
    let labels: Vec<String> = reports.iter().map(|r| r.host.label()).collect();
    let _ = writeln!(out, "| area | {} |", labels.join(" | "));
    let _ = writeln!(out, "|---|{}", "---|".repeat(labels.len()));
    let mut areas: Vec<String> = reports
        .iter()
        .flat_map(|r| r.by_area().into_keys())
        .collect();
    areas.sort();
    areas.dedup();
    let cell = |c: Option<&Counts>| match c {
        None => "—".to_string(),
        Some(c) => {
            let mut s = format!("{} ✅", c.pass);
            if c.fail > 0 {
                let _ = write!(s, " {} ❌", c.fail);
            }
            if c.skip > 0 {
                let _ = write!(s, " {} skipped", c.skip);
            }
            if c.known > 0 {
                let _ = write!(s, " {} known", c.known);
            }
            s
        }
    };
    let per_area: Vec<BTreeMap<String, Counts>> = reports.iter().map(Report::by_area).collect();
    for area in &areas {
        let cells: Vec<String> = per_area.iter().map(|m| cell(m.get(area))).collect();
        let _ = writeln!(out, "| {area} | {} |", cells.join(" | "));
    }
    let totals: Vec<String> = reports.iter().map(|r| cell(Some(&r.totals()))).collect();
    let _ = writeln!(out, "| **all** | {} |", totals.join(" | "));

    let mut names: Vec<&str> = reports
        .iter()
        .flat_map(|r| {
            r.cases
                .iter()
                .filter(|c| c.status != Status::Pass)
                .map(|c| c.name.as_str())
        })
        .collect();
    names.sort();
    names.dedup();
    if !names.is_empty() {
        let _ = writeln!(out, "\n## Cases that did not pass everywhere\n");
        let _ = writeln!(out, "| case | {} |", labels.join(" | "));
        let _ = writeln!(out, "|---|{}", "---|".repeat(labels.len()));
        for name in names {
            let cells: Vec<String> = reports
                .iter()
                .map(|r| match r.cases.iter().find(|c| c.name == name) {
                    None => "—".into(),
                    Some(c) if c.detail.is_empty() => format!("{:?}", c.status).to_lowercase(),
                    // The status in lower case, the reason as written.
                    Some(c) => format!(
                        "{}: {}",
                        format!("{:?}", c.status).to_lowercase(),
                        truncate(&c.detail, 80).replace('|', "\\|")
                    ),
                })
                .collect();
            let _ = writeln!(out, "| `{name}` | {} |", cells.join(" | "));
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    fn report(os: &str, cases: &[(&str, Status, &str)]) -> Report {
        Report {
            schema: SCHEMA,
            host: Host {
                os: os.into(),
                arch: "x86_64".into(),
                runner: "native".into(),
            },
            runtime_version: "0".into(),
            seconds: 0.0,
            cases: cases
                .iter()
                .map(|&(name, status, detail)| CaseReport {
                    name: name.into(),
                    area: "abi".into(),
                    status,
                    detail: detail.into(),
                    ms: 0.0,
                })
                .collect(),
        }
    }

    #[test]
    fn a_case_that_never_finishes_is_a_named_timeout_and_the_run_goes_on() {
        let passes = |name: &str| crate::Case::new("meta", name, || Ok(()));
        let cases = vec![
            passes("before"),
            crate::case::testing::never_finishes("hangs_report"),
            passes("after"),
        ];
        let opts = RunOptions {
            filter: None,
            threads: 1,
            progress: false,
        };
        let r = run(report("linux", &[]).host, cases, &opts);
        let got: Vec<(&str, Status)> = r
            .cases
            .iter()
            .map(|c| (c.name.as_str(), c.status))
            .collect();
        assert_eq!(
            got,
            [
                ("meta.before", Status::Pass),
                ("meta.hangs_report", Status::Fail),
                ("meta.after", Status::Pass),
            ]
        );
        assert!(
            r.cases[1].detail.starts_with("timed out after 1 s"),
            "{}",
            r.cases[1].detail
        );
        assert!(
            r.render_text(false)
                .contains("  meta.hangs_report: timed out after 1 s"),
            "the failure list names the case"
        );
    }

    #[test]
    fn the_machine_code_column_is_a_row_of_its_own_right_after_its_area() {
        let mut r = report(
            "linux",
            &[
                ("abi.a", Status::Pass, ""),
                (
                    "abi.a.mc",
                    Status::Fail,
                    "step 1: machine code gave 0, Rust gave 1",
                ),
                ("abi.b", Status::Pass, ""),
                ("abi.b.mc", Status::Pass, ""),
            ],
        );
        r.cases.push(CaseReport {
            area: "aio".into(),
            ..r.cases[0].clone()
        });
        let rows: Vec<(String, Counts)> = r.by_area().into_iter().collect();
        let row = |pass, fail| Counts {
            pass,
            fail,
            ..Counts::default()
        };
        assert_eq!(
            rows,
            [
                ("abi".into(), row(2, 0)),
                ("abi (machine code)".into(), row(1, 1)),
                ("aio".into(), row(1, 0)),
            ]
        );
        let text = r.render_text(false);
        assert!(
            text.contains("\nabi (machine code)           1       1       0       0       2\n"),
            "{text}"
        );
        let md = merge_markdown(&[r]);
        assert!(
            md.contains("| abi | 2 ✅ |\n| abi (machine code) | 1 ✅ 1 ❌ |\n| aio | 1 ✅ |"),
            "{md}"
        );
    }

    #[test]
    fn matrix_keeps_reasons_as_written() {
        let linux = report(
            "linux",
            &[("abi::a", Status::Pass, ""), ("abi::b", Status::Pass, "")],
        );
        let windows = report(
            "windows",
            &[
                ("abi::a", Status::Skip, "needs O_NOFOLLOW | FILE_FLAG"),
                ("abi::b", Status::Fail, ""),
            ],
        );
        let md = merge_markdown(&[linux, windows]);
        assert!(
            md.contains("| `abi::a` | pass | skip: needs O_NOFOLLOW \\| FILE_FLAG |"),
            "{md}"
        );
        assert!(md.contains("| `abi::b` | pass | fail |"), "{md}");
    }

    #[test]
    fn skips_group_by_reason_with_the_first_names() {
        let mut cases = vec![("pool.a", Status::Skip, "no map-jit here")];
        let names: Vec<String> = (1..=5).map(|i| format!("ext.tc{i}")).collect();
        for (i, n) in names.iter().enumerate() {
            let detail = if i % 2 == 0 {
                "AES-256 only; key 128"
            } else {
                "AES-256 only; key 192"
            };
            cases.push((n.as_str(), Status::Skip, detail));
        }
        cases.push(("abi.x", Status::Fail, "wrong errno"));
        let r = report("linux", &cases);

        let text = r.render_text(false);
        assert!(
            text.contains("Skipped here, and why (6 cases, 2 reasons;"),
            "{text}"
        );
        let lines: Vec<&str> = text.lines().filter(|l| l.starts_with("  ")).collect();
        assert_eq!(
            lines,
            [
                "      5  AES-256 only; … (2 variants): ext.tc1, ext.tc2, ext.tc3 and 2 more",
                "      1  no map-jit here: pool.a",
                "  abi.x: wrong errno",
            ],
            "{text}"
        );

        let verbose = r.render_text(true);
        assert!(
            verbose.contains("           ext.tc5: key 128\n"),
            "{verbose}"
        );
        assert!(verbose.contains("           pool.a\n"), "{verbose}");
    }
}
