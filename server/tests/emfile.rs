//! When the process runs out of descriptors, the server stops accepting for a while instead of
//! spinning on `EMFILE`, and serves the connections that queued meanwhile once descriptors are
//! free again. Unix only (a per-process descriptor limit); its own binary, so lowering this
//! process's limit affects no other test.

mod common;

#[cfg(not(unix))]
#[test]
fn out_of_descriptors_the_server_backs_off_then_serves() {
    eprintln!("skipped: this OS has no per-process descriptor limit to exhaust (RLIMIT_NOFILE)");
}

#[cfg(unix)]
#[allow(unsafe_code)] // getrlimit, setrlimit and getrusage through libc
mod unix {
    use std::fs::File;
    use std::io;
    use std::net::TcpStream;
    use std::time::Duration;

    use super::common::{self, AssertOk, Client, GET};
    use neurlang::runtime::WorkerStrategy;
    use neurlang_server::Config;

    /// Connections that wait in the backlog while the server has no descriptor left.
    const QUEUED: usize = 5;

    fn nofile() -> libc::rlimit {
        let mut lim = libc::rlimit {
            rlim_cur: 0,
            rlim_max: 0,
        };
        // SAFETY: `lim` is a valid rlimit for getrlimit to fill in.
        assert_eq!(unsafe { libc::getrlimit(libc::RLIMIT_NOFILE, &mut lim) }, 0);
        lim
    }

    fn set_nofile(lim: &libc::rlimit) {
        // SAFETY: `lim` is a valid, initialised rlimit.
        let r = unsafe { libc::setrlimit(libc::RLIMIT_NOFILE, lim) };
        assert_eq!(r, 0, "setrlimit: {}", io::Error::last_os_error());
    }

    /// CPU time (user + system) this process has used.
    fn cpu_time() -> Duration {
        // SAFETY: all-zero bytes are a valid `rusage` (integers and timevals).
        let mut usage: libc::rusage = unsafe { std::mem::zeroed() };
        // SAFETY: `usage` is a valid rusage for getrusage to fill in.
        assert_eq!(unsafe { libc::getrusage(libc::RUSAGE_SELF, &mut usage) }, 0);
        let tv = |t: libc::timeval| Duration::new(t.tv_sec as u64, t.tv_usec as u32 * 1000);
        tv(usage.ru_utime) + tv(usage.ru_stime)
    }

    fn is_emfile(e: &io::Error) -> bool {
        e.raw_os_error() == Some(libc::EMFILE)
    }

    /// Opens descriptors until none is left.
    fn exhaust() -> Vec<File> {
        let mut ballast = Vec::new();
        loop {
            match File::open("/dev/null") {
                Ok(f) => ballast.push(f),
                Err(e) if is_emfile(&e) => return ballast,
                Err(e) => panic!("opening /dev/null: {e}"),
            }
        }
    }

    #[test]
    fn out_of_descriptors_the_server_backs_off_then_serves() {
        let saved = nofile();
        let open = std::fs::read_dir("/dev/fd").map_or(64, |d| d.count()) as libc::rlim_t;
        set_nofile(&libc::rlimit {
            rlim_cur: (open + 40).min(saved.rlim_max),
            rlim_max: saved.rlim_max,
        });
        let server = common::start(Config {
            workers: 1,
            strategy: WorkerStrategy::SingleThreaded,
            defer_accept: false,
            ..common::config()
        });
        let addr = server.local_addr();
        let mut served: Vec<Client> = (0..4).map(|_| Client::connect(addr).unwrap()).collect();
        for c in &mut served {
            c.request(GET).assert_ok(false, true);
        }

        // Every descriptor taken; then each queued connection gets exactly one back for its
        // client socket, so the server's accept finds none.
        let mut ballast = exhaust();
        let mut queued = Vec::new();
        while queued.len() < QUEUED {
            drop(ballast.pop().expect("ran out of ballast"));
            match TcpStream::connect(addr) {
                Ok(s) => {
                    let mut c = Client::connect_from(s).unwrap();
                    c.send(GET);
                    queued.push(c);
                }
                // A retry of the server's accept took the descriptor first.
                Err(e) if is_emfile(&e) => {}
                Err(e) => panic!("connect: {e}"),
            }
        }

        // The server now waits with connections in its backlog and no descriptor: a loop retrying
        // `accept` at once would use this second of CPU (half of it on a busy 2-core machine);
        // backing off uses next to none.
        let cpu_before = cpu_time();
        std::thread::sleep(Duration::from_secs(1));
        let cpu = cpu_time() - cpu_before;
        eprintln!("CPU used in 1 s out of descriptors: {cpu:?}");
        assert!(
            cpu < Duration::from_millis(200),
            "the process used {cpu:?} of CPU in 1 s while out of descriptors"
        );

        drop(ballast);
        for (i, c) in queued.iter_mut().enumerate() {
            let r = c
                .response(false)
                .unwrap_or_else(|e| panic!("queued connection {i}: {e}"));
            r.assert_ok(false, true);
        }
        for c in &mut served {
            c.request(GET).assert_ok(false, true);
        }
        drop((queued, served));
        set_nofile(&saved);
        let stats = server.shutdown().unwrap();
        assert!(stats.accept_backoffs > 0, "{stats:?}");
        assert_eq!(stats.requests, (4 + QUEUED + 4) as u64, "{stats:?}");
        assert!(stats.errors.is_empty(), "{stats:?}");
    }
}
