//! The ceiling servers of the nginx comparison answer like nginx: a keep-alive request on a
//! kept connection, an HTTP/1.0 request with `Connection: close` and then end of stream.
#![cfg(target_os = "linux")]

use std::io::{Read, Write};
use std::net::{TcpListener, TcpStream};
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

/// A ceiling server on a free port, killed on drop.
struct Server(Child);

impl Drop for Server {
    fn drop(&mut self) {
        let _ = self.0.kill();
        let _ = self.0.wait();
    }
}

/// Starts `exe` and connects to it, or says why it could not start (`None`: io_uring is not
/// available here, e.g. under qemu's user-mode emulation or a seccomp policy that forbids it).
fn start(exe: &str) -> Option<(Server, TcpStream)> {
    let port = TcpListener::bind("127.0.0.1:0")
        .unwrap()
        .local_addr()
        .unwrap()
        .port();
    let child = Command::new(exe)
        .arg(port.to_string())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap();
    let mut server = Server(child);
    let deadline = Instant::now() + Duration::from_secs(10);
    loop {
        if let Some(status) = server.0.try_wait().unwrap() {
            let mut err = String::new();
            server
                .0
                .stderr
                .take()
                .unwrap()
                .read_to_string(&mut err)
                .unwrap();
            println!("SKIPPED: {exe} exited at start ({status}): {}", err.trim());
            return None;
        }
        if let Ok(stream) = TcpStream::connect(("127.0.0.1", port)) {
            stream
                .set_read_timeout(Some(Duration::from_secs(10)))
                .unwrap();
            return Some((server, stream));
        }
        assert!(Instant::now() < deadline, "{exe} did not listen on {port}");
        std::thread::sleep(Duration::from_millis(10));
    }
}

fn response(stream: &mut TcpStream) -> String {
    let mut buf = Vec::new();
    let mut chunk = [0u8; 512];
    while !buf.ends_with(b"Hello, World!") {
        let n = stream.read(&mut chunk).unwrap();
        assert!(
            n > 0,
            "end of stream after {:?}",
            String::from_utf8_lossy(&buf)
        );
        buf.extend_from_slice(&chunk[..n]);
    }
    String::from_utf8(buf).unwrap()
}

fn check(exe: &str) {
    let Some((_server, mut s)) = start(exe) else {
        return;
    };
    for _ in 0..3 {
        s.write_all(b"GET / HTTP/1.1\r\nHost: x\r\n\r\n").unwrap();
        let r = response(&mut s);
        assert!(r.starts_with("HTTP/1.1 200 OK\r\n"), "{r}");
        assert!(r.contains("\r\nConnection: keep-alive\r\n"), "{r}");
    }
    s.write_all(b"GET / HTTP/1.0\r\n\r\n").unwrap();
    let r = response(&mut s);
    assert!(r.contains("\r\nConnection: close\r\n"), "{r}");
    assert_eq!(
        s.read(&mut [0u8; 16]).unwrap(),
        0,
        "closed after an HTTP/1.0 response"
    );
}

#[test]
fn ceiling_epoll_answers_like_nginx() {
    check(env!("CARGO_BIN_EXE_ceiling-epoll"));
}

#[test]
fn ceiling_uring_answers_like_nginx() {
    check(env!("CARGO_BIN_EXE_ceiling-uring"));
}
