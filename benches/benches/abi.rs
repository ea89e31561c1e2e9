//! The runtime's C-ABI functions as generated code calls them (raw `u64` descriptors, tokens and
//! ids, the `extern "C"` functions), each in one criterion group beside its natural baseline, so
//! the ratio comes from one run. The target: each within 1.3x of its baseline plus at most 20 ns.
//!
//! - `file_seek`: a seek to 0, against `lseek(2)`;
//! - `file_read_64` / `file_write_64`: seek to 0 and move 64 bytes of a file through a token,
//!   against `lseek(2)` + `read(2)`/`write(2)` on the same file (and `pread(2)`/`pwrite(2)`,
//!   which the ABI has no counterpart of);
//! - `net_send_recv_64`: 64 bytes over a connected loopback TCP pair, against `send(2)` +
//!   `recv(2)` on another;
//! - `chan_send_recv`: one value through a channel, against `std::sync::mpsc`;
//! - `spawn_join`: a task that returns its argument, against `std::thread::spawn` + `join`;
//! - `cap_check`: a 64-byte read check of a token, against a `Vec` index and a length and
//!   permission compare; `cap_create_revoke` against a slot table's insert and remove, bare
//!   and behind a `RwLock` (taken once for each, as a table shared by threads must be);
//! - `time_monotonic` / `time_now`: against `clock_gettime(2)`;
//! - `rand_fill_32`: 32 random bytes through a token, against `getrandom` (the crate the
//!   runtime calls).
//!
//! `cargo bench -p neurlang-benches --bench abi -- --warm-up-time 1 --measurement-time 2`
//!
//! The figures: docs/performance.md, "The C ABI against its baselines".

#![allow(unsafe_code)] // the C ABI, and libc for the baselines

#[cfg(unix)]
mod unix {
    use criterion::Criterion;
    use neurlang::abi::*;
    use neurlang_benches::abi::{CAP_READ, CAP_WRITE, HOST, Scratch, leaked_token};
    use std::hint::black_box;
    use std::net::{TcpListener, TcpStream};
    use std::os::fd::AsRawFd;

    const LEN: usize = 64;

    /// Files: seek to 0 + read or write 64 bytes, through the ABI and through libc.
    pub fn files(c: &mut Criterion) {
        let scratch = Scratch::new("abi");
        let (path, fd) = scratch.open("f", &[0x5a; 4096]);
        let file = std::fs::OpenOptions::new()
            .read(true)
            .write(true)
            .open(&path)
            .unwrap();
        let raw = file.as_raw_fd();
        let (buf, tok) = leaked_token(LEN, CAP_READ | CAP_WRITE);
        let mut plain = [0u8; LEN];

        // The seek alone, so that the read's own share of the next group is its total less this.
        let mut g = c.benchmark_group("abi/file_seek");
        g.bench_function("neurlang_file_seek", |b| {
            b.iter(|| neurlang_file_seek(black_box(fd), black_box(0), 0))
        });
        g.bench_function("lseek", |b| {
            // SAFETY: `raw` is open while `file` lives.
            b.iter(|| unsafe { libc::lseek(raw, black_box(0), libc::SEEK_SET) })
        });
        g.finish();

        let mut g = c.benchmark_group("abi/file_read_64");
        g.bench_function("neurlang_file_seek+read", |b| {
            b.iter(|| {
                assert_eq!(neurlang_file_seek(black_box(fd), 0, 0), 0);
                black_box(neurlang_file_read(
                    black_box(fd),
                    black_box(tok),
                    LEN as u64,
                ))
            })
        });
        g.bench_function("lseek+read", |b| {
            b.iter(|| {
                // SAFETY: `raw` is open while `file` lives.
                assert_eq!(unsafe { libc::lseek(raw, 0, libc::SEEK_SET) }, 0);
                // SAFETY: as above; `plain` is LEN writable bytes.
                black_box(unsafe { libc::read(raw, plain.as_mut_ptr().cast(), LEN) })
            })
        });
        g.bench_function("pread", |b| {
            b.iter(|| {
                // SAFETY: as above.
                unsafe { black_box(libc::pread(raw, plain.as_mut_ptr().cast(), LEN, 0)) }
            })
        });
        g.finish();
        assert_eq!(&buf[..], &plain[..], "both read the same bytes");

        let mut g = c.benchmark_group("abi/file_write_64");
        g.bench_function("neurlang_file_seek+write", |b| {
            b.iter(|| {
                assert_eq!(neurlang_file_seek(black_box(fd), 0, 0), 0);
                black_box(neurlang_file_write(
                    black_box(fd),
                    black_box(tok),
                    LEN as u64,
                ))
            })
        });
        g.bench_function("lseek+write", |b| {
            b.iter(|| {
                // SAFETY: `raw` is open while `file` lives.
                assert_eq!(unsafe { libc::lseek(raw, 0, libc::SEEK_SET) }, 0);
                // SAFETY: as above; `plain` is LEN readable bytes.
                black_box(unsafe { libc::write(raw, plain.as_ptr().cast(), LEN) })
            })
        });
        g.bench_function("pwrite", |b| {
            b.iter(|| {
                // SAFETY: as above.
                unsafe { black_box(libc::pwrite(raw, plain.as_ptr().cast(), LEN, 0)) }
            })
        });
        g.finish();
        assert_eq!(neurlang_file_close(fd), 0);
    }

