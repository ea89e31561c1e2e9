//! The reactor: registrations with the OS event loop and their readiness.
#![allow(unsafe_code)] // registering a raw source with polling is unsafe (deregister-before-close contract)

use std::io;
use std::ops::{BitOr, BitOrAssign};
use std::task::{Context, Poll, Waker};

use polling::{Event, Events, PollMode, Poller};

use super::Token;
use crate::handle::{Handle, HandleTable, Tag};
use crate::sys::{self, AsRawSource, RawSource};

/// Readiness a registration asks for (and readiness an event reports).
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, Default)]
pub struct Interest(u8);

impl Interest {
    /// No interest.
    pub const NONE: Interest = Interest(0);
    /// The source can be read (or accepted from) without blocking.
    pub const READABLE: Interest = Interest(1);
    /// The source can be written (or a connect finished) without blocking.
    pub const WRITABLE: Interest = Interest(2);
    /// An error or hang-up was reported; always reported, never needs asking for.
    pub const ERROR: Interest = Interest(4);

    /// Whether every flag of `other` is set in `self`.
    pub const fn contains(self, other: Interest) -> bool {
        self.0 & other.0 == other.0
    }

    /// Whether `self` and `other` share a flag.
    pub const fn intersects(self, other: Interest) -> bool {
        self.0 & other.0 != 0
    }

    /// `self` without the flags of `other`.
    pub const fn remove(self, other: Interest) -> Interest {
        Interest(self.0 & !other.0)
    }

    /// Whether no flag is set.
    pub const fn is_empty(self) -> bool {
        self.0 == 0
    }
}

impl BitOr for Interest {
    type Output = Interest;
    fn bitor(self, rhs: Interest) -> Interest {
        Interest(self.0 | rhs.0)
    }
}

impl BitOrAssign for Interest {
    fn bitor_assign(&mut self, rhs: Interest) {
        self.0 |= rhs.0;
    }
}

/// One registration. `tick` counts delivered events; `seen` is the tick the owner last observed,
/// so [`Reactor::clear_ready`] clears only readiness it has actually seen.
#[derive(Debug)]
struct Registration {
    raw: RawSource,
    interest: Interest,
    ready: Interest,
    tick: u64,
    seen: u64,
    readers: Option<Waker>,
    writers: Option<Waker>,
}

/// Tracks I/O registrations and their readiness; shared between threads (registering and
/// modifying while another thread waits in [`poll`](super::AsyncRuntime::poll) is allowed).
/// Registrations live in a [`HandleTable`]: a token is a handle of it, so a stale token (its
/// registration removed, the descriptor number perhaps reused) never names a new registration,
/// and operations on different registrations take different locks.
#[derive(Debug)]
pub struct Reactor {
    poller: Poller,
    mode: PollMode,
    regs: HandleTable<Registration>,
}

// A registration's token never has the top bit set (the event loop's mark for timer tokens),
// and so is never `usize::MAX` (polling's own notification key).
const _: () = assert!((Tag::Registration as u64) < 0x80);

fn handle(token: Token) -> Handle {
    Handle::from_raw(token.0)
}

fn token(h: Handle) -> Token {
    Token(h.raw())
}

fn not_found() -> io::Error {
    io::Error::new(io::ErrorKind::NotFound, "stale or unknown token")
}

fn event(key: usize, interest: Interest) -> Event {
    Event::new(
        key,
        interest.contains(Interest::READABLE),
        interest.contains(Interest::WRITABLE),
    )
}

fn key_of(token: Token) -> usize {
    // On 32-bit targets the key keeps the slot index only (the low 32 bits of a handle);
    // delivery then finds the registration now in that slot (see `Reactor::deliver`).
    token.0 as usize
}

impl Reactor {
    /// A reactor on a new OS poller: edge mode where the backend supports it, oneshot + re-arm
    /// everywhere else.
    pub fn new() -> io::Result<Reactor> {
        let poller = Poller::new()?;
        let mode = if poller.supports_edge() {
            PollMode::Edge
        } else {
            PollMode::Oneshot
        };
        Ok(Reactor {
            poller,
            mode,
            regs: HandleTable::new(Tag::Registration),
        })
    }

    /// Whether this reactor uses edge-triggered registrations (else oneshot + re-arm).
    pub fn is_edge(&self) -> bool {
        self.mode == PollMode::Edge
    }

    /// Runs `f` on the registration of `token`; `NotFound` for a stale or unknown token.
    fn with<R>(&self, token: Token, f: impl FnOnce(&mut Registration) -> R) -> io::Result<R> {
        self.regs.with(handle(token), f).map_err(|_| not_found())
    }

