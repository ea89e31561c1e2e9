//! One worker: an event loop over a listener and its connections.
//!
//! Only the tokens that received events are visited ([`AsyncRuntime::events`]). A connection is
//! read until a read comes back short (the socket is then empty: an edge-triggered reactor
//! reports the next arrival, a oneshot one is re-armed by `clear_ready`), every complete request
//! in the buffer is answered, and the responses go out in one write. Timeouts are lazy: each
//! connection has a deadline that requests move forward without touching the timer wheel; its
//! one wheel timer, when it fires early, is re-armed for the remaining time.

use std::collections::HashMap;
use std::hash::{BuildHasherDefault, Hasher};
use std::io::{self, ErrorKind};
use std::net::Shutdown;
use std::sync::atomic::Ordering;
use std::sync::mpsc::Sender;
use std::time::{Duration, Instant, SystemTime};

use neurlang::runtime::{AsyncRuntime, AsyncSocket, Errno, Interest, Token};

use crate::http::{self, Chunked, Framing, Head, Parsed, Responses, Status};
use crate::{Config, Shared, Stats};

/// Hashes tokens (unique `u64`s) with one multiplication.
#[derive(Default)]
struct TokenHasher(u64);

impl Hasher for TokenHasher {
    fn finish(&self) -> u64 {
        self.0
    }
    fn write(&mut self, bytes: &[u8]) {
        for &b in bytes {
            self.write_u64(self.0 ^ u64::from(b));
        }
    }
    fn write_u64(&mut self, n: u64) {
        self.0 = (self.0 ^ n).wrapping_mul(0x9E37_79B9_7F4A_7C15);
    }
}

type TokenMap<V> = HashMap<Token, V, BuildHasherDefault<TokenHasher>>;

/// Initial read buffer of a connection; it grows up to the head limit only for large heads.
const READ_BUF: usize = 4096;
/// Stop answering pipelined requests once this much output waits (backpressure).
const HIGH_WATER: usize = 64 * 1024;
/// Connections accepted per turn before the others get theirs.
const ACCEPT_BATCH: usize = 64;
/// Connections beyond the limit that may linger (answered 503) at once; more are dropped.
const OVERFLOW: usize = 1024;
/// First and longest pause of accepting when descriptors run out.
const BACKOFF_MIN: Duration = Duration::from_millis(10);
const BACKOFF_MAX: Duration = Duration::from_secs(1);

#[derive(Debug)]
enum Phase {
    /// Reading a request head (or idle between requests when nothing is buffered).
    Head,
    /// Discarding `remaining` bytes of a `Content-Length` body.
    Body(u64, Head),
    /// Discarding a chunked body.
    Chunked(Chunked, Head),
    /// The response is out and the write side shut: reading and discarding until the peer
    /// closes or the linger time ends, so it receives the response rather than a reset.
    Draining,
}

#[derive(Debug)]
struct Conn {
    socket: AsyncSocket,
    rbuf: Vec<u8>,
    rstart: usize,
    rend: usize,
    scanned: usize,
    wbuf: Vec<u8>,
    wpos: usize,
    phase: Phase,
    /// Close (lingering if input may be pending) once the output is written.
    close_after_write: bool,
    /// The close follows an error response: always linger.
    linger: bool,
    want_write: bool,
    /// When the first byte of the head being read arrived (None: nothing buffered).
    head_started: Option<Instant>,
    served: u64,
    last_progress: Instant,
    deadline: Instant,
    timer: Option<(Token, Instant)>,
    /// Counted against the overflow budget instead of the connection limit.
    overflow: bool,
}

enum Outcome {
    Keep,
    Close,
}

struct Worker<'a> {
    rt: AsyncRuntime,
    config: &'a Config,
    shared: &'a Shared,
    listener: Option<(AsyncSocket, Token)>,
    conns: TokenMap<Conn>,
    timers: TokenMap<Token>,
    responses: Responses,
    now: Instant,
    stats: Stats,
    errors: [u64; Status::ALL.len()],
    accept_pending: bool,
    /// The last back-off: its timer and length (doubled on the next failure, forgotten on
    /// the next accepted connection).
    backoff: Option<(Token, Duration)>,
    /// Accepting is paused until the back-off timer fires.
    paused: bool,
    overflow: usize,
    stopping: Option<Instant>,
    scratch: Vec<u8>,
}

