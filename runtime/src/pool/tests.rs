use super::*;
use proptest::prelude::*;
use std::collections::HashSet;

fn heap(slots: usize) -> BufferPool {
    BufferPool::with_config(&PoolConfig::new(slots).slot_size(64).backend(Backend::Heap)).unwrap()
}

/// A heap pool of `slots` slots that grows up to `max`.
fn heap_up_to(slots: usize, max: usize) -> BufferPool {
    let config = PoolConfig::new(slots).slot_size(64).max_slots(max);
    BufferPool::with_config(&config.backend(Backend::Heap)).unwrap()
}

/// Bytes of `buf`'s slot, read through the executable view (always readable).
fn slot_bytes(buf: &ExecutableBuffer<'_>, n: usize) -> Vec<u8> {
    #[allow(unsafe_code)]
    // SAFETY: the slot is at least `n` bytes of mapped, readable memory held by `buf`.
    unsafe {
        std::slice::from_raw_parts(buf.as_ptr(), n).to_vec()
    }
}

fn trap_bytes(n: usize) -> Vec<u8> {
    (0..n).map(|i| arch::TRAP[i % 4]).collect()
}

/// "return 42" in the C ABI of this target, where we know it.
fn return_42() -> Option<&'static [u8]> {
    if cfg!(target_arch = "x86_64") {
        Some(&[0xB8, 42, 0, 0, 0, 0xC3])
    } else if cfg!(target_arch = "aarch64") {
        Some(&[0x40, 0x05, 0x80, 0x52, 0xC0, 0x03, 0x5F, 0xD6])
    } else {
        None
    }
}

fn runs_42(pool: &BufferPool) {
    let Some(code) = return_42() else { return };
    let mut buf = pool.acquire().expect("pool exhausted");
    assert_eq!(buf.write(code), Ok(code.len()));
    // SAFETY: `code` is a complete `extern "C" fn() -> i32` for this architecture.
    #[allow(unsafe_code)]
    let f = unsafe { buf.as_fn::<extern "C" fn() -> i32>() }.unwrap();
    assert_eq!(f.call(), 42);
}

#[test]
#[cfg_attr(miri, ignore = "Miri cannot execute machine code")]
fn spec_example_runs_on_the_probed_backend() {
    let pool = BufferPool::new(64);
    assert_eq!(pool.error(), None);
    assert_eq!(pool.capacity(), 64);
    runs_42(&pool);
    assert_eq!(pool.in_use(), 0);
    let pool = BufferPool::with_buffer_size(32, 8192);
    let buf = pool.acquire().unwrap();
    assert_eq!(buf.capacity(), 8192);
}

#[test]
#[cfg_attr(miri, ignore = "Miri cannot execute machine code")]
fn every_backend_that_maps_here_runs_code() {
    for b in [
        Backend::DualMap,
        Backend::Mprotect,
        Backend::Rwx,
        Backend::MapJit,
    ] {
        if let Ok(pool) = BufferPool::with_config(&PoolConfig::new(4).backend(b)) {
            assert_eq!(pool.backend(), Some(b));
            for _ in 0..3 {
                runs_42(&pool);
            }
        }
    }
}

#[test]
fn heap_backend_refuses_to_make_code() {
    let pool = heap(1);
    let mut buf = pool.acquire().unwrap();
    buf.write(&[1, 2, 3]).unwrap();
    #[allow(unsafe_code)]
    // SAFETY: never called: the backend refuses.
    let r = unsafe { buf.as_fn::<extern "C" fn()>() };
    assert_eq!(r.unwrap_err(), PoolError::NotExecutable(Backend::Heap));
}

#[test]
fn write_is_all_or_nothing() {
    let pool = heap(1);
    let mut buf = pool.acquire().unwrap();
    assert_eq!(buf.write(&[0x90; 60]), Ok(60));
    let e = buf.write(&[1; 5]).unwrap_err();
    assert_eq!(
        e,
        PoolError::TooLarge {
            len: 5,
            remaining: 4
        }
    );
    assert_eq!(e.errno(), Errno::ENOSPC);
    assert_eq!(buf.len(), 60);
    assert_eq!(slot_bytes(&buf, 64)[60..], trap_bytes(64)[60..]);
    assert_eq!(buf.write(&[7; 4]), Ok(4));
    assert_eq!(buf.len(), 64);
}