    /// Registers `source` for `interest`. The source must be [`deregister`](Self::deregister)ed
    /// before it is closed; its token stays unique even if the descriptor number is reused later.
    pub fn register(&self, source: impl AsRawSource, interest: Interest) -> io::Result<Token> {
        let raw = source.as_raw_source();
        let h = self
            .regs
            .insert(Registration {
                raw,
                interest,
                ready: Interest::NONE,
                tick: 0,
                seen: 0,
                readers: None,
                writers: None,
            })
            .map_err(|_| io::Error::from(io::ErrorKind::OutOfMemory))?;
        let token = token(h);
        // SAFETY: `raw` is open (the caller just handed it to us), and the documented contract of
        // this function is that it is deregistered before it is closed.
        let added =
            unsafe { sys::add(&self.poller, raw, event(key_of(token), interest), self.mode) };
        if let Err(e) = added {
            let _ = self.regs.remove(h);
            return Err(e);
        }
        Ok(token)
    }

    /// Changes the interest of a registration (and re-arms it).
    pub fn modify(&self, token: Token, interest: Interest) -> io::Result<()> {
        self.with(token, |reg| {
            reg.interest = interest;
            let arm = if self.mode == PollMode::Edge {
                interest
            } else {
                interest.remove(reg.ready)
            };
            sys::modify(&self.poller, reg.raw, event(key_of(token), arm), self.mode)
        })?
    }

    /// Removes a registration; call it before closing the source. The token becomes stale.
    pub fn deregister(&self, token: Token) -> io::Result<()> {
        let raw = self.forget(token)?;
        sys::delete(&self.poller, raw)
    }

    /// Removes the registration of a source that is about to be closed, and of which no other
    /// handle exists (no `try_clone`, no `dup`). Where closing removes a descriptor from the
    /// poller by itself (epoll, kqueue), this makes no system call; elsewhere it is
    /// [`deregister`](Self::deregister). The token becomes stale either way.
    pub fn deregister_closing(&self, token: Token) -> io::Result<()> {
        if !sys::CLOSE_DEREGISTERS {
            return self.deregister(token);
        }
        self.forget(token).map(drop)
    }

    /// Drops the bookkeeping of a registration (the token becomes stale) and wakes its tasks.
    fn forget(&self, token: Token) -> io::Result<RawSource> {
        let reg = self.regs.remove(handle(token)).map_err(|_| not_found())?;
        reg.readers
            .into_iter()
            .chain(reg.writers)
            .for_each(Waker::wake);
        Ok(reg.raw)
    }

    /// Whether `token` has any readiness of `interest`; records the observation for
    /// [`clear_ready`](Self::clear_ready). A stale token is never ready.
    pub fn is_ready(&self, token: Token, interest: Interest) -> bool {
        self.with(token, |reg| {
            reg.seen = reg.tick;
            reg.ready.intersects(interest)
        })
        .unwrap_or(false)
    }

    /// Clears `interest` readiness of `token` (after an operation returned `WouldBlock`) and
    /// re-arms the registration. Readiness delivered after the last
    /// [`is_ready`](Self::is_ready) is kept, so no wake-up is lost.
    pub fn clear_ready(&self, token: Token, interest: Interest) {
        // A stale token has nothing to clear.
        let _ = self.with(token, |reg| {
            if reg.tick != reg.seen {
                return;
            }
            reg.ready = reg.ready.remove(interest | Interest::ERROR);
            if self.mode == PollMode::Oneshot {
                let arm = reg.interest.remove(reg.ready);
                if !arm.is_empty() {
                    // A failure here means the source was closed behind our back: the next
                    // deregister reports it.
                    let _ =
                        sys::modify(&self.poller, reg.raw, event(key_of(token), arm), self.mode);
                }
            }
        });
    }

    /// For futures: ready if `token` has `interest` readiness, else remembers the waker.
    pub fn poll_ready(
        &self,
        token: Token,
        interest: Interest,
        cx: &mut Context<'_>,
    ) -> Poll<io::Result<()>> {
        self.with(token, |reg| {
            reg.seen = reg.tick;
            if reg.ready.intersects(interest | Interest::ERROR) {
                return Poll::Ready(Ok(()));
            }
            let slot = if interest.contains(Interest::READABLE) {
                &mut reg.readers
            } else {
                &mut reg.writers
            };
            match slot {
                Some(w) if w.will_wake(cx.waker()) => {}
                _ => *slot = Some(cx.waker().clone()),
            }
            Poll::Pending
        })?
    }

    /// Waits for events, records them and appends the token of each live registration that got
    /// one to `tokens`. Returns the number of events delivered. Where the backend allows (epoll),
    /// one `epoll_wait` on polling's descriptor does it, blocking or not; elsewhere a zero
    /// timeout first takes the backend's probe (kqueue). polling's full `wait` (which re-arms
    /// its timer and notifier) runs only when its notifier fired or nothing cheaper exists.
    pub(crate) fn wait(
        &self,
        events: &mut Events,
        raw: &mut Vec<sys::RawEvent>,
        tokens: &mut Vec<Token>,
        mut timeout: Option<std::time::Duration>,
    ) -> io::Result<usize> {
        let mut delivered = 0;
        if sys::WAIT_BLOCKS || timeout == Some(std::time::Duration::ZERO) {
            raw.clear();
            let full = sys::wait_now(&self.poller, raw, timeout)?;
            if !raw.is_empty() {
                delivered += raw.len();
                self.deliver(
                    raw.iter().map(|e| (e.key, e.readable, e.writable, e.error)),
                    tokens,
                );
            }
            if !full {
                return Ok(delivered);
            }
            // polling's notifier fired: its own wait clears it, without blocking again.
            timeout = Some(std::time::Duration::ZERO);
        }
        events.clear();
        self.poller.wait(events, timeout)?;
        self.deliver(
            events
                .iter()
                .map(|e| (e.key, e.readable, e.writable, e.is_err() == Some(true))),
            tokens,
        );
        Ok(delivered + events.len())
    }

