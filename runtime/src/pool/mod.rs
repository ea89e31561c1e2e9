//! # The executable buffer pool
//!
//! Pre-mapped slots of executable memory, handed out and taken back without a system call:
//!
//! ```
//! use neurlang::runtime::BufferPool;
//!
//! let pool = BufferPool::new(64);
//! let mut buffer = pool.acquire().expect("pool exhausted");
//! # #[cfg(all(target_arch = "x86_64", not(miri)))] {
//! # let machine_code: &[u8] = &[0xB8, 42, 0, 0, 0, 0xC3]; // mov eax, 42; ret
//! buffer.write(machine_code).expect("fits");
//! // SAFETY: the bytes are a complete function with this signature.
//! let code = unsafe { buffer.as_fn::<extern "C" fn() -> i32>() }.expect("executable");
//! assert_eq!(code.call(), 42);
//! # }
//! drop(buffer); // released: the written bytes are poisoned, the slot goes back
//! println!("In use: {}/{}", pool.in_use(), pool.capacity());
//! ```
//!
//! ## Where this differs from the specification
//!
//! - **No RWX by default.** The pool probes, at start-up, for a backend the system allows and
//!   reports it ([`BufferPool::backend`]): a dual mapping (the same pages mapped once
//!   read-write and once read-execute: `memfd` on Linux and FreeBSD, a section with two views
//!   on Windows) where it works; `MAP_JIT` with per-thread write toggling on macOS arm64;
//!   `mprotect` toggling as a fallback (two system calls per write). Plain RWX memory is used
//!   only when asked for ([`PoolConfig::backend`]); hardened systems (Linux `PR_SET_MDWE`,
//!   SELinux `deny_execmem`, PaX) refuse it. With no working backend, [`BufferPool::new`]
//!   still returns a pool whose [`acquire`](BufferPool::acquire) reports why. The dual
//!   mapping is accepted only after a self-test that rewrites and runs code through it (under
//!   qemu-user, code rewritten through the second view keeps running stale, so there the pool
//!   falls back to `mprotect`).
//! - **Writes are all-or-error.** [`ExecutableBuffer::write`] returns an error and writes
//!   nothing when the bytes do not fit; the specification returns a short count, and a partial
//!   function is a crash waiting to happen.
//! - **Calls use the C ABI** and cannot outlive the buffer: [`ExecutableBuffer::as_fn`] gives a
//!   [`Code`] that borrows the buffer (the specification transmutes to a Rust-ABI `fn`).
//! - **Poison per architecture, only where written**: `int3` on x86, `brk #0` on aarch64,
//!   over the bytes written since the last poison, followed by instruction-cache maintenance.
//! - Page-size aware slots, guard pages around every region (not on Windows section views),
//!   optional growth ([`PoolConfig::max_slots`]), and statistics ([`BufferPool::stats`]).
//!
//! Buffers borrow their pool (`ExecutableBuffer<'pool>`), which keeps the release path free of
//! reference counting; share a pool between threads by reference (scoped threads, rayon) or in
//! an `Arc`.
//!
//! ## The per-thread caches
//!
//! A free slot is in the shared queue (an `ArrayQueue`) or in a *cache cell*: each pool has a
//! few cells (twice the processors, as a power of two, at most 256), each an atomic slot index
//! alone on its own 128 bytes. A thread gets a number at its first acquire or release (the
//! smallest no live thread has; given back when the thread exits, so threads that come and go
//! do not walk onto a live thread's cell) and uses cell `number mod cells` of every pool. Release puts the slot in the thread's cell when it
//! is empty, else in the queue; acquire takes the cell's slot, else pops the queue. So a
//! thread that acquires and releases one buffer at a time touches one cache line no other
//! thread uses (until more threads than cells share cells, which stays correct, only slower):
//! one swap and one compare-and-swap, where two threads on the one queue bounced its lines.
//! Like mimalloc's and tcmalloc's per-thread free lists, with these differences:
//!
//! - **The cells belong to the pool, not to the thread.** The thread keeps only its number
//!   (a thread-local integer, whose destructor gives the number back and nothing else), so
//!   nothing that refers to a pool outlives it: dropping a
//!   pool while other threads have slots of it cached drops the cells with it, and a thread
//!   that exits leaves at most one free slot in its cell of each pool. Such a slot is not
//!   lost: an acquire that finds the queue empty takes slots from any cell before it grows
//!   the pool or reports it exhausted, and the high-water check below empties the cells. The
//!   cost is one cell per thread number (threads beyond the cells share); a per-thread cache
//!   that pointed at the pool would need a pool generation check or a reference count on
//!   every operation, and a destructor per thread.
//! - **Never handed out twice**: a slot moves between the queue, a cell and a buffer, each move
//!   an atomic swap, compare-and-swap, push or pop that only one thread can win; cells swap
//!   with acquire/release ordering, so a slot's poison is written before its next holder
//!   sees it.
//! - **Statistics stay exact.** [`BufferPool::in_use`] is the slots mapped, less those in the
//!   queue, less those in cells: exact when no other thread acquires or releases at the time
//!   (as before). The high-water mark is kept at least `mapped - queued` (the slots held *or*
//!   cached), which only grows when a slot leaves the queue: then, and only then, if the count
//!   passes the mark, every cell is emptied into the queue and the count held is recorded. So
//!   the count held cannot pass the mark unseen, and a cached slot never counts as held; in
//!   single-threaded use the mark is exactly the most buffers ever held, and threads racing
//!   may make it miss or overstate a peak by the operations in flight (the mark sampled at
//!   release before the caches could miss one too). In the steady state the mark already
//!   covers the cached slots, and the cell path does not look at it.
//!
//! The unit tests show each of these: `a_released_slot_waits_in_the_threads_cell` (the cell
//! first, the queue when it is full, the cached slot counted free),
//! `a_thread_that_exits_leaves_its_cached_slot_to_the_others` (taken from another cell instead
//! of a false exhaustion), `buffers_released_on_other_threads_are_never_shared_or_lost`
//! (threads acquire and send buffers to others that release them: never held twice, none
//! lost), `caches_stay_while_the_high_water_mark_covers_them` and
//! `caches_past_the_high_water_mark_go_back_to_the_queue` (the mark counts held slots only,
//! and the check leaves caches alone in the steady state),
//! `a_pool_dropped_while_another_thread_caches_its_slot`, `free_list_matches_a_model` (the
//! statistics against a model), `live_threads_have_distinct_numbers_they_keep`,
//! `numbers_are_taken_smallest_first_and_given_back_at_thread_exit` and
//! `cells_are_twice_the_processors_as_a_power_of_two`. None needs new unsafe code.
//!
//! Checked by the conformance area `pool` on every platform the suite runs on:
//! `pool.backend.probed`, `pool.hardened.mdwe` (a child process under `PR_SET_MDWE` still gets
//! a working pool), `pool.exec.*` (each backend), `pool.write.all_or_nothing`,
//! `pool.poison.released_bytes`, `pool.released_slot_traps`, `pool.rewrite.same_slot`,
//! `pool.exhaustion.clear_error`, `pool.threads.unique_slots` and `pool.hot_path.no_syscall`.