#[test]
fn reset_and_release_poison_what_was_written() {
    let pool = heap(1);
    let mut buf = pool.acquire().unwrap();
    assert_eq!(
        slot_bytes(&buf, 64),
        trap_bytes(64),
        "fresh slots are poisoned"
    );
    buf.write(&[0x11; 10]).unwrap();
    buf.write(&[0x22; 3]).unwrap();
    assert_eq!(&slot_bytes(&buf, 13)[10..], &[0x22; 3]);
    buf.reset();
    assert!(buf.is_empty());
    assert_eq!(slot_bytes(&buf, 64), trap_bytes(64));
    buf.write(&[0x33; 5]).unwrap();
    drop(buf);
    let buf = pool.acquire().unwrap();
    assert_eq!(
        slot_bytes(&buf, 64),
        trap_bytes(64),
        "released slots are poisoned"
    );
}

#[test]
fn exhaustion_is_an_error_and_counted() {
    let pool = heap(2);
    let a = pool.acquire().unwrap();
    let b = pool.acquire().unwrap();
    assert_ne!(a.as_ptr(), b.as_ptr());
    let e = pool.acquire().unwrap_err();
    assert_eq!(e, PoolError::Exhausted { capacity: 2 });
    assert!(pool.try_acquire().is_none());
    let s = pool.stats().unwrap();
    assert_eq!(
        (s.in_use, s.high_water, s.exhausted, s.capacity),
        (2, 2, 2, 2)
    );
    drop(a);
    assert_eq!(pool.in_use(), 1);
    assert!(pool.acquire().is_ok());
}

#[test]
fn grows_in_steps_up_to_the_limit() {
    let pool = heap_up_to(2, 5);
    let held: Vec<_> = (0..5).map(|_| pool.acquire().unwrap()).collect();
    let ptrs: HashSet<_> = held.iter().map(|b| b.as_ptr()).collect();
    assert_eq!(ptrs.len(), 5);
    assert_eq!(pool.capacity(), 5);
    assert!(matches!(
        pool.acquire(),
        Err(PoolError::Exhausted { capacity: 5 })
    ));
}

#[test]
fn bad_configs_are_errors() {
    assert!(matches!(
        BufferPool::with_config(&PoolConfig::new(0)),
        Err(PoolError::InvalidConfig(_))
    ));
    let pool = BufferPool::with_buffer_size(1, 0);
    assert!(matches!(pool.acquire(), Err(PoolError::InvalidConfig(_))));
    assert_eq!(
        (pool.capacity(), pool.in_use(), pool.backend()),
        (0, 0, None)
    );
}

#[test]
fn buffers_move_between_threads() {
    let pool = heap(8);
    std::thread::scope(|s| {
        for _ in 0..2 {
            s.spawn(|| {
                for _ in 0..50 {
                    let mut b = pool.acquire().unwrap();
                    b.write(&[1; 8]).unwrap();
                }
            });
        }
    });
    assert_eq!(pool.in_use(), 0);
}

#[derive(Clone, Debug)]
enum Op {
    Acquire,
    Release(usize),
    Write(usize, u8),
}

fn op() -> impl Strategy<Value = Op> {
    prop_oneof![
        Just(Op::Acquire),
        any::<usize>().prop_map(Op::Release),
        (any::<usize>(), 0u8..80).prop_map(|(i, n)| Op::Write(i, n)),
    ]
}