    /// Records `(key, readable, writable, error)` events, re-arms oneshot registrations for the
    /// interest not yet ready, and wakes the tasks waiting on them.
    fn deliver(
        &self,
        events: impl Iterator<Item = (usize, bool, bool, bool)>,
        tokens: &mut Vec<Token>,
    ) {
        let mut wake = Vec::new();
        for (key, readable, writable, error) in events {
            let mut got = Interest::NONE;
            if readable {
                got |= Interest::READABLE;
            }
            if writable {
                got |= Interest::WRITABLE;
            }
            if error {
                got |= Interest::ERROR;
            }
            let h = if usize::BITS < 64 {
                // The key is the slot index only (see `key_of`).
                match self.regs.current(key as u32) {
                    Some(h) => h,
                    None => continue,
                }
            } else {
                Handle::from_raw(key as u64)
            };
            let token = token(h);
            let delivered = self.regs.with(h, |reg| {
                reg.ready |= got;
                reg.tick += 1;
                if got.intersects(Interest::READABLE | Interest::ERROR) {
                    wake.extend(reg.readers.take());
                }
                if got.intersects(Interest::WRITABLE | Interest::ERROR) {
                    wake.extend(reg.writers.take());
                }
                if self.mode == PollMode::Oneshot {
                    let arm = reg.interest.remove(reg.ready);
                    if !arm.is_empty() {
                        let _ = sys::modify(
                            &self.poller,
                            reg.raw,
                            event(key_of(token), arm),
                            self.mode,
                        );
                    }
                }
            });
            // A stale token (deregistered meanwhile) is skipped.
            if delivered.is_ok() {
                tokens.push(token);
            }
        }
        wake.into_iter().for_each(Waker::wake);
    }

    /// Wakes a thread blocked in the OS wait of [`AsyncRuntime::poll`](super::AsyncRuntime::poll)
    /// (or makes the next wait return at once).
    pub fn notify(&self) -> io::Result<()> {
        self.poller.notify()
    }
}
#[cfg(test)]
mod tests {
    use super::Interest;

    #[test]
    fn interest_flags() {
        let rw = Interest::READABLE | Interest::WRITABLE;
        assert!(Interest::NONE.is_empty() && Interest::default().is_empty());
        assert!(!Interest::READABLE.is_empty() && !Interest::ERROR.is_empty());
        assert!(rw.contains(Interest::READABLE) && !Interest::READABLE.contains(rw));
        assert!(rw.intersects(Interest::WRITABLE) && !rw.intersects(Interest::ERROR));
        assert_eq!(rw.remove(Interest::READABLE), Interest::WRITABLE);
        assert!(rw.remove(rw).is_empty());
    }

    /// Oneshot mode (the poll(2) backend's, here on epoll, which has it too): an event that
    /// reports only part of the interest disarms the registration, which must be re-armed for
    /// the rest, or the other event never comes.
    #[test]
    fn oneshot_registrations_are_rearmed_for_the_interest_not_yet_ready() {
        use super::{HandleTable, PollMode, Reactor, Tag};
        use std::io::Write;
        use std::time::{Duration, Instant};
        let reactor = Reactor {
            poller: polling::Poller::new().unwrap(),
            mode: PollMode::Oneshot,
            regs: HandleTable::new(Tag::Registration),
        };
        let listener = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
        let ours = std::net::TcpStream::connect(listener.local_addr().unwrap()).unwrap();
        let (mut peer, _) = listener.accept().unwrap();
        ours.set_nonblocking(true).unwrap();
        let token = reactor
            .register(&ours, Interest::READABLE | Interest::WRITABLE)
            .unwrap();
        let (mut events, mut raw, mut tokens) = (polling::Events::new(), Vec::new(), Vec::new());
        let mut wait_for = |interest: Interest| {
            let deadline = Instant::now() + Duration::from_secs(20);
            while !reactor.is_ready(token, interest) && Instant::now() < deadline {
                let left = Some(Duration::from_millis(200));
                reactor
                    .wait(&mut events, &mut raw, &mut tokens, left)
                    .unwrap();
            }
            reactor.is_ready(token, interest)
        };
        assert!(
            wait_for(Interest::WRITABLE),
            "a connected socket is writable"
        );
        assert!(
            !reactor.is_ready(token, Interest::READABLE),
            "nothing was sent yet"
        );
        peer.write_all(b"x").unwrap();
        assert!(
            wait_for(Interest::READABLE),
            "the data's event came after the first one"
        );
        reactor.deregister(token).unwrap();
    }
}