mod arch;
mod buffer;
mod probe;
mod region;

pub use buffer::{Code, ExecutableBuffer, ExternFn};

use crate::errno::Errno;
use crossbeam_queue::ArrayQueue;
use region::Region;
use std::fmt;
use std::sync::atomic::{AtomicU32, AtomicU64, AtomicUsize, Ordering};
use std::sync::{Mutex, OnceLock};

/// The slot size of [`BufferPool::new`]: 4 KiB, as in the specification.
pub const DEFAULT_BUFFER_SIZE: usize = 4096;

/// How the pool's memory is made executable.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
#[non_exhaustive]
pub enum Backend {
    /// One read-write and one read-execute view of the same pages (W^X, syscall-free).
    DualMap,
    /// `MAP_JIT` memory with per-thread write toggling (macOS arm64; syscall-free).
    MapJit,
    /// Read-execute pages made writable with `mprotect`/`VirtualProtect` around each write.
    Mprotect,
    /// Read-write-execute pages, as in the specification: only when asked for.
    Rwx,
    /// Plain heap memory that never executes: for Miri and bookkeeping tests.
    Heap,
}

impl Backend {
    /// A short lower-case name (`dual-map`, `map-jit`, `mprotect`, `rwx`, `heap`).
    pub const fn name(self) -> &'static str {
        match self {
            Backend::DualMap => "dual-map",
            Backend::MapJit => "map-jit",
            Backend::Mprotect => "mprotect",
            Backend::Rwx => "rwx",
            Backend::Heap => "heap",
        }
    }

    /// True when code written to this backend's memory can be called.
    pub const fn executable(self) -> bool {
        !matches!(self, Backend::Heap)
    }

    /// True when acquire, write and release make no system call.
    pub const fn syscall_free(self) -> bool {
        !matches!(self, Backend::Mprotect)
    }

    /// The backends tried, in order, when none is asked for.
    pub const AUTO: &'static [Backend] = AUTO_ORDER;
}

