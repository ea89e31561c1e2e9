//! One worker: an event loop over a listener and its connections.
//!
//! Only the tokens that received events are visited ([`AsyncRuntime::events`]). A connection is
//! read until a read comes back short (the socket is then empty: an edge-triggered reactor
//! reports the next arrival, a oneshot one is re-armed by `clear_ready`), or, while a request is
//! unfinished, until a read would block (an end of stream or a reset that came with the data
//! raises no further event), every complete request in the buffer is answered, and the
//! responses go out in one write. Connections live in a slab
//! at their token's slot ([`Token::slot`]) and are driven in place. Timeouts are lazy: each
//! connection has a deadline that requests move forward without touching the timer wheel; its
//! one wheel timer, owned by its token, is re-armed for the remaining time when it fires early.

use std::io::{self, ErrorKind};
use std::net::Shutdown;
use std::ops::ControlFlow::{self, Break, Continue};
use std::sync::atomic::Ordering;
use std::sync::mpsc::Sender;
use std::time::{Duration, Instant, SystemTime};

use neurlang::runtime::{AsyncRuntime, AsyncSocket, Errno, Interest, TimerId, Token};

use crate::http::{self, Chunked, Framing, Head, Parsed, Responses, Status};
use crate::{Config, Shared, Stats};

mod conn;

use conn::{Conn, Conns, Ending, State};

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

enum Outcome {
    Keep,
    Close,
}

/// A worker: its connections, and everything else, apart so that a connection is driven in
/// place while the rest is borrowed beside it.
struct Worker<'a> {
    conns: Conns,
    io: Io<'a>,
}

/// The event loop and the state of a worker other than its connections.
struct Io<'a> {
    rt: AsyncRuntime,
    config: &'a Config,
    shared: &'a Shared,
    listener: Option<(AsyncSocket, Token)>,
    responses: Responses,
    now: Instant,
    stats: Stats,
    errors: [u64; Status::ALL.len()],
    accept_pending: bool,
    /// The last back-off: its timer (owned by the listener's token) and length (doubled on the
    /// next failure, forgotten on the next accepted connection).
    backoff: Option<(TimerId, Duration)>,
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
        conns: Conns::default(),
        io: Io {
            rt,
            config,
            shared,
            listener: Some((listener, token)),
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
        },
    };
    let result = w.run();
    w.close_all();
    let io = w.io;
    let mut stats = io.stats;
    for (status, n) in Status::ALL.iter().zip(io.errors) {
        if n > 0 {
            stats.errors.push((*status, n));
        }
    }
    result.map(|()| stats)
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
        let mut expired = Vec::new();
        loop {
            if self.io.shared.stop.load(Ordering::SeqCst) && self.io.stopping.is_none() {
                self.begin_stop();
            }
            if let Some(grace_end) = self.io.stopping
                && (self.conns.is_empty() || self.io.now >= grace_end)
            {
                return Ok(());
            }
            let io = &mut self.io;
            // One wait (one epoll_wait on Linux), bounded by the next timer; it returns at once
            // when events are pending. Never blocks while accepting is still under way. The stop
            // flag is read above, before the only poll of the turn: a shutdown's wake-up sent
            // after that read is still pending here (a second poll in the same turn could
            // consume it and then block for good, as one did under Wine).
            let wait = if io.accept_pending {
                Some(Duration::ZERO)
            } else {
                io.stopping.map(|_| Duration::from_millis(100))
            };
            let n = io.rt.poll(wait)?;
            expired.clear();
            expired.extend(io.rt.expired_timers());
            io.now = Instant::now();
            io.responses.refresh(SystemTime::now());
            if n > 0 {
                events.clear();
                events.extend_from_slice(io.rt.events());
                for &token in &events {
                    self.event(token);
                }
            }
            for &owner in &expired {
                self.timer(owner);
            }
            if self.io.accept_pending {
                self.io.accept(&mut self.conns);
            }
        }
    }

    fn event(&mut self, token: Token) {
        if self.io.is_listener(token) {
            self.io.accept_pending = !self.io.paused;
            return;
        }
        let Some((token, conn)) = self.conns.get_mut(token) else {
            return; // closed earlier in this batch
        };
        let outcome = self.io.drive(conn, token);
        self.settle(token, outcome);
    }

    /// A timer expired on behalf of `owner`: the listener's back-off, or a connection's.
    fn timer(&mut self, owner: Token) {
        if self.io.is_listener(owner) {
            self.io.paused = false;
            self.io.accept_pending = true;
            return;
        }
        let Some((token, conn)) = self.conns.get_mut(owner) else {
            return; // closed earlier in this batch
        };
        if token != owner {
            return; // its connection closed and the slot went to another one
        }
        let outcome = self.io.expire(conn, token);
        self.settle(token, outcome);
    }

    /// Keeps a driven connection (with its deadline armed) or closes it.
    fn settle(&mut self, token: Token, outcome: Outcome) {
        match outcome {
            Outcome::Keep => {
                if let Some((token, conn)) = self.conns.get_mut(token) {
                    self.io.arm(conn, token);
                }
            }
            Outcome::Close => self.close(token),
        }
    }

    fn close(&mut self, token: Token) {
        if let Some(conn) = self.conns.remove(token) {
            self.io.close(conn, token);
        }
    }

    fn close_all(&mut self) {
        for token in self.conns.tokens(|_| true) {
            self.close(token);
        }
        if let Some((_, token)) = self.io.listener.take() {
            let _ = self.io.rt.deregister(token);
        }
    }

    fn begin_stop(&mut self) {
        let io = &mut self.io;
        io.stopping = Some(io.now + io.config.shutdown_grace);
        if let Some((_, token)) = io.listener.take() {
            let _ = io.rt.deregister(token);
        }
        io.accept_pending = false;
        for token in self.conns.tokens(Conn::is_idle) {
            self.close(token);
        }
    }
}

