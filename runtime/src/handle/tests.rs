//! Tests of the handle table: typing, generations, retirement, the free list and the threads'
//! spare slots, and a model-based test against a plain map.

use super::*;
use proptest::prelude::*;
use std::collections::HashMap;

#[test]
fn handles_are_never_zero_and_typed() {
    let vecs = HandleTable::<u32>::new(Tag::Vec);
    let maps = HandleTable::<u32>::new(Tag::HashMap);
    let v = vecs.insert(1).unwrap();
    let m = maps.insert(2).unwrap();
    assert_ne!(v.raw(), 0);
    assert_ne!(v.raw(), m.raw());
    assert_eq!(maps.with(v, |x| *x), Err(HandleError::Invalid));
    assert_eq!(
        vecs.with(Handle::from_raw(0), |x| *x),
        Err(HandleError::Invalid)
    );
    assert_eq!(vecs.with(v, |x| *x), Ok(1));
}

#[test]
fn slot_locations_cover_segments() {
    assert_eq!(locate(0), (0, 0));
    assert_eq!(locate(63), (0, 63));
    assert_eq!(locate(64), (1, 0));
    assert_eq!(locate(191), (1, 127));
    assert_eq!(locate(192), (2, 0));
    assert!(locate(u32::MAX).0 < SEGMENTS);
}

#[test]
fn a_slot_whose_generation_would_wrap_is_retired() {
    let t = HandleTable::<u8>::new(Tag::String);
    let h = t.insert(1).unwrap();
    let h = t.set_generation(h, GEN_MAX);
    assert_eq!(t.remove(h), Ok(1));
    let next = t.insert(2).unwrap();
    assert_ne!(next.slot(), h.slot(), "the retired slot was reused");
    assert_eq!(t.with(h, |x| *x), Err(HandleError::Invalid));
}

#[test]
fn threads_on_distinct_handles_agree() {
    let t = HandleTable::<u64>::new(Tag::Vec);
    std::thread::scope(|s| {
        for _ in 0..4 {
            s.spawn(|| {
                // Three at a time: one freed slot becomes the thread's spare, the others
                // go through the shared free list.
                for i in 0..if cfg!(miri) { 20 } else { 1000u64 } {
                    let hs = [i, i + 1, i + 2].map(|v| t.insert(v).unwrap());
                    for (h, v) in hs.iter().zip(i..) {
                        t.with(*h, |x| *x += 1).unwrap();
                        assert_eq!(t.remove(*h), Ok(v + 1));
                    }
                }
            });
        }
    });
    assert_eq!(t.live(), 0);
}

#[test]
fn with2_reads_two_values_in_either_order() {
    let t = HandleTable::<u32>::new(Tag::String);
    let pair = |a, b| t.with2(a, b, |x: &u32, y: &u32| (*x, *y));
    let a = t.insert(1).unwrap();
    let b = t.insert(2).unwrap();
    assert_eq!(pair(a, b), Ok((1, 2)));
    assert_eq!(pair(b, a), Ok((2, 1)));
    assert_eq!(pair(a, a), Ok((1, 1)));
    assert_eq!(t.remove(b), Ok(2));
    assert_eq!(pair(a, b), Err(HandleError::Invalid));
    let c = t.insert(3).unwrap();
    assert_eq!(c.slot(), b.slot(), "the freed slot is reused");
    assert_eq!(pair(b, c), Err(HandleError::Invalid));
    assert_eq!(pair(c, b), Err(HandleError::Invalid));
    assert_eq!(pair(c, a), Ok((3, 1)));
}

#[test]
fn with2_in_opposite_orders_on_two_threads_does_not_deadlock() {
    let t = HandleTable::<u64>::new(Tag::String);
    let (a, b) = (t.insert(1).unwrap(), t.insert(2).unwrap());
    std::thread::scope(|s| {
        for (x, y) in [(a, b), (b, a)] {
            let t = &t;
            s.spawn(move || {
                for _ in 0..if cfg!(miri) { 50 } else { 10_000 } {
                    assert_eq!(t.with2(x, y, |p, q| p + q), Ok(3));
                }
            });
        }
    });
}

