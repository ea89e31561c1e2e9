//! CPU time of a process tree: what a server spent serving a load run. The tree comes from
//! `/proc`; each process's CPU time from its CPU-time clock (`clock_getcpuclockid`: user +
//! system time of all its threads, exited ones included, in nanoseconds), or, where that clock
//! cannot be read, from the utime + stime of `/proc/PID/stat` (clock ticks, usually 10 ms: too
//! coarse for short runs).

#![allow(unsafe_code)] // clock_getcpuclockid, clock_gettime and sysconf through libc

use std::collections::HashMap;
use std::fs;
use std::io;

/// The fields of `/proc/PID/stat` the comparison needs.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Stat {
    pub pid: i32,
    pub ppid: i32,
    /// User and system CPU time in clock ticks, of all the process's threads (living or exited).
    pub utime: u64,
    pub stime: u64,
}

/// Parses one `/proc/PID/stat` line. The command name (field 2) is in parentheses and may itself
/// contain spaces and parentheses, so the fields after it are counted from the *last* `)`.
pub fn parse_stat(line: &str) -> Result<Stat, String> {
    let bad = |what: &str| format!("malformed /proc stat line ({what}): {line:?}");
    let open = line.find(" (").ok_or_else(|| bad("no command name"))?;
    let close = line.rfind(')').ok_or_else(|| bad("no command name"))?;
    let pid = line[..open].trim().parse().map_err(|_| bad("pid"))?;
    // Fields from 3 (state) on; field n is at index n - 3.
    let rest: Vec<&str> = line[close + 1..].split_whitespace().collect();
    let field = |n: usize, name: &str| -> Result<&str, String> {
        rest.get(n - 3).copied().ok_or_else(|| bad(name))
    };
    Ok(Stat {
        pid,
        ppid: field(4, "ppid")?.parse().map_err(|_| bad("ppid"))?,
        utime: field(14, "utime")?.parse().map_err(|_| bad("utime"))?,
        stime: field(15, "stime")?.parse().map_err(|_| bad("stime"))?,
    })
}

/// `root` and all its descendants, given every process's stat; `None` if `root` is not among
/// them.
pub fn tree(stats: &[Stat], root: i32) -> Option<Vec<&Stat>> {
    let mut children: HashMap<i32, Vec<&Stat>> = HashMap::new();
    for s in stats {
        children.entry(s.ppid).or_default().push(s);
    }
    let mut found = Vec::new();
    let mut stack = vec![stats.iter().find(|s| s.pid == root)?];
    while let Some(s) = stack.pop() {
        found.push(s);
        if let Some(c) = children.get(&s.pid) {
            stack.extend(c.iter().copied());
        }
    }
    Some(found)
}

/// Every process's stat, read from `/proc`. Processes that exit while it is read are skipped.
pub fn all_stats() -> Result<Vec<Stat>, String> {
    let dir = fs::read_dir("/proc").map_err(|e| format!("reading /proc: {e}"))?;
    let mut stats = Vec::new();
    for entry in dir.flatten() {
        let name = entry.file_name();
        let Some(pid) = name
            .to_str()
            .filter(|n| n.bytes().all(|b| b.is_ascii_digit()))
        else {
            continue;
        };
        if let Ok(line) = fs::read_to_string(format!("/proc/{pid}/stat")) {
            stats.push(parse_stat(&line)?);
        }
    }
    Ok(stats)
}

/// CPU seconds (user + system) used so far by `root` and its descendants (nginx: the master and
/// its workers; a threaded server: all its threads).
pub fn tree_cpu_seconds(root: i32) -> Result<f64, String> {
    let stats = all_stats()?;
    let tree = tree(&stats, root)
        .ok_or_else(|| format!("process {root} is not in /proc (did it exit?)"))?;
    Ok(tree
        .iter()
        .map(|s| {
            process_cpu_seconds(s.pid)
                .unwrap_or_else(|_| (s.utime + s.stime) as f64 * tick_seconds())
        })
        .sum())
}

