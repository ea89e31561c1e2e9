//! The machine a bench runs on: CPU model, core count, kernel. Every bench prints it first (to
//! stderr, so machine-readable stdout such as the gate's JSON stays clean), and the nginx
//! comparison records it in its report.

use std::sync::Once;

/// What a figure was measured on.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Machine {
    /// The CPU's model name (`/proc/cpuinfo` on Linux), or `unknown CPU`.
    pub cpu: String,
    /// Cores this process may run on (`std::thread::available_parallelism`).
    pub cores: usize,
    /// The kernel: `Linux 6.1.0` (its release from `/proc`), or the OS name elsewhere.
    pub kernel: String,
}

impl Machine {
    /// This machine.
    pub fn current() -> Machine {
        let read = |path: &str| std::fs::read_to_string(path).unwrap_or_default();
        let release = read("/proc/sys/kernel/osrelease");
        Machine {
            cpu: cpu_model(&read("/proc/cpuinfo")),
            cores: std::thread::available_parallelism().map_or(1, |n| n.get()),
            kernel: match release.trim() {
                "" => std::env::consts::OS.to_string(),
                r => format!("Linux {r}"),
            },
        }
    }

    /// One line: `machine: CPU, N cores, KERNEL`.
    pub fn line(&self) -> String {
        let plural = if self.cores == 1 { "" } else { "s" };
        format!(
            "machine: {}, {} core{plural}, {}",
            self.cpu, self.cores, self.kernel
        )
    }
}

/// The model name of the first processor in a `/proc/cpuinfo` text (x86: `model name`; arm64
/// kernels have none, so `unknown CPU` there).
pub fn cpu_model(cpuinfo: &str) -> String {
    cpuinfo
        .lines()
        .find_map(|l| l.strip_prefix("model name")?.split_once(':'))
        .map_or("unknown CPU".into(), |(_, m)| m.trim().to_string())
}

/// Prints [`Machine::line`] to stderr, once per process.
pub fn print() {
    static ONCE: Once = Once::new();
    ONCE.call_once(|| eprintln!("{}", Machine::current().line()));
}

/// [`print()`] shaped as a criterion bench function, to list first in `criterion_group!` (generic
/// so this crate needs no criterion): `criterion_group!(benches, neurlang_benches::machine::header, ...)`.
pub fn header<C>(_: &mut C) {
    print();
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_first_model_name_of_cpuinfo() {
        let text = "processor\t: 0\nvendor_id\t: X\nmodel name\t: Some CPU @ 2.0GHz\n\n\
                    processor\t: 1\nmodel name\t: Other\n";
        assert_eq!(cpu_model(text), "Some CPU @ 2.0GHz");
        assert_eq!(cpu_model("processor : 0\n"), "unknown CPU");
    }

    #[test]
    fn the_line_names_cpu_cores_and_kernel() {
        let m = Machine {
            cpu: "C".into(),
            cores: 2,
            kernel: "Linux 6.1".into(),
        };
        assert_eq!(m.line(), "machine: C, 2 cores, Linux 6.1");
        let one = Machine { cores: 1, ..m };
        assert_eq!(one.line(), "machine: C, 1 core, Linux 6.1");
    }
}
