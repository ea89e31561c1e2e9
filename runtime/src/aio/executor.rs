//! The executor: tasks parked until woken, polled in FIFO order with a fairness budget.

use std::collections::VecDeque;
use std::future::Future;
use std::pin::Pin;
use std::sync::atomic::{AtomicBool, AtomicUsize, Ordering};
use std::sync::{Arc, Mutex};
use std::task::{Context, Poll, Wake, Waker};

use super::Reactor;

type Task = Pin<Box<dyn Future<Output = ()> + Send>>;

/// State shared with wakers, which may run on any thread.
#[derive(Debug)]
struct Shared {
    ready: Mutex<VecDeque<usize>>,
    /// Length of `ready`, readable without the lock (the loop checks it on every poll).
    queued: AtomicUsize,
    /// Set while the loop blocks in the OS wait: a wake-up must then notify the poller.
    sleeping: AtomicBool,
    reactor: Arc<Reactor>,
}

struct TaskWaker {
    id: usize,
    scheduled: AtomicBool,
    shared: Arc<Shared>,
}

impl Wake for TaskWaker {
    fn wake(self: Arc<Self>) {
        self.wake_by_ref();
    }

    fn wake_by_ref(self: &Arc<Self>) {
        if self.scheduled.swap(true, Ordering::AcqRel) {
            return; // already queued
        }
        self.shared
            .ready
            .lock()
            .unwrap_or_else(|e| e.into_inner())
            .push_back(self.id);
        if self.shared.sleeping.load(Ordering::SeqCst) {
            // Cross-thread (or from a signal-free callback) while the loop sleeps: wake it.
            let _ = self.shared.reactor.notify();
        }
    }
}

/// Runs spawned futures. A task is polled only after its waker was called; each turn of the
/// loop polls at most a fixed budget of tasks, so a task that keeps waking itself cannot starve
/// I/O and timers. Wakers may be called from any thread (they use the poller's `notify`).
pub struct Executor {
    tasks: Vec<Option<(Task, Arc<TaskWaker>)>>,
    free: Vec<usize>,
    live: usize,
    shared: Arc<Shared>,
}

impl std::fmt::Debug for Executor {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Executor")
            .field("live", &self.live)
            .finish_non_exhaustive()
    }
}

impl Executor {
    /// Task polls per loop turn before I/O and timers get their turn.
    pub const BUDGET: usize = 128;

    /// An executor whose wakers notify `reactor`.
    pub fn new(reactor: Arc<Reactor>) -> Executor {
        let shared = Shared {
            ready: Mutex::new(VecDeque::new()),
            queued: AtomicUsize::new(0),
            sleeping: AtomicBool::new(false),
            reactor,
        };
        Executor {
            tasks: Vec::new(),
            free: Vec::new(),
            live: 0,
            shared: Arc::new(shared),
        }
    }

    /// Adds a task; it is polled at the next turn.
    pub fn spawn(&mut self, future: impl Future<Output = ()> + Send + 'static) {
        let id = self.free.pop().unwrap_or_else(|| {
            self.tasks.push(None);
            self.tasks.len() - 1
        });
        let waker = Arc::new(TaskWaker {
            id,
            scheduled: AtomicBool::new(false),
            shared: self.shared.clone(),
        });
        self.tasks[id] = Some((Box::pin(future), waker.clone()));
        self.live += 1;
        waker.wake();
    }

    /// Number of tasks not yet finished.
    pub fn live(&self) -> usize {
        self.live
    }

    /// Whether some task is waiting to be polled.
    pub fn has_ready(&self) -> bool {
        !self
            .shared
            .ready
            .lock()
            .unwrap_or_else(|e| e.into_inner())
            .is_empty()
    }

    /// Polls up to `budget` woken tasks; returns how many were polled.
    pub fn run_ready(&mut self, budget: usize) -> usize {
        let mut polled = 0;
        while polled < budget {
            let next = {
                let mut ready = self.shared.ready.lock().unwrap_or_else(|e| e.into_inner());
                let next = ready.pop_front();
                self.shared.queued.store(ready.len(), Ordering::SeqCst);
                next
            };
            let Some(id) = next else { break };
            polled += 1;
            let Some((task, waker)) = self.tasks.get_mut(id).and_then(Option::as_mut) else {
                continue; // a stale wake-up for a finished task
            };
            waker.scheduled.store(false, Ordering::Release);
            let w = Waker::from(waker.clone());
            if task.as_mut().poll(&mut Context::from_waker(&w)) == Poll::Ready(()) {
                self.tasks[id] = None;
                self.free.push(id);
                self.live -= 1;
            }
        }
        polled
    }

    /// Marks the loop as about to block (`true`) or running (`false`); returns whether a task
    /// became ready in between, in which case the loop must not block.
    pub(crate) fn set_sleeping(&self, sleeping: bool) -> bool {
        self.shared.sleeping.store(sleeping, Ordering::SeqCst);
        sleeping && self.has_ready()
    }
}
