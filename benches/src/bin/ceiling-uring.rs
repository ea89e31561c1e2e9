//! `ceiling-uring PORT`: the least an io_uring HTTP server can do (see `neurlang_benches::ceiling`).

#[cfg(target_os = "linux")]
fn main() -> std::process::ExitCode {
    use neurlang_benches::ceiling;
    match ceiling::port().and_then(|p| ceiling::uring::serve(p).map_err(|e| e.to_string())) {
        Ok(()) => std::process::ExitCode::SUCCESS,
        Err(e) => {
            eprintln!("ceiling-uring: {e}");
            std::process::ExitCode::FAILURE
        }
    }
}

#[cfg(not(target_os = "linux"))]
fn main() {
    println!("ceiling-uring: SKIPPED: Linux only");
}
