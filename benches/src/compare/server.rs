//! The servers being compared: nginx configured for the comparison, or any command line. Each
//! runs pinned to [`SERVER_CPU`] in its own process group and temp dir, and is stopped (SIGTERM,
//! then SIGKILL after a grace period) when its [`Server`] is dropped.

#![allow(unsafe_code)] // prctl in the forked child (pre_exec) and kill of its own children

use std::fs::{self, File};
use std::io::{self, Read, Write};
use std::net::{Shutdown, SocketAddr, TcpListener, TcpStream};
use std::os::unix::process::CommandExt;
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::sync::atomic::{AtomicU32, Ordering};
use std::thread;
use std::time::{Duration, Instant};

use neurlang_server::client::{Reader, Response};

use super::procfs;

/// The CPU the servers are pinned to.
pub const SERVER_CPU: usize = 0;
/// The CPU the load generators are pinned to.
pub const LOAD_CPU: usize = 1;

/// The body both servers answer with.
pub const BODY: &str = "Hello, World!";

/// A keep-alive HTTP/1.1 request, as the bench sends it.
pub const GET_KEEPALIVE: &[u8] = b"GET / HTTP/1.1\r\nHost: 127.0.0.1\r\n\r\n";
/// The request ab sends (HTTP/1.0 without keep-alive: the server closes after answering).
pub const GET_HTTP10: &[u8] =
    b"GET / HTTP/1.0\r\nHost: 127.0.0.1\r\nUser-Agent: ApacheBench/2.3\r\nAccept: */*\r\n\r\n";

/// Finds an executable on `PATH` or in the sbin directories (nginx lives in `/usr/sbin`, which
/// is not on every user's `PATH`).
pub fn find_tool(name: &str) -> Option<PathBuf> {
    let path = std::env::var_os("PATH").unwrap_or_default();
    std::env::split_paths(&path)
        .chain(["/usr/sbin", "/sbin", "/usr/local/sbin"].map(PathBuf::from))
        .map(|d| d.join(name))
        .find(|p| p.is_file())
}

/// How to start a server.
#[derive(Debug, Clone)]
pub enum Launch {
    /// nginx with the comparison's configuration (see [`nginx_config`]) and these extra
    /// `listen` parameters (empty: nginx's defaults).
    Nginx(PathBuf, String),
    /// A command line, split on whitespace, with `{port}` and `{workers}` substituted.
    Command(Vec<String>),
}

impl Launch {
    /// A command template such as `target/release/neurlang-server --port {port} --workers
    /// {workers}`; the program must exist.
    pub fn command(template: &str) -> Result<Launch, String> {
        let argv: Vec<String> = template.split_whitespace().map(String::from).collect();
        let Some(program) = argv.first() else {
            return Err("the server command is empty".into());
        };
        if !argv.iter().any(|a| a.contains("{port}")) {
            return Err(format!(
                "the server command {template:?} has no {{port}} placeholder"
            ));
        }
        if program.contains('/') && !Path::new(program).is_file() {
            return Err(format!("the server program {program} does not exist"));
        }
        if !program.contains('/') && find_tool(program).is_none() {
            return Err(format!("the server program {program} is not on PATH"));
        }
        Ok(Launch::Command(argv))
    }
}

/// The nginx configuration of the comparison: `worker_processes` workers, every path in `dir`,
/// no access log, `return 200 "Hello, World!"` on 127.0.0.1:`port`, with `listen_options`
/// (such as `deferred reuseport`) added to the `listen` directive.
pub fn nginx_config(dir: &Path, port: u16, workers: usize, listen_options: &str) -> String {
    let d = dir.display();
    let listen = if listen_options.is_empty() {
        String::new()
    } else {
        format!(" {listen_options}")
    };
    format!(
        r#"daemon off;
master_process on;
worker_processes {workers};
pid {d}/nginx.pid;
error_log {d}/error.log;
events {{ worker_connections 10240; }}
http {{
    access_log off;
    default_type text/plain;
    keepalive_requests 1000000;
    keepalive_timeout 75s;
    client_body_temp_path {d}/client_body;
    proxy_temp_path {d}/proxy;
    fastcgi_temp_path {d}/fastcgi;
    uwsgi_temp_path {d}/uwsgi;
    scgi_temp_path {d}/scgi;
    server {{
        listen 127.0.0.1:{port}{listen};
        location / {{ return 200 "{BODY}"; }}
    }}
}}
"#
    )
}

