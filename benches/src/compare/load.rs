//! The load generators: wrk (keep-alive) and ab (a new connection per request), pinned to the
//! load CPU, and parsers of their reports.

use std::fs::{self, File};
use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};
use std::sync::atomic::{AtomicBool, Ordering};
use std::thread;
use std::time::{Duration, Instant};

use serde::Serialize;

/// Concurrent connections of both load generators.
pub const CONNECTIONS: u32 = 50;

/// The two kinds of load.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
pub enum Mode {
    /// `wrk -t1 -c50 -d{secs}s --latency`: persistent connections.
    #[serde(rename = "keep-alive")]
    KeepAlive,
    /// `ab -q -n {n} -c 50` without `-k`: HTTP/1.0, one connection per request.
    #[serde(rename = "connection-per-request")]
    ConnectionPerRequest,
}

impl Mode {
    pub const ALL: [Mode; 2] = [Mode::KeepAlive, Mode::ConnectionPerRequest];

    pub fn label(self) -> &'static str {
        match self {
            Mode::KeepAlive => "keep-alive (wrk)",
            Mode::ConnectionPerRequest => "conn-per-request (ab)",
        }
    }
}

/// What one load run measured, as the load generator reported it.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Report {
    /// Requests completed.
    pub requests: u64,
    pub requests_per_sec: f64,
    /// The 99th percentile latency in milliseconds (ab reports whole milliseconds).
    pub p99_ms: f64,
    /// Problems that make the run count as failed (non-2xx answers, socket errors, failed
    /// requests); empty for a clean run.
    pub problems: Vec<String>,
}

/// Parses wrk 4.x output of a `--latency` run.
pub fn parse_wrk(out: &str) -> Result<Report, String> {
    let mut requests = None;
    let mut rps = None;
    let mut p99 = None;
    let mut problems = Vec::new();
    for line in out.lines().map(str::trim) {
        if let Some(v) = line.strip_prefix("Requests/sec:") {
            rps = Some(number(v, "wrk Requests/sec")?);
        } else if let Some(v) = line.strip_prefix("99%") {
            p99 = Some(wrk_duration_ms(v.trim())?);
        } else if let Some(v) = line.strip_prefix("Non-2xx or 3xx responses:") {
            problems.push(format!("{} non-2xx/3xx responses", v.trim()));
        } else if let Some(v) = line.strip_prefix("Socket errors:") {
            problems.push(format!("socket errors:{v}"));
        } else if line.contains(" requests in ") {
            let n = line.split_whitespace().next().unwrap_or("");
            requests = Some(
                n.parse()
                    .map_err(|_| format!("wrk: bad request count in {line:?}"))?,
            );
        }
    }
    let missing = |what| format!("wrk output has no {what} line:\n{out}");
    let requests = requests.ok_or_else(|| missing("'N requests in'"))?;
    if requests == 0 {
        problems.push("no request completed".into());
    }
    Ok(Report {
        requests,
        requests_per_sec: rps.ok_or_else(|| missing("Requests/sec"))?,
        p99_ms: p99.ok_or_else(|| missing("99% latency (was --latency given?)"))?,
        problems,
    })
}

/// A wrk duration such as `204.00us`, `9.22ms`, `1.05s` or `2.00m`, in milliseconds.
fn wrk_duration_ms(s: &str) -> Result<f64, String> {
    let split = s.find(|c: char| c.is_ascii_alphabetic()).unwrap_or(s.len());
    let (value, unit) = s.split_at(split);
    let v = number(value, "wrk latency")?;
    match unit {
        "us" => Ok(v / 1e3),
        "ms" => Ok(v),
        "s" => Ok(v * 1e3),
        "m" => Ok(v * 60e3),
        "h" => Ok(v * 3600e3),
        _ => Err(format!("wrk: unknown time unit in {s:?}")),
    }
}

