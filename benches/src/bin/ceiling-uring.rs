//! `ceiling-uring PORT`: the least an io_uring HTTP server can do (see `neurlang_benches::ceiling`).

#[cfg(target_os = "linux")]
fn main() -> std::process::ExitCode {
    use neurlang_benches::ceiling;
    ceiling::main("ceiling-uring", ceiling::uring::serve)
}

#[cfg(not(target_os = "linux"))]
fn main() {
    println!("ceiling-uring: SKIPPED: Linux only");
}
