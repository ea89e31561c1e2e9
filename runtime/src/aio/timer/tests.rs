use std::collections::BTreeMap;

use proptest::prelude::*;

use super::*;

const MS: u64 = 1_000_000;

fn ms(n: u64) -> Duration {
    Duration::from_millis(n)
}

fn drain(w: &mut TimerWheel) -> Vec<u64> {
    let mut v: Vec<u64> = w.expired_timers().map(|t| t.0).collect();
    v.sort_unstable();
    v
}

#[test]
fn level_boundaries_fire_exactly_on_their_millisecond() {
    for d in [
        1u64, 2, 63, 64, 65, 4095, 4096, 4097, 262_143, 262_144, 262_145, 16_777_216,
    ] {
        let base = Instant::now();
        let mut w = TimerWheel::with_start(base);
        w.insert_at(Token(d), base + ms(d));
        w.advance(base + ms(d - 1));
        assert!(
            drain(&mut w).is_empty(),
            "{d} ms timer fired a millisecond early"
        );
        assert_eq!(
            w.timeout_until_next_from(base + ms(d - 1)),
            Some(ms(1)),
            "{d}"
        );
        w.advance(base + ms(d));
        assert_eq!(drain(&mut w), vec![d], "{d} ms timer did not fire on time");
        assert!(w.is_empty());
    }
}

#[test]
fn sub_millisecond_deadlines_round_up() {
    let base = Instant::now();
    let mut w = TimerWheel::with_start(base);
    w.insert_at(Token(7), base + Duration::from_micros(1500));
    w.advance(base + Duration::from_micros(1999));
    assert!(drain(&mut w).is_empty());
    w.advance(base + ms(2));
    assert_eq!(drain(&mut w), vec![7]);
}

#[test]
fn past_deadlines_fire_at_next_advance_not_before() {
    let base = Instant::now();
    let mut w = TimerWheel::with_start(base);
    w.advance(base + ms(100));
    w.insert_at(Token(1), base + ms(50));
    assert_eq!(w.expired_timers().count(), 0);
    assert_eq!(
        w.timeout_until_next_from(base + ms(100)),
        Some(Duration::ZERO)
    );
    w.advance(base + ms(100));
    assert_eq!(drain(&mut w), vec![1]);
}

#[test]
fn far_future_timer_is_clamped_and_cascades() {
    let base = Instant::now();
    let mut w = TimerWheel::with_start(base);
    let far = HORIZON * 3 + 12_345;
    w.insert_at(Token(9), base + ms(far));
    let mut now = 0;
    while now < far - 1 {
        // Jump from one wake-up to the next, as a poll loop would.
        let next = w.next_deadline().expect("timer pending");
        now = (next.duration_since(base).as_millis() as u64).min(far - 1);
        w.advance(base + ms(now));
        assert!(drain(&mut w).is_empty(), "fired early at {now}");
    }
    w.advance(base + ms(far));
    assert_eq!(drain(&mut w), vec![9]);
}

/// The top level is searched from the wheel's current slot onwards, wrapping around: once the
/// clock has left top-level slot 0, a timer in a later top-level slot is found (and fires on
/// time) even while a clamped far-future timer sits in an earlier slot of the same level.
#[test]
fn top_level_search_starts_at_the_current_slot_not_at_slot_zero() {
    let base = Instant::now();
    let mut w = TimerWheel::with_start(base);
    let top = 1u64 << (SLOT_BITS * (LEVELS as u32 - 1)); // one top-level slot, in ms
    w.advance(base + ms(top)); // the clock is now in top-level slot 1
    w.insert_at(Token(1), base + ms(5 * top)); // top level, slot 5
    w.insert_at(Token(2), base + ms(HORIZON)); // clamped into the top level, slot 0
    assert_eq!(w.next_deadline(), Some(base + ms(5 * top)));
    w.advance(base + ms(5 * top));
    assert_eq!(drain(&mut w), vec![1], "the slot-5 timer fired late");
    assert_eq!(w.next_deadline(), Some(base + ms(HORIZON)));
    w.advance(base + ms(HORIZON - 1));
    assert!(drain(&mut w).is_empty(), "the clamped timer fired early");
    w.advance(base + ms(HORIZON));
    assert_eq!(drain(&mut w), vec![2]);
}