/// Parses `ab -q` output of a run of `expected` requests.
pub fn parse_ab(out: &str, expected: u64) -> Result<Report, String> {
    let mut complete = None;
    let mut failed = None;
    let mut rps = None;
    let mut p99 = None;
    let mut problems = Vec::new();
    for line in out.lines().map(str::trim) {
        if let Some(v) = line.strip_prefix("Complete requests:") {
            complete = Some(number(v, "ab Complete requests")? as u64);
        } else if let Some(v) = line.strip_prefix("Failed requests:") {
            failed = Some(number(v, "ab Failed requests")? as u64);
        } else if let Some(v) = line.strip_prefix("Non-2xx responses:") {
            problems.push(format!("{} non-2xx responses", v.trim()));
        } else if let Some(v) = line.strip_prefix("Write errors:") {
            if number(v, "ab Write errors")? > 0.0 {
                problems.push(format!("{} write errors", v.trim()));
            }
        } else if line.starts_with("(Connect:") {
            problems.push(format!("failed requests by kind {line}"));
        } else if let Some(v) = line.strip_prefix("Requests per second:") {
            let v = v.split('[').next().unwrap_or("");
            rps = Some(number(v, "ab Requests per second")?);
        } else if let Some(v) = line.strip_prefix("99%") {
            p99 = Some(number(v, "ab 99% percentile")?);
        }
    }
    let missing = |what| format!("ab output has no {what} line:\n{out}");
    let complete = complete.ok_or_else(|| missing("Complete requests"))?;
    let failed = failed.ok_or_else(|| missing("Failed requests"))?;
    if failed > 0 {
        problems.insert(0, format!("{failed} failed requests"));
    }
    if complete != expected {
        problems.push(format!("{complete} of {expected} requests completed"));
    }
    Ok(Report {
        requests: complete,
        requests_per_sec: rps.ok_or_else(|| missing("Requests per second"))?,
        p99_ms: p99.ok_or_else(|| missing("99% percentile"))?,
        problems,
    })
}

fn number(s: &str, what: &str) -> Result<f64, String> {
    s.trim()
        .parse()
        .map_err(|_| format!("{what}: not a number: {:?}", s.trim()))
}

/// The argument vector of one load run against `url` (the CPU pinning not included).
pub fn command(mode: Mode, url: &str, secs: u32, ab_requests: u64) -> Vec<String> {
    let c = CONNECTIONS.to_string();
    match mode {
        Mode::KeepAlive => ["wrk", "-t1", &format!("-c{c}"), &format!("-d{secs}s")]
            .into_iter()
            .chain(["--latency", url])
            .map(String::from)
            .collect(),
        Mode::ConnectionPerRequest => ["ab", "-q", "-n", &ab_requests.to_string(), "-c", &c, url]
            .into_iter()
            .map(String::from)
            .collect(),
    }
}