/// Runs one worker until shutdown. Reports on `ready` once the listener is registered.
pub(crate) fn run(
    listener: AsyncSocket,
    config: &Config,
    shared: &Shared,
    ready: &Sender<io::Result<()>>,
) -> io::Result<Stats> {
    let setup = || -> io::Result<(AsyncRuntime, Token)> {
        let mut rt = AsyncRuntime::new()?;
        let token = rt.register_fd(listener.raw(), Interest::READABLE)?;
        shared
            .reactors
            .lock()
            .unwrap_or_else(|e| e.into_inner())
            .push(rt.reactor().clone());
        Ok((rt, token))
    };
    let (rt, token) = match setup() {
        Ok(v) => {
            let _ = ready.send(Ok(()));
            v
        }
        Err(e) => {
            let _ = ready.send(Err(io::Error::new(e.kind(), e.to_string())));
            return Err(e);
        }
    };
    let mut w = Worker {
        rt,
        config,
        shared,
        listener: Some((listener, token)),
        conns: TokenMap::default(),
        timers: TokenMap::default(),
        responses: Responses::new(SystemTime::now()),
        now: Instant::now(),
        stats: Stats::default(),
        errors: [0; Status::ALL.len()],
        accept_pending: true,
        backoff: None,
        paused: false,
        overflow: 0,
        stopping: None,
        scratch: vec![0; 4096],
    };
    let result = w.run();
    w.close_all();
    for (status, n) in Status::ALL.iter().zip(w.errors) {
        if n > 0 {
            w.stats.errors.push((*status, n));
        }
    }
    result.map(|()| w.stats)
}

fn resource_exhausted(e: &io::Error) -> bool {
    matches!(
        Errno::from_io_error(e),
        Errno::EMFILE | Errno::ENFILE | Errno::ENOBUFS | Errno::ENOMEM
    )
}

