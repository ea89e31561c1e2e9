//! The executable buffer pool against its baselines, in one criterion group so the ratios come
//! from one run:
//!
//! - `acquire_release` vs `bare_arrayqueue_pop_push` (the free list alone): target within 2x;
//! - `acquire_write16_call_release` vs `traditional_jit` (mmap RW, write, mprotect RX, call,
//!   munmap; Unix): target at least 100x faster;
//! - `acquire_release_2_threads`: the same as the first, with a second thread hammering the pool,
//!   against `bare_arrayqueue_2_threads_apart` (two threads, each popping and pushing a queue of
//!   its own: what a second busy thread costs this machine when nothing is shared) and
//!   `bare_arrayqueue_2_threads_shared` (both on one queue: what sharing a line costs);
//! - `floor_rwx_write16_call_poison` (x86_64 Unix): the write, call and poison without the pool,
//!   on 64 RWX slots taken in turn: the floor any JIT pays here for running bytes just written.
//!
//! `cargo bench -p neurlang-benches --bench pool -- --warm-up-time 1 --measurement-time 3`
//!
//! The figures of the last run, which targets are met and why the second is not (the floor
//! shows the processor's cost of running bytes just written): docs/performance.md, the rows
//! "buffer acquire" and "no syscalls on the JIT hot path".

#![allow(unsafe_code)] // calls the machine code it writes; mmap, mprotect and munmap for the baseline

use criterion::{Criterion, criterion_group, criterion_main};
use crossbeam_queue::ArrayQueue;
use neurlang::runtime::BufferPool;
use std::hint::black_box;
use std::sync::atomic::{AtomicBool, Ordering};
use std::time::{Duration, Instant};

/// 16 bytes: padding no-ops, then `return 42` (C ABI).
fn code16() -> Option<[u8; 16]> {
    let mut c = [0u8; 16];
    if cfg!(target_arch = "x86_64") {
        c[..10].fill(0x90); // nop
        c[10..].copy_from_slice(&[0xB8, 42, 0, 0, 0, 0xC3]); // mov eax, 42; ret
    } else if cfg!(target_arch = "aarch64") {
        let words = [0xd503_201fu32, 0xd503_201f, 0x5280_0540, 0xd65f_03c0]; // nop nop movz ret
        for (i, w) in words.iter().enumerate() {
            c[i * 4..i * 4 + 4].copy_from_slice(&w.to_le_bytes());
        }
    } else {
        return None;
    }
    Some(c)
}

fn pool(c: &mut Criterion) {
    // On the heap, as a pool shared between threads is: on this stack, the line holding its
    // fields could hold data this thread writes while the second thread reads them.
    let pool = Box::new(BufferPool::new(64));
    let backend = pool.backend().map_or("none", |b| b.name());
    let mut g = c.benchmark_group(format!("pool[{backend}]"));

    g.bench_function("acquire_release", |b| {
        b.iter(|| drop(black_box(pool.acquire().unwrap())))
    });

    let q = ArrayQueue::new(64);
    for i in 0..64u32 {
        q.push(i).unwrap();
    }
    g.bench_function("bare_arrayqueue_pop_push", |b| {
        b.iter(|| {
            let i = black_box(q.pop().unwrap());
            q.push(i).unwrap();
        })
    });

    if let Some(code) = code16() {
        let cycle = |pool: &BufferPool| {
            let mut buf = pool.acquire().unwrap();
            buf.write(black_box(&code)).unwrap();
            // SAFETY: `code` is `extern "C" fn() -> i32` for this architecture.
            let f = unsafe { buf.as_fn::<extern "C" fn() -> i32>() }.unwrap();
            black_box(f.call())
        };
        g.bench_function("acquire_write16_call_release", |b| b.iter(|| cycle(&pool)));
        #[cfg(unix)]
        g.bench_function("traditional_jit", |b| {
            b.iter(|| black_box(neurlang_benches::traditional::run(&code)))
        });
        #[cfg(all(unix, target_arch = "x86_64"))]
        match floor::Slots::new() {
            Some(mut slots) => g.bench_function("floor_rwx_write16_call_poison", |b| {
                b.iter(|| black_box(slots.run(black_box(&code))))
            }),
            None => {
                eprintln!("pool bench: floor_rwx_write16_call_poison skipped: RWX memory refused");
                &mut g
            }
        };
    }

    // Two threads at once. Its floor: the same pop+push, each thread on a queue of its own
    // (nothing shared), which shows what a second busy thread costs on this machine alone.
    let shared: &BufferPool = &pool;
    g.bench_function("acquire_release_2_threads", |b| {
        b.iter_custom(|iters| {
            two_threads(
                iters,
                || drop(black_box(shared.acquire().unwrap())),
                move || drop(black_box(shared.acquire().unwrap())),
            )
        })
    });
    let other = ArrayQueue::new(64);
    for i in 0..64u32 {
        other.push(i).unwrap();
    }
    let pop_push = |q: &ArrayQueue<u32>| {
        let i = black_box(q.pop().unwrap());
        q.push(i).unwrap();
    };
    g.bench_function("bare_arrayqueue_2_threads_apart", |b| {
        b.iter_custom(|iters| two_threads(iters, || pop_push(&q), || pop_push(&other)))
    });
    // And what sharing costs: both threads on one queue (the pool's free list without its
    // per-thread cells), so a harness that hid contention would show here.
    g.bench_function("bare_arrayqueue_2_threads_shared", |b| {
        b.iter_custom(|iters| two_threads(iters, || pop_push(&q), || pop_push(&q)))
    });
    g.finish();
}