/// Runs one load run pinned to `cpu` and parses its report. `dir` receives the output file.
/// Gives up (killing the load generator) when `interrupted` becomes true or after `limit`.
/// An `Err` is a run that produced no report (the load generator failed or was stopped).
pub fn run(
    argv: &[String],
    cpu: usize,
    dir: &Path,
    limit: Duration,
    interrupted: &AtomicBool,
    parse: impl Fn(&str) -> Result<Report, String>,
) -> Result<Report, String> {
    let out_path: PathBuf = dir.join("load.out");
    let out = File::create(&out_path).map_err(|e| format!("creating {out_path:?}: {e}"))?;
    let err = out.try_clone().map_err(|e| e.to_string())?;
    let mut child = Command::new("taskset")
        .arg("-c")
        .arg(cpu.to_string())
        .args(argv)
        .stdin(Stdio::null())
        .stdout(out)
        .stderr(err)
        .spawn()
        .map_err(|e| format!("starting {}: {e}", argv[0]))?;
    let start = Instant::now();
    let status = loop {
        match child.try_wait().map_err(|e| e.to_string())? {
            Some(status) => break status,
            None if interrupted.load(Ordering::Relaxed) || start.elapsed() > limit => {
                let _ = child.kill();
                let _ = child.wait();
                return Err(if start.elapsed() > limit {
                    format!("{} did not finish within {limit:?}", argv[0])
                } else {
                    "interrupted".into()
                });
            }
            None => thread::sleep(Duration::from_millis(10)),
        }
    };
    let text = fs::read_to_string(&out_path).map_err(|e| format!("reading {out_path:?}: {e}"))?;
    if !status.success() {
        return Err(format!("{} failed ({status}): {}", argv[0], text.trim()));
    }
    parse(&text)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn wrk_clean_run() {
        let r = parse_wrk(include_str!("fixtures/wrk-ok.txt")).unwrap();
        assert_eq!(r.requests, 144_450);
        assert_eq!(r.requests_per_sec, 71_680.09);
        assert_eq!(r.p99_ms, 9.22);
        assert!(r.problems.is_empty());
    }

    #[test]
    fn wrk_non_2xx_and_socket_errors_are_problems() {
        let r = parse_wrk(include_str!("fixtures/wrk-non2xx.txt")).unwrap();
        assert_eq!(r.requests, 163_500);
        assert_eq!(r.p99_ms, 8.13);
        assert_eq!(r.problems, ["163500 non-2xx/3xx responses"]);

        let r = parse_wrk(include_str!("fixtures/wrk-socket-errors.txt")).unwrap();
        assert_eq!((r.requests, r.requests_per_sec, r.p99_ms), (0, 0.0, 0.0));
        assert_eq!(
            r.problems,
            [
                "socket errors: connect 0, read 29161, write 0, timeout 0",
                "no request completed"
            ]
        );
    }

    #[test]
    fn wrk_units_and_bad_output() {
        assert_eq!(wrk_duration_ms("204.00us").unwrap(), 0.204);
        assert_eq!(wrk_duration_ms("1.50s").unwrap(), 1500.0);
        assert_eq!(wrk_duration_ms("2.00m").unwrap(), 120_000.0);
        assert!(wrk_duration_ms("3.0fortnights").is_err());
        let no_latency = include_str!("fixtures/wrk-ok.txt").replace("99%", "98%");
        assert!(parse_wrk(&no_latency).unwrap_err().contains("--latency"));
        assert!(parse_wrk("unable to connect to 127.0.0.1:1 Connection refused").is_err());
    }

    #[test]
    fn ab_clean_run() {
        let r = parse_ab(include_str!("fixtures/ab-ok.txt"), 3000).unwrap();
        assert_eq!(r.requests, 3000);
        assert_eq!(r.requests_per_sec, 18_873.38);
        assert_eq!(r.p99_ms, 7.0);
        assert!(r.problems.is_empty());
    }

    #[test]
    fn ab_failures_are_problems() {
        let r = parse_ab(include_str!("fixtures/ab-non2xx.txt"), 2000).unwrap();
        assert_eq!((r.requests, r.p99_ms), (2000, 2.0));
        assert_eq!(r.problems, ["2000 non-2xx responses"]);

        let r = parse_ab(include_str!("fixtures/ab-failed.txt"), 2000).unwrap();
        assert_eq!(
            r.problems,
            [
                "1991 failed requests",
                "failed requests by kind (Connect: 0, Receive: 0, Length: 1991, Exceptions: 0)"
            ]
        );

        let r = parse_ab(include_str!("fixtures/ab-ok.txt"), 5000).unwrap();
        assert_eq!(r.problems, ["3000 of 5000 requests completed"]);
        assert!(parse_ab("apr_socket_recv: Connection refused (111)", 10).is_err());
    }

    #[test]
    fn commands() {
        let url = "http://127.0.0.1:8080/";
        assert_eq!(
            command(Mode::KeepAlive, url, 10, 0),
            ["wrk", "-t1", "-c50", "-d10s", "--latency", url]
        );
        assert_eq!(
            command(Mode::ConnectionPerRequest, url, 10, 20_000),
            ["ab", "-q", "-n", "20000", "-c", "50", url]
        );
    }
}