#[cfg(miri)]
const AUTO_ORDER: &[Backend] = &[Backend::Heap];
#[cfg(all(not(miri), neurlang_map_jit))]
const AUTO_ORDER: &[Backend] = &[Backend::MapJit, Backend::Mprotect];
#[cfg(all(not(miri), not(neurlang_map_jit)))]
const AUTO_ORDER: &[Backend] = &[Backend::DualMap, Backend::Mprotect];

impl fmt::Display for Backend {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.name())
    }
}

/// Why the pool could not do what was asked.
#[derive(Clone, Debug, PartialEq, Eq)]
#[non_exhaustive]
pub enum PoolError {
    /// Every slot is in use and the pool may not grow.
    Exhausted {
        /// The number of slots.
        capacity: usize,
    },
    /// No backend could map executable memory: each one tried, with its error.
    NoBackend(Vec<(Backend, Errno)>),
    /// The backend failed (mapping more memory, or changing protections).
    Backend(Backend, Errno),
    /// The bytes do not fit: nothing was written.
    TooLarge {
        /// Bytes asked to write.
        len: usize,
        /// Bytes still free in the buffer.
        remaining: usize,
    },
    /// The configuration is unusable (zero slots, zero-sized slots, …).
    InvalidConfig(&'static str),
    /// This backend's memory does not execute ([`Backend::Heap`]).
    NotExecutable(Backend),
}

impl PoolError {
    /// The canonical error code of this error.
    pub fn errno(&self) -> Errno {
        match self {
            PoolError::Exhausted { .. } => Errno::EAGAIN,
            PoolError::NoBackend(tried) => tried.last().map(|t| t.1).unwrap_or(Errno::ENOSYS),
            PoolError::Backend(_, e) => *e,
            PoolError::TooLarge { .. } => Errno::ENOSPC,
            PoolError::InvalidConfig(_) => Errno::EINVAL,
            PoolError::NotExecutable(_) => Errno::EACCES,
        }
    }
}

impl fmt::Display for PoolError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            PoolError::Exhausted { capacity } => {
                write!(f, "pool exhausted: all {capacity} buffers in use")
            }
            PoolError::NoBackend(tried) => {
                write!(f, "no executable-memory backend works here:")?;
                for (b, e) in tried {
                    write!(f, " {b}: {e};")?;
                }
                Ok(())
            }
            PoolError::Backend(b, e) => write!(f, "{b} backend failed: {e}"),
            PoolError::TooLarge { len, remaining } => {
                write!(
                    f,
                    "{len} bytes do not fit in the {remaining} bytes left; nothing written"
                )
            }
            PoolError::InvalidConfig(why) => write!(f, "invalid pool configuration: {why}"),
            PoolError::NotExecutable(b) => write!(f, "the {b} backend's memory does not execute"),
        }
    }
}

impl std::error::Error for PoolError {}

/// How to build a pool.
#[derive(Clone, Debug, PartialEq, Eq)]
#[non_exhaustive]
pub struct PoolConfig {
    /// Slots mapped at start-up.
    pub slots: usize,
    /// Usable bytes per slot (rounded up internally to 64 bytes, or to a page for
    /// [`Backend::Mprotect`]).
    pub slot_size: usize,
    /// The most slots the pool may grow to (in steps of `slots`); `slots` means no growth.
    pub max_slots: usize,
    /// The backend to use; `None` probes [`Backend::AUTO`] in order.
    pub backend: Option<Backend>,
}

impl PoolConfig {
    /// `slots` slots of [`DEFAULT_BUFFER_SIZE`] bytes, no growth, probed backend.
    pub fn new(slots: usize) -> PoolConfig {
        PoolConfig {
            slots,
            slot_size: DEFAULT_BUFFER_SIZE,
            max_slots: slots,
            backend: None,
        }
    }

