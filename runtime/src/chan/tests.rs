use super::*;
use proptest::prelude::*;
use std::sync::Arc;

#[test]
fn close_wakes_blocked_receivers() {
    let ctx = Arc::new(Channels::for_context(crate::handle::Tag::Channel));
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

proptest! {
    #[test]
    fn behaves_like_a_queue(ops in proptest::collection::vec(0u8..4, 0..64)) {
        let ctx = Channels::for_context(crate::handle::Tag::Channel);
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