#[test]
fn cancel_is_generational() {
    let base = Instant::now();
    let mut w = TimerWheel::with_start(base);
    let a = w.insert_at(Token(1), base + ms(10));
    assert!(w.cancel(a));
    assert!(!w.cancel(a));
    let b = w.insert_at(Token(2), base + ms(10));
    assert_eq!(a.index, b.index, "arena slot reused");
    assert!(!w.cancel(a), "stale id must not cancel the new timer");
    w.advance(base + ms(10));
    assert_eq!(drain(&mut w), vec![2]);
    assert!(!w.cancel(b), "fired timer cannot be cancelled");
}

#[derive(Clone, Debug)]
enum Op {
    Insert { offset_ns: u64, past: bool },
    Cancel(usize),
    Advance(u64),
}

fn interesting_ms() -> impl Strategy<Value = u64> {
    prop_oneof![
        prop::sample::select(vec![
            0u64, 1, 62, 63, 64, 65, 127, 128, 4031, 4095, 4096, 4097, 262_143, 262_144, 262_145,
            16_777_215, 16_777_216,
        ]),
        0u64..5_000,
        0u64..(1 << 26),
        Just(HORIZON + 17),
    ]
}

fn op() -> impl Strategy<Value = Op> {
    prop_oneof![
        4 => (interesting_ms(), 0u64..MS, any::<bool>()).prop_map(|(m, ns, past)| Op::Insert {
            offset_ns: m * MS + if ns % 3 == 0 { 0 } else { ns },
            past: past && m < 100,
        }),
        1 => any::<usize>().prop_map(Op::Cancel),
        3 => interesting_ms().prop_map(Op::Advance),
    ]
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(256))]

    /// Against a BTreeMap model under a virtual clock: exactly the timers whose deadline, rounded
    /// up to the millisecond, is at or before the current millisecond fire; none ever fires
    /// before its deadline; the suggested wait never overshoots the earliest deadline.
    #[test]
    fn matches_btreemap_model(ops in prop::collection::vec(op(), 1..80)) {
        let base = Instant::now();
        let mut w = TimerWheel::with_start(base);
        let mut now_ns: u64 = 0;
        let mut model: BTreeMap<u64, (u64, TimerId)> = BTreeMap::new(); // token -> (deadline, id)
        let mut next_token = 0u64;
        for op in ops {
            match op {
                Op::Insert { offset_ns, past } => {
                    let deadline = if past { now_ns.saturating_sub(offset_ns) } else { now_ns + offset_ns };
                    let id = w.insert_at(Token(next_token), base + Duration::from_nanos(deadline));
                    model.insert(next_token, (deadline, id));
                    next_token += 1;
                }
                Op::Cancel(k) => {
                    if !model.is_empty() {
                        let key = *model.keys().nth(k % model.len()).unwrap();
                        let (_, id) = model.remove(&key).unwrap();
                        prop_assert!(w.cancel(id));
                    }
                }
                Op::Advance(by) => {
                    now_ns += by * MS;
                    w.advance(base + Duration::from_nanos(now_ns));
                    let fired = drain(&mut w);
                    let now_tick = now_ns / MS;
                    let due: Vec<u64> = model.iter()
                        .filter(|(_, (d, _))| d.div_ceil(MS) <= now_tick)
                        .map(|(t, _)| *t).collect();
                    for t in &fired {
                        prop_assert!(model[t].0 <= now_ns, "timer {t} fired early");
                    }
                    prop_assert_eq!(&fired, &due);
                    for t in due {
                        model.remove(&t);
                    }
                }
            }
            prop_assert_eq!(w.len(), model.len());
            if let Some(min) = model.values().map(|(d, _)| *d).min() {
                let now = base + Duration::from_nanos(now_ns);
                let wait = w.timeout_until_next_from(now).expect("pending timer");
                let first = base + Duration::from_nanos(min.div_ceil(MS) * MS);
                prop_assert!(now + wait <= first.max(now), "wait overshoots the earliest timer");
                prop_assert!(w.next_deadline().unwrap() <= first.max(now));
            } else {
                prop_assert_eq!(w.timeout_until_next_from(base), None);
            }
        }
    }
}