    /// A connected loopback pair through the ABI: (client, server side) descriptors.
    fn abi_pair() -> (u64, u64) {
        // SAFETY: `HOST` is a live slice of the length passed.
        let listener = unsafe { neurlang_net_listen(HOST.as_ptr(), HOST.len() as u64, 0) };
        assert!(listener >= 0, "neurlang_net_listen: {listener}");
        let port = neurlang_net_port(listener as u64);
        // SAFETY: as above.
        let client = unsafe { neurlang_net_connect(HOST.as_ptr(), HOST.len() as u64, port as u64) };
        assert!(client >= 0, "neurlang_net_connect: {client}");
        let server = neurlang_net_accept(listener as u64);
        assert!(server >= 0, "neurlang_net_accept: {server}");
        assert_eq!(neurlang_net_close(listener as u64), 0);
        (client as u64, server as u64)
    }

    /// Sockets: 64 bytes sent on one end of a loopback TCP pair and received on the other.
    pub fn sockets(c: &mut Criterion) {
        let _scratch = Scratch::new("abi-net");
        let (client, server) = abi_pair();
        let (_, out) = leaked_token(LEN, CAP_READ);
        let (_, into) = leaked_token(LEN, CAP_WRITE);
        let listener = TcpListener::bind((HOST, 0)).unwrap();
        let tx = TcpStream::connect(listener.local_addr().unwrap()).unwrap();
        let (rx, _) = listener.accept().unwrap();
        let (send_fd, recv_fd) = (tx.as_raw_fd(), rx.as_raw_fd());
        let data = [0x5au8; LEN];
        let mut got = [0u8; LEN];

        let mut g = c.benchmark_group("abi/net_send_recv_64");
        g.bench_function("neurlang_net_send+recv", |b| {
            b.iter(|| {
                assert_eq!(
                    neurlang_net_send(client, black_box(out), LEN as u64),
                    LEN as i64
                );
                let mut n = 0;
                while n < LEN as i64 {
                    let r = neurlang_net_recv(server, black_box(into), LEN as u64 - n as u64);
                    assert!(r > 0, "neurlang_net_recv: {r}");
                    n += r;
                }
            })
        });
        g.bench_function("send+recv", |b| {
            b.iter(|| {
                // SAFETY: `send_fd` is open while `tx` lives; `data` is LEN readable bytes.
                let sent = unsafe { libc::send(send_fd, data.as_ptr().cast(), LEN, 0) };
                assert_eq!(sent, LEN as isize);
                let mut n = 0;
                while n < LEN {
                    let rest = &mut got[n..];
                    // SAFETY: `recv_fd` is open while `rx` lives; `rest` is `rest.len()`
                    // writable bytes.
                    let r = unsafe { libc::recv(recv_fd, rest.as_mut_ptr().cast(), rest.len(), 0) };
                    assert!(r > 0, "recv: {r}");
                    n += r as usize;
                }
            })
        });
        g.finish();
        assert_eq!(neurlang_net_close(client), 0);
        assert_eq!(neurlang_net_close(server), 0);
    }

    /// Channels, tasks.
    pub fn concurrency(c: &mut Criterion) {
        let ch = neurlang_chan_create();
        assert!(ch >= 0, "neurlang_chan_create: {ch}");
        let ch = ch as u64;
        let (tx, rx) = std::sync::mpsc::channel::<u64>();
        let mut g = c.benchmark_group("abi/chan_send_recv");
        g.bench_function("neurlang_chan_send+recv", |b| {
            b.iter(|| {
                neurlang_chan_send(black_box(ch), black_box(7));
                black_box(neurlang_chan_recv(black_box(ch)))
            })
        });
        g.bench_function("mpsc_send+recv", |b| {
            b.iter(|| {
                tx.send(black_box(7)).unwrap();
                black_box(rx.recv().unwrap())
            })
        });
        g.finish();
        assert_eq!(neurlang_chan_destroy(ch), 0);

        extern "C" fn identity(arg: u64) -> u64 {
            arg
        }
        let entry = identity as extern "C" fn(u64) -> u64 as usize as u64;
        let mut g = c.benchmark_group("abi/spawn_join");
        g.bench_function("neurlang_spawn+join", |b| {
            b.iter(|| {
                // SAFETY: `entry` is the address of an `extern "C" fn(u64) -> u64` that touches
                // nothing but its argument.
                let task = unsafe { neurlang_spawn(entry, black_box(3)) };
                assert!(task >= 0, "neurlang_spawn: {task}");
                assert_eq!(neurlang_join(task as u64), 3);
            })
        });
        g.bench_function("thread_spawn+join", |b| {
            b.iter(|| {
                let x = black_box(3u64);
                assert_eq!(std::thread::spawn(move || x).join().unwrap(), 3);
            })
        });
        g.finish();
    }