/// A flag alone on its cache lines: the second thread polls it on every turn, and on the timing
/// thread's stack it would share a line with what that thread writes there.
#[repr(align(128))]
struct Flag(AtomicBool);

/// Times `iters` runs of `timed` on this thread while a second thread runs `other` in a loop.
/// `other` is moved to the second thread's stack: left on this one, the line holding it would
/// also hold what this thread's calls push.
fn two_threads(iters: u64, timed: impl Fn(), other: impl Fn() + Send) -> Duration {
    let (stop, started) = (Flag(AtomicBool::new(false)), Flag(AtomicBool::new(false)));
    let (stop, started) = (&stop.0, &started.0);
    std::thread::scope(|s| {
        s.spawn(move || {
            started.store(true, Ordering::Release);
            while !stop.load(Ordering::Relaxed) {
                other();
            }
        });
        // Timed only once the second thread runs, so its start-up is not part of the figure.
        while !started.load(Ordering::Acquire) {
            std::hint::spin_loop();
        }
        let start = Instant::now();
        for _ in 0..iters {
            timed();
        }
        let t = start.elapsed();
        stop.store(true, Ordering::Relaxed);
        t
    })
}

/// The floor of any JIT that runs code right after writing it: the pool's work without the
/// pool. 64 slots of 4 KiB in one RWX mapping, taken in turn as the pool's FIFO free list takes
/// them; write 16 bytes, call, poison the 16 bytes. No bookkeeping, no second view, no checks.
/// x86_64 only: there stores are coherent with instruction fetch, so no cache maintenance is
/// owed, and 0xCC is the pool's poison.
#[cfg(all(unix, target_arch = "x86_64"))]
mod floor {
    const SLOTS: usize = 64;
    const STRIDE: usize = 4096;

    pub struct Slots {
        base: *mut u8,
        next: usize,
    }

    impl Slots {
        /// `None` where the system refuses RWX memory.
        pub fn new() -> Option<Slots> {
            // SAFETY: a fresh anonymous mapping at an address the kernel chooses.
            let p = unsafe {
                libc::mmap(
                    std::ptr::null_mut(),
                    SLOTS * STRIDE,
                    libc::PROT_READ | libc::PROT_WRITE | libc::PROT_EXEC,
                    libc::MAP_PRIVATE | libc::MAP_ANONYMOUS,
                    -1,
                    0,
                )
            };
            (p != libc::MAP_FAILED).then(|| Slots {
                base: p.cast(),
                next: 0,
            })
        }

        pub fn run(&mut self, code: &[u8; 16]) -> i32 {
            let p = self.base.wrapping_add(self.next * STRIDE);
            self.next = (self.next + 1) % SLOTS;
            // SAFETY: `p..p+16` lies inside our RWX mapping (next < SLOTS).
            unsafe { std::ptr::copy_nonoverlapping(code.as_ptr(), p, code.len()) };
            // SAFETY: the slot now holds `extern "C" fn() -> i32` (x86_64, whose instruction
            // fetch sees the stores without cache maintenance).
            let f: extern "C" fn() -> i32 = unsafe { std::mem::transmute(p) };
            let r = f();
            // SAFETY: as for the write; 0xCC is what the pool poisons with on x86_64.
            unsafe { std::ptr::write_bytes(p, 0xCC, code.len()) };
            r
        }
    }

    impl Drop for Slots {
        fn drop(&mut self) {
            // SAFETY: unmaps our own mapping; no function pointer into it outlives `run`.
            unsafe { libc::munmap(self.base.cast(), SLOTS * STRIDE) };
        }
    }
}

criterion_group!(benches, neurlang_benches::machine::header, pool);
criterion_main!(benches);