#[test]
fn live_counts_occupied_slots_only() {
    let t = HandleTable::<u8>::new(Tag::Vec);
    let hs: Vec<Handle> = (0..100).map(|i| t.insert(i).unwrap()).collect();
    assert_eq!(t.live(), 100);
    for h in &hs[..40] {
        t.remove(*h).unwrap();
    }
    assert_eq!(t.live(), 60);
    assert_eq!(t.remove(hs[0]), Err(HandleError::Invalid));
    assert_eq!(t.live(), 60);
}

#[test]
fn a_freed_slot_is_this_threads_spare_and_comes_back_when_it_exits() {
    let t = HandleTable::<u8>::new(Tag::HashMap);
    let h = t.insert(1).unwrap();
    assert_eq!(t.remove(h), Ok(1));
    assert_eq!(
        t.free.load(Ordering::Relaxed) as u32,
        0,
        "kept as spare, not listed"
    );
    assert_eq!(t.insert(2).unwrap().slot(), h.slot());
    let gone = std::thread::scope(|s| {
        s.spawn(|| {
            let h = t.insert(3).unwrap();
            t.remove(h).unwrap();
            h
        })
        .join()
        .unwrap()
    });
    let back = t.insert(4).unwrap();
    assert_eq!(
        back.slot(),
        gone.slot(),
        "the exited thread's spare was lost"
    );
    assert_ne!(back, gone);
    assert_eq!(t.live(), 2);
}

#[test]
fn a_spare_of_a_dropped_table_gives_way() {
    let old = HandleTable::<u8>::new(Tag::Json);
    old.remove(old.insert(1).unwrap()).unwrap();
    let t = HandleTable::<u8>::new(Tag::Json);
    let a = t.insert(2).unwrap();
    let b = t.insert(3).unwrap();
    t.remove(a).unwrap();
    assert_eq!(
        t.free.load(Ordering::Relaxed) as u32,
        a.slot() + 1,
        "old's spare is live"
    );
    drop(old);
    t.remove(b).unwrap();
    assert_eq!(
        t.free.load(Ordering::Relaxed) as u32,
        a.slot() + 1,
        "b became the spare"
    );
    assert_eq!(t.insert(4).unwrap().slot(), b.slot());
    assert_eq!(t.insert(5).unwrap().slot(), a.slot());
}

#[derive(Debug, Clone)]
enum Op {
    Insert(u32),
    Get(usize),
    Set(usize, u32),
    Free(usize),
    Forge(u64),
}

fn op() -> impl Strategy<Value = Op> {
    prop_oneof![
        3 => any::<u32>().prop_map(Op::Insert),
        3 => any::<usize>().prop_map(Op::Get),
        2 => (any::<usize>(), any::<u32>()).prop_map(|(i, v)| Op::Set(i, v)),
        2 => any::<usize>().prop_map(Op::Free),
        1 => any::<u64>().prop_map(Op::Forge),
    ]
}

proptest! {
    /// Random sequences of inserts, reads, writes, frees and forged handles agree with a plain
    /// map from every handle ever issued to its value (None once freed).
    #[test]
    fn agrees_with_a_model(ops in proptest::collection::vec(op(), 1..400)) {
        let t = HandleTable::<u32>::new(Tag::Json);
        let mut issued: Vec<Handle> = Vec::new();
        let mut model: HashMap<Handle, Option<u32>> = HashMap::new();
        let pick = |issued: &[Handle], i: usize| issued.get(i % issued.len().max(1)).copied();
        for op in ops {
            match op {
                Op::Insert(v) => {
                    let h = t.insert(v).unwrap();
                    prop_assert!(h.raw() != 0);
                    prop_assert!(!model.contains_key(&h), "handle {h:?} issued twice");
                    model.insert(h, Some(v));
                    issued.push(h);
                }
                Op::Get(i) => if let Some(h) = pick(&issued, i) {
                    let got = t.with(h, |x| *x).ok();
                    prop_assert_eq!(got, model[&h]);
                }
                Op::Set(i, v) => if let Some(h) = pick(&issued, i) {
                    let r = t.with(h, |x| *x = v);
                    prop_assert_eq!(r.is_ok(), model[&h].is_some());
                    if r.is_ok() { model.insert(h, Some(v)); }
                }
                Op::Free(i) => if let Some(h) = pick(&issued, i) {
                    prop_assert_eq!(t.remove(h).ok(), model[&h]);
                    model.insert(h, None);
                }
                Op::Forge(raw) => {
                    let h = Handle::from_raw(raw);
                    let expected = model.get(&h).copied().flatten();
                    prop_assert_eq!(t.with(h, |x| *x).ok(), expected);
                }
            }
            prop_assert_eq!(t.live(), model.values().filter(|v| v.is_some()).count());
        }
    }
}