    /// Sets the usable bytes per slot.
    pub fn slot_size(mut self, bytes: usize) -> PoolConfig {
        self.slot_size = bytes;
        self
    }

    /// Lets the pool grow up to `max` slots when exhausted.
    pub fn max_slots(mut self, max: usize) -> PoolConfig {
        self.max_slots = max;
        self
    }

    /// Uses `backend` instead of probing (the only way to get [`Backend::Rwx`]).
    pub fn backend(mut self, backend: Backend) -> PoolConfig {
        self.backend = Some(backend);
        self
    }
}

/// A snapshot of the pool's counters.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
#[non_exhaustive]
pub struct PoolStats {
    /// The backend in use.
    pub backend: Backend,
    /// Slots mapped now.
    pub capacity: usize,
    /// Slots held by buffers now.
    pub in_use: usize,
    /// The most slots ever held at once (sampled at acquire).
    pub high_water: usize,
    /// Acquires that found the pool exhausted.
    pub exhausted: u64,
    /// Usable bytes per slot.
    pub slot_size: usize,
    /// The host page size.
    pub page_size: usize,
}

/// A pool of executable buffers. See the [module documentation](self).
#[derive(Debug)]
pub struct BufferPool {
    state: Result<Inner, PoolError>,
}

#[derive(Debug)]
struct Inner {
    backend: Backend,
    /// Free slots that are in no cache cell.
    free: ArrayQueue<u32>,
    /// The per-thread caches: a thread uses `cells[thread_number() & (cells.len() - 1)]`; each
    /// holds one free slot or [`EMPTY`]. A power of two long.
    cells: Box<[CacheCell]>,
    /// Region `k` holds slots `k * chunk .. (k + 1) * chunk`.
    regions: Box<[OnceLock<Region>]>,
    chunk: usize,
    stride: usize,
    slot_size: usize,
    max_slots: usize,
    live: AtomicUsize,
    /// The high-water mark; kept at least `live - free.len()` (see `Inner::record_high_water`).
    high_water: AtomicUsize,
    exhausted: AtomicU64,
    grow: Mutex<()>,
}

/// A cache cell's value when it holds no slot.
const EMPTY: u32 = u32::MAX;

/// One thread's cached free slot, alone on its cache line (two lines: Intel's adjacent-line
/// prefetcher fetches them in pairs), so that threads on different cells share no line.
#[derive(Debug)]
#[repr(align(128))]
struct CacheCell(AtomicU32);

/// The most cache cells a pool has: threads beyond them share cells (correct, slower).
const MAX_CELLS: usize = 256;

/// Cells for `cpus` processors: twice as many (a program often has more threads than
/// processors), as a power of two, at least 2 and at most [`MAX_CELLS`].
fn cells_for(cpus: usize) -> usize {
    (cpus.min(MAX_CELLS) * 2)
        .next_power_of_two()
        .clamp(2, MAX_CELLS)
}

/// The processors available, asked once per process (under Miri, 2: no system call).
fn cpus() -> usize {
    static CPUS: OnceLock<usize> = OnceLock::new();
    *CPUS.get_or_init(|| {
        if cfg!(miri) {
            2
        } else {
            std::thread::available_parallelism().map_or(2, |n| n.get())
        }
    })
}

thread_local! {
    /// This thread's number, taken from [`NUMBERS`] at its first acquire or release.
    static THREAD: std::cell::Cell<usize> = const { std::cell::Cell::new(usize::MAX) };
    /// Gives this thread's number back to [`NUMBERS`] when the thread exits (only touched when
    /// the number is taken, so the hot path reads [`THREAD`], which has no destructor).
    static GIVE_BACK: NumberOnExit = const { NumberOnExit(std::cell::Cell::new(usize::MAX)) };
}

/// The thread numbers: the smallest free one first, so the live threads have distinct numbers
/// below the count of live threads (and so distinct cells while they are no more than the
/// cells), even when short-lived threads come and go.
struct Numbers {
    free: Mutex<std::collections::BinaryHeap<std::cmp::Reverse<usize>>>,
    next: AtomicUsize,
}

static NUMBERS: Numbers = Numbers::new();

