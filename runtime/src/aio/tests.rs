use std::io::{self, ErrorKind, Read, Write};
use std::net::{SocketAddr, TcpListener, TcpStream};
use std::sync::atomic::{AtomicBool, AtomicUsize, Ordering};
use std::sync::{Arc, Mutex};
use std::task::{Poll, Waker};
use std::time::{Duration, Instant};

use super::*;
use crate::errno::Errno;

const LONG: Option<Duration> = Some(Duration::from_secs(10));

fn listener() -> (TcpListener, SocketAddr) {
    let l = TcpListener::bind("127.0.0.1:0").unwrap();
    let a = l.local_addr().unwrap();
    (l, a)
}

fn pair() -> (TcpStream, TcpStream) {
    let (l, a) = listener();
    let c = TcpStream::connect(a).unwrap();
    let (s, _) = l.accept().unwrap();
    s.set_nonblocking(true).unwrap();
    (c, s)
}

/// Polls until `token` is ready for `interest` (bounded: a lost wake-up fails, it does not hang).
fn wait_ready(rt: &mut AsyncRuntime, token: Token, interest: Interest) {
    for _ in 0..100 {
        if rt.is_ready(token, interest) {
            return;
        }
        rt.poll(Some(Duration::from_millis(100))).unwrap();
    }
    panic!("{token:?} never became ready for {interest:?}");
}

#[test]
fn spec_runtime_example() -> io::Result<()> {
    let (listener, addr) = listener();
    listener.set_nonblocking(true)?;
    let mut runtime = AsyncRuntime::new()?;
    let token = runtime.register_fd(&listener, Interest::READABLE)?;
    let _client = TcpStream::connect(addr)?;
    wait_ready(&mut runtime, token, Interest::READABLE);
    if runtime.is_ready(token, Interest::READABLE) {
        let (_conn, _) = listener.accept()?;
        assert_eq!(listener.accept().unwrap_err().kind(), ErrorKind::WouldBlock);
        runtime.clear_ready(token, Interest::READABLE);
    }
    assert!(!runtime.is_ready(token, Interest::READABLE));
    let timer_token = runtime.schedule_timer(Duration::from_millis(20));
    let started = Instant::now();
    // Returns once the timer has fired: nothing else is left to do.
    runtime.run(Some(Duration::from_secs(30)))?;
    assert!(runtime.is_ready(timer_token, Interest::READABLE));
    assert!(
        started.elapsed() >= Duration::from_millis(20),
        "timer fired early"
    );
    runtime.deregister(token)
}

#[test]
fn owned_timers_report_their_owner_and_cancel_by_id() -> io::Result<()> {
    let mut rt = AsyncRuntime::new()?;
    let (kept, cancelled) = (Token(7), Token(8));
    let keep = rt.schedule_timer_for(kept, Duration::from_millis(5));
    let cancel = rt.schedule_timer_for(cancelled, Duration::from_millis(5));
    assert!(rt.cancel_timer(cancel));
    assert!(!rt.cancel_timer(cancel), "cancelled twice");
    let own = rt.schedule_timer(Duration::from_millis(5));
    let started = Instant::now();
    rt.run(LONG)?; // returns once no timer is pending
    assert!(started.elapsed() >= Duration::from_millis(5), "fired early");
    assert!(!rt.cancel_timer(keep), "cancelled after it expired");
    assert!(rt.is_ready(own, Interest::READABLE));
    rt.clear_ready(own, Interest::READABLE);
    assert!(!rt.is_ready(own, Interest::READABLE), "cleared");
    assert_eq!(rt.expired_timers().collect::<Vec<_>>(), vec![kept]);
    assert_eq!(rt.expired_timers().count(), 0, "drained");
    Ok(())
}