#[test]
fn a_limited_table_is_full_beyond_its_limit_and_reuses_freed_slots() {
    let t = HandleTable::<u8>::with_limit(Tag::File, 2);
    let a = t.insert(1).unwrap();
    let _b = t.insert(2).unwrap();
    assert_eq!(t.insert(3), Err(HandleError::Full));
    t.remove(a).unwrap();
    assert_eq!(t.with(t.insert(4).unwrap(), |x| *x), Ok(4));
}

#[test]
fn current_names_the_value_in_a_slot() {
    let t = HandleTable::<std::sync::Arc<u8>>::new(Tag::Registration);
    let a = t.insert(std::sync::Arc::new(1)).unwrap();
    assert_eq!(t.current(a.slot()), Some(a));
    assert_eq!(t.get(a).map(|v| *v), Ok(1));
    t.remove(a).unwrap();
    assert_eq!(t.current(a.slot()), None);
    assert_eq!(
        t.current(1 << 20),
        None,
        "a slot of a segment never allocated"
    );
    let b = t.insert(std::sync::Arc::new(2)).unwrap();
    assert_eq!(t.current(a.slot()), Some(b));
    assert_ne!(a, b);
}

#[test]
fn a_slot_that_rejoins_the_free_list_changes_its_head() {
    // The free list's head carries a counter bumped on every change, so a thread that read the
    // head before a slot left and rejoined the list cannot mistake the new head for the old one.
    let t = HandleTable::<u8>::new(Tag::Vec);
    let a = t.insert(1).unwrap();
    let b = t.insert(2).unwrap();
    t.remove(a).unwrap(); // this thread's spare
    t.remove(b).unwrap(); // listed
    let before = t.free.load(Ordering::Relaxed);
    assert_eq!(before as u32, b.slot() + 1);
    let x = t.insert(3).unwrap(); // the spare
    let y = t.insert(4).unwrap(); // off the list
    assert_eq!((x.slot(), y.slot()), (a.slot(), b.slot()));
    assert_eq!(t.free.load(Ordering::Relaxed) as u32, 0);
    t.remove(x).unwrap();
    t.remove(y).unwrap();
    let after = t.free.load(Ordering::Relaxed);
    assert_eq!(
        after as u32,
        b.slot() + 1,
        "the same slot heads the list again"
    );
    assert_ne!(after, before, "an ABA: the head looks unchanged");
}

#[test]
fn removing_a_handle_in_use_waits_for_its_user() {
    let t = HandleTable::<u32>::new(Tag::Vec);
    let h = t.insert(5).unwrap();
    let in_use = std::sync::Barrier::new(2);
    std::thread::scope(|s| {
        s.spawn(|| {
            t.with(h, |v| {
                in_use.wait();
                // Hold the value's lock while the other thread removes it.
                std::thread::sleep(std::time::Duration::from_millis(50));
                *v += 1;
            })
            .unwrap();
        });
        in_use.wait();
        assert_eq!(
            t.remove(h),
            Ok(6),
            "the removal saw the value its user left"
        );
    });
    assert_eq!(t.with(h, |v| *v), Err(HandleError::Invalid));
}
