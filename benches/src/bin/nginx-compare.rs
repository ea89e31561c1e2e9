//! `nginx-compare`: nginx against the Neurlang HTTP server, same worker count, requests/s and
//! requests per server CPU-second. See `neurlang_benches::compare` and `ci/nginx-compare.sh`.
//!
//! ```text
//! nginx-compare [--workers 1,2] [--rounds 5] [--duration 10] [--ab-requests 20000] [--server CMD]
//! ```

#[cfg(target_os = "linux")]
fn main() -> std::process::ExitCode {
    neurlang_benches::compare::main()
}

#[cfg(not(target_os = "linux"))]
fn main() {
    println!("nginx-compare: SKIPPED: Linux only (it reads /proc and pins with taskset)");
}