/// The CPU time of process `pid` (all its threads) from its CPU-time clock, in seconds.
pub fn process_cpu_seconds(pid: i32) -> io::Result<f64> {
    let mut clock: libc::clockid_t = 0;
    // SAFETY: `clock` is a valid out pointer.
    let rc = unsafe { libc::clock_getcpuclockid(pid, &mut clock) };
    if rc != 0 {
        return Err(io::Error::from_raw_os_error(rc));
    }
    let mut ts = libc::timespec {
        tv_sec: 0,
        tv_nsec: 0,
    };
    // SAFETY: `ts` is a valid out pointer; a stale clock id gives an error, not UB.
    if unsafe { libc::clock_gettime(clock, &mut ts) } != 0 {
        return Err(io::Error::last_os_error());
    }
    Ok(ts.tv_sec as f64 + ts.tv_nsec as f64 * 1e-9)
}

/// The resolution of the CPU times in `/proc/PID/stat` (one clock tick, usually 1/100 s).
pub fn tick_seconds() -> f64 {
    // SAFETY: sysconf only reads a configuration value.
    let hz = unsafe { libc::sysconf(libc::_SC_CLK_TCK) };
    if hz > 0 { 1.0 / hz as f64 } else { 0.01 }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn parses_a_real_stat_line_with_parentheses_in_the_name() {
        // Captured from a Python process renamed "a) (b c" after 0.7 s of busy looping.
        let s = parse_stat(include_str!("fixtures/proc-stat.txt")).unwrap();
        assert_eq!(
            s,
            Stat {
                pid: 7210,
                ppid: 7207,
                utime: 70,
                stime: 0
            }
        );
    }

    #[test]
    fn rejects_truncated_lines() {
        assert!(parse_stat("12 (x) S 1 2 3").unwrap_err().contains("utime"));
        assert!(parse_stat("garbage").is_err());
        assert!(parse_stat("x (nginx) S 1").unwrap_err().contains("pid"));
    }

    #[test]
    fn sums_a_process_tree_only() {
        let st = |pid, ppid, utime, stime| Stat {
            pid,
            ppid,
            utime,
            stime,
        };
        let stats = [
            st(1, 0, 1000, 1000), // init: not in the tree
            st(10, 1, 1, 2),      // nginx master
            st(11, 10, 30, 40),   // worker
            st(12, 10, 50, 60),   // worker
            st(13, 11, 5, 0),     // grandchild
            st(20, 1, 7, 7),      // an unrelated process
        ];
        let pids = |root| -> Option<Vec<i32>> {
            let mut p: Vec<i32> = tree(&stats, root)?.iter().map(|s| s.pid).collect();
            p.sort();
            Some(p)
        };
        assert_eq!(pids(10), Some(vec![10, 11, 12, 13]));
        assert_eq!(pids(12), Some(vec![12]));
        assert_eq!(pids(99), None);
    }

    #[test]
    fn measures_the_cpu_time_of_a_process_tree() {
        // This process's tree holds a child that burns CPU: the tree's time minus this
        // process's own time is the child's.
        let me = std::process::id() as i32;
        let busy = "i=0; while [ $i -lt 200000 ]; do i=$((i+1)); done; sleep 5";
        let mut child = std::process::Command::new("sh")
            .args(["-c", busy])
            .spawn()
            .unwrap();
        let pid = child.id() as i32;
        let start = std::time::Instant::now();
        // Read in this order, each clock only grows: the tree's time less this process's own
        // is at least what the child had used before (other tests' children may add to it).
        let (mut busy_cpu, mut descendants) = (0.0, 0.0);
        while busy_cpu < 0.05 && start.elapsed() < std::time::Duration::from_secs(20) {
            std::thread::sleep(std::time::Duration::from_millis(20));
            busy_cpu = process_cpu_seconds(pid).unwrap();
            let own = process_cpu_seconds(me).unwrap();
            descendants = tree_cpu_seconds(me).unwrap() - own;
        }
        let _ = child.kill();
        let _ = child.wait();
        assert!(busy_cpu >= 0.05, "the busy child used {busy_cpu} s of CPU");
        assert!(
            descendants >= busy_cpu,
            "the tree counts the child: {descendants} s beside this process's own, the child {busy_cpu} s"
        );
        assert!(
            process_cpu_seconds(pid).is_err(),
            "a reaped child has no CPU clock"
        );
    }
}