impl Numbers {
    const fn new() -> Numbers {
        Numbers {
            free: Mutex::new(std::collections::BinaryHeap::new()),
            next: AtomicUsize::new(0),
        }
    }

    fn take(&self) -> usize {
        let mut free = self.free.lock().unwrap_or_else(|e| e.into_inner());
        match free.pop() {
            Some(std::cmp::Reverse(n)) => n,
            None => self.next.fetch_add(1, Ordering::Relaxed),
        }
    }

    fn give_back(&self, n: usize) {
        let mut free = self.free.lock().unwrap_or_else(|e| e.into_inner());
        free.push(std::cmp::Reverse(n));
    }
}

struct NumberOnExit(std::cell::Cell<usize>);

impl Drop for NumberOnExit {
    fn drop(&mut self) {
        NUMBERS.give_back(self.0.get());
    }
}

/// This thread's number: the same for the thread's whole life and for every pool, and no other
/// live thread's, except while a thread exits: its number is given back when [`GIVE_BACK`] is
/// destroyed, and a pool used after that (from another thread-local's destructor) still uses
/// it, so a new thread may share its cells meanwhile, which is correct, only slower.
#[inline(always)]
fn thread_number() -> usize {
    let n = THREAD.with(std::cell::Cell::get);
    if n != usize::MAX {
        return n;
    }
    new_thread_number()
}

#[cold]
fn new_thread_number() -> usize {
    let n = NUMBERS.take();
    // When this thread is already exiting (a pool used from a thread-local's destructor), the
    // number is not given back: it is then never reused, which only wastes it.
    let _ = GIVE_BACK.try_with(|g| g.0.set(n));
    THREAD.with(|t| t.set(n));
    n
}

/// The cell of thread number `thread` among `cells` (a power of two).
#[inline(always)]
fn cell_of(thread: usize, cells: usize) -> usize {
    thread & (cells - 1)
}

impl BufferPool {
    /// `n` buffers of 4 KiB with the probed backend. Never panics: a pool that cannot have
    /// memory is returned anyway and every [`acquire`](Self::acquire) returns the reason
    /// ([`PoolError::InvalidConfig`], checked by `bad_configs_are_errors`; or
    /// [`PoolError::NoBackend`] if no backend works, which no test provokes).
    pub fn new(n: usize) -> BufferPool {
        BufferPool::with_buffer_size(n, DEFAULT_BUFFER_SIZE)
    }

    /// `n` buffers of `size` bytes with the probed backend (see [`new`](Self::new)).
    pub fn with_buffer_size(n: usize, size: usize) -> BufferPool {
        BufferPool {
            state: Inner::new(&PoolConfig::new(n).slot_size(size)),
        }
    }

    /// A pool as configured, or the reason it cannot exist.
    pub fn with_config(config: &PoolConfig) -> Result<BufferPool, PoolError> {
        Inner::new(config).map(|inner| BufferPool { state: Ok(inner) })
    }

    /// Why the pool has no memory, if it has none.
    pub fn error(&self) -> Option<&PoolError> {
        self.state.as_ref().err()
    }

