//! Area `aio`: the async I/O runtime — timer-wheel boundaries, many loopback connections through
//! the event loop, and a refused non-blocking connect reported through `SO_ERROR`.

use std::io::{ErrorKind, Read, Write};
use std::net::{TcpListener, TcpStream};
use std::time::{Duration, Instant};

use neurlang::runtime::{
    AsyncRuntime, AsyncSocket, Errno, Interest, TimerWheel, Token, connect_in_progress,
};
use serde::Deserialize;

use crate::{Case, CaseResult, Ctx, ensure, ensure_eq};

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
struct AioFile {
    timer: Vec<TimerRow>,
    echo: Vec<EchoRow>,
}

#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
struct TimerRow {
    ms: u64,
}

#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
struct EchoRow {
    name: String,
    connections: usize,
}

pub fn cases(ctx: &Ctx) -> Result<Vec<Case>, String> {
    let file: AioFile = ctx.table("aio.toml")?;
    let mut cases = Vec::new();
    for row in file.timer {
        cases.push(Case::new(
            "aio",
            format!("timer.boundary.{}ms", row.ms),
            move || timer_boundary(row.ms),
        ));
    }
    for row in file.echo {
        let n = row.connections;
        cases.push(Case::new("aio", format!("echo.{}", row.name), move || {
            echo(n)
        }));
    }
    cases.push(Case::new("aio", "connect.refused", connect_refused));
    Ok(cases)
}

fn timer_boundary(ms: u64) -> CaseResult {
    let base = Instant::now();
    let mut w = TimerWheel::with_start(base);
    w.insert_at(Token(ms), base + Duration::from_millis(ms));
    w.advance(base + Duration::from_millis(ms - 1));
    ensure_eq!(w.expired_timers().count(), 0, "fired a millisecond early");
    w.advance(base + Duration::from_millis(ms));
    let fired: Vec<Token> = w.expired_timers().collect();
    ensure_eq!(fired, vec![Token(ms)], "fired at its deadline");
    Ok(())
}

fn echo(n: usize) -> CaseResult {
    let mut rt = AsyncRuntime::new()?;
    let mut server = AsyncSocket::tcp()?;
    server.bind("127.0.0.1:0".parse()?)?;
    server.listen(1024)?;
    let lt = rt.register_fd(server.raw(), Interest::READABLE)?;
    let mut clients = Vec::new();
    for i in 0..n {
        let mut c = TcpStream::connect(server.local_addr()?)?;
        c.write_all(&[i as u8])?;
        clients.push(c);
    }
    let mut conns: Vec<(AsyncSocket, Token)> = Vec::new();
    let mut echoed = 0;
    for _ in 0..1000 {
        if echoed == n {
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
                    Err(e) => return Err(e.into()),
                }
            }
            rt.clear_ready(lt, Interest::READABLE);
        }
        for (s, t) in &mut conns {
            if rt.is_ready(*t, Interest::READABLE) {
                let mut b = [0u8; 16];
                match s.read(&mut b) {
                    Ok(k) if k > 0 => {
                        s.write(&b[..k])?;
                        echoed += 1;
                    }
                    Ok(_) => {}
                    Err(e) if e.kind() == ErrorKind::WouldBlock => {
                        rt.clear_ready(*t, Interest::READABLE)
                    }
                    Err(e) => return Err(e.into()),
                }
            }
        }
    }
    ensure_eq!(echoed, n, "connections echoed");
    for (i, c) in clients.iter_mut().enumerate() {
        let mut b = [0u8; 1];
        c.read_exact(&mut b)?;
        ensure_eq!(b[0], i as u8, "echoed byte");
    }
    for (_, t) in conns {
        rt.deregister(t)?;
    }
    rt.deregister(lt)?;
    Ok(())
}

fn connect_refused() -> CaseResult {
    let addr = TcpListener::bind("127.0.0.1:0")?.local_addr()?; // closed again at once
    let mut rt = AsyncRuntime::new()?;
    let mut socket = AsyncSocket::tcp()?;
    let err = match socket.connect(addr) {
        Err(e) if connect_in_progress(&e) => {
            let t = rt.register_fd(socket.raw(), Interest::READABLE | Interest::WRITABLE)?;
            let any = Interest::READABLE | Interest::WRITABLE | Interest::ERROR;
            for _ in 0..100 {
                if rt.is_ready(t, any) {
                    break;
                }
                rt.poll(Some(Duration::from_millis(100)))?;
            }
            ensure!(rt.is_ready(t, any), "a refused connect never became ready");
            rt.deregister(t)?;
            match socket.take_error()? {
                Some(e) => e,
                None => crate::fail!("SO_ERROR empty after a refused connect"),
            }
        }
        Err(e) => e,
        Ok(()) => crate::fail!("connected to a closed port"),
    };
    ensure_eq!(
        Errno::from_io_error(&err),
        Errno::ECONNREFUSED,
        "connect error"
    );
    Ok(())
}