impl Io<'_> {
    fn is_listener(&self, token: Token) -> bool {
        self.listener.as_ref().is_some_and(|(_, t)| *t == token)
    }

    fn accept(&mut self, conns: &mut Conns) {
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
                    self.open(socket, conns);
                }
                Err(e) if e.kind() == ErrorKind::WouldBlock => {
                    self.rt.clear_ready(ltoken, Interest::READABLE);
                    self.accept_pending = false;
                    return;
                }
                Err(e) if resource_exhausted(&e) => {
                    self.pause_accepting(ltoken);
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
                    self.pause_accepting(ltoken);
                    return;
                }
            }
        }
        // More may be waiting: come back after the other connections had their turn.
        self.accept_pending = true;
    }

    /// Stops accepting for a while (doubling up to a second): the pending connections stay in
    /// the backlog instead of the loop spinning on `EMFILE`. The timer is the listener's.
    fn pause_accepting(&mut self, listener: Token) {
        self.stats.accept_backoffs += 1;
        let next = self
            .backoff
            .map_or(BACKOFF_MIN, |(_, d)| (d * 2).min(BACKOFF_MAX));
        let timer = self.rt.schedule_timer_for(listener, next);
        self.backoff = Some((timer, next));
        self.paused = true;
        self.accept_pending = false;
    }

    fn open(&mut self, socket: AsyncSocket, conns: &mut Conns) {
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
            state: State::Head(Some(self.now)),
            interest: Interest::READABLE,
            last_progress: self.now,
            deadline: self.now,
            timer: None,
        };
        if overflow {
            self.reject(&mut conn, Status::ServiceUnavailable);
            conn.state = State::Closing(Ending::Overflow);
        }
        // The request is usually there already (always, with deferred accept): a connection
        // that is answered and closed at once never needs registering.
        let Some(drained) = self.first_exchange(&mut conn) else {
            return self.release(&conn);
        };
        let Ok(token) = self.rt.register_fd(conn.socket.raw(), Interest::READABLE) else {
            return self.release(&conn);
        };
        // After a short read with nothing left to write and nothing to close, the registration
        // reports what arrives next; otherwise drive the connection as for an event (after an
        // error response that shuts the write side, so the client sees EOF, and drains).
        let quiet = drained && conn.wbuf.is_empty() && !matches!(conn.state, State::Closing(_));
        if !quiet && matches!(self.drive(&mut conn, token), Outcome::Close) {
            return self.close(conn, token);
        }
        self.arm(&mut conn, token);
        conns.insert(token, conn);
    }

    /// One read and one write on a connection not yet registered. `None`: it is finished and
    /// can be closed; `Some(drained)`: it goes on, `drained` if the read came back short.
    fn first_exchange(&mut self, conn: &mut Conn) -> Option<bool> {
        let mut drained = false;
        if let State::Head(_) = conn.state {
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
            if matches!(conn.state, State::Closing(Ending::Close)) && conn.rstart == conn.rend {
                return None;
            }
        }
        Some(drained)
    }

    /// Forgets a connection that was never registered (closing it).
    fn release(&mut self, conn: &Conn) {
        if conn.is_overflow() {
            self.overflow -= 1;
        } else {
            self.shared.connections.fetch_sub(1, Ordering::Relaxed);
        }
    }

    fn close(&mut self, conn: Conn, token: Token) {
        if let Some((timer, _)) = conn.timer {
            self.rt.cancel_timer(timer);
        }
        // Accepted sockets are never cloned: closing removes them from the poller.
        let _ = self.rt.deregister_closing(token);
        self.release(&conn);
    }

    /// Sets the connection's deadline for its state and makes sure a timer fires by then.
    fn arm(&mut self, conn: &mut Conn, token: Token) {
        let c = self.config;
        conn.deadline = match conn.state {
            State::Draining(_) => conn.deadline,
            _ if conn.wpos < conn.wbuf.len() => conn.last_progress + c.io_timeout,
            State::Body(..) | State::Chunked(..) | State::Closing(_) => {
                conn.last_progress + c.io_timeout
            }
            State::Head(Some(started)) => started + c.header_timeout,
            State::Head(None) => conn.last_progress + c.keepalive_timeout,
        };
        if let Some((_, at)) = conn.timer
            && at <= conn.deadline
        {
            return; // fires early enough; re-armed then if the deadline moved on
        }
        if let Some((old, _)) = conn.timer.take() {
            self.rt.cancel_timer(old);
        }
        let after = conn.deadline.saturating_duration_since(self.now);
        conn.timer = Some((self.rt.schedule_timer_for(token, after), conn.deadline));
    }

    /// The connection's timer expired: a timeout if its deadline has passed, else it is
    /// re-armed (by the caller's `arm`) for the deadline the connection has moved on to.
    fn expire(&mut self, conn: &mut Conn, token: Token) -> Outcome {
        // Normally the timer that fired; a timer armed after that one fired in this turn's poll
        // otherwise, which this check supersedes.
        if let Some((timer, _)) = conn.timer.take() {
            self.rt.cancel_timer(timer);
        }
        if self.now < conn.deadline {
            return Outcome::Keep; // fired early
        }
        self.stats.timeouts += 1;
        if !conn.mid_request() || !conn.wbuf.is_empty() {
            return Outcome::Close;
        }
        self.reject(conn, Status::RequestTimeout);
        conn.deadline = self.now + self.config.linger;
        self.drive(conn, token)
    }

    /// Queues an error response; the connection closes (lingering) after it.
    fn reject(&mut self, conn: &mut Conn, status: Status) {
        if let Some(i) = Status::ALL.iter().position(|s| *s == status) {
            self.errors[i] += 1;
        }
        self.responses.error(&mut conn.wbuf, status);
        conn.rstart = conn.rend;
        conn.state = State::Closing(Ending::Linger);
    }

    /// Does all the I/O a connection can do now: output first (it is what the peer waits
    /// for), then the end of a closing connection, then input, until one of them must wait.
    fn drive(&mut self, conn: &mut Conn, token: Token) -> Outcome {
        let _ = self
            .rt
            .is_ready(token, Interest::READABLE | Interest::WRITABLE);
        // Set by a short read that left no request unfinished: the socket is empty, the next
        // arrival will be an event.
        let mut drained = false;
        loop {
            if let Break(outcome) = self.step(conn, token, &mut drained) {
                return outcome;
            }
        }
    }

    fn step(&mut self, conn: &mut Conn, token: Token, drained: &mut bool) -> ControlFlow<Outcome> {
        self.flush(conn, token)?;
        self.end(conn, token)?;
        if *drained {
            self.rt.clear_ready(token, Interest::READABLE);
            return Break(Outcome::Keep);
        }
        *drained = self.read(conn, token)?;
        Continue(())
    }

    /// Writes the pending output; `Break(Keep)` when the socket is full (the connection is
    /// then registered for writability too, until its output is out).
    fn flush(&mut self, conn: &mut Conn, token: Token) -> ControlFlow<Outcome> {
        while conn.wpos < conn.wbuf.len() {
            match conn.socket.write(&conn.wbuf[conn.wpos..]) {
                Ok(0) => return Break(Outcome::Close),
                Ok(n) => {
                    conn.wpos += n;
                    conn.last_progress = self.now;
                }
                Err(e) if e.kind() == ErrorKind::WouldBlock => {
                    self.rt.clear_ready(token, Interest::WRITABLE);
                    self.register(conn, token, Interest::READABLE | Interest::WRITABLE)?;
                    return Break(Outcome::Keep);
                }
                Err(e) if e.kind() == ErrorKind::Interrupted => {}
                Err(_) => return Break(Outcome::Close),
            }
        }
        if !conn.wbuf.is_empty() {
            conn.wbuf.clear();
            conn.wpos = 0;
            self.register(conn, token, Interest::READABLE)?;
        }
        Continue(())
    }

    /// Registers the connection for `interest` unless it already is; `Break(Close)` if that
    /// fails.
    fn register(
        &mut self,
        conn: &mut Conn,
        token: Token,
        interest: Interest,
    ) -> ControlFlow<Outcome> {
        if conn.interest != interest {
            if self.rt.modify(token, interest).is_err() {
                return Break(Outcome::Close);
            }
            conn.interest = interest;
        }
        Continue(())
    }

    /// Once the last response of a closing connection is out: closes it, or shuts its write
    /// side and drains it.
    fn end(&mut self, conn: &mut Conn, token: Token) -> ControlFlow<Outcome> {
        if let State::Closing(ending) = conn.state {
            if ending == Ending::Close && conn.rstart == conn.rend {
                return Break(Outcome::Close);
            }
            let _ = conn.socket.shutdown(Shutdown::Write);
            conn.state = State::Draining(ending);
            conn.rstart = 0;
            conn.rend = 0;
            conn.deadline = self.now + self.config.linger;
        }
        match conn.state {
            State::Draining(_) => Break(self.drain(conn, token)),
            _ => Continue(()),
        }
    }

    /// Reads what has arrived and answers it; `Continue(drained)`, `drained` if the read came
    /// back short.
    fn read(&mut self, conn: &mut Conn, token: Token) -> ControlFlow<Outcome, bool> {
        if conn.rend == conn.rbuf.len() && !self.make_room(conn) {
            // A head larger than the buffer may grow to: the parser answers 431.
            self.process(conn);
            return Continue(false);
        }
        let space = conn.rbuf.len() - conn.rend;
        match conn.socket.read(&mut conn.rbuf[conn.rend..]) {
            Ok(0) => {
                // The peer is done sending. What was complete was answered as it arrived; the
                // rest is dropped, and the connection closes once its output is out.
                conn.state = State::Closing(Ending::Close);
                conn.rstart = 0;
                conn.rend = 0;
                match conn.wbuf.is_empty() {
                    true => Break(Outcome::Close),
                    false => Continue(false),
                }
            }
            Ok(n) => {
                conn.rend += n;
                conn.last_progress = self.now;
                if let State::Head(None) = conn.state {
                    conn.state = State::Head(Some(self.now));
                }
                self.process(conn);
                // A short read took all the data, but not the peer's end (its EOF or reset) if
                // that came with it: no further event reports it. While a request is unfinished,
                // read again, so that the end closes the connection now, not at its timeout.
                Continue(n < space && !conn.mid_request())
            }
            Err(e) if e.kind() == ErrorKind::WouldBlock => {
                self.rt.clear_ready(token, Interest::READABLE);
                match conn.wbuf.is_empty() {
                    true => Break(Outcome::Keep),
                    false => Continue(false),
                }
            }
            Err(e) if e.kind() == ErrorKind::Interrupted => Continue(false),
            Err(_) => Break(Outcome::Close),
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
            let input = &conn.rbuf[conn.rstart..conn.rend];
            match &mut conn.state {
                State::Closing(_) | State::Draining(_) => {
                    conn.rstart = conn.rend; // nothing after a closing response is answered
                    break;
                }
                State::Head(started) => {
                    if input.is_empty() {
                        *started = None;
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
                            conn.state = match head.framing {
                                Framing::None => State::Head(None),
                                Framing::Length(n) => State::Body(n, head),
                                Framing::Chunked => State::Chunked(Chunked::default(), head),
                            };
                            if head.framing == Framing::None {
                                self.respond(conn, head);
                            }
                            if head.expect_continue && conn.rstart == conn.rend {
                                conn.wbuf.extend_from_slice(http::CONTINUE);
                            }
                        }
                    }
                }
                State::Body(remaining, head) => {
                    let take = (*remaining).min(input.len() as u64);
                    conn.rstart += take as usize;
                    *remaining -= take;
                    if *remaining > 0 {
                        break;
                    }
                    let head = *head;
                    conn.state = State::Head(None);
                    self.respond(conn, head);
                }
                State::Chunked(decoder, head) => match decoder.feed(input, limits.max_body) {
                    Ok((used, done)) => {
                        conn.rstart += used;
                        if !done {
                            break;
                        }
                        let head = *head;
                        conn.state = State::Head(None);
                        self.respond(conn, head);
                    }
                    Err(status) => {
                        self.reject(conn, status);
                        break;
                    }
                },
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
        self.stats.requests += 1;
        if !keep_alive {
            conn.state = State::Closing(Ending::Close);
        }
    }
}

