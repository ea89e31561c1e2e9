//! nginx against the Neurlang HTTP server: one keep-alive `GET /` round trip (write the
//! request, read the whole response) over a persistent TCP connection, each server with one
//! worker, started exactly as `nginx-compare` starts it (pinned to CPU 0, own temp dir).
//!
//! The server under test is `target/release/neurlang-server` (build it first with
//! `cargo build --release -p neurlang-server`); `NEURLANG_COMPARE_SERVER` replaces its command
//! (the `--server` template of `nginx-compare`, `nginx` for a second nginx). A side whose
//! program is missing is skipped with the reason; Linux only.

#[cfg(target_os = "linux")]
mod linux {
    use std::io::Write;
    use std::net::TcpStream;
    use std::time::Duration;

    use criterion::Criterion;
    use neurlang_benches::compare::DEFAULT_SERVER;
    use neurlang_benches::compare::server::{
        GET_KEEPALIVE, Launch, Server, find_tool, read_response,
    };
    use neurlang_server::client::Reader;

    /// The launch of each side, or why it is skipped.
    fn sides() -> [(&'static str, Result<Launch, String>); 2] {
        let nginx = find_tool("nginx")
            .map(|path| Launch::Nginx(path, String::new()))
            .ok_or_else(|| "nginx is not installed (apt-get install nginx)".to_string());
        let ours = match std::env::var("NEURLANG_COMPARE_SERVER") {
            Ok(cmd) if cmd == "nginx" => nginx.clone(),
            Ok(cmd) => Launch::command(&cmd),
            // The workspace's target dir, wherever cargo runs the bench from.
            Err(_) => Launch::command(&format!(
                "{}/../{DEFAULT_SERVER}",
                env!("CARGO_MANIFEST_DIR")
            ))
            .map_err(|e| format!("{e} (cargo build --release -p neurlang-server)")),
        };
        [("nginx", nginx), ("neurlang", ours)]
    }

    pub fn keepalive_roundtrip(c: &mut Criterion) {
        let mut g = c.benchmark_group("http/keepalive_roundtrip");
        for (name, launch) in sides() {
            let launch = match launch {
                Ok(l) => l,
                Err(why) => {
                    println!("http/keepalive_roundtrip/{name}: SKIPPED: {why}");
                    continue;
                }
            };
            let server = Server::start(name, &launch, 1).unwrap_or_else(|e| panic!("{e}"));
            let stream = TcpStream::connect(server.addr()).unwrap();
            stream.set_nodelay(true).unwrap();
            stream
                .set_read_timeout(Some(Duration::from_secs(5)))
                .unwrap();
            let mut reader = Reader::new(stream);
            let mut status = 0;
            g.bench_function(name, |b| {
                b.iter(|| {
                    reader.get_mut().write_all(GET_KEEPALIVE).unwrap();
                    status = read_response(&mut reader).unwrap().status;
                })
            });
            assert_eq!(status, 200, "{name}'s answer");
        }
        g.finish();
    }
}

#[cfg(target_os = "linux")]
criterion::criterion_group!(
    benches,
    neurlang_benches::machine::header,
    linux::keepalive_roundtrip
);
#[cfg(target_os = "linux")]
criterion::criterion_main!(benches);

#[cfg(not(target_os = "linux"))]
fn main() {
    println!("http bench: SKIPPED: Linux only (the servers are pinned with taskset)");
}