/// A directory under the system temp dir, removed when dropped.
#[derive(Debug)]
struct TempDir(PathBuf);

impl TempDir {
    fn new(tag: &str) -> Result<TempDir, String> {
        static NEXT: AtomicU32 = AtomicU32::new(0);
        let n = NEXT.fetch_add(1, Ordering::Relaxed);
        let path =
            std::env::temp_dir().join(format!("neurlang-compare-{}-{tag}-{n}", std::process::id()));
        fs::create_dir_all(&path).map_err(|e| format!("creating {path:?}: {e}"))?;
        Ok(TempDir(path))
    }
}

impl Drop for TempDir {
    fn drop(&mut self) {
        let _ = fs::remove_dir_all(&self.0);
    }
}

/// A port on 127.0.0.1 that was free a moment ago.
fn free_port() -> Result<u16, String> {
    let l = TcpListener::bind("127.0.0.1:0").map_err(|e| format!("finding a free port: {e}"))?;
    Ok(l.local_addr().map_err(|e| e.to_string())?.port())
}

/// A running server. Dropping it stops it.
#[derive(Debug)]
pub struct Server {
    name: String,
    child: Child,
    port: u16,
    // Dropped after `child` is stopped (see `Drop`).
    dir: TempDir,
}

impl Server {
    /// Starts `launch` with `workers` workers on a free port, pinned to [`SERVER_CPU`], and
    /// waits (up to 10 s) until it answers a request.
    pub fn start(name: &str, launch: &Launch, workers: usize) -> Result<Server, String> {
        let dir = TempDir::new(name)?;
        let port = free_port()?;
        let argv: Vec<String> = match launch {
            Launch::Nginx(nginx, listen) => {
                let conf = dir.0.join("nginx.conf");
                fs::write(&conf, nginx_config(&dir.0, port, workers, listen))
                    .map_err(|e| format!("writing {conf:?}: {e}"))?;
                let p = |p: &Path| p.display().to_string();
                vec![
                    p(nginx),
                    "-p".into(),
                    p(&dir.0),
                    "-c".into(),
                    p(&conf),
                    "-e".into(),
                    p(&dir.0.join("error.log")),
                ]
            }
            Launch::Command(template) => template
                .iter()
                .map(|a| {
                    a.replace("{port}", &port.to_string())
                        .replace("{workers}", &workers.to_string())
                })
                .collect(),
        };
        let log = dir.0.join("output.log");
        let out = File::create(&log).map_err(|e| format!("creating {log:?}: {e}"))?;
        let err = out.try_clone().map_err(|e| e.to_string())?;
        let mut cmd = Command::new("taskset");
        cmd.arg("-c")
            .arg(SERVER_CPU.to_string())
            .args(&argv)
            .stdin(Stdio::null())
            .stdout(out)
            .stderr(err)
            // Its own process group: a Ctrl-C in the terminal reaches only the driver, which
            // then stops the servers itself.
            .process_group(0);
        let die_with_parent = || {
            // SAFETY: plain syscall with integer arguments; prctl is async-signal-safe.
            if unsafe { libc::prctl(libc::PR_SET_PDEATHSIG, libc::SIGTERM) } == 0 {
                Ok(())
            } else {
                Err(io::Error::last_os_error())
            }
        };
        // SAFETY: the closure runs in the forked child before exec and only calls prctl (no
        // allocation, no locks). PR_SET_PDEATHSIG survives the exec of taskset and of the
        // server, so the server gets SIGTERM even if this process dies without running
        // destructors.
        unsafe { cmd.pre_exec(die_with_parent) };
        let child = cmd
            .spawn()
            .map_err(|e| format!("starting {name} ({}): {e}", argv.join(" ")))?;
        let mut server = Server {
            name: name.to_string(),
            child,
            port,
            dir,
        };
        server.wait_ready(Duration::from_secs(10))?;
        Ok(server)
    }

