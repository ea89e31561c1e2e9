//! Backend selection, in one place: which mechanism each part of `src/sys/` uses on the target
//! being built. Every operating-system and vendor list of the runtime is written here once; the
//! code selects with the `neurlang_*` cfgs this script sets (`#[cfg(neurlang_wait = "epoll")]`),
//! never with `target_os` lists of its own. CI compiles the runtime with the choices made here
//! for Linux x86_64 and aarch64, macOS x86_64 and arm64, FreeBSD and Windows, the shell backend
//! (`ci/check-cross.sh`) and the forced poll(2) event backend (`ci/test-poll-backend.sh`).

use std::env;

/// A cfg name, its possible values (empty for a flag) and what it selects.
const CFGS: &[(&str, &[&str])] = &[
    // The backend module of `src/sys/`.
    ("neurlang_backend", &["unix", "windows", "shell"]),
    // The event loop's zero-timeout fast path (`sys/unix/{epoll,probe,fullwait}.rs`).
    ("neurlang_wait", &["epoll", "probe", "fullwait"]),
    // The kernel's own beneath-resolver: Linux's openat2 (`sys/unix/openat2.rs`) or none
    // (`sys/beneath_none.rs`, the portable walk only).
    ("neurlang_beneath", &["openat2", "none"]),
    // How the walk holds a directory: a path-only descriptor, or one opened for reading.
    ("neurlang_dir_access", &["o_path", "o_rdonly"]),
    // Dual mapping of the executable pool: an anonymous shared-memory file, or none on Unix.
    ("neurlang_dual_map", &["memfd", "none"]),
    // `MAP_JIT` with per-thread write toggling (macOS on Apple silicon).
    ("neurlang_map_jit", &[]),
    // Instruction-cache maintenance after code is written: Darwin's call, the ARMv8 sequence,
    // or nothing (caches coherent with instruction fetch).
    ("neurlang_icache", &["darwin", "armv8", "coherent"]),
    // What SO_REUSEPORT does: balances connections, the load-balanced SO_REUSEPORT_LB variant
    // exists, or it only shares the port.
    ("neurlang_reuse_port", &["balances", "lb", "shares"]),
    // `accept4` (non-blocking, close-on-exec in one call).
    ("neurlang_accept4", &[]),
    // `TCP_DEFER_ACCEPT`.
    ("neurlang_defer_accept", &[]),
    // The errno table's column of this build's host numbers.
    (
        "neurlang_errno_host",
        &["linux", "darwin", "freebsd", "windows", "none"],
    ),
];

fn main() {
    println!("cargo::rerun-if-changed=build.rs");
    for (name, values) in CFGS {
        if values.is_empty() {
            println!("cargo::rustc-check-cfg=cfg({name})");
        } else {
            let list: Vec<String> = values.iter().map(|v| format!("\"{v}\"")).collect();
            println!(
                "cargo::rustc-check-cfg=cfg({name}, values({}))",
                list.join(", ")
            );
        }
    }
    let cfg = |key: &str| env::var_os(format!("CARGO_CFG_{key}")).is_some();
    let os = env::var("CARGO_CFG_TARGET_OS").unwrap_or_default();
    let os = os.as_str();
    let apple = env::var("CARGO_CFG_TARGET_VENDOR").is_ok_and(|v| v == "apple");
    let aarch64 = env::var("CARGO_CFG_TARGET_ARCH").is_ok_and(|a| a == "aarch64");
    let shell = cfg("NEURLANG_SHELL_BACKEND");
    let forced_poll = cfg("POLLING_TEST_POLL_BACKEND");
    let linux = matches!(os, "linux" | "android");
    let bsd = matches!(os, "freebsd" | "netbsd" | "openbsd" | "dragonfly");

    let backend = if shell {
        "shell"
    } else if cfg("UNIX") {
        "unix"
    } else if cfg("WINDOWS") {
        "windows"
    } else {
        "shell"
    };
    let set = |name: &str, value: &str| println!("cargo::rustc-cfg={name}=\"{value}\"");
    let flag = |name: &str, on: bool| {
        if on {
            println!("cargo::rustc-cfg={name}");
        }
    };
    set("neurlang_backend", backend);
    set(
        "neurlang_errno_host",
        match (backend, os) {
            ("shell", _) => "none",
            ("windows", _) => "windows",
            (_, "linux") => "linux",
            (_, "freebsd") => "freebsd",
            _ if apple => "darwin",
            _ => "none",
        },
    );
    set(
        "neurlang_beneath",
        if backend == "unix" && os == "linux" {
            "openat2"
        } else {
            "none"
        },
    );
    if backend != "unix" {
        return;
    }
    set(
        "neurlang_wait",
        if forced_poll {
            "fullwait"
        } else if linux {
            "epoll"
        } else if apple || bsd {
            "probe"
        } else {
            "fullwait"
        },
    );
    set(
        "neurlang_dir_access",
        if linux { "o_path" } else { "o_rdonly" },
    );
    set(
        "neurlang_dual_map",
        if linux || os == "freebsd" {
            "memfd"
        } else {
            "none"
        },
    );
    flag("neurlang_map_jit", apple && aarch64);
    set(
        "neurlang_icache",
        match (aarch64, apple) {
            (true, true) => "darwin",
            (true, false) => "armv8",
            (false, _) => "coherent",
        },
    );
    set(
        "neurlang_reuse_port",
        if linux || os == "dragonfly" {
            "balances"
        } else if os == "freebsd" {
            "lb"
        } else {
            "shares"
        },
    );
    flag("neurlang_accept4", linux || bsd);
    flag("neurlang_defer_accept", linux);
}