proptest! {
    // Under Miri: few cases, and no failure file (Miri's isolation refuses getcwd).
    #![proptest_config(if cfg!(miri) {
        ProptestConfig { cases: 4, failure_persistence: None, ..ProptestConfig::default() }
    } else {
        ProptestConfig::with_cases(128)
    })]

    /// The free list against a model: a set of held slots, each with its length, and the
    /// statistics (high-water mark, exhaustion count) against the model's.
    #[test]
    fn free_list_matches_a_model(ops in proptest::collection::vec(op(), 1..60)) {
        const SLOTS: usize = 4;
        let pool = heap(SLOTS);
        let mut held: Vec<ExecutableBuffer<'_>> = Vec::new();
        let mut lens: Vec<usize> = Vec::new();
        let (mut high_water, mut exhausted) = (0, 0);
        for op in ops {
            match op {
                Op::Acquire => match pool.acquire() {
                    Ok(b) => {
                        prop_assert!(held.len() < SLOTS);
                        prop_assert!(held.iter().all(|h| h.as_ptr() != b.as_ptr()));
                        prop_assert!(b.is_empty());
                        held.push(b);
                        lens.push(0);
                    }
                    Err(e) => {
                        prop_assert_eq!(held.len(), SLOTS);
                        prop_assert_eq!(e, PoolError::Exhausted { capacity: SLOTS });
                        exhausted += 1;
                    }
                },
                Op::Release(i) if !held.is_empty() => {
                    let i = i % held.len();
                    held.swap_remove(i);
                    lens.swap_remove(i);
                }
                Op::Write(i, n) if !held.is_empty() => {
                    let i = i % held.len();
                    let r = held[i].write(&vec![0xAB; n as usize]);
                    if lens[i] + n as usize <= 64 {
                        prop_assert_eq!(r, Ok(n as usize));
                        lens[i] += n as usize;
                    } else {
                        prop_assert!(r.is_err());
                    }
                    prop_assert_eq!(held[i].len(), lens[i]);
                }
                _ => {}
            }
            high_water = high_water.max(held.len());
            prop_assert_eq!(pool.in_use(), held.len());
            let s = pool.stats().unwrap();
            prop_assert_eq!((s.in_use, s.high_water, s.exhausted), (held.len(), high_water, exhausted));
        }
    }
}

#[test]
fn backends_and_errors_read_as_words() {
    let names = [
        Backend::DualMap,
        Backend::MapJit,
        Backend::Mprotect,
        Backend::Rwx,
        Backend::Heap,
    ]
    .map(Backend::name);
    assert_eq!(names, ["dual-map", "map-jit", "mprotect", "rwx", "heap"]);
    let says = |e: PoolError, words: &[&str]| {
        let text = e.to_string();
        for w in words {
            assert!(text.contains(w), "{text:?} does not say {w:?}");
        }
    };
    says(PoolError::Exhausted { capacity: 7 }, &["exhausted", "7"]);
    says(
        PoolError::NoBackend(vec![(Backend::Mprotect, Errno::EPERM)]),
        &["mprotect", &Errno::EPERM.to_string()],
    );
    says(PoolError::Backend(Backend::Rwx, Errno::ENOMEM), &["rwx"]);
    says(
        PoolError::TooLarge {
            len: 9,
            remaining: 3,
        },
        &["9", "3"],
    );
    says(PoolError::InvalidConfig("zero slots"), &["zero slots"]);
    says(PoolError::NotExecutable(Backend::Heap), &["heap"]);
}

#[test]
fn grows_by_its_initial_size_while_the_limit_allows() {
    let pool = heap_up_to(4, 10);
    assert_eq!(pool.capacity(), 4);
    let mut held: Vec<_> = (0..5).map(|_| pool.acquire().unwrap()).collect();
    assert_eq!(
        pool.capacity(),
        8,
        "a whole step of 4 while 6 more are allowed"
    );
    held.extend((0..4).map(|_| pool.acquire().unwrap()));
    assert_eq!(pool.capacity(), 10, "the last step is cut at the limit");
    held.push(pool.acquire().unwrap());
    assert!(matches!(
        pool.acquire(),
        Err(PoolError::Exhausted { capacity: 10 })
    ));
}

#[test]
fn a_buffer_debugs_as_its_slot_and_lengths() {
    let pool = heap(1);
    let mut buf = pool.acquire().unwrap();
    buf.write(&[1, 2, 3]).unwrap();
    let text = format!("{buf:?}");
    for part in ["ExecutableBuffer", "index: 0", "len: 3", "capacity: 64"] {
        assert!(text.contains(part), "{text} does not show {part}");
    }
}

