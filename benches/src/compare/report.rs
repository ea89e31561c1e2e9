//! The results: every run, the per-server summaries, the per-round ratios, and their JSON and
//! markdown forms.

use serde::Serialize;

use super::load::{Mode, Report};
use super::stats::{Spread, median};

/// One load run against one server.
#[derive(Debug, Clone, Serialize)]
pub struct Run {
    pub workers: usize,
    pub mode: Mode,
    pub server: String,
    pub round: usize,
    /// Whether this server was loaded first in its round.
    pub first: bool,
    /// No problem: every request completed with a 2xx answer.
    pub ok: bool,
    pub problems: Vec<String>,
    pub requests: u64,
    pub requests_per_sec: f64,
    pub p99_ms: f64,
    /// Server CPU time (user + system, all its processes and threads) during the run.
    pub cpu_seconds: f64,
    pub requests_per_cpu_second: f64,
}

impl Run {
    /// A run from the load generator's report (or the reason there is none) and the server CPU
    /// time it took.
    pub fn new(
        (workers, mode, server, round, first): (usize, Mode, &str, usize, bool),
        report: Result<Report, String>,
        cpu_seconds: f64,
    ) -> Run {
        let (report, mut problems) = match report {
            Ok(r) => {
                let p = r.problems.clone();
                (Some(r), p)
            }
            Err(e) => (None, vec![e]),
        };
        let requests = report.as_ref().map_or(0, |r| r.requests);
        if report.is_some() && cpu_seconds <= 0.0 {
            problems.push("no server CPU time measured (the run is too short)".into());
        }
        Run {
            workers,
            mode,
            server: server.to_string(),
            round,
            first,
            ok: problems.is_empty(),
            problems,
            requests,
            requests_per_sec: report.as_ref().map_or(0.0, |r| r.requests_per_sec),
            p99_ms: report.as_ref().map_or(0.0, |r| r.p99_ms),
            cpu_seconds,
            requests_per_cpu_second: if cpu_seconds > 0.0 {
                requests as f64 / cpu_seconds
            } else {
                0.0
            },
        }
    }
}

/// One server's rounds of one (workers, mode), failed runs left out.
#[derive(Debug, Clone, Serialize)]
pub struct ServerSummary {
    pub workers: usize,
    pub mode: Mode,
    pub server: String,
    pub runs_ok: usize,
    pub runs_failed: usize,
    pub requests_per_sec: Option<Spread>,
    pub requests_per_cpu_second: Option<Spread>,
    pub p99_ms_median: Option<f64>,
}

/// ours / reference for one (workers, mode): the medians over the rounds where both runs
/// succeeded of the per-round ratios (the rounds are interleaved, so each round's two runs saw
/// the same machine state).
#[derive(Debug, Clone, Serialize)]
pub struct Ratio {
    pub workers: usize,
    pub mode: Mode,
    pub ours: String,
    pub reference: String,
    /// Rounds where both runs succeeded.
    pub rounds: usize,
    pub requests_per_sec: Option<f64>,
    pub requests_per_cpu_second: Option<f64>,
    /// Lower is better for latency: below 1 means ours has the lower p99.
    pub p99: Option<f64>,
}

/// Everything written to the JSON file.
#[derive(Debug, Clone, Serialize)]
pub struct Results {
    pub meta: Meta,
    pub summaries: Vec<ServerSummary>,
    pub ratios: Vec<Ratio>,
    pub runs: Vec<Run>,
}

/// Where and how the comparison ran.
#[derive(Debug, Clone, Serialize)]
pub struct Meta {
    pub command: String,
    pub date: String,
    pub nginx: String,
    pub wrk: String,
    pub ab: String,
    pub kernel: String,
    pub cpu: String,
    /// Cores the driver could run on.
    pub cores: usize,
    pub server_command: String,
    /// More servers (`--also`), as `NAME=CMD`.
    pub also: Vec<String>,
    /// Parameters added to nginx's `listen` directive (empty: its defaults).
    pub nginx_listen: String,
    pub rounds: usize,
    pub wrk_seconds: u32,
    pub ab_requests: u64,
    pub connections: u32,
    pub server_cpu: usize,
    pub load_cpu: usize,
}

