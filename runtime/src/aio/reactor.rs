//! The reactor: registrations with the OS event loop and their readiness.
#![allow(unsafe_code)] // registering a raw source with polling is unsafe (deregister-before-close contract)

use std::io;
use std::ops::{BitOr, BitOrAssign};
use std::sync::{Mutex, MutexGuard};
use std::task::{Context, Poll, Waker};

use polling::{Event, Events, PollMode, Poller};

use super::Token;
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

#[derive(Debug)]
struct Slot {
    generation: u32,
    reg: Option<Registration>,
}

#[derive(Debug, Default)]
struct Slab {
    slots: Vec<Slot>,
    free: Vec<u32>,
}

/// Tracks I/O registrations and their readiness; shared between threads (registering and
/// modifying while another thread waits in [`poll`](super::AsyncRuntime::poll) is allowed).
#[derive(Debug)]
pub struct Reactor {
    poller: Poller,
    mode: PollMode,
    slab: Mutex<Slab>,
}

/// Generations use 31 bits: the top bit of a [`Token`] marks timer tokens, and an I/O token is
/// therefore never `usize::MAX` (polling's own notification key).
const GENERATION_MASK: u32 = 0x7FFF_FFFF;

/// Token bits: generation in the high half, slot index in the low half.
fn token_of(index: u32, generation: u32) -> Token {
    Token((u64::from(generation) << 32) | u64::from(index))
}

fn split(token: Token) -> (usize, u32) {
    ((token.0 & 0xFFFF_FFFF) as usize, (token.0 >> 32) as u32)
}

fn event(key: usize, interest: Interest) -> Event {
    Event::new(
        key,
        interest.contains(Interest::READABLE),
        interest.contains(Interest::WRITABLE),
    )
}

