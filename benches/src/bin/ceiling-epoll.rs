//! `ceiling-epoll PORT`: the least an epoll HTTP server can do (see `neurlang_benches::ceiling`).

#[cfg(target_os = "linux")]
fn main() -> std::process::ExitCode {
    use neurlang_benches::ceiling;
    match ceiling::port().and_then(|p| ceiling::epoll::serve(p).map_err(|e| e.to_string())) {
        Ok(()) => std::process::ExitCode::SUCCESS,
        Err(e) => {
            eprintln!("ceiling-epoll: {e}");
            std::process::ExitCode::FAILURE
        }
    }
}

#[cfg(not(target_os = "linux"))]
fn main() {
    println!("ceiling-epoll: SKIPPED: Linux only");
}