#[test]
fn spec_socket_example_with_einprogress_correction() -> io::Result<()> {
    let (listener, addr) = listener();
    let mut rt = AsyncRuntime::new()?;
    let mut socket = AsyncSocket::tcp()?;
    socket.set_reuse_addr(true)?;
    socket.set_nodelay(true)?;
    match socket.connect(addr) {
        Ok(()) => {}
        Err(e) if connect_in_progress(&e) => {}
        Err(e) => return Err(e),
    }
    let token = rt.register_fd(socket.raw(), Interest::WRITABLE)?;
    wait_ready(&mut rt, token, Interest::WRITABLE);
    assert!(socket.take_error()?.is_none());
    let (mut server, _) = listener.accept()?;
    assert_eq!(socket.write(b"ping")?, 4);
    let mut buf = [0u8; 4];
    server.read_exact(&mut buf)?;
    assert_eq!(&buf, b"ping");
    assert_eq!(
        socket.read(&mut buf).unwrap_err().kind(),
        ErrorKind::WouldBlock
    );
    server.write_all(b"pong")?;
    rt.modify(token, Interest::READABLE)?;
    wait_ready(&mut rt, token, Interest::READABLE);
    assert_eq!(socket.read(&mut buf)?, 4);
    assert_eq!(&buf, b"pong");
    rt.deregister(token)
}

#[test]
fn connect_failure_is_reported_through_so_error() -> io::Result<()> {
    let addr = listener().1; // the listener is closed: nothing listens there now
    let mut rt = AsyncRuntime::new()?;
    let mut socket = AsyncSocket::tcp()?;
    let err = match socket.connect(addr) {
        Err(e) if connect_in_progress(&e) => {
            let token = rt.register_fd(socket.raw(), Interest::WRITABLE | Interest::READABLE)?;
            wait_ready(
                &mut rt,
                token,
                Interest::WRITABLE | Interest::READABLE | Interest::ERROR,
            );
            rt.deregister(token)?;
            socket.take_error()?.expect("SO_ERROR holds the failure")
        }
        Err(e) => e,
        Ok(()) => panic!("connected to a closed port"),
    };
    assert_eq!(Errno::from_io_error(&err), Errno::ECONNREFUSED);
    Ok(())
}

#[test]
fn many_loopback_connections_echo() -> io::Result<()> {
    const N: usize = 128;
    let mut rt = AsyncRuntime::new()?;
    let mut server = AsyncSocket::tcp()?;
    server.bind("127.0.0.1:0".parse().unwrap())?;
    server.listen(1024)?;
    let addr = server.local_addr()?;
    let lt = rt.register_fd(server.raw(), Interest::READABLE)?;
    let mut clients = Vec::new();
    for i in 0..N {
        let mut c = TcpStream::connect(addr)?;
        c.write_all(&[i as u8])?;
        clients.push(c);
    }
    let mut conns: Vec<(AsyncSocket, Token)> = Vec::new();
    let mut echoed = 0;
    for _ in 0..1000 {
        if echoed == N {
            break;
        }
        rt.poll(Some(Duration::from_millis(100)))?;
        if rt.is_ready(lt, Interest::READABLE) {
            loop {
                match server.accept() {
                    Ok((s, _)) => {
                        let t = rt.register_fd(s.raw(), Interest::READABLE)?;
                        conns.push((s, t));
                    }
                    Err(e) if e.kind() == ErrorKind::WouldBlock => break,
                    Err(e) => return Err(e),
                }
            }
            rt.clear_ready(lt, Interest::READABLE);
        }
        for (s, t) in &mut conns {
            if rt.is_ready(*t, Interest::READABLE) {
                let mut b = [0u8; 16];
                match s.read(&mut b) {
                    Ok(n) if n > 0 => {
                        s.write(&b[..n])?;
                        echoed += 1;
                    }
                    Ok(_) => {}
                    Err(e) if e.kind() == ErrorKind::WouldBlock => {
                        rt.clear_ready(*t, Interest::READABLE)
                    }
                    Err(e) => return Err(e),
                }
            }
        }
    }
    assert_eq!(echoed, N);
    for (i, c) in clients.iter_mut().enumerate() {
        let mut b = [0u8; 1];
        c.read_exact(&mut b)?;
        assert_eq!(b[0], i as u8);
    }
    for (_, t) in conns {
        rt.deregister(t)?;
    }
    rt.deregister(lt)
}