/// Summaries and ratios of `runs` for each (workers, mode), in the order the runs came: per
/// key, the reference's summary and then each of `others`' in order, and a ratio of each of
/// `others` to the reference.
pub fn summarize(
    runs: &[Run],
    reference: &str,
    others: &[&str],
) -> (Vec<ServerSummary>, Vec<Ratio>) {
    let mut keys: Vec<(usize, Mode)> = Vec::new();
    for r in runs {
        if !keys.contains(&(r.workers, r.mode)) {
            keys.push((r.workers, r.mode));
        }
    }
    let mut summaries = Vec::new();
    let mut ratios = Vec::new();
    for (workers, mode) in keys {
        let of = |server: &str| -> Vec<&Run> {
            runs.iter()
                .filter(|r| (r.workers, r.mode) == (workers, mode) && r.server == server)
                .collect()
        };
        for &server in std::iter::once(&reference).chain(others) {
            let all = of(server);
            let ok: Vec<&Run> = all.iter().copied().filter(|r| r.ok).collect();
            let values = |f: fn(&Run) -> f64| ok.iter().map(|r| f(r)).collect::<Vec<f64>>();
            summaries.push(ServerSummary {
                workers,
                mode,
                server: server.to_string(),
                runs_ok: ok.len(),
                runs_failed: all.len() - ok.len(),
                requests_per_sec: Spread::of(&values(|r| r.requests_per_sec)),
                requests_per_cpu_second: Spread::of(&values(|r| r.requests_per_cpu_second)),
                p99_ms_median: median(&values(|r| r.p99_ms)),
            });
        }
        for &ours in others {
            let pairs: Vec<(&Run, &Run)> = of(ours)
                .into_iter()
                .filter(|o| o.ok)
                .filter_map(|o| {
                    let r = of(reference)
                        .into_iter()
                        .find(|r| r.round == o.round && r.ok)?;
                    Some((o, r))
                })
                .collect();
            let ratio = |f: fn(&Run) -> f64| {
                let v: Vec<f64> = pairs
                    .iter()
                    .filter(|(_, r)| f(r) > 0.0)
                    .map(|(o, r)| f(o) / f(r))
                    .collect();
                median(&v)
            };
            ratios.push(Ratio {
                workers,
                mode,
                ours: ours.to_string(),
                reference: reference.to_string(),
                rounds: pairs.len(),
                requests_per_sec: ratio(|r| r.requests_per_sec),
                requests_per_cpu_second: ratio(|r| r.requests_per_cpu_second),
                p99: ratio(|r| r.p99_ms),
            });
        }
    }
    (summaries, ratios)
}

fn spread(s: Option<Spread>) -> String {
    s.map_or("–".into(), |s| {
        format!("{:.0} ({:.0}–{:.0})", s.median, s.min, s.max)
    })
}

fn times(x: Option<f64>) -> String {
    x.map_or("–".into(), |x| format!("**{x:.2}x**"))
}

