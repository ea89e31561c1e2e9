//! Channels: unbounded FIFO queues of `u64` values between tasks.
//!
//! `recv` blocks on a condition variable (no spinning) until a value arrives or the channel is
//! closed; `close` wakes every blocked receiver. After `close`, `send` gives `EPIPE`, and `recv`
//! drains what is queued, then gives `EPIPE`. `try_recv` on an empty open channel gives
//! `EAGAIN`. An unknown channel id gives `EBADF`.
//!
//! The C ABI returns a received value and an error in one `i64`, so values sent through the
//! ABI are limited to `0..=i64::MAX` (`EINVAL` otherwise), which keeps them unambiguous.

use crate::errno::Errno;
use crate::handle::{Handle, HandleTable};
use std::collections::VecDeque;
use std::sync::{Arc, Condvar, Mutex};

/// One channel.
#[derive(Debug, Default)]
pub struct Channel {
    state: Mutex<State>,
    ready: Condvar,
}

#[derive(Debug, Default)]
struct State {
    queue: VecDeque<u64>,
    closed: bool,
    /// Receivers blocked in `recv`: a send or close wakes someone only when there is someone
    /// to wake (on Linux std's notify is a futex syscall even with no waiter).
    waiting: usize,
}

impl Channel {
    fn lock(&self) -> std::sync::MutexGuard<'_, State> {
        self.state.lock().unwrap_or_else(|p| p.into_inner())
    }

    fn send(&self, value: u64) -> Result<(), Errno> {
        let mut s = self.lock();
        if s.closed {
            return Err(Errno::EPIPE);
        }
        s.queue.push_back(value);
        let wake = s.waiting != 0;
        drop(s);
        if wake {
            self.ready.notify_one();
        }
        Ok(())
    }

    fn recv(&self) -> Result<u64, Errno> {
        let mut s = self.lock();
        loop {
            if let Some(v) = s.queue.pop_front() {
                return Ok(v);
            }
            if s.closed {
                return Err(Errno::EPIPE);
            }
            s.waiting += 1;
            s = self.ready.wait(s).unwrap_or_else(|p| p.into_inner());
            s.waiting -= 1;
        }
    }

    fn try_recv(&self) -> Result<u64, Errno> {
        let mut s = self.lock();
        match s.queue.pop_front() {
            Some(v) => Ok(v),
            None if s.closed => Err(Errno::EPIPE),
            None => Err(Errno::EAGAIN),
        }
    }

    /// Receivers blocked in `recv` now.
    #[cfg(test)]
    fn waiting(&self) -> usize {
        self.lock().waiting
    }

    fn close(&self) -> Result<(), Errno> {
        let mut s = self.lock();
        if s.closed {
            return Err(Errno::EPIPE);
        }
        s.closed = true;
        let wake = s.waiting != 0;
        drop(s);
        if wake {
            self.ready.notify_all();
        }
        Ok(())
    }
}

/// A context's channels (see [`Context`](crate::ctx::Context), which owns one), behind `Arc`:
/// a receiver blocked in `recv` keeps its channel alive across a destroy.
pub(crate) type Channels = HandleTable<Arc<Channel>, Errno>;

impl crate::handle::ContextService for Arc<Channel> {
    const TAG: crate::handle::Tag = crate::handle::Tag::Channel;
}

impl Channels {
    /// Creates a channel; returns its id.
    pub(crate) fn create(&self) -> Result<Handle, Errno> {
        self.insert(Arc::default())
    }

    /// Queues `value`.
    pub(crate) fn send(&self, id: Handle, value: u64) -> Result<(), Errno> {
        self.get(id)?.send(value)
    }

    /// Takes the next value, blocking until there is one or the channel is closed.
    pub(crate) fn recv(&self, id: Handle) -> Result<u64, Errno> {
        self.get(id)?.recv()
    }

    /// Takes the next value if there is one.
    pub(crate) fn try_recv(&self, id: Handle) -> Result<u64, Errno> {
        self.get(id)?.try_recv()
    }

    /// Closes the channel, waking blocked receivers; closing twice gives `EPIPE`.
    pub(crate) fn close(&self, id: Handle) -> Result<(), Errno> {
        self.get(id)?.close()
    }

    /// Closes the channel (if open) and frees its id.
    pub(crate) fn destroy(&self, id: Handle) -> Result<(), Errno> {
        let ch = self.remove(id)?;
        let _ = ch.close();
        Ok(())
    }
}

#[cfg(test)]
mod tests;