/// With protections toggled per write (the `Mprotect` backend, a page per slot), writing one
/// slot never takes execute permission from another: code in the neighbouring pages keeps
/// running while a second thread rewrites slots between them, again and again (a write that
/// reached a neighbour's page would fault the thread running it).
#[test]
#[cfg_attr(miri, ignore = "Miri cannot execute machine code")]
fn writing_a_slot_leaves_its_neighbours_executable() {
    let Some(code) = return_42() else { return };
    let Ok(pool) = BufferPool::with_config(&PoolConfig::new(16).backend(Backend::Mprotect)) else {
        return; // no mprotect here (the pool tests of every backend say why)
    };
    let page = crate::sys::page_size();
    let all: Vec<_> = (0..16).map(|_| pool.acquire().unwrap()).collect();
    // Keep the slots of even pages running; free the others for rewriting. Each freed slot is
    // then between two running ones, or at the region's edge.
    let (mut running, free): (Vec<_>, Vec<_>) = all
        .into_iter()
        .partition(|b| (b.as_ptr() as usize / page).is_multiple_of(2));
    assert!(!running.is_empty() && !free.is_empty());
    drop(free);
    for b in &mut running {
        b.write(code).unwrap();
    }
    let stop = std::sync::atomic::AtomicBool::new(false);
    std::thread::scope(|s| {
        s.spawn(|| {
            for _ in 0..5000 {
                let mut b = pool.acquire().unwrap();
                assert_eq!(b.write(code), Ok(code.len()));
            }
            stop.store(true, std::sync::atomic::Ordering::Release);
        });
        while !stop.load(std::sync::atomic::Ordering::Acquire) {
            for b in &running {
                #[allow(unsafe_code)]
                // SAFETY: `code` is a complete `extern "C" fn() -> i32` for this architecture.
                let f = unsafe { b.as_fn::<extern "C" fn() -> i32>() }.unwrap();
                assert_eq!(f.call(), 42);
                assert_eq!(f.as_ptr(), b.as_ptr(), "the code's entry is the buffer's");
            }
        }
    });
}

// The per-thread caches (see "The per-thread caches" in the module documentation).

/// Makes this thread thread number `n`, so that a test knows which cells its threads use
/// (numbers below 2 are distinct cells in every pool).
fn as_thread(n: usize) {
    THREAD.with(|t| t.set(n));
}

#[test]
fn live_threads_have_distinct_numbers_they_keep() {
    // New threads only: a test may have set its own thread's number (`as_thread`).
    let all_started = std::sync::Barrier::new(3);
    let numbers: Vec<usize> = std::thread::scope(|s| {
        let threads: Vec<_> = (0..3)
            .map(|_| {
                s.spawn(|| {
                    let n = thread_number();
                    all_started.wait();
                    assert_eq!(thread_number(), n, "a thread keeps its number");
                    n
                })
            })
            .collect();
        threads.into_iter().map(|t| t.join().unwrap()).collect()
    });
    let distinct: HashSet<usize> = numbers.iter().copied().collect();
    assert_eq!(distinct.len(), 3, "{numbers:?} are not distinct");
}

#[test]
fn numbers_are_taken_smallest_first_and_given_back_at_thread_exit() {
    let numbers = Numbers::new();
    assert_eq!([numbers.take(), numbers.take(), numbers.take()], [0, 1, 2]);
    numbers.give_back(1);
    numbers.give_back(0);
    assert_eq!([numbers.take(), numbers.take(), numbers.take()], [0, 1, 3]);
    // The process-wide numbers: an exited thread's number is free again (unless a thread of
    // another test took it in the meantime: tried a few times).
    let given_back = (0..20).any(|_| {
        let n = std::thread::spawn(thread_number).join().unwrap();
        let free = NUMBERS.free.lock().unwrap();
        free.iter().any(|r| r.0 == n)
    });
    assert!(given_back, "an exited thread's number was never free again");
}