/// The table alone (also what the driver prints).
pub fn table(summaries: &[ServerSummary], ratios: &[Ratio]) -> String {
    let mut t = String::from(
        "| workers | load | server | req/s median (min–max) | req per server CPU-s median \
         (min–max) | p99 median | runs ok |\n|---:|---|---|---:|---:|---:|---:|\n",
    );
    // Each (workers, load): its servers' rows, then its ratios.
    let mut keys: Vec<(usize, Mode)> = Vec::new();
    for r in ratios {
        if !keys.contains(&(r.workers, r.mode)) {
            keys.push((r.workers, r.mode));
        }
    }
    for key in keys {
        for s in summaries.iter().filter(|s| (s.workers, s.mode) == key) {
            let p99 = s.p99_ms_median.map_or("–".into(), |p| format!("{p:.2} ms"));
            t += &format!(
                "| {} | {} | {} | {} | {} | {p99} | {}/{} |\n",
                s.workers,
                s.mode.label(),
                s.server,
                spread(s.requests_per_sec),
                spread(s.requests_per_cpu_second),
                s.runs_ok,
                s.runs_ok + s.runs_failed,
            );
        }
        for ratio in ratios.iter().filter(|r| (r.workers, r.mode) == key) {
            t += &format!(
                "| {} | {} | {} / {} | {} | {} | {} | {} rounds |\n",
                ratio.workers,
                ratio.mode.label(),
                ratio.ours,
                ratio.reference,
                times(ratio.requests_per_sec),
                times(ratio.requests_per_cpu_second),
                times(ratio.p99),
                ratio.rounds,
            );
        }
    }
    t
}

/// The markdown section for docs/performance.md: how it was run, then the table.
pub fn markdown(results: &Results) -> String {
    let m = &results.meta;
    let failed: Vec<&Run> = results.runs.iter().filter(|r| !r.ok).collect();
    let mut s = format!(
        "`{}` ({})\n\n\
         {}, {}, {}; Linux {}; {}, {} cores. Server (`{}`) pinned to CPU {}, load generator to CPU {}; \
         {} interleaved rounds of `wrk -t1 -c{} -d{}s --latency` (keep-alive) and \
         `ab -q -n {} -c {}` (HTTP/1.0, a connection per request); medians over the rounds, \
         ratios = median of the per-round ratios (p99 ratio below 1 = lower latency). \
         Server CPU = user + system time of all its processes and threads during the run \
         (their CPU-time clocks).\n\n",
        m.command,
        m.date,
        m.nginx,
        m.wrk,
        m.ab,
        m.kernel,
        m.cpu,
        m.cores,
        m.server_command,
        m.server_cpu,
        m.load_cpu,
        m.rounds,
        m.connections,
        m.wrk_seconds,
        m.ab_requests,
        m.connections,
    );
    if !m.also.is_empty() {
        s += &format!(
            "Also in the same rounds: {}.\n\n",
            m.also
                .iter()
                .map(|a| format!("`{a}`"))
                .collect::<Vec<_>>()
                .join(", ")
        );
    }
    s += &if m.nginx_listen.is_empty() {
        "nginx: `listen 127.0.0.1:PORT;` (its defaults: no `deferred`, no `reuseport`).\n\n"
            .to_string()
    } else {
        format!("nginx: `listen 127.0.0.1:PORT {};`.\n\n", m.nginx_listen)
    };
    s += &table(&results.summaries, &results.ratios);
    if !failed.is_empty() {
        s += "\nFailed runs (left out of the figures):\n\n";
        for r in failed {
            s += &format!(
                "- workers {}, {}, {}, round {}: {}\n",
                r.workers,
                r.mode.label(),
                r.server,
                r.round + 1,
                r.problems.join("; ")
            );
        }
    }
    s
}

#[cfg(test)]
mod tests {
    use super::*;

    fn run(server: &str, round: usize, rps: f64, cpu: f64, p99: f64, ok: bool) -> Run {
        let report = Report {
            requests: (rps * 10.0) as u64,
            requests_per_sec: rps,
            p99_ms: p99,
            problems: if ok {
                vec![]
            } else {
                vec!["3 failed requests".into()]
            },
        };
        Run::new(
            (1, Mode::KeepAlive, server, round, round.is_multiple_of(2)),
            Ok(report),
            cpu,
        )
    }