    pub fn name(&self) -> &str {
        &self.name
    }

    pub fn port(&self) -> u16 {
        self.port
    }

    pub fn addr(&self) -> SocketAddr {
        SocketAddr::from(([127, 0, 0, 1], self.port))
    }

    pub fn url(&self) -> String {
        format!("http://127.0.0.1:{}/", self.port)
    }

    /// The server's temp dir (config, logs), usable for scratch files while it runs.
    pub fn dir(&self) -> &Path {
        &self.dir.0
    }

    /// CPU seconds used so far by the server's process and all its descendants.
    pub fn cpu_seconds(&self) -> Result<f64, String> {
        procfs::tree_cpu_seconds(self.child.id() as i32)
    }

    /// Fails, with the server's output, if it has exited.
    pub fn check_alive(&mut self) -> Result<(), String> {
        match self.child.try_wait() {
            Ok(None) => Ok(()),
            Ok(Some(status)) => Err(format!("{} exited ({status}){}", self.name, self.output())),
            Err(e) => Err(format!("{}: {e}", self.name)),
        }
    }

    /// The server's stdout/stderr (and nginx's error log), for error messages.
    fn output(&self) -> String {
        let mut s = String::new();
        for f in ["output.log", "error.log"] {
            if let Ok(text) = fs::read_to_string(self.dir.0.join(f))
                && !text.trim().is_empty()
            {
                s += &format!("\n--- {f}:\n{}", text.trim_end());
            }
        }
        s
    }

    fn wait_ready(&mut self, limit: Duration) -> Result<(), String> {
        let start = Instant::now();
        loop {
            self.check_alive()?;
            match probe(self.addr()) {
                Ok(()) => return Ok(()),
                Err(e) if start.elapsed() > limit => {
                    return Err(format!(
                        "{} did not answer on {} within {limit:?}: {e}{}",
                        self.name,
                        self.addr(),
                        self.output()
                    ));
                }
                Err(_) => thread::sleep(Duration::from_millis(20)),
            }
        }
    }

    /// Sends SIGTERM and waits up to 5 s; then SIGKILLs the whole process group. Returns a
    /// warning if the server had to be killed.
    pub fn stop(&mut self) -> Option<String> {
        if !matches!(self.child.try_wait(), Ok(None)) {
            return None;
        }
        let pid = self.child.id() as i32;
        // SAFETY: plain syscall; `pid` is our unreaped child, so it cannot name another process.
        unsafe { libc::kill(pid, libc::SIGTERM) };
        let start = Instant::now();
        while start.elapsed() < Duration::from_secs(5) {
            if !matches!(self.child.try_wait(), Ok(None)) {
                return None;
            }
            thread::sleep(Duration::from_millis(10));
        }
        // SAFETY: plain syscall; the group is the one `process_group(0)` created for the child,
        // which still exists (the leader is unreaped).
        unsafe { libc::kill(-pid, libc::SIGKILL) };
        let _ = self.child.wait();
        Some(format!(
            "{} ignored SIGTERM for 5 s and was killed",
            self.name
        ))
    }
}

impl Drop for Server {
    fn drop(&mut self) {
        if let Some(warning) = self.stop() {
            eprintln!("warning: {warning}");
        }
    }
}

/// Reads exactly one response: fails on EOF before its end (a `Content-Length` body) or on
/// bytes beyond it.
pub fn read_response<R: Read>(reader: &mut Reader<R>) -> io::Result<Response> {
    let r = reader.response(false)?;
    if !reader.buffered().is_empty() {
        return Err(io::Error::new(
            io::ErrorKind::InvalidData,
            "bytes after the response",
        ));
    }
    Ok(r)
}