impl Worker<'_> {
    fn run(&mut self) -> io::Result<()> {
        let mut events = Vec::new();
        loop {
            if self.shared.stop.load(Ordering::SeqCst) && self.stopping.is_none() {
                self.begin_stop();
            }
            if let Some(grace_end) = self.stopping
                && (self.conns.is_empty() || self.now >= grace_end)
            {
                return Ok(());
            }
            // One wait (one epoll_wait on Linux), bounded by the next timer; it returns at once
            // when events are pending. Never blocks while accepting is still under way. The stop
            // flag is read above, before the only poll of the turn: a shutdown's wake-up sent
            // after that read is still pending here (a second poll in the same turn could
            // consume it and then block for good, as one did under Wine).
            let wait = if self.accept_pending {
                Some(Duration::ZERO)
            } else {
                self.stopping.map(|_| Duration::from_millis(100))
            };
            let n = self.rt.poll(wait)?;
            let expired = self.rt.expired_timers();
            self.now = Instant::now();
            self.responses.refresh(SystemTime::now());
            if n > 0 {
                events.clear();
                events.extend_from_slice(self.rt.events());
                for &token in &events {
                    self.event(token);
                }
            }
            for timer in expired {
                self.timer(timer);
            }
            if self.accept_pending {
                self.accept();
            }
        }
    }

    fn event(&mut self, token: Token) {
        if self.listener.as_ref().is_some_and(|(_, t)| *t == token) {
            self.accept_pending = !self.paused;
            return;
        }
        let Some(mut conn) = self.conns.remove(&token) else {
            return; // closed earlier in this batch
        };
        let outcome = self.drive(&mut conn, token);
        self.settle(conn, token, outcome);
    }

    /// Keeps a driven connection (with its deadline armed) or closes it.
    fn settle(&mut self, mut conn: Conn, token: Token, outcome: Outcome) {
        match outcome {
            Outcome::Keep => {
                self.arm(&mut conn, token);
                self.conns.insert(token, conn);
            }
            Outcome::Close => self.close(conn, token),
        }
    }

    fn accept(&mut self) {
        let Some(ltoken) = self.listener.as_ref().map(|(_, t)| *t) else {
            self.accept_pending = false;
            return;
        };
        let _ = self.rt.is_ready(ltoken, Interest::READABLE);
        for _ in 0..ACCEPT_BATCH {
            let Some((listener, _)) = &self.listener else {
                return;
            };
            match listener.accept() {
                Ok((socket, _)) => {
                    self.stats.accepted += 1;
                    if let Some((timer, _)) = self.backoff.take() {
                        self.rt.cancel_timer(timer);
                    }
                    self.open(socket);
                }
                Err(e) if e.kind() == ErrorKind::WouldBlock => {
                    self.rt.clear_ready(ltoken, Interest::READABLE);
                    self.accept_pending = false;
                    return;
                }
                Err(e) if resource_exhausted(&e) => {
                    self.pause_accepting();
                    return;
                }
                Err(e)
                    if matches!(
                        e.kind(),
                        ErrorKind::ConnectionAborted
                            | ErrorKind::ConnectionReset
                            | ErrorKind::Interrupted
                    ) => {}
                Err(_) => {
                    // Unexpected: do not spin on it.
                    self.pause_accepting();
                    return;
                }
            }
        }
        // More may be waiting: come back after the other connections had their turn.
        self.accept_pending = true;
    }

    /// Stops accepting for a while (doubling up to a second): the pending connections stay in
    /// the backlog instead of the loop spinning on `EMFILE`.
    fn pause_accepting(&mut self) {
        self.stats.accept_backoffs += 1;
        let next = self
            .backoff
            .map_or(BACKOFF_MIN, |(_, d)| (d * 2).min(BACKOFF_MAX));
        let timer = self.rt.schedule_timer(next);
        self.backoff = Some((timer, next));
        self.paused = true;
        self.accept_pending = false;
    }

    fn open(&mut self, socket: AsyncSocket) {
        let limit = self.config.max_connections;
        let overflow = self.shared.connections.fetch_add(1, Ordering::Relaxed) >= limit;
        if overflow {
            self.shared.connections.fetch_sub(1, Ordering::Relaxed);
            if self.overflow >= OVERFLOW {
                return; // dropped: closing is all we can afford
            }
            self.overflow += 1;
        }
        let mut conn = Conn {
            socket,
            rbuf: Vec::new(),
            rstart: 0,
            rend: 0,
            scanned: 0,
            wbuf: Vec::new(),
            wpos: 0,
            phase: Phase::Head,
            close_after_write: false,
            linger: false,
            want_write: false,
            head_started: Some(self.now),
            served: 0,
            last_progress: self.now,
            deadline: self.now,
            timer: None,
            overflow,
        };
        if overflow {
            self.reject(&mut conn, Status::ServiceUnavailable);
        }
        // The request is usually there already (always, with deferred accept): a connection
        // that is answered and closed at once never needs registering.
        let drained = match self.first_exchange(&mut conn) {
            Some(drained) => drained,
            None => return self.release(&conn),
        };
        let token = match self.rt.register_fd(conn.socket.raw(), Interest::READABLE) {
            Ok(t) => t,
            Err(_) => return self.release(&conn),
        };
        // After a short read with nothing left to write and nothing to close, the registration
        // reports what arrives next; otherwise drive the connection as for an event (after an
        // error response that shuts the write side, so the client sees EOF, and drains).
        let outcome = if drained && conn.wbuf.is_empty() && !conn.close_after_write {
            Outcome::Keep
        } else {
            self.drive(&mut conn, token)
        };
        self.settle(conn, token, outcome);
    }

    /// One read and one write on a connection not yet registered. `None`: it is finished and
    /// can be closed; `Some(drained)`: it goes on, `drained` if the read came back short.
    fn first_exchange(&mut self, conn: &mut Conn) -> Option<bool> {
        let mut drained = false;
        if !conn.overflow {
            self.make_room(conn);
            let space = conn.rbuf.len();
            match conn.socket.read(&mut conn.rbuf) {
                Ok(0) => return None,
                Ok(n) => {
                    conn.rend = n;
                    drained = n < space;
                    self.process(conn);
                }
                Err(e) if e.kind() == ErrorKind::WouldBlock => drained = true,
                Err(e) if e.kind() == ErrorKind::Interrupted => {}
                Err(_) => return None,
            }
        }
        if conn.wbuf.is_empty() {
            return Some(drained);
        }
        match conn.socket.write(&conn.wbuf) {
            Ok(n) => conn.wpos = n,
            Err(e) if e.kind() == ErrorKind::WouldBlock => {}
            Err(_) => return None,
        }
        if conn.wpos == conn.wbuf.len() {
            conn.wbuf.clear();
            conn.wpos = 0;
            if conn.close_after_write && !conn.linger && conn.rstart == conn.rend {
                return None;
            }
        }
        Some(drained)
    }

    /// Forgets a connection that was never registered (closing it).
    fn release(&mut self, conn: &Conn) {
        if conn.overflow {
            self.overflow -= 1;
        } else {
            self.shared.connections.fetch_sub(1, Ordering::Relaxed);
        }
    }

    fn close(&mut self, conn: Conn, token: Token) {
        if let Some((timer, _)) = conn.timer {
            self.rt.cancel_timer(timer);
            self.timers.remove(&timer);
        }
        // Accepted sockets are never cloned: closing removes them from the poller.
        let _ = self.rt.deregister_closing(token);
        self.release(&conn);
    }

    fn close_all(&mut self) {
        let conns: Vec<_> = self.conns.drain().collect();
        for (token, conn) in conns {
            self.close(conn, token);
        }
        if let Some((_, token)) = self.listener.take() {
            let _ = self.rt.deregister(token);
        }
    }

    fn begin_stop(&mut self) {
        self.stopping = Some(self.now + self.config.shutdown_grace);
        if let Some((_, token)) = self.listener.take() {
            let _ = self.rt.deregister(token);
        }
        self.accept_pending = false;
        let idle: Vec<Token> = self
            .conns
            .iter()
            .filter(|(_, c)| is_idle(c))
            .map(|(t, _)| *t)
            .collect();
        for token in idle {
            if let Some(conn) = self.conns.remove(&token) {
                self.close(conn, token);
            }
        }
    }

    /// Sets the connection's deadline for its state and makes sure a timer fires by then.
    fn arm(&mut self, conn: &mut Conn, token: Token) {
        let c = self.config;
        conn.deadline = match conn.phase {
            Phase::Draining => conn.deadline,
            _ if conn.wpos < conn.wbuf.len() => conn.last_progress + c.io_timeout,
            Phase::Body(..) | Phase::Chunked(..) => conn.last_progress + c.io_timeout,
            Phase::Head => match conn.head_started {
                Some(t) => t + c.header_timeout,
                None => conn.last_progress + c.keepalive_timeout,
            },
        };
        if let Some((_, at)) = conn.timer
            && at <= conn.deadline
        {
            return; // fires early enough; re-armed then if the deadline moved on
        }
        if let Some((old, _)) = conn.timer.take() {
            self.rt.cancel_timer(old);
            self.timers.remove(&old);
        }
        let timer = self
            .rt
            .schedule_timer(conn.deadline.saturating_duration_since(self.now));
        conn.timer = Some((timer, conn.deadline));
        self.timers.insert(timer, token);
    }

    fn timer(&mut self, timer: Token) {
        if self.backoff.is_some_and(|(t, _)| t == timer) {
            self.paused = false;
            self.accept_pending = self.listener.is_some();
            return;
        }
        let Some(token) = self.timers.remove(&timer) else {
            return;
        };
        let Some(mut conn) = self.conns.remove(&token) else {
            return;
        };
        conn.timer = None;
        if self.now < conn.deadline {
            return self.settle(conn, token, Outcome::Keep); // fired early: re-armed
        }
        self.stats.timeouts += 1;
        let mid_request = conn.head_started.is_some() && conn.rend > conn.rstart
            || matches!(conn.phase, Phase::Body(..) | Phase::Chunked(..));
        let outcome = if mid_request && conn.wbuf.is_empty() {
            self.reject(&mut conn, Status::RequestTimeout);
            conn.deadline = self.now + self.config.linger;
            self.drive(&mut conn, token)
        } else {
            Outcome::Close
        };
        self.settle(conn, token, outcome);
    }

    /// Queues an error response; the connection closes (lingering) after it.
    fn reject(&mut self, conn: &mut Conn, status: Status) {
        if let Some(i) = Status::ALL.iter().position(|s| *s == status) {
            self.errors[i] += 1;
        }
        self.responses.error(&mut conn.wbuf, status);
        conn.close_after_write = true;
        conn.linger = true;
        conn.rstart = conn.rend;
        conn.phase = Phase::Head;
    }

    /// Does all the I/O a connection can do now.
    fn drive(&mut self, conn: &mut Conn, token: Token) -> Outcome {
        let _ = self
            .rt
            .is_ready(token, Interest::READABLE | Interest::WRITABLE);
        // Set by a short read: the socket is empty, the next arrival will be an event.
        let mut drained = false;
        loop {
            // Output first: it is what the peer waits for.
            while conn.wpos < conn.wbuf.len() {
                match conn.socket.write(&conn.wbuf[conn.wpos..]) {
                    Ok(0) => return Outcome::Close,
                    Ok(n) => {
                        conn.wpos += n;
                        conn.last_progress = self.now;
                    }
                    Err(e) if e.kind() == ErrorKind::WouldBlock => {
                        self.rt.clear_ready(token, Interest::WRITABLE);
                        if !conn.want_write {
                            conn.want_write = true;
                            let both = Interest::READABLE | Interest::WRITABLE;
                            if self.rt.modify(token, both).is_err() {
                                return Outcome::Close;
                            }
                        }
                        return Outcome::Keep;
                    }
                    Err(e) if e.kind() == ErrorKind::Interrupted => {}
                    Err(_) => return Outcome::Close,
                }
            }
            if !conn.wbuf.is_empty() {
                conn.wbuf.clear();
                conn.wpos = 0;
                if conn.want_write {
                    conn.want_write = false;
                    if self.rt.modify(token, Interest::READABLE).is_err() {
                        return Outcome::Close;
                    }
                }
            }
            if conn.close_after_write && !matches!(conn.phase, Phase::Draining) {
                if !conn.linger && conn.rstart == conn.rend {
                    return Outcome::Close;
                }
                let _ = conn.socket.shutdown(Shutdown::Write);
                conn.phase = Phase::Draining;
                conn.rstart = 0;
                conn.rend = 0;
                conn.deadline = self.now + self.config.linger;
            }
            if let Phase::Draining = conn.phase {
                return self.drain(conn, token);
            }
            if drained {
                self.rt.clear_ready(token, Interest::READABLE);
                return Outcome::Keep;
            }
            // Input.
            if conn.rend == conn.rbuf.len() && !self.make_room(conn) {
                // A head larger than the buffer may grow to: the parser answers 431 below.
                self.process(conn);
                continue;
            }
            let space = conn.rbuf.len() - conn.rend;
            match conn.socket.read(&mut conn.rbuf[conn.rend..]) {
                Ok(0) => {
                    // The peer is done sending: answer what is complete, then close.
                    conn.close_after_write = true;
                    conn.linger = false;
                    self.process(conn);
                    conn.rstart = conn.rend;
                    if conn.wbuf.is_empty() {
                        return Outcome::Close;
                    }
                }
                Ok(n) => {
                    conn.rend += n;
                    conn.last_progress = self.now;
                    if conn.head_started.is_none() && matches!(conn.phase, Phase::Head) {
                        conn.head_started = Some(self.now);
                    }
                    self.process(conn);
                    drained = n < space;
                }
                Err(e) if e.kind() == ErrorKind::WouldBlock => {
                    self.rt.clear_ready(token, Interest::READABLE);
                    if conn.wbuf.is_empty() {
                        return Outcome::Keep;
                    }
                }
                Err(e) if e.kind() == ErrorKind::Interrupted => {}
                Err(_) => return Outcome::Close,
            }
        }
    }

    /// Reads and discards until the peer closes (or the linger deadline, via the timer).
    fn drain(&mut self, conn: &mut Conn, token: Token) -> Outcome {
        loop {
            match conn.socket.read(&mut self.scratch) {
                Ok(0) => return Outcome::Close,
                Ok(_) => {}
                Err(e) if e.kind() == ErrorKind::WouldBlock => {
                    self.rt.clear_ready(token, Interest::READABLE);
                    return Outcome::Keep;
                }
                Err(e) if e.kind() == ErrorKind::Interrupted => {}
                Err(_) => return Outcome::Close,
            }
        }
    }

    /// Makes space at the end of the read buffer: allocates it, moves unread bytes to the
    /// front, or grows it up to the head limit. False if the buffer is full of one head.
    fn make_room(&mut self, conn: &mut Conn) -> bool {
        if conn.rbuf.is_empty() {
            conn.rbuf = vec![0; READ_BUF];
            return true;
        }
        if conn.rstart > 0 {
            conn.rbuf.copy_within(conn.rstart..conn.rend, 0);
            conn.rend -= conn.rstart;
            conn.rstart = 0;
            return true;
        }
        let cap = self.config.limits.max_head + 1;
        if conn.rbuf.len() < cap {
            conn.rbuf.resize((conn.rbuf.len() * 2).min(cap), 0);
            return true;
        }
        false
    }

    /// Answers every complete request in the read buffer (pipelining), in order.
    fn process(&mut self, conn: &mut Conn) {
        let limits = &self.config.limits;
        loop {
            if conn.close_after_write {
                conn.rstart = conn.rend; // nothing after a closing response is answered
                break;
            }
            let input = &conn.rbuf[conn.rstart..conn.rend];
            match &mut conn.phase {
                Phase::Head => {
                    if input.is_empty() {
                        conn.head_started = None;
                        break;
                    }
                    match http::parse_head(input, &mut conn.scanned, limits) {
                        Parsed::Partial => break,
                        Parsed::Reject(status) => {
                            self.reject(conn, status);
                            break;
                        }
                        Parsed::Complete(head) => {
                            conn.rstart += head.len;
                            conn.head_started = None;
                            match head.framing {
                                Framing::None => self.respond(conn, head),
                                Framing::Length(n) => conn.phase = Phase::Body(n, head),
                                Framing::Chunked => {
                                    conn.phase = Phase::Chunked(Chunked::default(), head)
                                }
                            }
                            if head.expect_continue && conn.rstart == conn.rend {
                                conn.wbuf.extend_from_slice(http::CONTINUE);
                            }
                        }
                    }
                }
                Phase::Body(remaining, head) => {
                    let take = (*remaining).min(input.len() as u64);
                    conn.rstart += take as usize;
                    *remaining -= take;
                    if *remaining > 0 {
                        break;
                    }
                    let head = *head;
                    conn.phase = Phase::Head;
                    self.respond(conn, head);
                }
                Phase::Chunked(decoder, head) => match decoder.feed(input, limits.max_body) {
                    Ok((used, done)) => {
                        conn.rstart += used;
                        if !done {
                            break;
                        }
                        let head = *head;
                        conn.phase = Phase::Head;
                        self.respond(conn, head);
                    }
                    Err(status) => {
                        self.reject(conn, status);
                        break;
                    }
                },
                Phase::Draining => break,
            }
            if conn.wbuf.len() >= HIGH_WATER {
                break;
            }
        }
        if conn.rstart == conn.rend {
            conn.rstart = 0;
            conn.rend = 0;
        }
    }

    fn respond(&mut self, conn: &mut Conn, head: Head) {
        let keep_alive = head.keep_alive && self.stopping.is_none();
        conn.wbuf
            .extend_from_slice(self.responses.ok(head.head_only, keep_alive));
        conn.served += 1;
        self.stats.requests += 1;
        if !keep_alive {
            conn.close_after_write = true;
        }
    }
}

fn is_idle(c: &Conn) -> bool {
    matches!(c.phase, Phase::Head) && c.rstart == c.rend && c.wpos == c.wbuf.len()
}
