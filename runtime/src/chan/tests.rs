use super::*;
use proptest::prelude::*;
use std::sync::Arc;

#[test]
fn close_wakes_blocked_receivers() {
    let ctx = Arc::new(Channels::for_context());
    let ch = ctx.create().unwrap();
    let waiters: Vec<_> = (0..4)
        .map(|_| {
            let ctx = Arc::clone(&ctx);
            std::thread::spawn(move || ctx.recv(ch))
        })
        .collect();
    ctx.send(ch, 7).unwrap();
    ctx.close(ch).unwrap();
    let mut got: Vec<_> = waiters.into_iter().map(|t| t.join().unwrap()).collect();
    got.sort();
    assert_eq!(
        got,
        vec![
            Ok(7),
            Err(Errno::EPIPE),
            Err(Errno::EPIPE),
            Err(Errno::EPIPE)
        ]
    );
    assert_eq!(ctx.send(ch, 1), Err(Errno::EPIPE));
}

/// Waits (at most 20 s, polling) until `f` holds; says whether it did.
fn eventually(f: impl Fn() -> bool) -> bool {
    let deadline = std::time::Instant::now() + std::time::Duration::from_secs(20);
    while !f() && std::time::Instant::now() < deadline {
        std::thread::sleep(std::time::Duration::from_millis(1));
    }
    f()
}

/// Receivers asleep in `recv`: a send wakes one of them, a close the others, and none is
/// counted as waiting once they are gone (the count decides whether a send wakes anyone).
#[test]
fn a_send_wakes_one_sleeping_receiver_and_close_the_rest() {
    let chans = Arc::new(Channels::for_context());
    let ch = chans.create().unwrap();
    let chan = chans.get(ch).unwrap();
    let waiters: Vec<_> = (0..3)
        .map(|_| {
            let chans = Arc::clone(&chans);
            std::thread::spawn(move || chans.recv(ch))
        })
        .collect();
    assert!(eventually(|| chan.waiting() == 3), "three receivers asleep");
    chans.send(ch, 7).unwrap();
    assert!(eventually(|| chan.waiting() == 2), "one woke for the value");
    chans.close(ch).unwrap();
    let mut got: Vec<_> = waiters.into_iter().map(|t| t.join().unwrap()).collect();
    got.sort();
    assert_eq!(got, vec![Ok(7), Err(Errno::EPIPE), Err(Errno::EPIPE)]);
    assert_eq!(chan.waiting(), 0);
}

proptest! {
    #[test]
    fn behaves_like_a_queue(ops in proptest::collection::vec(0u8..4, 0..64)) {
        let ctx = Channels::for_context();
        let ch = ctx.create().unwrap();
        let mut model = VecDeque::new();
        let mut closed = false;
        for (i, op) in ops.into_iter().enumerate() {
            match op {
                0 | 1 => {
                    let r = ctx.send(ch, i as u64);
                    if closed { prop_assert_eq!(r, Err(Errno::EPIPE)); } else { model.push_back(i as u64); prop_assert_eq!(r, Ok(())); }
                }
                2 => {
                    let want = model.pop_front().ok_or(if closed { Errno::EPIPE } else { Errno::EAGAIN });
                    prop_assert_eq!(ctx.try_recv(ch), want);
                }
                _ => {
                    let r = ctx.close(ch);
                    prop_assert_eq!(r, if closed { Err(Errno::EPIPE) } else { Ok(()) });
                    closed = true;
                }
            }
        }
    }
}