/// A response, and whether the server closed the connection after it (within half a second).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Fetched {
    pub response: Response,
    pub closed: bool,
}

/// Connects to `addr`, sends `request`, and reads one response.
fn exchange(addr: SocketAddr, request: &[u8]) -> io::Result<(Reader<TcpStream>, Response)> {
    let mut s = TcpStream::connect_timeout(&addr, Duration::from_secs(1))?;
    s.set_read_timeout(Some(Duration::from_secs(3)))?;
    s.write_all(request)?;
    let mut reader = Reader::new(s);
    let r = read_response(&mut reader)?;
    Ok((reader, r))
}

/// Whether a server at `addr` answers a keep-alive GET with a complete response.
pub fn probe(addr: SocketAddr) -> io::Result<()> {
    exchange(addr, GET_KEEPALIVE).map(drop)
}

/// Sends `request` on a new connection to `addr`, reads the response, and waits half a second
/// to see whether the server closes the connection.
pub fn fetch(addr: SocketAddr, request: &[u8]) -> Result<Fetched, String> {
    let io = |e: io::Error| format!("{addr}: {e}");
    let (mut reader, response) = exchange(addr, request).map_err(io)?;
    reader
        .get_ref()
        .set_read_timeout(Some(Duration::from_millis(500)))
        .map_err(io)?;
    // Bytes instead of the close count as "kept open", as a silent connection does.
    let closed = reader.closed().unwrap_or(false);
    let _ = reader.get_ref().shutdown(Shutdown::Both);
    Ok(Fetched { response, closed })
}

/// Checks that `ours` answers like `reference`: the same status line, the same set of header
/// names, the same values except for Date and Server, the same body, and the same closing of the
/// connection. Lists every difference.
pub fn compare_responses(reference: &Fetched, ours: &Fetched) -> Result<(), String> {
    let mut diffs = Vec::new();
    let (closed, reference, ours) = (
        (reference.closed, ours.closed),
        &reference.response,
        &ours.response,
    );
    if reference.status_line != ours.status_line {
        diffs.push(format!(
            "status line {:?} instead of {:?}",
            ours.status_line, reference.status_line
        ));
    }
    let names = |r: &Response| {
        let mut n: Vec<String> = r
            .headers
            .iter()
            .map(|(k, _)| k.to_ascii_lowercase())
            .collect();
        n.sort();
        n
    };
    if names(reference) != names(ours) {
        diffs.push(format!(
            "header names {:?} instead of {:?}",
            names(ours),
            names(reference)
        ));
    }
    for (name, value) in &reference.headers {
        let skip = ["date", "server"].contains(&name.to_ascii_lowercase().as_str());
        match ours.header(name) {
            Some(v) if !skip && v != value => {
                diffs.push(format!("{name}: {v:?} instead of {value:?}"))
            }
            _ => {}
        }
    }
    if reference.body != ours.body {
        let text = |b: &[u8]| String::from_utf8_lossy(&b[..b.len().min(80)]).into_owned();
        diffs.push(format!(
            "body {:?} ({} bytes) instead of {:?}",
            text(&ours.body),
            ours.body.len(),
            text(&reference.body)
        ));
    }
    if closed.0 != closed.1 {
        let word = |c| if c { "closed" } else { "kept open" };
        diffs.push(format!(
            "connection {} after the response instead of {}",
            word(closed.1),
            word(closed.0)
        ));
    }
    if diffs.is_empty() {
        Ok(())
    } else {
        Err(diffs.join("; "))
    }
}

