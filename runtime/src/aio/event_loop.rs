//! [`AsyncRuntime`]: the reactor, the timer wheel and the executor driven by one loop.

use std::future::Future;
use std::io;
use std::sync::Arc;
use std::time::{Duration, Instant};

use polling::Events;

use super::{Executor, Interest, Reactor, TimerId, TimerWheel, Token};
use crate::sys::AsRawSource;

/// Timer tokens carry this bit; I/O tokens never do.
const TIMER_BIT: u64 = 1 << 63;

/// The async I/O runtime: registrations, timers and tasks, driven by [`poll`](Self::poll) or
/// [`run`](Self::run). See the [module documentation](super) for the portability choices.
#[derive(Debug)]
pub struct AsyncRuntime {
    reactor: Arc<Reactor>,
    events: Events,
    raw_events: Vec<crate::sys::RawEvent>,
    ready: Vec<Token>,
    /// Each timer carries the token it reports when it expires.
    timers: TimerWheel,
    /// Tokens of expired timers not yet drained or cleared, in the order the wheel gave them.
    fired: Vec<Token>,
    next_timer: u64,
    executor: Executor,
}

impl AsyncRuntime {
    /// A runtime on a new OS poller.
    pub fn new() -> io::Result<AsyncRuntime> {
        let reactor = Arc::new(Reactor::new()?);
        Ok(AsyncRuntime {
            executor: Executor::new(reactor.clone()),
            reactor,
            events: Events::new(),
            raw_events: Vec::new(),
            ready: Vec::new(),
            timers: TimerWheel::new(),
            fired: Vec::new(),
            next_timer: 0,
        })
    }

    /// The reactor, shareable with other threads (to register or modify while this runtime
    /// polls) and with futures (for [`Reactor::poll_ready`]).
    pub fn reactor(&self) -> &Arc<Reactor> {
        &self.reactor
    }

    /// Registers a raw descriptor (Unix) or socket (Windows) for `interest`. It must be
    /// [`deregister`](Self::deregister)ed before it is closed. Tokens are generational: after a
    /// descriptor number is closed and reused, the old token stays stale.
    pub fn register_fd(
        &mut self,
        source: impl AsRawSource,
        interest: Interest,
    ) -> io::Result<Token> {
        self.reactor.register(source, interest)
    }

    /// Changes the interest of a registration.
    pub fn modify(&mut self, token: Token, interest: Interest) -> io::Result<()> {
        self.reactor.modify(token, interest)
    }

    /// Removes a registration (before the descriptor is closed).
    pub fn deregister(&mut self, token: Token) -> io::Result<()> {
        self.reactor.deregister(token)
    }

    /// Removes the registration of a source that is closed right after and has no other handle:
    /// no system call where the close itself removes it (see [`Reactor::deregister_closing`]).
    pub fn deregister_closing(&mut self, token: Token) -> io::Result<()> {
        self.reactor.deregister_closing(token)
    }

    /// Waits up to `timeout` (`None`: until something happens) for I/O events, shortened to the
    /// next timer (rounded up so timers never fire early), then collects expired timers.
    /// Returns the number of I/O events. Interrupted waits (`EINTR`) are retried.
    pub fn poll(&mut self, timeout: Option<Duration>) -> io::Result<usize> {
        let mut wait = match (timeout, self.timers.timeout_until_next()) {
            (Some(a), Some(b)) => Some(a.min(b)),
            (a, b) => a.or(b),
        };
        if self.executor.has_ready() {
            wait = Some(Duration::ZERO);
        }
        let blocking = wait != Some(Duration::ZERO);
        if blocking && self.executor.set_sleeping(true) {
            wait = Some(Duration::ZERO);
        }
        self.ready.clear();
        let n = self.reactor.wait(
            &mut self.events,
            &mut self.raw_events,
            &mut self.ready,
            wait,
        );
        if blocking {
            self.executor.set_sleeping(false);
        }
        if !self.timers.is_empty() {
            self.collect_expired();
        }
        n
    }