#[test]
fn register_and_modify_while_another_thread_waits() -> io::Result<()> {
    let mut rt = AsyncRuntime::new()?;
    let reactor = rt.reactor().clone();
    let (mut c1, s1) = pair();
    let (mut c2, s2) = pair();
    c1.write_all(b"x")?;
    c2.write_all(b"y")?;
    let quiet = rt.register_fd(&s2, Interest::NONE)?;
    let added = Arc::new(Mutex::new(None));
    let added2 = added.clone();
    let helper = std::thread::spawn(move || {
        std::thread::sleep(Duration::from_millis(50)); // let the main thread block first
        *added2.lock().unwrap() = Some(reactor.register(&s1, Interest::READABLE).unwrap());
        reactor.modify(quiet, Interest::READABLE).unwrap();
        s1
    });
    let mut got = 0;
    for _ in 0..20 {
        rt.poll(LONG)?; // blocks until the other thread's registrations fire
        let t1 = *added.lock().unwrap();
        got = usize::from(t1.is_some_and(|t| rt.is_ready(t, Interest::READABLE)))
            + usize::from(rt.is_ready(quiet, Interest::READABLE));
        if got == 2 {
            break;
        }
    }
    assert_eq!(got, 2);
    let s1 = helper.join().unwrap();
    rt.deregister(added.lock().unwrap().unwrap())?;
    rt.deregister(quiet)?;
    drop((s1, s2));
    Ok(())
}

#[test]
fn reused_descriptor_gets_a_distinct_token() -> io::Result<()> {
    let mut rt = AsyncRuntime::new()?;
    let (_c1, s1) = pair();
    let old = rt.register_fd(&s1, Interest::READABLE)?;
    rt.deregister(old)?;
    drop(s1);
    let (mut c2, s2) = pair(); // likely the same descriptor number
    let new = rt.register_fd(&s2, Interest::READABLE)?;
    assert_ne!(old, new);
    assert_eq!(old.slot(), new.slot(), "a freed slot is reused first");
    c2.write_all(b"z")?;
    wait_ready(&mut rt, new, Interest::READABLE);
    assert!(
        !rt.is_ready(old, Interest::READABLE),
        "stale token reported ready"
    );
    assert_eq!(rt.deregister(old).unwrap_err().kind(), ErrorKind::NotFound);
    assert_eq!(
        rt.modify(old, Interest::WRITABLE).unwrap_err().kind(),
        ErrorKind::NotFound
    );
    rt.clear_ready(old, Interest::READABLE); // harmless
    assert!(rt.is_ready(new, Interest::READABLE));
    rt.deregister(new)
}

#[test]
fn spurious_wakeups_are_tolerated_and_no_readiness_is_lost() -> io::Result<()> {
    let mut rt = AsyncRuntime::new()?;
    let (mut c, mut s) = pair();
    let t = rt.register_fd(&s, Interest::READABLE)?;
    rt.reactor().notify()?;
    rt.poll(LONG)?; // returns at once: a wake-up with no event
    assert!(!rt.is_ready(t, Interest::READABLE));
    c.write_all(b"a")?;
    wait_ready(&mut rt, t, Interest::READABLE);
    c.write_all(b"b")?;
    rt.poll(Some(Duration::from_millis(10)))?;
    // Clearing without having read: the data is still there, so readiness must come back.
    rt.clear_ready(t, Interest::READABLE);
    wait_ready(&mut rt, t, Interest::READABLE);
    let mut b = [0u8; 8];
    assert_eq!(s.read(&mut b)?, 2);
    assert_eq!(s.read(&mut b).unwrap_err().kind(), ErrorKind::WouldBlock);
    rt.clear_ready(t, Interest::READABLE);
    c.write_all(b"c")?;
    wait_ready(&mut rt, t, Interest::READABLE);
    rt.deregister(t)
}

#[test]
fn idle_poll_does_not_spin() -> io::Result<()> {
    let mut rt = AsyncRuntime::new()?;
    let (_c, s) = pair();
    let t = rt.register_fd(&s, Interest::READABLE)?;
    let _timer = rt.schedule_timer(Duration::from_secs(3600));
    let Some(before) = crate::sys::thread_cpu_time() else {
        return Ok(());
    };
    let deadline = Instant::now() + Duration::from_secs(1);
    while Instant::now() < deadline {
        rt.poll(Some(deadline - Instant::now()))?;
    }
    let used = crate::sys::thread_cpu_time().unwrap() - before;
    // CPU usage, not speed: an idle second must not burn a busy-loop's worth of CPU.
    assert!(
        used < Duration::from_millis(100),
        "idle loop used {used:?} of CPU in 1 s"
    );
    rt.deregister(t)
}

