//! CPU time of a process tree from `/proc`: what a server spent serving a load run.

use std::collections::HashMap;
use std::fs;

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

/// Sums utime + stime over `root` and all its descendants, given every process's stat.
/// Returns `None` if `root` is not among them.
pub fn tree_ticks(stats: &[Stat], root: i32) -> Option<u64> {
    let mut children: HashMap<i32, Vec<&Stat>> = HashMap::new();
    for s in stats {
        children.entry(s.ppid).or_default().push(s);
    }
    let mut total = 0;
    let mut stack = vec![stats.iter().find(|s| s.pid == root)?];
    while let Some(s) = stack.pop() {
        total += s.utime + s.stime;
        if let Some(c) = children.get(&s.pid) {
            stack.extend(c.iter().copied());
        }
    }
    Some(total)
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
    let ticks = tree_ticks(&all_stats()?, root)
        .ok_or_else(|| format!("process {root} is not in /proc (did it exit?)"))?;
    Ok(ticks as f64 * tick_seconds())
}

/// The resolution of the CPU times in `/proc` (one clock tick, usually 1/100 s).
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
        assert_eq!(tree_ticks(&stats, 10), Some(1 + 2 + 30 + 40 + 50 + 60 + 5));
        assert_eq!(tree_ticks(&stats, 12), Some(110));
        assert_eq!(tree_ticks(&stats, 99), None);
    }

    #[test]
    fn reads_this_process_from_proc() {
        let me = std::process::id() as i32;
        assert!(all_stats().unwrap().iter().any(|s| s.pid == me));
        assert!(tree_cpu_seconds(me).unwrap() >= 0.0);
    }
}