    /// Takes a free buffer (lock-free, no system call unless the pool grows).
    #[inline(always)]
    pub fn acquire(&self) -> Result<ExecutableBuffer<'_>, PoolError> {
        // The hot path takes the slot this thread's cell caches: one atomic swap on a cache
        // line no other thread uses (unless more threads than cells share it). The queue,
        // error and growth paths stay out of line so the caller's code stays small.
        if let Ok(inner) = &self.state {
            let index = inner.cell().swap(EMPTY, Ordering::Acquire);
            if index != EMPTY {
                return Ok(inner.buffer(index));
            }
        }
        self.acquire_slow()
    }

    #[inline(never)]
    fn acquire_slow(&self) -> Result<ExecutableBuffer<'_>, PoolError> {
        let inner = self.state.as_ref().map_err(Clone::clone)?;
        let index = match inner.free.pop() {
            Some(i) => i,
            None => match inner.steal() {
                // From a cell to a buffer: `live - free.len()` did not change.
                Some(i) => return Ok(inner.buffer(i)),
                None => inner.grow()?,
            },
        };
        inner.record_high_water();
        Ok(inner.buffer(index))
    }

    /// [`acquire`](Self::acquire) as an `Option`: `None` for any failure.
    pub fn try_acquire(&self) -> Option<ExecutableBuffer<'_>> {
        self.acquire().ok()
    }

    /// Buffers held now: exact while no other thread acquires or releases (slots cached for
    /// a thread are free, not in use).
    pub fn in_use(&self) -> usize {
        match &self.state {
            Ok(i) => i.in_use(),
            Err(_) => 0,
        }
    }

    /// Buffers mapped now (0 when no backend works).
    pub fn capacity(&self) -> usize {
        self.state
            .as_ref()
            .map_or(0, |i| i.live.load(Ordering::Relaxed))
    }

    /// The backend chosen at start-up (`None` when none works).
    pub fn backend(&self) -> Option<Backend> {
        self.state.as_ref().ok().map(|i| i.backend)
    }

    /// The counters, or `None` when no backend works.
    pub fn stats(&self) -> Option<PoolStats> {
        let i = self.state.as_ref().ok()?;
        Some(PoolStats {
            backend: i.backend,
            capacity: self.capacity(),
            in_use: self.in_use(),
            // Kept at least `live - free.len()`, which is at least the count held now (see
            // `Inner::record_high_water`); the maximum only matters when threads race.
            high_water: i.high_water.load(Ordering::Relaxed).max(self.in_use()),
            exhausted: i.exhausted.load(Ordering::Relaxed),
            slot_size: i.slot_size,
            page_size: crate::sys::page_size(),
        })
    }
}

impl Inner {
    fn new(config: &PoolConfig) -> Result<Inner, PoolError> {
        if config.slots == 0 || config.slot_size == 0 {
            return Err(PoolError::InvalidConfig(
                "slots and slot_size must be non-zero",
            ));
        }
        let max = config.max_slots.max(config.slots);
        if u32::try_from(max).is_err() {
            return Err(PoolError::InvalidConfig("more than 2^32 slots"));
        }
        let candidates: &[Backend] = match &config.backend {
            Some(b) => std::slice::from_ref(b),
            None => Backend::AUTO,
        };
        let mut tried = Vec::new();
        for &backend in candidates {
            let stride = stride(backend, config.slot_size)?;
            let len = region_len(config.slots, stride)?;
            match Region::new(backend, len) {
                Ok(region) if backend == Backend::DualMap && !probe::coherent(&region) => {
                    tried.push((backend, Errno::EOPNOTSUPP));
                }
                Ok(region) => {
                    let regions: Box<[OnceLock<Region>]> = (0..max.div_ceil(config.slots))
                        .map(|_| OnceLock::new())
                        .collect();
                    let _ = regions[0].set(region);
                    let free = ArrayQueue::new(max);
                    for i in 0..config.slots {
                        let _ = free.push(i as u32);
                    }
                    return Ok(Inner {
                        backend,
                        free,
                        cells: (0..cells_for(cpus()))
                            .map(|_| CacheCell(AtomicU32::new(EMPTY)))
                            .collect(),
                        regions,
                        chunk: config.slots,
                        stride,
                        slot_size: config.slot_size,
                        max_slots: max,
                        live: AtomicUsize::new(config.slots),
                        high_water: AtomicUsize::new(0),
                        exhausted: AtomicU64::new(0),
                        grow: Mutex::new(()),
                    });
                }
                Err(e) => tried.push((backend, Errno::from_io_error(&e))),
            }
        }
        match (config.backend, tried.pop()) {
            (Some(b), Some((_, e))) => Err(PoolError::Backend(b, e)),
            (_, last) => {
                tried.extend(last);
                Err(PoolError::NoBackend(tried))
            }
        }
    }

    /// Maps the next region when the free list is empty; returns a slot of it for the caller.
    #[cold]
    fn grow(&self) -> Result<u32, PoolError> {
        let exhausted = || {
            self.exhausted.fetch_add(1, Ordering::Relaxed);
            PoolError::Exhausted {
                capacity: self.live.load(Ordering::Relaxed),
            }
        };
        let live = self.live.load(Ordering::Relaxed);
        if live >= self.max_slots {
            return Err(exhausted());
        }
        let _guard = self.grow.lock().unwrap_or_else(|e| e.into_inner());
        if let Some(i) = self.free.pop() {
            return Ok(i);
        }
        let live = self.live.load(Ordering::Relaxed);
        let k = live / self.chunk;
        if live >= self.max_slots || k >= self.regions.len() {
            return Err(exhausted());
        }
        let n = self.chunk.min(self.max_slots - live);
        let len = region_len(self.chunk, self.stride)?;
        let region = Region::new(self.backend, len)
            .map_err(|e| PoolError::Backend(self.backend, Errno::from_io_error(&e)))?;
        let _ = self.regions[k].set(region);
        for i in live + 1..live + n {
            let _ = self.free.push(i as u32);
        }
        self.live.store(live + n, Ordering::Release);
        Ok(live as u32)
    }