#[derive(Default)]
struct Slot {
    waker: Option<Waker>,
    done: bool,
}

#[test]
fn self_waking_task_cannot_starve_io() -> io::Result<()> {
    let mut rt = AsyncRuntime::new()?;
    let (mut c, s) = pair();
    let t = rt.register_fd(&s, Interest::READABLE)?;
    let reactor = rt.reactor().clone();
    let stop = Arc::new(AtomicBool::new(false));
    let spins = Arc::new(AtomicUsize::new(0));
    let (stop1, stop2, spins2) = (stop.clone(), stop.clone(), spins.clone());
    rt.spawn(std::future::poll_fn(move |cx| {
        if stop1.load(Ordering::SeqCst) {
            return Poll::Ready(());
        }
        spins2.fetch_add(1, Ordering::Relaxed);
        cx.waker().wake_by_ref(); // always ready again
        Poll::Pending
    }));
    rt.spawn(std::future::poll_fn(move |cx| {
        match reactor.poll_ready(t, Interest::READABLE, cx) {
            Poll::Ready(_) => {
                stop2.store(true, Ordering::SeqCst);
                Poll::Ready(())
            }
            Poll::Pending => Poll::Pending,
        }
    }));
    c.write_all(b"!")?;
    rt.run(LONG)?;
    assert!(stop.load(Ordering::SeqCst), "the I/O task never ran");
    assert!(spins.load(Ordering::Relaxed) > 0);
    rt.deregister(t)
}

#[test]
fn cross_thread_wake_unblocks_the_loop() -> io::Result<()> {
    let mut rt = AsyncRuntime::new()?;
    let slot = Arc::new(Mutex::new(Slot::default()));
    let task_slot = slot.clone();
    rt.spawn(std::future::poll_fn(move |cx| {
        let mut s = task_slot.lock().unwrap();
        if s.done {
            return Poll::Ready(());
        }
        s.waker = Some(cx.waker().clone());
        Poll::Pending
    }));
    let waker_slot = slot.clone();
    let helper = std::thread::spawn(move || {
        loop {
            let mut s = waker_slot.lock().unwrap();
            if let Some(w) = s.waker.take() {
                s.done = true;
                drop(s);
                std::thread::sleep(Duration::from_millis(20));
                w.wake();
                return;
            }
            drop(s);
            std::thread::yield_now();
        }
    });
    rt.run(None)?; // blocks in the OS wait until the other thread's wake-up
    assert!(slot.lock().unwrap().done);
    helper.join().unwrap();
    Ok(())
}

#[test]
fn udp_round_trip() -> io::Result<()> {
    let mut rt = AsyncRuntime::new()?;
    let mut a = AsyncSocket::udp()?;
    let mut b = AsyncSocket::udp()?;
    a.bind("127.0.0.1:0".parse().unwrap())?;
    b.bind("127.0.0.1:0".parse().unwrap())?;
    let tb = rt.register_fd(b.raw(), Interest::READABLE)?;
    let mut buf = [0u8; 16];
    assert_eq!(
        b.recv_from(&mut buf).unwrap_err().kind(),
        ErrorKind::WouldBlock
    );
    a.send_to(b"dgram", b.local_addr()?)?;
    wait_ready(&mut rt, tb, Interest::READABLE);
    let (n, from) = b.recv_from(&mut buf)?;
    assert_eq!((&buf[..n], from), (&b"dgram"[..], a.local_addr()?));
    rt.deregister(tb)
}

