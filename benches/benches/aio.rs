//! Async I/O runtime: empty poll against a raw `epoll_wait(0)` and polling's own zero-timeout
//! wait; register+deregister; timer insert+cancel with 1 k / 100 k / 1 M live timers; an echo
//! round trip over loopback through the runtime against blocking std sockets.
#![allow(unsafe_code)] // the raw epoll baseline

use std::hint::black_box;
use std::io::{Read, Write};
use std::net::{TcpListener, TcpStream};
use std::time::{Duration, Instant};

use criterion::{BenchmarkId, Criterion, criterion_group, criterion_main};
use neurlang::runtime::{AsyncRuntime, AsyncSocket, Interest, TimerWheel, Token};

fn pair() -> (TcpStream, TcpStream) {
    let l = TcpListener::bind("127.0.0.1:0").unwrap();
    let c = TcpStream::connect(l.local_addr().unwrap()).unwrap();
    let (s, _) = l.accept().unwrap();
    c.set_nodelay(true).unwrap();
    s.set_nodelay(true).unwrap();
    (c, s)
}

fn empty_poll(c: &mut Criterion) {
    let mut g = c.benchmark_group("aio/empty_poll");
    let (_c, s) = pair();
    let mut rt = AsyncRuntime::new().unwrap();
    let t = rt.register_fd(&s, Interest::READABLE).unwrap();
    g.bench_function("runtime_poll_zero", |b| {
        b.iter(|| rt.poll(Some(Duration::ZERO)).unwrap())
    });
    let poller = polling::Poller::new().unwrap();
    // SAFETY: `s` outlives the registration, deleted below before it is dropped.
    unsafe { poller.add(&s, polling::Event::readable(1)).unwrap() };
    let mut events = polling::Events::new();
    g.bench_function("polling_wait_zero", |b| {
        b.iter(|| poller.wait(&mut events, Some(Duration::ZERO)).unwrap())
    });
    poller.delete(&s).unwrap();
    raw_epoll(&mut g, &s);
    g.finish();
    rt.deregister(t).unwrap();
}

#[cfg(any(target_os = "linux", target_os = "android"))]
fn raw_epoll(
    g: &mut criterion::BenchmarkGroup<'_, criterion::measurement::WallTime>,
    s: &TcpStream,
) {
    use std::os::fd::AsRawFd;
    // SAFETY: plain syscall, no pointers.
    let epfd = unsafe { libc::epoll_create1(libc::EPOLL_CLOEXEC) };
    assert!(epfd >= 0);
    let mut ev = libc::epoll_event {
        events: libc::EPOLLIN as u32,
        u64: 1,
    };
    // SAFETY: valid epoll fd, open socket fd, valid event pointer.
    let rc = unsafe { libc::epoll_ctl(epfd, libc::EPOLL_CTL_ADD, s.as_raw_fd(), &mut ev) };
    assert_eq!(rc, 0);
    let mut buf = [libc::epoll_event { events: 0, u64: 0 }; 64];
    g.bench_function("raw_epoll_wait_zero", |b| {
        // SAFETY: `buf` holds 64 writable events; epfd is open.
        b.iter(|| unsafe { libc::epoll_wait(epfd, buf.as_mut_ptr(), 64, 0) })
    });
    // SAFETY: closing the epoll fd we created.
    unsafe { libc::close(epfd) };
}

#[cfg(not(any(target_os = "linux", target_os = "android")))]
fn raw_epoll(
    _: &mut criterion::BenchmarkGroup<'_, criterion::measurement::WallTime>,
    _: &TcpStream,
) {
}

fn register(c: &mut Criterion) {
    let mut g = c.benchmark_group("aio/register");
    let (_c, s) = pair();
    let mut rt = AsyncRuntime::new().unwrap();
    g.bench_function("register_deregister", |b| {
        b.iter(|| {
            let t = rt.register_fd(&s, Interest::READABLE).unwrap();
            rt.deregister(t).unwrap();
        })
    });
    g.finish();
}

fn timers(c: &mut Criterion) {
    let mut g = c.benchmark_group("aio/timer_insert_cancel");
    let base = Instant::now();
    // Deadlines spread over an hour, as a server's timeouts would be.
    let offsets: Vec<Duration> = (0..1024u64)
        .map(|i| Duration::from_millis(1 + (i * 2_654_435_761) % 3_600_000))
        .collect();
    for live in [1_000usize, 100_000, 1_000_000] {
        let mut w = TimerWheel::with_start(base);
        for i in 0..live {
            w.insert_at(
                Token(i as u64),
                base + offsets[i % offsets.len()] + Duration::from_micros(i as u64 % 997),
            );
        }
        let mut k = 0usize;
        g.bench_with_input(BenchmarkId::from_parameter(live), &live, |b, _| {
            b.iter(|| {
                k = (k + 1) & 1023;
                let id = w.insert_at(Token(u64::MAX >> 1), base + offsets[k]);
                black_box(w.cancel(id))
            })
        });
        assert_eq!(w.len(), live);
    }
    g.finish();
}

fn echo(c: &mut Criterion) {
    let mut g = c.benchmark_group("aio/echo_64b");
    let msg = [7u8; 64];
    {
        let (mut c, mut s) = pair();
        let mut buf = [0u8; 64];
        g.bench_function("blocking_std", |b| {
            b.iter(|| {
                c.write_all(&msg).unwrap();
                s.read_exact(&mut buf).unwrap();
                s.write_all(&buf).unwrap();
                c.read_exact(&mut buf).unwrap();
            })
        });
    }
    {
        let mut rt = AsyncRuntime::new().unwrap();
        let mut server = AsyncSocket::tcp().unwrap();
        server.bind("127.0.0.1:0".parse().unwrap()).unwrap();
        server.listen(8).unwrap();
        let mut client = AsyncSocket::tcp().unwrap();
        client.set_nodelay(true).unwrap();
        let _ = client.connect(server.local_addr().unwrap());
        let lt = rt.register_fd(server.raw(), Interest::READABLE).unwrap();
        while !rt.is_ready(lt, Interest::READABLE) {
            rt.poll(None).unwrap();
        }
        let (mut conn, _) = server.accept().unwrap();
        conn.set_nodelay(true).unwrap();
        let ct = rt.register_fd(client.raw(), Interest::READABLE).unwrap();
        let st = rt.register_fd(conn.raw(), Interest::READABLE).unwrap();
        let mut buf = [0u8; 64];
        let read_when_ready =
            |rt: &mut AsyncRuntime, s: &mut AsyncSocket, t: Token, buf: &mut [u8]| {
                let mut got = 0;
                while got < buf.len() {
                    if !rt.is_ready(t, Interest::READABLE) {
                        rt.poll(None).unwrap();
                        continue;
                    }
                    match s.read(&mut buf[got..]) {
                        Ok(n) => got += n,
                        Err(e) if e.kind() == std::io::ErrorKind::WouldBlock => {
                            rt.clear_ready(t, Interest::READABLE)
                        }
                        Err(e) => panic!("{e}"),
                    }
                }
            };
        g.bench_function("runtime", |b| {
            b.iter(|| {
                client.write(&msg).unwrap();
                read_when_ready(&mut rt, &mut conn, st, &mut buf);
                conn.write(&buf).unwrap();
                read_when_ready(&mut rt, &mut client, ct, &mut buf);
            })
        });
        for t in [ct, st, lt] {
            rt.deregister(t).unwrap();
        }
    }
    g.finish();
}

criterion_group!(
    benches,
    neurlang_benches::machine::header,
    empty_poll,
    register,
    timers,
    echo
);
criterion_main!(benches);