    /// This thread's cache cell.
    #[inline(always)]
    fn cell(&self) -> &AtomicU32 {
        &self.cells[cell_of(thread_number(), self.cells.len())].0
    }

    /// Returns a released slot: into this thread's cell when it is empty, else to the queue.
    #[inline(always)]
    pub(super) fn release(&self, index: u32) {
        let cached =
            self.cell()
                .compare_exchange(EMPTY, index, Ordering::Release, Ordering::Relaxed);
        if cached.is_err() {
            // Cannot fail: the queue has room for every slot and this index is not in it.
            let _ = self.free.push(index);
        }
    }

    /// Slots cached in cells (free, yet not in the queue).
    fn cached(&self) -> usize {
        self.cells
            .iter()
            .filter(|c| c.0.load(Ordering::Relaxed) != EMPTY)
            .count()
    }

    fn in_use(&self) -> usize {
        self.live
            .load(Ordering::Relaxed)
            .saturating_sub(self.free.len())
            .saturating_sub(self.cached())
    }

    /// A slot cached in any cell (when the queue is empty), so that a slot cached for a thread
    /// that no longer acquires, or has exited, is not lost to the others.
    #[cold]
    fn steal(&self) -> Option<u32> {
        self.cells
            .iter()
            .map(|c| c.0.swap(EMPTY, Ordering::Acquire))
            .find(|&i| i != EMPTY)
    }

    /// Called after a slot leaves the queue (the only way `live - free.len()`, the count of
    /// slots held or cached, grows). Keeps the high-water mark at least that count, so the
    /// count held, which is never more, cannot pass the mark unseen: when the count passes the
    /// mark, every cell is emptied into the queue and the count held is recorded, which is
    /// then the count out of the queue. In single-threaded use the mark is therefore exactly
    /// the most buffers ever held; threads racing may make it miss or overstate a peak by the
    /// operations in flight (as the mark sampled at each release did before the caches).
    #[inline(always)]
    fn record_high_water(&self) {
        let out = self
            .live
            .load(Ordering::Relaxed)
            .saturating_sub(self.free.len());
        if out > self.high_water.load(Ordering::Relaxed) {
            self.record_peak();
        }
    }

    #[cold]
    fn record_peak(&self) {
        for cell in &self.cells {
            let index = cell.0.swap(EMPTY, Ordering::Acquire);
            if index != EMPTY {
                let _ = self.free.push(index);
            }
        }
        let held = self
            .live
            .load(Ordering::Relaxed)
            .saturating_sub(self.free.len());
        self.high_water.fetch_max(held, Ordering::Relaxed);
    }

    #[inline]
    fn buffer(&self, index: u32) -> ExecutableBuffer<'_> {
        let i = index as usize;
        let (k, j) = if i < self.chunk {
            (0, i)
        } else {
            (i / self.chunk, i % self.chunk)
        };
        let region = self.regions[k].get().expect("a free slot's region exists");
        ExecutableBuffer::new(self, region, j * self.stride, index)
    }
}

/// The distance between slots: 64-byte aligned, or whole pages for `Mprotect` (whose
/// protection changes must not touch another slot).
fn stride(backend: Backend, slot_size: usize) -> Result<usize, PoolError> {
    let align = if backend == Backend::Mprotect {
        crate::sys::page_size()
    } else {
        64
    };
    slot_size
        .checked_next_multiple_of(align)
        .ok_or(PoolError::InvalidConfig("slot_size too large"))
}

fn region_len(slots: usize, stride: usize) -> Result<usize, PoolError> {
    slots
        .checked_mul(stride)
        .and_then(|n| n.checked_next_multiple_of(crate::sys::page_size()))
        .ok_or(PoolError::InvalidConfig("pool too large"))
}

#[cfg(test)]
mod tests;