#[test]
fn spec_file_example_and_errors() -> io::Result<()> {
    let dir = std::env::temp_dir().join(format!("neurlang-aio-{}", std::process::id()));
    std::fs::create_dir_all(&dir)?;
    let path = dir.join("log.txt");
    let mut file = AsyncFile::create(&path)?;
    file.write(b"Hello, ")?;
    file.sync_all()?;
    let mut file = AsyncFile::open(
        &path,
        OpenOptions::new().write(true).append(true).create(true),
    )?;
    file.write(b"world!")?;
    let mut file = AsyncFile::open_read(&path)?;
    let mut buffer = [0u8; 64];
    let n = file.read(&mut buffer)?;
    assert_eq!(&buffer[..n], b"Hello, world!");
    assert_eq!(file.seek(io::SeekFrom::Start(7))?, 7);
    assert_eq!(
        AsyncFile::open_read(dir.join("missing")).unwrap_err(),
        Errno::ENOENT
    );

    // The same through the blocking pool, from a task.
    let mut rt = AsyncRuntime::new()?;
    let out = Arc::new(Mutex::new(Vec::new()));
    let out2 = out.clone();
    rt.spawn(async move {
        let (buf, n) = file.read_async(vec![0; 64]).await.unwrap();
        out2.lock().unwrap().extend_from_slice(&buf[..n]);
    });
    rt.run(LONG)?;
    assert_eq!(&out.lock().unwrap()[..], b"world!");
    drop(rt);
    // Best effort: under Wine the directory removal can race the deferred file deletion.
    let _ = std::fs::remove_dir_all(&dir);
    Ok(())
}

#[test]
fn zero_timeout_polls_see_events_and_keep_notify_working() -> io::Result<()> {
    let mut rt = AsyncRuntime::new()?;
    let (mut c, s) = pair();
    let t = rt.register_fd(&s, Interest::READABLE)?;
    assert_eq!(rt.poll(Some(Duration::ZERO))?, 0);
    c.write_all(b"x")?;
    let deadline = Instant::now() + Duration::from_secs(10);
    while !rt.is_ready(t, Interest::READABLE) && Instant::now() < deadline {
        rt.poll(Some(Duration::ZERO))?;
    }
    assert!(rt.is_ready(t, Interest::READABLE));
    // A notification consumed by a zero-timeout poll must leave the notifier armed.
    rt.reactor().notify()?;
    rt.poll(Some(Duration::ZERO))?;
    let reactor = rt.reactor().clone();
    let helper = std::thread::spawn(move || {
        std::thread::sleep(Duration::from_millis(20));
        reactor.notify().unwrap();
    });
    rt.poll(None)?; // returns only through the helper's notify
    helper.join().unwrap();
    rt.deregister(t)
}

#[test]
fn backend_mode_matches_the_build() {
    let reactor = Reactor::new().unwrap();
    if cfg!(polling_test_poll_backend) || cfg!(windows) {
        assert!(
            !reactor.is_edge(),
            "poll(2) and IOCP backends have no edge mode"
        );
    }
}

#[test]
fn interest_sets_combine_test_and_remove_flags() {
    let rw = Interest::READABLE | Interest::WRITABLE;
    assert!(rw.contains(Interest::READABLE) && rw.contains(rw));
    assert!(!Interest::READABLE.contains(rw));
    assert!(!Interest::NONE.contains(Interest::ERROR));
    assert!(rw.intersects(Interest::WRITABLE) && !rw.intersects(Interest::ERROR));
    assert_eq!(rw.remove(Interest::READABLE), Interest::WRITABLE);
    assert_eq!(rw.remove(Interest::ERROR), rw);
    assert!(rw.remove(rw).is_empty() && !rw.is_empty());
    let mut i = Interest::NONE;
    i |= Interest::ERROR;
    i |= Interest::READABLE;
    assert_eq!(i, Interest::ERROR | Interest::READABLE);
}

#[test]
fn an_executor_with_a_woken_task_tells_the_loop_not_to_sleep() -> io::Result<()> {
    let mut ex = Executor::new(Arc::new(Reactor::new()?));
    assert!(
        !ex.set_sleeping(true),
        "nothing is ready: the loop may block"
    );
    assert!(!ex.set_sleeping(false));
    let done = Arc::new(AtomicBool::new(false));
    let d = done.clone();
    ex.spawn(async move { d.store(true, Ordering::SeqCst) });
    assert!(
        ex.set_sleeping(true),
        "a task is ready: the loop must not block"
    );
    assert!(!ex.set_sleeping(false), "awake: nothing to report");
    assert_eq!(ex.run_ready(Executor::BUDGET), 1);
    assert!(done.load(Ordering::SeqCst) && ex.live() == 0);
    Ok(())
}