    /// Advances the wheel to now and queues the tokens of the timers that expired. Out of line,
    /// so a poll without timers stays short (the `aio_empty_poll` row of `ci/bench-gate.sh`).
    #[inline(never)]
    fn collect_expired(&mut self) {
        self.timers.advance(Instant::now());
        self.fired.extend(self.timers.expired_timers());
    }

    /// The I/O tokens that received an event in the last [`poll`](Self::poll), in delivery order
    /// (a token can appear twice when its readiness was reported twice). Event-driven code
    /// visits only these instead of asking [`is_ready`](Self::is_ready) of every registration.
    pub fn events(&self) -> &[Token] {
        &self.ready
    }

    /// Whether `token` is ready for `interest` (an I/O token), or has expired (a token of
    /// [`schedule_timer`](Self::schedule_timer); a linear look at the expired timers not yet
    /// drained or cleared).
    pub fn is_ready(&self, token: Token, interest: Interest) -> bool {
        if token.0 & TIMER_BIT != 0 {
            return self.fired.contains(&token);
        }
        self.reactor.is_ready(token, interest)
    }

    /// Clears readiness observed by [`is_ready`](Self::is_ready) (call it when an operation
    /// returned `WouldBlock`) and re-arms the registration; readiness that arrived since the
    /// observation is kept. For a timer token, forgets that it expired.
    pub fn clear_ready(&mut self, token: Token, interest: Interest) {
        if token.0 & TIMER_BIT != 0 {
            self.fired.retain(|t| *t != token);
        } else {
            self.reactor.clear_ready(token, interest);
        }
    }

    /// Schedules a timer expiring `after` from now; its token becomes ready then (and is
    /// reported by [`expired_timers`](Self::expired_timers)). To cancel a timer, schedule it
    /// with [`schedule_timer_for`](Self::schedule_timer_for), which returns its id.
    pub fn schedule_timer(&mut self, after: Duration) -> Token {
        let token = Token(TIMER_BIT | self.next_timer);
        self.next_timer += 1;
        self.schedule_timer_for(token, after);
        token
    }

    /// Schedules a timer expiring `after` from now on behalf of `owner` (an I/O token, say):
    /// [`expired_timers`](Self::expired_timers) reports `owner` when it expires, so no map from
    /// timers to their owners is needed. The id cancels it.
    pub fn schedule_timer_for(&mut self, owner: Token, after: Duration) -> TimerId {
        self.timers.insert_after(owner, after)
    }

    /// Cancels a pending timer; returns `false` if it already expired or was cancelled.
    pub fn cancel_timer(&mut self, id: TimerId) -> bool {
        self.timers.cancel(id)
    }

    /// Drains the tokens of the timers that expired and were not yet cleared (earlier polls'
    /// first): a timer's own token ([`schedule_timer`](Self::schedule_timer)) or its owner's
    /// ([`schedule_timer_for`](Self::schedule_timer_for)).
    pub fn expired_timers(&mut self) -> std::vec::Drain<'_, Token> {
        self.fired.drain(..)
    }

    /// Adds a task to the executor.
    pub fn spawn(&mut self, future: impl Future<Output = ()> + Send + 'static) {
        self.executor.spawn(future);
    }

    /// Runs the loop: woken tasks (at most [`Executor::BUDGET`] polls a turn), then I/O and
    /// timers. Returns when `timeout` has elapsed, or earlier once no task is left and no timer
    /// is pending (with `None`, only then).
    pub fn run(&mut self, timeout: Option<Duration>) -> io::Result<()> {
        let deadline = timeout.and_then(|t| Instant::now().checked_add(t));
        loop {
            self.executor.run_ready(Executor::BUDGET);
            if self.executor.live() == 0 && self.timers.is_empty() {
                return Ok(());
            }
            let left = match deadline {
                Some(d) => {
                    let now = Instant::now();
                    if now >= d {
                        return Ok(());
                    }
                    Some(d - now)
                }
                None => None,
            };
            self.poll(left)?;
        }
    }
}