#[cfg(test)]
mod tests {
    use std::io::Write;
    use std::net::{Ipv4Addr, TcpStream};
    use std::sync::{Arc, mpsc};

    use super::*;
    use crate::ShutdownHandle;
    use crate::client::Reader;

    /// A connection reset while it waits in the backlog fails its own `accept` where the OS
    /// says so (`ECONNABORTED` on the BSDs and macOS, `WSAECONNRESET` on Windows; Linux hands
    /// it over and its first read fails): the next connection is accepted at once, without a
    /// back-off.
    #[test]
    fn a_connection_reset_in_the_backlog_does_not_pause_accepting() {
        if under_wine() {
            eprintln!(
                "skipped: Wine sends FIN, not RST, for SO_LINGER 0 and fails that accept \
                 otherwise than Windows; the promise is Windows', checked on Windows itself"
            );
            return;
        }
        let mut listener = AsyncSocket::tcp().unwrap();
        listener.bind((Ipv4Addr::LOCALHOST, 0).into()).unwrap();
        listener.listen(8).unwrap();
        let addr = listener.local_addr().unwrap();
        // Both queued before the worker runs.
        let reset = TcpStream::connect(addr).unwrap();
        socket2::SockRef::from(&reset)
            .set_linger(Some(Duration::ZERO))
            .unwrap();
        drop(reset);
        let mut client = TcpStream::connect(addr).unwrap();
        client
            .set_read_timeout(Some(Duration::from_secs(10)))
            .unwrap();
        client
            .write_all(b"GET / HTTP/1.1\r\nHost: t\r\n\r\n")
            .unwrap();
        let config = Config::default();
        let shared = Arc::new(Shared::default());
        let (ready, started) = mpsc::channel();
        let stats = std::thread::scope(|s| {
            let worker = s.spawn(|| run(listener, &config, &shared, &ready));
            started.recv().unwrap().unwrap();
            let r = Reader::new(&mut client).response(false).unwrap();
            assert_eq!(r.status, 200, "{r}");
            ShutdownHandle(shared.clone()).shutdown();
            worker.join().unwrap().unwrap()
        });
        assert_eq!((stats.accept_backoffs, stats.requests), (0, 1), "{stats:?}");
    }

