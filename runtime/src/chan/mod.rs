//! Channels: unbounded FIFO queues of `u64` values between tasks.
//!
//! `recv` blocks on a condition variable (no spinning) until a value arrives or the channel is
//! closed; `close` wakes every blocked receiver. After `close`, `send` gives `EPIPE`, and `recv`
//! drains what is queued, then gives `EPIPE`. `try_recv` on an empty open channel gives
//! `EAGAIN`. An unknown channel id gives `EBADF`.
//!
//! The C ABI returns a received value and an error in one `i64`, so values sent through the
//! ABI are limited to `0..=i64::MAX` (`EINVAL` otherwise), which keeps them unambiguous.

use crate::ctx::{Context, Handle};
use crate::errno::Errno;
use std::collections::VecDeque;
use std::sync::{Condvar, Mutex};

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
        drop(s);
        self.ready.notify_one();
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
            s = self.ready.wait(s).unwrap_or_else(|p| p.into_inner());
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

    fn close(&self) -> Result<(), Errno> {
        let mut s = self.lock();
        if s.closed {
            return Err(Errno::EPIPE);
        }
        s.closed = true;
        drop(s);
        self.ready.notify_all();
        Ok(())
    }
}

impl Context {
    /// Creates a channel; returns its id.
    pub fn chan_create(&self) -> Result<Handle, Errno> {
        self.chans.insert(Channel::default())
    }

    /// Queues `value`.
    pub fn chan_send(&self, id: Handle, value: u64) -> Result<(), Errno> {
        self.chans.get(id).ok_or(Errno::EBADF)?.send(value)
    }

    /// Takes the next value, blocking until there is one or the channel is closed.
    pub fn chan_recv(&self, id: Handle) -> Result<u64, Errno> {
        self.chans.get(id).ok_or(Errno::EBADF)?.recv()
    }

    /// Takes the next value if there is one.
    pub fn chan_try_recv(&self, id: Handle) -> Result<u64, Errno> {
        self.chans.get(id).ok_or(Errno::EBADF)?.try_recv()
    }

    /// Closes the channel, waking blocked receivers. Closing twice gives `EPIPE`. The id stays
    /// valid (receivers drain it) until [`Context::chan_destroy`].
    pub fn chan_close(&self, id: Handle) -> Result<(), Errno> {
        self.chans.get(id).ok_or(Errno::EBADF)?.close()
    }

    /// Closes the channel (if open) and frees its id.
    pub fn chan_destroy(&self, id: Handle) -> Result<(), Errno> {
        let ch = self.chans.remove(id).ok_or(Errno::EBADF)?;
        let _ = ch.close();
        Ok(())
    }
}

#[cfg(test)]
mod tests;