/// Linux lets TCP sockets that all set `SO_REUSEADDR` bind one address while none listens;
/// without it the second bind fails.
#[cfg(target_os = "linux")]
#[test]
fn reuse_addr_lets_a_second_socket_bind_the_same_address() -> io::Result<()> {
    let bound = |reuse: bool, addr: SocketAddr| -> io::Result<AsyncSocket> {
        let mut s = AsyncSocket::tcp()?;
        s.set_reuse_addr(reuse)?;
        s.bind(addr)?;
        Ok(s)
    };
    let a = bound(true, "127.0.0.1:0".parse().unwrap())?;
    let addr = a.local_addr()?;
    assert_ne!(addr.port(), 0);
    let refused = bound(false, addr).err().map(|e| e.kind());
    assert_eq!(refused, Some(ErrorKind::AddrInUse));
    assert_eq!(bound(true, addr)?.local_addr()?, addr);
    Ok(())
}

/// The value of the TCP-level option `name` of `s`, as the kernel reports it.
#[cfg(unix)]
fn tcp_option(s: &AsyncSocket, name: libc::c_int) -> libc::c_int {
    let mut value: libc::c_int = -1;
    let mut len = size_of::<libc::c_int>() as libc::socklen_t;
    #[allow(unsafe_code)]
    // SAFETY: `s.raw()` is an open socket for the call; `value` and `len` are live and `len`
    // is the size of `value`.
    let rc = unsafe {
        libc::getsockopt(
            s.raw(),
            libc::IPPROTO_TCP,
            name,
            (&raw mut value).cast(),
            &raw mut len,
        )
    };
    assert_eq!(rc, 0, "{}", io::Error::last_os_error());
    value
}

#[cfg(neurlang_defer_accept)]
#[test]
fn defer_accept_is_set_on_the_listener() -> io::Result<()> {
    let mut s = AsyncSocket::tcp()?;
    assert_eq!(tcp_option(&s, libc::TCP_DEFER_ACCEPT), 0);
    s.set_defer_accept(5)?;
    // The kernel keeps a count of retransmissions and reports it back in seconds: not 0.
    assert!(tcp_option(&s, libc::TCP_DEFER_ACCEPT) > 0);
    Ok(())
}

#[cfg(unix)]
#[test]
fn nodelay_is_set_and_cleared() -> io::Result<()> {
    let mut s = AsyncSocket::tcp()?;
    assert_eq!(
        tcp_option(&s, libc::TCP_NODELAY),
        0,
        "Nagle's algorithm is on by default"
    );
    s.set_nodelay(true)?;
    assert_ne!(tcp_option(&s, libc::TCP_NODELAY), 0);
    s.set_nodelay(false)?;
    assert_eq!(tcp_option(&s, libc::TCP_NODELAY), 0);
    Ok(())
}

#[test]
fn every_timer_gets_a_token_of_its_own() -> io::Result<()> {
    let mut rt = AsyncRuntime::new()?;
    let tokens: Vec<Token> = (0..3)
        .map(|_| rt.schedule_timer(Duration::from_millis(1)))
        .collect();
    assert!(tokens[0] != tokens[1] && tokens[1] != tokens[2] && tokens[0] != tokens[2]);
    rt.run(LONG)?;
    assert!(tokens.iter().all(|&t| rt.is_ready(t, Interest::READABLE)));
    rt.clear_ready(tokens[1], Interest::READABLE);
    assert!(
        rt.is_ready(tokens[0], Interest::READABLE),
        "only the cleared timer is cleared"
    );
    Ok(())
}

#[test]
fn the_reactor_is_edge_triggered_where_the_poller_supports_it() -> io::Result<()> {
    let edge = polling::Poller::new()?.supports_edge();
    assert_eq!(Reactor::new()?.is_edge(), edge);
    if cfg!(all(target_os = "linux", not(polling_test_poll_backend))) {
        assert!(edge, "epoll has an edge mode");
    }
    Ok(())
}