    /// Whether this process runs under Wine: its ntdll exports `wine_get_version` (the
    /// conformance suite's `host` module tells the same way).
    #[cfg(windows)]
    #[allow(unsafe_code)]
    fn under_wine() -> bool {
        use windows_sys::Win32::System::LibraryLoader::{GetModuleHandleA, GetProcAddress};
        // SAFETY: a NUL-terminated static string; the handle is not owned (ntdll stays loaded).
        let ntdll = unsafe { GetModuleHandleA(c"ntdll.dll".as_ptr().cast()) };
        // SAFETY: `ntdll` is checked non-null, the name is a NUL-terminated static string.
        !ntdll.is_null()
            && unsafe { GetProcAddress(ntdll, c"wine_get_version".as_ptr().cast()) }.is_some()
    }

    #[cfg(not(windows))]
    fn under_wine() -> bool {
        false
    }

    /// A read error is final: the connection closes. Not taken for "try later" (nothing would
    /// wake the connection again before its timeout) nor retried (an error that comes back on
    /// every read would spin the worker).
    #[test]
    fn a_read_error_closes_the_connection() {
        let (config, shared) = (Config::default(), Shared::default());
        let mut io = Io {
            rt: AsyncRuntime::new().unwrap(),
            config: &config,
            shared: &shared,
            listener: None,
            responses: Responses::new(SystemTime::now()),
            now: Instant::now(),
            stats: Stats::default(),
            errors: [0; Status::ALL.len()],
            accept_pending: false,
            backoff: None,
            paused: false,
            overflow: 0,
            stopping: None,
            scratch: Vec::new(),
        };
        // Never connected: every read fails (ENOTCONN), as often as it is tried.
        let socket = AsyncSocket::tcp().unwrap();
        let token = io.rt.register_fd(socket.raw(), Interest::READABLE).unwrap();
        let mut conn = Conn {
            socket,
            rbuf: vec![0; READ_BUF],
            rstart: 0,
            rend: 0,
            scanned: 0,
            wbuf: Vec::new(),
            wpos: 0,
            state: State::Head(None),
            interest: Interest::READABLE,
            last_progress: io.now,
            deadline: io.now,
            timer: None,
        };
        assert!(matches!(io.read(&mut conn, token), Break(Outcome::Close)));
    }
}
