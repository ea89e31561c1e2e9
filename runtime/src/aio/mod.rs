//! The async I/O runtime: event loop, reactor, executor, sockets, files and the timer wheel.
//!
//! The event loop is the [`polling`] crate, used portably: registrations are edge-triggered where
//! the backend supports it (epoll, kqueue) and *oneshot*, re-armed when their readiness is
//! consumed ([`AsyncRuntime::clear_ready`]), where it does not (Windows and the poll(2) backend,
//! where adding a source in edge mode fails: the spec's "epoll, edge-triggered" cannot hold
//! everywhere). Code written to the oneshot contract (clear readiness on `WouldBlock`) is
//! correct on both. Readiness is tracked with a per-registration tick so a clear never
//! erases an event that arrived after the caller looked. Tokens are generational: a descriptor
//! number reused after `close` gets a new token that cannot be confused with the old one.
//!
//! [`AsyncRuntime::poll`] avoids polling's `wait` (which re-arms a timerfd and the notifier on
//! every call): on epoll every poll, blocking or not, is one `epoll_wait` on polling's own
//! descriptor (the timeout in whole milliseconds, rounded up); on kqueue a zero-timeout poll is
//! one poll(2) probe of the kqueue descriptor. polling's `wait` runs only when its notifier fired,
//! or to block where no cheaper way exists. Timers come from a [`TimerWheel`]; the OS wait is
//! never longer than the next timer (rounded up), and no timer is re-armed per poll.
//!
//! Checked by the tests of `aio/tests.rs`: `spurious_wakeups_are_tolerated_and_no_readiness_is_lost`
//! (a clear after newer readiness keeps it), `reused_descriptor_gets_a_distinct_token`,
//! `backend_mode_matches_the_build` (no edge mode on poll(2) and IOCP),
//! `zero_timeout_polls_see_events_and_keep_notify_working`; the wheel's suggested wait by its
//! model test (`timer/tests.rs`, `matches_btreemap_model`); all of them again on the poll(2)
//! backend by `ci/test-poll-backend.sh`.
//!
//! Measured figures (empty poll against a raw `epoll_wait(0)`, timer insert/cancel with 1 k to
//! 1 M live timers) are in docs/performance.md, with the command that produced them.

mod event_loop;
mod executor;
mod file;
mod reactor;
mod socket;
mod timer;
mod workers;

pub use crate::sys::{AsRawSource, RawSource, thread_cpu_time};
pub use event_loop::AsyncRuntime;
pub use executor::Executor;
pub use file::{AsyncFile, OpenOptions, POOL_THREADS, PoolOp};
pub use reactor::{Interest, Reactor};
pub use socket::{AsyncSocket, connect_in_progress};
pub use timer::{TimerId, TimerWheel};
pub use workers::WorkerStrategy;

/// Identifies a registered I/O source or a scheduled timer.
///
/// Inside the runtime a token is generational (an index and a generation), so a token that
/// outlives its registration is recognised as stale instead of naming a newer one.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct Token(pub u64);

impl Token {
    /// The slot of an I/O registration in its reactor. Registrations alive at the same time
    /// have different slots, and a freed slot is reused before a new one is made, so slots stay
    /// below the largest number of registrations alive at once: a slot indexes a slab of
    /// per-registration state (the server's connections are kept so). On 32-bit targets the
    /// tokens of [`AsyncRuntime::events`] carry the slot only, so compare slots there, not
    /// tokens. Meaningless for timer tokens.
    pub fn slot(self) -> usize {
        (self.0 & 0xFFFF_FFFF) as usize
    }
}

#[cfg(test)]
mod tests;