#[test]
fn poll_ready_waits_for_readiness_and_refuses_a_stale_token() -> io::Result<()> {
    let mut rt = AsyncRuntime::new()?;
    let (mut c, s) = pair();
    let t = rt.register_fd(&s, Interest::READABLE)?;
    let reactor = rt.reactor().clone();
    let mut cx = std::task::Context::from_waker(Waker::noop());
    let poll = |cx: &mut std::task::Context<'_>| reactor.poll_ready(t, Interest::READABLE, cx);
    assert!(poll(&mut cx).is_pending(), "nothing to read yet");
    c.write_all(b"!")?;
    wait_ready(&mut rt, t, Interest::READABLE);
    assert!(matches!(poll(&mut cx), Poll::Ready(Ok(()))));
    rt.deregister(t)?;
    let stale = poll(&mut cx);
    assert!(
        matches!(&stale, Poll::Ready(Err(e)) if e.kind() == ErrorKind::NotFound),
        "{stale:?}"
    );
    Ok(())
}

#[test]
fn writable_readiness_comes_back_once_the_send_buffer_drains() -> io::Result<()> {
    // Registered for both directions: delivering one must not drop the interest in the other.
    let mut rt = AsyncRuntime::new()?;
    let (mut c, mut s) = pair();
    let t = rt.register_fd(&s, Interest::READABLE | Interest::WRITABLE)?;
    wait_ready(&mut rt, t, Interest::WRITABLE);
    let chunk = [7u8; 1 << 16];
    let mut sent = 0;
    loop {
        match s.write(&chunk) {
            Ok(n) => sent += n,
            Err(e) if e.kind() == ErrorKind::WouldBlock => break,
            Err(e) => return Err(e),
        }
    }
    rt.clear_ready(t, Interest::WRITABLE);
    assert!(!rt.is_ready(t, Interest::WRITABLE));
    let mut buf = vec![0; 1 << 16];
    let mut got = 0;
    while got < sent {
        got += c.read(&mut buf)?;
    }
    wait_ready(&mut rt, t, Interest::WRITABLE);
    rt.deregister(t)
}

#[cfg(unix)]
#[test]
fn unix_reports_the_threads_cpu_time() {
    let before = thread_cpu_time().expect("CLOCK_THREAD_CPUTIME_ID is on every Unix");
    let mut x = 0u64;
    for i in 0..100_000u64 {
        x = std::hint::black_box(x.wrapping_mul(31).wrapping_add(i));
    }
    assert!(thread_cpu_time().unwrap() >= before, "{x}");
}

/// `run_ready(budget)` polls at most `budget` tasks: the rest stay queued for the next turn.
#[test]
fn run_ready_polls_no_more_than_its_budget() -> io::Result<()> {
    let mut ex = Executor::new(Arc::new(Reactor::new()?));
    let done = Arc::new(AtomicUsize::new(0));
    for _ in 0..3 {
        let d = done.clone();
        ex.spawn(async move {
            d.fetch_add(1, Ordering::SeqCst);
        });
    }
    assert_eq!(ex.run_ready(2), 2, "a budget of 2 polls 2 tasks");
    assert_eq!(done.load(Ordering::SeqCst), 2);
    assert!(
        ex.has_ready() && ex.live() == 1,
        "the third task waits its turn"
    );
    assert_eq!(ex.run_ready(2), 1);
    assert!(done.load(Ordering::SeqCst) == 3 && ex.live() == 0);
    Ok(())
}

/// A waker that records whether it was woken.
struct Flag(AtomicBool);

impl std::task::Wake for Flag {
    fn wake(self: Arc<Self>) {
        self.0.store(true, Ordering::SeqCst);
    }
}