    #[test]
    fn per_cpu_second_and_failures() {
        let r = run("a", 0, 1000.0, 4.0, 1.0, true);
        assert_eq!((r.requests, r.requests_per_cpu_second), (10_000, 2500.0));
        assert!(r.ok);
        let r = run("a", 0, 1000.0, 0.0, 1.0, true);
        assert!(!r.ok && r.problems[0].contains("CPU time"));
        let r = Run::new(
            (2, Mode::KeepAlive, "a", 1, false),
            Err("wrk failed".into()),
            1.0,
        );
        assert_eq!((r.ok, r.requests, r.problems.len()), (false, 0, 1));
    }

    #[test]
    fn ratios_are_medians_of_per_round_ratios_of_good_rounds() {
        let runs = [
            // round 0: ours 2x the rps, 1x per CPU, half the p99
            run("nginx", 0, 100.0, 1.0, 2.0, true),
            run("ours", 0, 200.0, 2.0, 1.0, true),
            // round 1: a slow machine moment for both: ratio 1.5x rps
            run("ours", 1, 30.0, 0.1, 1.0, true),
            run("nginx", 1, 20.0, 0.1, 1.0, true),
            // round 2: 4x, ours is fine but nginx failed: the round is left out
            run("nginx", 2, 10.0, 1.0, 1.0, false),
            run("ours", 2, 40.0, 1.0, 1.0, true),
            // round 3: 1.2x
            run("nginx", 3, 100.0, 1.0, 1.0, true),
            run("ours", 3, 120.0, 1.0, 1.0, true),
        ];
        let (summaries, ratios) = summarize(&runs, "nginx", &["ours"]);
        assert_eq!(summaries.len(), 2);
        let nginx = &summaries[0];
        assert_eq!(
            (nginx.server.as_str(), nginx.runs_ok, nginx.runs_failed),
            ("nginx", 3, 1)
        );
        let ours = &summaries[1];
        assert_eq!(ours.runs_ok, 4);
        let rps = ours.requests_per_sec.unwrap();
        assert_eq!((rps.median, rps.min, rps.max), (80.0, 30.0, 200.0));
        let r = &ratios[0];
        assert_eq!(r.rounds, 3);
        assert_eq!(r.requests_per_sec, Some(1.5)); // median of 2.0, 1.5, 1.2
        assert_eq!(r.requests_per_cpu_second, Some(1.2)); // of 1.0, 1.5, 1.2
        assert_eq!(r.p99, Some(1.0)); // of 0.5, 1.0, 1.0
        let t = table(&summaries, &ratios);
        assert!(
            t.contains("| 1 | keep-alive (wrk) | ours / nginx | **1.50x** |"),
            "{t}"
        );
        assert!(t.contains("| 3/4 |"), "{t}");
    }

    /// More servers in the same rounds: one summary row each, then a ratio of each to the
    /// reference, each row printed once.
    #[test]
    fn several_servers_each_get_one_row_and_a_ratio() {
        let runs = [
            run("nginx", 0, 100.0, 1.0, 1.0, true),
            run("ours", 0, 150.0, 1.0, 1.0, true),
            run("ceiling", 0, 200.0, 1.0, 1.0, true),
        ];
        let (summaries, ratios) = summarize(&runs, "nginx", &["ours", "ceiling"]);
        let servers: Vec<&str> = summaries.iter().map(|s| s.server.as_str()).collect();
        assert_eq!(servers, ["nginx", "ours", "ceiling"]);
        let rps: Vec<(&str, Option<f64>)> = ratios
            .iter()
            .map(|r| (r.ours.as_str(), r.requests_per_sec))
            .collect();
        assert_eq!(rps, [("ours", Some(1.5)), ("ceiling", Some(2.0))]);
        let t = table(&summaries, &ratios);
        for server in ["nginx", "ours", "ceiling"] {
            let rows = t.matches(&format!("| {server} |")).count();
            assert_eq!(rows, 1, "{server}:\n{t}");
        }
        assert_eq!(t.matches(" / nginx |").count(), 2, "{t}");
    }
}
