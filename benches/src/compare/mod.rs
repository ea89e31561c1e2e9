//! The nginx comparison driver (`nginx-compare`, run by `ci/nginx-compare.sh`): nginx and the
//! server under test, same worker count, both on 127.0.0.1 pinned to CPU 0, loaded from CPU 1
//! in interleaved rounds of keep-alive (wrk) and connection-per-request (ab) load; reports
//! requests/s, requests per server CPU-second and p99 latency, and ours/nginx ratios computed per
//! round. Linux only (`/proc`, `taskset`).

pub mod chart;
pub mod load;
pub mod procfs;
pub mod report;
pub mod server;
pub mod stats;

use std::fs;
use std::path::PathBuf;
use std::process::{Command, ExitCode};
use std::sync::atomic::{AtomicBool, Ordering};
use std::time::{Duration, SystemTime};

use load::Mode;
use report::{Meta, Results, Run};
use server::{LOAD_CPU, Launch, SERVER_CPU, Server};

/// The default command of the server under test.
pub const DEFAULT_SERVER: &str =
    "target/release/neurlang-server --port {port} --workers {workers} --strategy auto";

const USAGE: &str = "\
usage: nginx-compare [--workers 1,2] [--rounds 5] [--duration 10] [--ab-requests 20000]
                     [--server CMD] [--name NAME] [--also NAME=CMD]... [--nginx-listen OPTS]
                     [--out ci/out]

  --workers LIST     worker counts, each run with the same count for both servers (default 1,2)
  --rounds N         interleaved rounds per worker count and load (default 5)
  --duration SECS    length of each wrk run (default 10)
  --ab-requests N    requests of each ab run (default 20000)
  --server CMD       the server under test, split on whitespace, {port} and {workers} replaced
                     (default: target/release/neurlang-server --port {port} --workers {workers}
                     --strategy auto); `nginx` runs a second nginx (a self-comparison that shows
                     the noise of the machine)
  --name NAME        its name in the report (default neurlang, or nginx-2 with --server nginx)
  --also NAME=CMD    one more server in the same interleaved rounds (repeatable), as --server;
                     e.g. the ceiling programs: --also 'ceiling-epoll=target/release/ceiling-epoll
                     {port}' (they ignore the worker count)
  --nginx-listen OPTS  parameters added to nginx's `listen` directive, e.g. \"deferred reuseport\"
                     (the kernel features this server uses on Linux; default: none, nginx's defaults)
  --out DIR          where nginx-compare.json, nginx-compare.md and nginx-compare.svg (the
                     requests per server CPU-second as a bar chart) go (default ci/out)";

/// The command-line options.
#[derive(Debug, Clone, PartialEq)]
pub struct Options {
    pub workers: Vec<usize>,
    pub rounds: usize,
    pub duration: u32,
    pub ab_requests: u64,
    pub server: String,
    pub name: String,
    /// More servers: (name, command).
    pub also: Vec<(String, String)>,
    pub nginx_listen: String,
    pub out: PathBuf,
}

impl Options {
    /// Parses the arguments (without the program name); `Ok(None)` for `--help`.
    pub fn parse(args: &[String]) -> Result<Option<Options>, String> {
        let mut o = Options {
            workers: vec![1, 2],
            rounds: 5,
            duration: 10,
            ab_requests: 20_000,
            server: DEFAULT_SERVER.into(),
            name: String::new(),
            also: Vec::new(),
            nginx_listen: String::new(),
            out: PathBuf::from("ci/out"),
        };
        let mut it = args.iter();
        while let Some(flag) = it.next() {
            if flag == "-h" || flag == "--help" {
                return Ok(None);
            }
            let value = it.next().ok_or_else(|| format!("{flag} needs a value"))?;
            let positive = |what: &str| -> Result<u64, String> {
                match value.parse::<u64>() {
                    Ok(n) if n > 0 => Ok(n),
                    _ => Err(format!(
                        "{what}: expected a positive integer, got {value:?}"
                    )),
                }
            };
            match flag.as_str() {
                "--workers" => {
                    o.workers = value
                        .split(',')
                        .map(|w| match w.trim().parse::<usize>() {
                            Ok(n) if n > 0 => Ok(n),
                            _ => Err(format!("--workers: bad worker count {w:?} in {value:?}")),
                        })
                        .collect::<Result<_, _>>()?;
                }
                "--rounds" => o.rounds = positive("--rounds")? as usize,
                "--duration" => {
                    o.duration = u32::try_from(positive("--duration")?)
                        .map_err(|_| "--duration: too long".to_string())?
                }
                "--ab-requests" => o.ab_requests = positive("--ab-requests")?,
                "--server" => o.server = value.clone(),
                "--name" => o.name = value.clone(),
                "--also" => {
                    let (name, cmd) = value
                        .split_once('=')
                        .filter(|(n, c)| !n.is_empty() && !c.is_empty())
                        .ok_or_else(|| format!("--also: expected NAME=CMD, got {value:?}"))?;
                    o.also.push((name.to_string(), cmd.to_string()));
                }
                "--nginx-listen" => o.nginx_listen = value.clone(),
                "--out" => o.out = PathBuf::from(value),
                _ => return Err(format!("unknown option {flag}")),
            }
        }
        if o.ab_requests < u64::from(load::CONNECTIONS) {
            return Err(format!(
                "--ab-requests: ab needs at least as many requests as connections ({})",
                load::CONNECTIONS
            ));
        }
        if o.name.is_empty() {
            o.name = if o.server == "nginx" {
                "nginx-2"
            } else {
                "neurlang"
            }
            .into();
        }
        let mut names = vec!["nginx"];
        for name in std::iter::once(&o.name).chain(o.also.iter().map(|(n, _)| n)) {
            // A name is part of the server's scratch directory's path.
            let plain = |c: char| c.is_ascii_alphanumeric() || "-_.".contains(c);
            if name.starts_with('.') || !name.chars().all(plain) {
                return Err(format!(
                    "server name {name:?}: letters, digits, '-', '_' and '.' (not first) only"
                ));
            }
            if names.contains(&name.as_str()) {
                return Err(format!(
                    "server name {name:?} used twice (nginx is the reference's)"
                ));
            }
            names.push(name);
        }
        Ok(Some(o))
    }
}

static INTERRUPTED: AtomicBool = AtomicBool::new(false);

extern "C" fn on_signal(_: libc::c_int) {
    INTERRUPTED.store(true, Ordering::Relaxed);
}

/// SIGINT and SIGTERM only set a flag: the driver then stops, and the servers are stopped as
/// they are dropped.
#[allow(unsafe_code)] // signal(2) through libc
fn install_interrupt_handler() {
    let handler = on_signal as extern "C" fn(libc::c_int) as libc::sighandler_t;
    for sig in [libc::SIGINT, libc::SIGTERM] {
        // SAFETY: the handler only stores to an atomic, which is async-signal-safe.
        unsafe { libc::signal(sig, handler) };
    }
}

fn check_interrupted() -> Result<(), String> {
    if INTERRUPTED.load(Ordering::Relaxed) {
        Err("interrupted".into())
    } else {
        Ok(())
    }
}

/// Why the comparison cannot run on this machine, if it cannot.
pub fn missing_prerequisite() -> Option<String> {
    for tool in ["nginx", "wrk", "ab", "taskset"] {
        if server::find_tool(tool).is_none() {
            return Some(format!(
                "{tool} is not installed (ci/nginx-compare.sh installs nginx, wrk and \
                 apache2-utils)"
            ));
        }
    }
    let cpus = std::thread::available_parallelism().map_or(1, |n| n.get());
    if cpus < 2 {
        return Some(format!(
            "{cpus} CPU available: the server and the load generator need one each"
        ));
    }
    None
}

/// The driver's `main`.
pub fn main() -> ExitCode {
    let args: Vec<String> = std::env::args().skip(1).collect();
    let opts = match Options::parse(&args) {
        Ok(Some(o)) => o,
        Ok(None) => {
            println!("{USAGE}");
            return ExitCode::SUCCESS;
        }
        Err(e) => {
            eprintln!("nginx-compare: {e}\n{USAGE}");
            return ExitCode::from(2);
        }
    };
    if let Some(why) = missing_prerequisite() {
        println!("nginx-compare: SKIPPED: {why}");
        return ExitCode::SUCCESS;
    }
    install_interrupt_handler();
    match drive(&opts, &args) {
        Ok(()) => ExitCode::SUCCESS,
        Err(e) => {
            eprintln!("nginx-compare: error: {e}");
            ExitCode::FAILURE
        }
    }
}

/// The first line a tool prints for its version flag.
fn version(tool: &str, flag: &str) -> String {
    let out = Command::new(server::find_tool(tool).unwrap_or_else(|| tool.into()))
        .arg(flag)
        .output();
    let text = out.map_or_else(
        |e| e.to_string(),
        |o| String::from_utf8_lossy(&[o.stdout, o.stderr].concat()).into_owned(),
    );
    let line = text.lines().map(str::trim).find(|l| !l.is_empty());
    line.unwrap_or("unknown").to_string()
}

fn meta(opts: &Options, args: &[String]) -> Meta {
    let machine = crate::machine::Machine::current();
    let now = SystemTime::now().duration_since(SystemTime::UNIX_EPOCH);
    let nginx = version("nginx", "-v");
    let wrk = version("wrk", "-v");
    let ab = version("ab", "-V");
    Meta {
        // ci/nginx-compare.sh says how it was called; run directly, the driver's own arguments.
        command: std::env::var("NEURLANG_COMPARE_COMMAND")
            .unwrap_or_else(|_| format!("nginx-compare {}", args.join(" ")).trim().into()),
        date: stats::utc_date(now.map_or(0, |d| d.as_secs())),
        nginx: nginx.trim_start_matches("nginx version: ").to_string(),
        wrk: wrk.split(" Copyright").next().unwrap_or(&wrk).to_string(),
        ab: ab
            .trim_start_matches("This is ")
            .replace(", Version", "")
            .replace(" <$Revision$>", ""),
        kernel: machine.kernel.trim_start_matches("Linux ").to_string(),
        cpu: machine.cpu,
        cores: machine.cores,
        server_command: opts.server.clone(),
        also: opts.also.iter().map(|(n, c)| format!("{n}={c}")).collect(),
        nginx_listen: opts.nginx_listen.clone(),
        rounds: opts.rounds,
        wrk_seconds: opts.duration,
        ab_requests: opts.ab_requests,
        connections: load::CONNECTIONS,
        server_cpu: SERVER_CPU,
        load_cpu: LOAD_CPU,
    }
}

/// One load run against `server`, with its CPU time.
fn measure(
    server: &mut Server,
    opts: &Options,
    mode: Mode,
    duration: u32,
    key: (usize, usize, bool),
) -> Result<Run, String> {
    let argv = load::command(mode, &server.url(), duration, opts.ab_requests);
    let limit = Duration::from_secs(match mode {
        Mode::KeepAlive => u64::from(duration) + 30,
        Mode::ConnectionPerRequest => 600,
    });
    let n = opts.ab_requests;
    let parse = |out: &str| match mode {
        Mode::KeepAlive => load::parse_wrk(out),
        Mode::ConnectionPerRequest => load::parse_ab(out, n),
    };
    let before = server.cpu_seconds()?;
    let report = load::run(&argv, LOAD_CPU, server.dir(), limit, &INTERRUPTED, parse);
    let after = server.cpu_seconds()?;
    check_interrupted()?;
    server.check_alive()?;
    let (workers, round, first) = key;
    let key = (workers, mode, server.name(), round, first);
    Ok(Run::new(key, report, after - before))
}

fn drive(opts: &Options, args: &[String]) -> Result<(), String> {
    let nginx = Launch::Nginx(
        server::find_tool("nginx").ok_or("nginx vanished")?,
        opts.nginx_listen.clone(),
    );
    let launch = |cmd: &str| {
        if cmd == "nginx" {
            return Ok(nginx.clone());
        }
        Launch::command(cmd).map_err(|e| {
            format!("{e} (build it with `cargo build --release -p neurlang-server -p neurlang-benches`, or pass --server)")
        })
    };
    // The reference first, then the server under test, then the others.
    let mut launches = vec![("nginx".to_string(), nginx.clone())];
    for (name, cmd) in
        std::iter::once((&opts.name, &opts.server)).chain(opts.also.iter().map(|(n, c)| (n, c)))
    {
        launches.push((name.clone(), launch(cmd)?));
    }
    crate::machine::print();
    let meta = meta(opts, args);
    println!(
        "nginx-compare: {} vs {} ({}), workers {:?}, {} rounds, wrk {} s, ab {} requests",
        launches[1..]
            .iter()
            .map(|(n, _)| n.as_str())
            .collect::<Vec<_>>()
            .join(", "),
        meta.nginx,
        opts.server,
        opts.workers,
        opts.rounds,
        opts.duration,
        opts.ab_requests
    );
    let mut runs = Vec::new();
    for &workers in &opts.workers {
        check_interrupted()?;
        let mut servers = Vec::new();
        for (name, launch) in &launches {
            servers.push(Server::start(name, launch, workers)?);
        }
        for s in &servers[1..] {
            server::check_same_responses(&servers[0], s)?;
            println!(
                "workers {workers}: nginx on port {}, {} on port {}: same responses",
                servers[0].port(),
                s.name(),
                s.port(),
            );
        }
        // A short unrecorded warm-up of each server.
        for s in &mut servers {
            measure(s, opts, Mode::KeepAlive, 1, (workers, 0, false))?;
        }
        for round in 0..opts.rounds {
            for mode in Mode::ALL {
                // Rounds alternate between a rotation of the servers and its reverse, so that
                // no server always runs first, or always right after the same one.
                let n = servers.len();
                let order = (0..n).map(|k| (k + round / 2) % n);
                let order: Vec<usize> = if round % 2 == 0 {
                    order.collect()
                } else {
                    order.rev().collect()
                };
                for (pos, i) in order.into_iter().enumerate() {
                    let key = (workers, round, pos == 0);
                    let run = measure(&mut servers[i], opts, mode, opts.duration, key)?;
                    println!(
                        "  round {}/{} {:<22} {:<9} {:>9.0} req/s {:>9.0} req/CPU-s p99 {:>7.2} ms{}",
                        round + 1,
                        opts.rounds,
                        mode.label(),
                        run.server,
                        run.requests_per_sec,
                        run.requests_per_cpu_second,
                        run.p99_ms,
                        if run.ok {
                            String::new()
                        } else {
                            format!("  FAILED: {}", run.problems.join("; "))
                        }
                    );
                    runs.push(run);
                }
            }
        }
        for s in &mut servers {
            if let Some(warning) = s.stop() {
                eprintln!("warning: {warning}");
            }
        }
    }
    let others: Vec<&str> = launches[1..].iter().map(|(n, _)| n.as_str()).collect();
    let (summaries, ratios) = report::summarize(&runs, "nginx", &others);
    let results = Results {
        meta,
        summaries,
        ratios,
        runs,
    };
    println!("\n{}", report::table(&results.summaries, &results.ratios));
    fs::create_dir_all(&opts.out).map_err(|e| format!("creating {:?}: {e}", opts.out))?;
    let json = serde_json::to_string_pretty(&results).map_err(|e| e.to_string())?;
    for (file, text) in [
        ("nginx-compare.json", json + "\n"),
        ("nginx-compare.md", report::markdown(&results)),
        ("nginx-compare.svg", chart::svg(&results.summaries)),
    ] {
        let path = opts.out.join(file);
        fs::write(&path, text).map_err(|e| format!("writing {path:?}: {e}"))?;
        println!("wrote {}", path.display());
    }
    let failed = results.runs.iter().filter(|r| !r.ok).count();
    if failed > 0 {
        return Err(format!("{failed} runs failed (see the report)"));
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    fn args(s: &str) -> Vec<String> {
        s.split_whitespace().map(String::from).collect()
    }

    #[test]
    fn options() {
        let o = Options::parse(&[]).unwrap().unwrap();
        assert_eq!(
            (o.workers.as_slice(), o.rounds, o.duration),
            (&[1, 2][..], 5, 10)
        );
        assert_eq!((o.ab_requests, o.name.as_str()), (20_000, "neurlang"));
        let o = Options::parse(&args("--workers 2 --rounds 2 --duration 3 --server nginx"))
            .unwrap()
            .unwrap();
        assert_eq!(
            (o.workers.as_slice(), o.rounds, o.duration),
            (&[2][..], 2, 3)
        );
        assert_eq!((o.server.as_str(), o.name.as_str()), ("nginx", "nginx-2"));
        let o = Options::parse(&args("--also a=x --also b=y"))
            .unwrap()
            .unwrap();
        assert_eq!(
            o.also,
            [("a".to_string(), "x".to_string()), ("b".into(), "y".into())]
        );
        assert_eq!(Options::parse(&args("--help")).unwrap(), None);
        for bad in [
            "--rounds 0",
            "--workers 1,x",
            "--duration",
            "--bogus 1",
            "--name nginx",
            "--also ceiling",
            "--also =x",
            "--also neurlang=x",
            "--also a=x --also a=y",
            "--also ../x=y",
            "--name a/b",
            "--also .hidden=y",
        ] {
            assert!(Options::parse(&args(bad)).is_err(), "{bad}");
        }
    }
}