/// When `poll_ready` is polled again with a different waker (the future moved to another
/// task), readiness wakes the waker of the latest poll, not the one it replaced.
#[test]
fn poll_ready_wakes_the_waker_of_the_latest_poll() -> io::Result<()> {
    let mut rt = AsyncRuntime::new()?;
    let (mut c, s) = pair();
    let t = rt.register_fd(&s, Interest::READABLE)?;
    let reactor = rt.reactor().clone();
    let (first, second) = (
        Arc::new(Flag(AtomicBool::new(false))),
        Arc::new(Flag(AtomicBool::new(false))),
    );
    for flag in [&first, &second] {
        let waker = Waker::from(flag.clone());
        let mut cx = std::task::Context::from_waker(&waker);
        assert!(
            reactor
                .poll_ready(t, Interest::READABLE, &mut cx)
                .is_pending()
        );
    }
    c.write_all(b"!")?;
    wait_ready(&mut rt, t, Interest::READABLE);
    assert!(
        second.0.load(Ordering::SeqCst),
        "the latest waker was not woken"
    );
    assert!(
        !first.0.load(Ordering::SeqCst),
        "the replaced waker was woken"
    );
    rt.deregister(t)
}

/// Events that polling's own `wait` collects (on epoll: those left over when the fast path's
/// batch of 64 is full and polling's notifier is among them) are recorded with the readiness
/// the OS reported: a readable event is not taken for an error.
#[cfg(unix)]
#[test]
fn events_past_the_fast_paths_batch_are_not_taken_for_errors() -> io::Result<()> {
    use std::os::unix::net::UnixStream;
    const PAIRS: usize = 100; // more than the fast path's batch
    let reactor = Reactor::new()?;
    let mut pairs = Vec::new();
    for _ in 0..PAIRS {
        let (ours, peer) = UnixStream::pair()?;
        ours.set_nonblocking(true)?;
        let t = reactor.register(&ours, Interest::READABLE)?;
        pairs.push((ours, peer, t));
    }
    // The notification first, then the data: the notifier's event comes first in the wait.
    reactor.notify()?;
    for (_, peer, _) in &mut pairs {
        peer.write_all(b"!")?;
    }
    let (mut events, mut raw, mut tokens) = (polling::Events::new(), Vec::new(), Vec::new());
    let deadline = Instant::now() + Duration::from_secs(20);
    while pairs
        .iter()
        .any(|p| !reactor.is_ready(p.2, Interest::READABLE))
        && Instant::now() < deadline
    {
        reactor.wait(&mut events, &mut raw, &mut tokens, Some(Duration::ZERO))?;
    }
    for (i, (_, _, t)) in pairs.iter().enumerate() {
        assert!(
            reactor.is_ready(*t, Interest::READABLE),
            "pair {i} never readable"
        );
        assert!(
            !reactor.is_ready(*t, Interest::ERROR),
            "pair {i}: a readable event was recorded as an error"
        );
    }
    for (_, _, t) in pairs {
        reactor.deregister(t)?;
    }
    Ok(())
}

/// `connect_in_progress` is true only for "in progress" (and `WouldBlock`, Windows' spelling of
/// it), never for a failed connect.
#[test]
fn connect_in_progress_is_false_for_a_real_failure() {
    assert!(!connect_in_progress(&io::Error::from(
        ErrorKind::ConnectionRefused
    )));
    assert!(!connect_in_progress(&io::Error::other("no")));
    assert!(connect_in_progress(&io::Error::from(ErrorKind::WouldBlock)));
    #[cfg(unix)]
    assert!(connect_in_progress(&io::Error::from_raw_os_error(
        libc::EINPROGRESS
    )));
}

/// A listener's defaults let a restarted server bind its address again (Linux: `SO_REUSEADDR`
/// on every socket bound there, none listening); without them the second bind is refused (as
/// `reuse_addr_lets_a_second_socket_bind_the_same_address` shows).
#[cfg(target_os = "linux")]
#[test]
fn listener_defaults_let_a_second_socket_bind_the_same_address() -> io::Result<()> {
    let bound = |addr: SocketAddr| -> io::Result<AsyncSocket> {
        let mut s = AsyncSocket::tcp()?;
        s.set_listener_defaults()?;
        s.bind(addr)?;
        Ok(s)
    };
    let a = bound("127.0.0.1:0".parse().unwrap())?;
    let addr = a.local_addr()?;
    assert_eq!(bound(addr)?.local_addr()?, addr);
    Ok(())
}