fn key_of(token: Token) -> usize {
    // On 32-bit targets the key keeps the index only; the generation is checked on delivery
    // against the slab, which `deregister` updates under the same lock.
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
            slab: Mutex::new(Slab::default()),
        })
    }

    /// Whether this reactor uses edge-triggered registrations (else oneshot + re-arm).
    pub fn is_edge(&self) -> bool {
        self.mode == PollMode::Edge
    }

    fn slab(&self) -> MutexGuard<'_, Slab> {
        self.slab.lock().unwrap_or_else(|e| e.into_inner())
    }

    /// Registers `source` for `interest`. The source must be [`deregister`](Self::deregister)ed
    /// before it is closed; its token stays unique even if the descriptor number is reused later.
    pub fn register(&self, source: impl AsRawSource, interest: Interest) -> io::Result<Token> {
        let raw = source.as_raw_source();
        let mut slab = self.slab();
        let index = match slab.free.pop() {
            Some(i) => i,
            None => {
                let i = u32::try_from(slab.slots.len()).map_err(|_| io::ErrorKind::OutOfMemory)?;
                slab.slots.push(Slot {
                    generation: 0,
                    reg: None,
                });
                i
            }
        };
        let slot = &mut slab.slots[index as usize];
        let token = token_of(index, slot.generation);
        // SAFETY: `raw` is open (the caller just handed it to us), and the documented contract of
        // this function is that it is deregistered before it is closed.
        let added =
            unsafe { sys::add(&self.poller, raw, event(key_of(token), interest), self.mode) };
        if let Err(e) = added {
            slab.free.push(index);
            return Err(e);
        }
        slot.reg = Some(Registration {
            raw,
            interest,
            ready: Interest::NONE,
            tick: 0,
            seen: 0,
            readers: None,
            writers: None,
        });
        Ok(token)
    }

    /// Changes the interest of a registration (and re-arms it).
    pub fn modify(&self, token: Token, interest: Interest) -> io::Result<()> {
        let mut slab = self.slab();
        let reg = lookup(&mut slab, token)?;
        reg.interest = interest;
        let arm = if self.mode == PollMode::Edge {
            interest
        } else {
            interest.remove(reg.ready)
        };
        sys::modify(&self.poller, reg.raw, event(key_of(token), arm), self.mode)
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
        let mut slab = self.slab();
        let raw = lookup(&mut slab, token)?.raw;
        let (index, _) = split(token);
        let slot = &mut slab.slots[index];
        let reg = slot.reg.take();
        slot.generation = (slot.generation + 1) & GENERATION_MASK;
        slab.free.push(index as u32);
        drop(slab);
        if let Some(reg) = reg {
            reg.readers
                .into_iter()
                .chain(reg.writers)
                .for_each(Waker::wake);
        }
        Ok(raw)
    }

    /// Whether `token` has any readiness of `interest`; records the observation for
    /// [`clear_ready`](Self::clear_ready). A stale token is never ready.
    pub fn is_ready(&self, token: Token, interest: Interest) -> bool {
        let mut slab = self.slab();
        match lookup(&mut slab, token) {
            Ok(reg) => {
                reg.seen = reg.tick;
                reg.ready.intersects(interest)
            }
            Err(_) => false,
        }
    }

    /// Clears `interest` readiness of `token` (after an operation returned `WouldBlock`) and
    /// re-arms the registration. Readiness delivered after the last
    /// [`is_ready`](Self::is_ready) is kept, so no wake-up is lost.
    pub fn clear_ready(&self, token: Token, interest: Interest) {
        let mut slab = self.slab();
        let Ok(reg) = lookup(&mut slab, token) else {
            return;
        };
        if reg.tick != reg.seen {
            return;
        }
        reg.ready = reg.ready.remove(interest | Interest::ERROR);
        if self.mode == PollMode::Oneshot {
            let arm = reg.interest.remove(reg.ready);
            if !arm.is_empty() {
                // A failure here means the source was closed behind our back: the next
                // deregister reports it.
                let _ = sys::modify(&self.poller, reg.raw, event(key_of(token), arm), self.mode);
            }
        }
    }

    /// For futures: ready if `token` has `interest` readiness, else remembers the waker.
    pub fn poll_ready(
        &self,
        token: Token,
        interest: Interest,
        cx: &mut Context<'_>,
    ) -> Poll<io::Result<()>> {
        let mut slab = self.slab();
        let reg = lookup(&mut slab, token)?;
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
        let mut slab = self.slab();
        let mut wake = Vec::new();
        for (key, readable, writable, error) in events {
            let token = Token(key as u64);
            let Ok(reg) = lookup(&mut slab, token) else {
                continue;
            }; // stale: deregistered
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
            reg.ready |= got;
            reg.tick += 1;
            tokens.push(token);
            if got.intersects(Interest::READABLE | Interest::ERROR) {
                wake.extend(reg.readers.take());
            }
            if got.intersects(Interest::WRITABLE | Interest::ERROR) {
                wake.extend(reg.writers.take());
            }
            if self.mode == PollMode::Oneshot {
                let arm = reg.interest.remove(reg.ready);
                if !arm.is_empty() {
                    let _ =
                        sys::modify(&self.poller, reg.raw, event(key_of(token), arm), self.mode);
                }
            }
        }
        drop(slab);
        wake.into_iter().for_each(Waker::wake);
    }

    /// Wakes a thread blocked in the OS wait of [`AsyncRuntime::poll`](super::AsyncRuntime::poll)
    /// (or makes the next wait return at once).
    pub fn notify(&self) -> io::Result<()> {
        self.poller.notify()
    }
}

fn lookup(slab: &mut Slab, token: Token) -> io::Result<&mut Registration> {
    let (index, generation) = split(token);
    match slab.slots.get_mut(index) {
        Some(Slot {
            generation: g,
            reg: Some(reg),
        }) if *g == generation || usize::BITS < 64 => Ok(reg),
        _ => Err(io::Error::new(
            io::ErrorKind::NotFound,
            "stale or unknown token",
        )),
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
}