#[test]
fn cells_are_twice_the_processors_as_a_power_of_two() {
    let cells: Vec<usize> = [0, 1, 2, 3, 4, 5, 100, 1 << 20, usize::MAX]
        .map(cells_for)
        .to_vec();
    assert_eq!(cells, [2, 2, 4, 8, 8, 16, 256, 256, 256]);
    assert_eq!(
        [cell_of(5, 4), cell_of(7, 8), cell_of(8, 8), cell_of(3, 2)],
        [1, 7, 0, 1]
    );
    let expected = if cfg!(miri) {
        2
    } else {
        std::thread::available_parallelism().map_or(2, |n| n.get())
    };
    assert_eq!(cpus(), expected);
    assert_eq!(heap(1).state.unwrap().cells.len(), cells_for(expected));
}

/// Acquires `n` buffers and checks that they are `n` distinct slots: none was lost or handed
/// out twice.
fn take_all_distinct(pool: &BufferPool, n: usize) -> Vec<ExecutableBuffer<'_>> {
    let all: Vec<_> = (0..n).map(|_| pool.acquire().unwrap()).collect();
    let distinct = all.iter().map(|b| b.as_ptr()).collect::<HashSet<_>>();
    assert_eq!(distinct.len(), n, "{n} buffers, {} slots", distinct.len());
    all
}

/// The cached slots of a pool, and the slots in its queue.
fn cached_and_queued(pool: &BufferPool) -> (usize, usize) {
    let inner = pool.state.as_ref().unwrap();
    (inner.cached(), inner.free.len())
}

#[test]
fn a_released_slot_waits_in_the_threads_cell() {
    as_thread(0);
    let pool = heap(3);
    let a = pool.acquire().unwrap();
    let at = a.as_ptr();
    drop(a);
    assert_eq!(cached_and_queued(&pool), (1, 2));
    assert_eq!(pool.in_use(), 0, "a cached slot is free");
    let a = pool.acquire().unwrap();
    assert_eq!(a.as_ptr(), at, "the cached slot comes back first");
    assert_eq!(cached_and_queued(&pool), (0, 2));
    let b = pool.acquire().unwrap();
    drop((a, b));
    assert_eq!(
        cached_and_queued(&pool),
        (1, 2),
        "a full cell sends to the queue"
    );
    let _all = take_all_distinct(&pool, 3);
    assert_eq!(pool.stats().unwrap().high_water, 3);
}

#[test]
fn a_thread_that_exits_leaves_its_cached_slot_to_the_others() {
    as_thread(0);
    let pool = heap(1);
    std::thread::scope(|s| {
        s.spawn(|| {
            as_thread(1);
            drop(pool.acquire().unwrap());
        });
    });
    assert_eq!(
        cached_and_queued(&pool),
        (1, 0),
        "cached in the other thread's cell"
    );
    assert_eq!(pool.in_use(), 0);
    let only = pool.acquire().expect("taken from the exited thread's cell");
    assert_eq!(pool.in_use(), 1);
    assert_eq!(
        pool.acquire().unwrap_err(),
        PoolError::Exhausted { capacity: 1 }
    );
    drop(only);
    let s = pool.stats().unwrap();
    assert_eq!((s.in_use, s.high_water, s.exhausted), (0, 1, 1));
}

/// While the high-water mark covers every slot out of the queue, acquiring from the queue
/// leaves the other threads' caches alone.
#[test]
fn caches_stay_while_the_high_water_mark_covers_them() {
    as_thread(0);
    let pool = heap(4);
    drop([pool.acquire().unwrap(), pool.acquire().unwrap()]);
    assert_eq!(cached_and_queued(&pool), (1, 3));
    std::thread::scope(|s| {
        s.spawn(|| {
            as_thread(1);
            drop(pool.acquire().unwrap()); // from the queue: 2 out of it, the mark is 2
        });
    });
    assert_eq!(cached_and_queued(&pool), (2, 2));
    assert_eq!(pool.stats().unwrap().high_water, 2);
}

