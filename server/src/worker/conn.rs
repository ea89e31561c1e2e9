//! A connection's state, and the slab the worker keeps its connections in.

use std::time::Instant;

use neurlang::runtime::{AsyncSocket, Interest, TimerId, Token};

use crate::http::{Chunked, Head};

/// What a connection is doing; its deadline follows from it (see `Io::arm`).
#[derive(Debug)]
pub(super) enum State {
    /// Reading a request head: `Some(t)` once its first byte arrived at `t`, `None` while idle
    /// between requests with nothing buffered.
    Head(Option<Instant>),
    /// Discarding `remaining` bytes of a `Content-Length` body.
    Body(u64, Head),
    /// Discarding a chunked body.
    Chunked(Chunked, Head),
    /// A response that ends the connection is queued (nothing read after it is answered);
    /// once it is written the connection ends as its [`Ending`] says.
    Closing(Ending),
    /// The response is out and the write side shut: reading and discarding until the peer
    /// closes or the linger time ends, so it receives the response rather than a reset.
    Draining(Ending),
}

/// How a connection ends once its last response is written.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(super) enum Ending {
    /// `Connection: close`, HTTP/1.0 or the peer's EOF: closed at once unless unread input is
    /// buffered, drained otherwise.
    Close,
    /// After an error response: always drained (the client may still be sending).
    Linger,
    /// The 503 of a connection beyond the limit: drained like [`Ending::Linger`], and counted
    /// against the overflow budget instead of the connection limit.
    Overflow,
}

/// One connection: its buffers, state, registration and timer.
#[derive(Debug)]
pub(super) struct Conn {
    pub(super) socket: AsyncSocket,
    pub(super) rbuf: Vec<u8>,
    pub(super) rstart: usize,
    pub(super) rend: usize,
    pub(super) scanned: usize,
    pub(super) wbuf: Vec<u8>,
    pub(super) wpos: usize,
    pub(super) state: State,
    /// What it is registered for: readability, and writability too while output waits.
    pub(super) interest: Interest,
    pub(super) last_progress: Instant,
    pub(super) deadline: Instant,
    /// Its one wheel timer and when that fires.
    pub(super) timer: Option<(TimerId, Instant)>,
}

impl Conn {
    pub(super) fn is_overflow(&self) -> bool {
        matches!(
            self.state,
            State::Closing(Ending::Overflow) | State::Draining(Ending::Overflow)
        )
    }

    /// Whether part of a request has been read and the rest is awaited.
    pub(super) fn mid_request(&self) -> bool {
        matches!(self.state, State::Head(Some(_))) && self.rend > self.rstart
            || matches!(self.state, State::Body(..) | State::Chunked(..))
    }

    pub(super) fn is_idle(&self) -> bool {
        matches!(self.state, State::Head(_))
            && self.rstart == self.rend
            && self.wpos == self.wbuf.len()
    }
}

/// The open connections, each at the slot of its token: found without hashing and driven in
/// place. The token is kept beside the connection: on 32-bit targets an event's token carries
/// the slot only.
#[derive(Debug, Default)]
pub(super) struct Conns {
    slots: Vec<Option<(Token, Conn)>>,
    live: usize,
}

impl Conns {
    pub(super) fn get_mut(&mut self, token: Token) -> Option<(Token, &mut Conn)> {
        match self.slots.get_mut(token.slot()) {
            Some(Some((t, conn))) => Some((*t, conn)),
            _ => None,
        }
    }

    pub(super) fn insert(&mut self, token: Token, conn: Conn) {
        let slot = token.slot();
        if self.slots.len() <= slot {
            self.slots.resize_with(slot + 1, || None);
        }
        // A slot belongs to one live registration, so it is free here.
        if self.slots[slot].replace((token, conn)).is_none() {
            self.live += 1;
        }
    }

    pub(super) fn remove(&mut self, token: Token) -> Option<Conn> {
        let (_, conn) = self.slots.get_mut(token.slot())?.take()?;
        self.live -= 1;
        Some(conn)
    }

    pub(super) fn is_empty(&self) -> bool {
        self.live == 0
    }

    /// The tokens of the connections for which `keep` holds.
    pub(super) fn tokens(&self, keep: impl Fn(&Conn) -> bool) -> Vec<Token> {
        self.slots
            .iter()
            .flatten()
            .filter(|(_, c)| keep(c))
            .map(|(t, _)| *t)
            .collect()
    }
}