    /// One entry of the baselines' capability table: base, length, permissions.
    type Slot = Option<(usize, usize, u64)>;

    /// Capabilities: check, create + revoke.
    pub fn capabilities(c: &mut Criterion) {
        let (buf, tok) = leaked_token(LEN, CAP_READ | CAP_WRITE);
        let base = buf.as_mut_ptr();
        // A table of 1 024 slots, the checked one in the middle.
        let mut table: Vec<Slot> = vec![Some((0, LEN, CAP_READ | CAP_WRITE)); 1024];
        let mut g = c.benchmark_group("abi/cap_check");
        g.bench_function("neurlang_cap_check", |b| {
            b.iter(|| black_box(neurlang_cap_check(black_box(tok), CAP_READ, LEN as u64)))
        });
        g.bench_function("vec_index+compare", |b| {
            b.iter(|| {
                let (index, perms, len) = (black_box(512usize), CAP_READ, black_box(LEN));
                let r = match table.get(index) {
                    Some(Some((_, l, p))) if *l >= len && p & perms == perms => *l as i64,
                    _ => -14,
                };
                black_box(r)
            })
        });
        g.finish();

        let mut free: Vec<usize> = (0..1024).collect();
        let mut g = c.benchmark_group("abi/cap_create_revoke");
        g.bench_function("neurlang_cap_create+revoke", |b| {
            b.iter(|| {
                // SAFETY: `base` is LEN leaked bytes, valid for ever for any access.
                let t = unsafe { neurlang_cap_create(black_box(base), LEN as u64, 3) };
                assert_eq!(neurlang_cap_revoke(t as u64), 0);
            })
        });
        g.bench_function("slot_table_insert+remove", |b| {
            b.iter(|| {
                let i = free.pop().unwrap();
                table[i] = Some((black_box(base as usize), LEN, 3));
                black_box(&table[i]);
                table[i] = None;
                free.push(i);
            })
        });
        // The same behind a lock, as any table shared by threads must be: a create and a
        // revoke from generated code may come from any thread.
        let shared = std::sync::RwLock::new((table, free));
        g.bench_function("locked_slot_table_insert+remove", |b| {
            b.iter(|| {
                let i = {
                    let mut t = shared.write().unwrap();
                    let (table, free) = &mut *t;
                    let i = free.pop().unwrap();
                    table[i] = Some((black_box(base as usize), LEN, 3));
                    i
                };
                let mut t = shared.write().unwrap();
                let (table, free) = &mut *t;
                black_box(&table[i]);
                table[i] = None;
                free.push(i);
            })
        });
        g.finish();
    }

    /// Clocks and random bytes.
    pub fn time_rand(c: &mut Criterion) {
        for (name, abi, clock) in [
            (
                "abi/time_monotonic",
                neurlang_time_monotonic as extern "C" fn() -> i64,
                libc::CLOCK_MONOTONIC,
            ),
            ("abi/time_now", neurlang_time_now, libc::CLOCK_REALTIME),
        ] {
            let mut g = c.benchmark_group(name);
            g.bench_function(format!("neurlang_{}", &name[4..]), |b| {
                b.iter(|| black_box(abi()))
            });
            g.bench_function("clock_gettime", |b| {
                b.iter(|| {
                    let mut ts = libc::timespec {
                        tv_sec: 0,
                        tv_nsec: 0,
                    };
                    // SAFETY: `ts` is a writable timespec.
                    unsafe { libc::clock_gettime(black_box(clock), &mut ts) };
                    black_box(ts.tv_sec * 1_000_000_000 + ts.tv_nsec)
                })
            });
            g.finish();
        }

        let (_, tok) = leaked_token(32, CAP_WRITE);
        let mut plain = [0u8; 32];
        let mut g = c.benchmark_group("abi/rand_fill_32");
        g.bench_function("neurlang_rand_fill", |b| {
            b.iter(|| assert_eq!(neurlang_rand_fill(black_box(tok), 32), 32))
        });
        g.bench_function("getrandom", |b| {
            b.iter(|| getrandom::fill(black_box(&mut plain)).unwrap())
        });
        g.finish();
    }
}

#[cfg(unix)]
criterion::criterion_group!(
    benches,
    neurlang_benches::machine::header,
    unix::files,
    unix::sockets,
    unix::concurrency,
    unix::capabilities,
    unix::time_rand
);
#[cfg(unix)]
criterion::criterion_main!(benches);

#[cfg(not(unix))]
fn main() {
    println!("abi bench: SKIPPED: Unix only (the baselines call libc)");
}
