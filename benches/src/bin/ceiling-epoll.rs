//! `ceiling-epoll PORT`: the least an epoll HTTP server can do (see `neurlang_benches::ceiling`).

#[cfg(target_os = "linux")]
fn main() -> std::process::ExitCode {
    use neurlang_benches::ceiling;
    ceiling::main("ceiling-epoll", ceiling::epoll::serve)
}

#[cfg(not(target_os = "linux"))]
fn main() {
    println!("ceiling-epoll: SKIPPED: Linux only");
}
