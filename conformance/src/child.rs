//! Child-process scenarios: cases that must crash, trap, or change process-wide state (seccomp,
//! `PR_SET_MDWE`) run their risky part in a fresh copy of the current executable.
//!
//! Both front ends call [`run_if_child`] first thing in `main`; a case calls [`spawn`] with the
//! name of a scenario registered in [`SCENARIOS`]. Under an emulator the child is started through
//! `$NEURLANG_CHILD_RUNNER` (for example `qemu-aarch64 -L /usr/aarch64-linux-gnu`).

use std::process::{Command, Output, Stdio};

/// The environment variable that names the scenario a child runs.
pub const CHILD_ENV: &str = "NEURLANG_CONFORMANCE_CHILD";

/// A scenario: runs in the child and returns its exit code.
pub type Scenario = fn() -> i32;

/// Every scenario, by name. Areas add theirs here.
pub static SCENARIOS: &[(&str, Scenario)] = &[
    ("meta.exit_code_42", || 42),
    (
        "pool.released_slot_traps",
        crate::areas::pool::child::released_slot_traps,
    ),
    (
        "pool.hardened_mdwe",
        crate::areas::pool::child::hardened_mdwe,
    ),
    (
        "pool.hot_path_no_syscall",
        crate::areas::pool::child::hot_path_no_syscall,
    ),
];

/// If this process was started as a child, runs the scenario and exits.
pub fn run_if_child() {
    let Ok(name) = std::env::var(CHILD_ENV) else {
        return;
    };
    let code = match SCENARIOS.iter().find(|(n, _)| *n == name) {
        Some((_, scenario)) => scenario(),
        None => {
            eprintln!("no child scenario named {name}");
            125
        }
    };
    std::process::exit(code);
}

/// Runs scenario `name` in a child process and waits for it.
pub fn spawn(name: &str) -> std::io::Result<Output> {
    let exe = std::env::current_exe()?;
    let mut cmd = match std::env::var("NEURLANG_CHILD_RUNNER") {
        Ok(runner) if !runner.trim().is_empty() => {
            let mut words = runner.split_whitespace();
            let mut cmd = Command::new(words.next().unwrap_or_default());
            cmd.args(words).arg(&exe);
            cmd
        }
        _ => Command::new(&exe),
    };
    cmd.env(CHILD_ENV, name)
        .stdin(Stdio::null())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .output()
}