/// Fetches the keep-alive and the HTTP/1.0 response from both servers and compares them.
pub fn check_same_responses(reference: &Server, ours: &Server) -> Result<(), String> {
    for (what, request) in [
        ("HTTP/1.1 keep-alive", GET_KEEPALIVE),
        ("HTTP/1.0", GET_HTTP10),
    ] {
        let a = fetch(reference.addr(), request)?;
        let b = fetch(ours.addr(), request)?;
        compare_responses(&a, &b).map_err(|e| {
            format!(
                "{} answers a {what} GET unlike {}: {e}",
                ours.name(),
                reference.name()
            )
        })?;
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    // Captured from nginx 1.22.1 with the comparison's configuration.
    const NGINX: &[u8] = b"HTTP/1.1 200 OK\r\nServer: nginx/1.22.1\r\nDate: Mon, 23 Nov 2026 \
        22:57:52 GMT\r\nContent-Type: text/plain\r\nContent-Length: 13\r\nConnection: \
        keep-alive\r\n\r\nHello, World!";

    fn parse(bytes: &[u8]) -> Fetched {
        Fetched {
            response: read_response(&mut Reader::new(bytes)).unwrap(),
            closed: false,
        }
    }

    #[test]
    fn reads_one_response_exactly() {
        let r = parse(NGINX).response;
        assert_eq!(r.status_line, "HTTP/1.1 200 OK");
        assert_eq!(r.header("content-length"), Some("13"));
        assert_eq!(r.body, b"Hello, World!");
        let cut = &NGINX[..NGINX.len() - 1];
        let e = read_response(&mut Reader::new(cut)).unwrap_err();
        assert_eq!(e.kind(), io::ErrorKind::UnexpectedEof);
        let extra = [NGINX, b"X"].concat();
        let e = read_response(&mut Reader::new(&extra[..])).unwrap_err();
        assert_eq!(e.kind(), io::ErrorKind::InvalidData);
        let no_len = b"HTTP/1.1 200 OK\r\nServer: x\r\n\r\nHello";
        assert!(read_response(&mut Reader::new(&no_len[..])).is_err());
    }

    #[test]
    fn comparison_ignores_date_server_and_header_order_only() {
        let nginx = parse(NGINX);
        let other = b"HTTP/1.1 200 OK\r\nDate: Tue, 24 Nov 2026 00:00:00 GMT\r\nserver: \
            neurlang\r\nContent-Length: 13\r\nContent-Type: text/plain\r\nConnection: \
            keep-alive\r\n\r\nHello, World!";
        assert_eq!(compare_responses(&nginx, &parse(other)), Ok(()));

        let bad = b"HTTP/1.1 200 OK\r\nServer: neurlang\r\nContent-Type: text/html\r\n\
            Content-Length: 13\r\nConnection: keep-alive\r\n\r\nHello, World?";
        let e = compare_responses(&nginx, &parse(bad)).unwrap_err();
        assert!(e.contains("header names"), "{e}");
        assert!(e.contains("Content-Type: \"text/html\""), "{e}");
        assert!(e.contains("body"), "{e}");

        let mut closed = parse(NGINX);
        closed.closed = true;
        let e = compare_responses(&nginx, &closed).unwrap_err();
        assert_eq!(
            e,
            "connection closed after the response instead of kept open"
        );
    }

    #[test]
    fn nginx_config_keeps_everything_in_its_dir() {
        let c = nginx_config(Path::new("/tmp/x"), 8081, 2, "");
        assert!(c.contains("worker_processes 2;"));
        assert!(c.contains("listen 127.0.0.1:8081;"));
        assert!(c.contains(r#"return 200 "Hello, World!";"#));
        let paths: Vec<&str> = c
            .split_whitespace()
            .filter(|w| w.starts_with('/') && *w != "/")
            .collect();
        assert_eq!(paths.len(), 7, "{c}");
        for p in paths {
            assert!(p.starts_with("/tmp/x/"), "path outside the temp dir: {p}");
        }
    }

    #[test]
    fn command_templates_are_checked() {
        assert!(Launch::command("").is_err());
        assert!(
            Launch::command("taskset --workers {workers}")
                .unwrap_err()
                .contains("{port}")
        );
        let e = Launch::command("./no/such/server --port {port}").unwrap_err();
        assert!(e.contains("does not exist"), "{e}");
        assert!(Launch::command("taskset --port {port}").is_ok());
    }
}