/// When slots out of the queue (held or cached) pass the mark, the caches are emptied into
/// the queue so that the mark counts held slots only: two threads that never hold a buffer at
/// the same time make a mark of 1, not 2.
#[test]
fn caches_past_the_high_water_mark_go_back_to_the_queue() {
    as_thread(0);
    let pool = heap(4);
    drop(pool.acquire().unwrap());
    assert_eq!(cached_and_queued(&pool), (1, 3));
    std::thread::scope(|s| {
        s.spawn(|| {
            as_thread(1);
            drop(pool.acquire().unwrap());
        });
    });
    assert_eq!(
        cached_and_queued(&pool),
        (1, 3),
        "this thread's slot went to the queue"
    );
    let s = pool.stats().unwrap();
    assert_eq!((s.in_use, s.high_water), (0, 1));
    let _all = take_all_distinct(&pool, 4);
    assert_eq!(pool.stats().unwrap().high_water, 4);
}

/// Buffers acquired on some threads and released on others: a slot is never held twice at
/// once, and none is lost (each ends in a cell or the queue, and all can be taken again).
#[test]
fn buffers_released_on_other_threads_are_never_shared_or_lost() {
    use std::sync::atomic::AtomicBool;
    use std::sync::mpsc;
    const SLOTS: usize = 4;
    let rounds = if cfg!(miri) { 20 } else { 2000 };
    let pool = heap(SLOTS);
    let held: Vec<_> = (0..SLOTS).map(|_| pool.acquire().unwrap()).collect();
    let flags: Vec<(usize, AtomicBool)> = held
        .iter()
        .map(|b| (b.as_ptr() as usize, AtomicBool::new(false)))
        .collect();
    drop(held);
    let flag = |b: &ExecutableBuffer<'_>| {
        let at = b.as_ptr() as usize;
        &flags
            .iter()
            .find(|f| f.0 == at)
            .expect("a slot of the pool")
            .1
    };
    std::thread::scope(|s| {
        for producer in 0..2 {
            let (tx, rx) = mpsc::sync_channel::<ExecutableBuffer<'_>>(1);
            let (pool, flag) = (&pool, &flag);
            s.spawn(move || {
                as_thread(producer);
                let mut sent = 0;
                let mut since = std::time::Instant::now();
                while sent < rounds {
                    let Ok(mut b) = pool.acquire() else {
                        // The others are in flight, or lost (then fail, rather than spin).
                        let waited = since.elapsed();
                        assert!(waited.as_secs() < 10, "no slot for {waited:?}: lost?");
                        std::thread::yield_now();
                        continue;
                    };
                    since = std::time::Instant::now();
                    assert!(!flag(&b).swap(true, Ordering::AcqRel), "held twice");
                    b.write(&[producer as u8; 8]).unwrap();
                    tx.send(b).unwrap();
                    sent += 1;
                }
            });
            s.spawn(move || {
                as_thread(2 + producer);
                for b in rx {
                    assert_eq!(slot_bytes(&b, 8), [producer as u8; 8]);
                    flag(&b).store(false, Ordering::Release);
                    drop(b);
                }
            });
        }
    });
    assert_eq!(pool.in_use(), 0);
    let _all = take_all_distinct(&pool, SLOTS);
    assert!(pool.acquire().is_err());
}

/// A pool dropped while another thread (still running) has one of its slots cached leaves
/// that thread nothing stale: the cells belong to the pool, the thread keeps only its number,
/// and its next pool starts with empty cells.
#[test]
fn a_pool_dropped_while_another_thread_caches_its_slot() {
    use std::sync::mpsc::channel;
    let (to_thread, pools) = channel::<BufferPool>();
    let (back, from_thread) = channel::<BufferPool>();
    let t = std::thread::spawn(move || {
        for pool in pools {
            assert_eq!(
                cached_and_queued(&pool),
                (0, 2),
                "a new pool's cells are empty"
            );
            drop(pool.acquire().unwrap());
            assert_eq!(cached_and_queued(&pool), (1, 1));
            back.send(pool).unwrap();
        }
    });
    for _ in 0..3 {
        to_thread.send(heap(2)).unwrap();
        let pool = from_thread.recv().unwrap();
        assert_eq!(pool.in_use(), 0);
        drop(pool); // while the thread that caches one of its slots runs on
    }
    drop(to_thread);
    t.join().unwrap();
}
