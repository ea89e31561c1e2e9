//! Concurrency through the C ABI: real threads, blocking channels, close waking receivers,
//! and a rayon stress of channels and capabilities from many threads at once.

#![allow(unsafe_code)] // Calls the C ABI through its table.

use crate::script::abi;
use crate::{Case, CaseResult, ensure, ensure_eq};
use neurlang::runtime::{Context, Errno, IOPermissions};
use rayon::prelude::*;
use std::sync::Arc;

pub fn cases() -> Vec<Case> {
    vec![
        Case::new("abi", "concurrency.spawn_join_many", spawn_join_many),
        Case::new(
            "abi",
            "concurrency.tasks_run_on_other_threads",
            other_threads,
        ),
        Case::new(
            "abi",
            "concurrency.blocking_producer_consumer",
            producer_consumer,
        ),
        Case::new(
            "abi",
            "concurrency.close_wakes_blocked_receivers",
            close_wakes,
        ),
        Case::new("abi", "concurrency.rayon_stress", rayon_stress),
    ]
}

fn ctx() -> Arc<Context> {
    Arc::new(Context::new(IOPermissions::default()))
}

/// Calls `neurlang_NAME`; `i64::MIN` for an unknown name or count.
fn abi(name: &str, args: &[u64]) -> i64 {
    // SAFETY: the only pointers callers here pass are task entries that are real
    // `extern "C" fn(u64) -> u64`, and `cap_create` memory that outlives the token (revoked
    // before the buffer goes out of scope); the rest are plain words.
    unsafe { abi::call(name, args) }.unwrap_or(i64::MIN)
}

extern "C" fn triple(x: u64) -> u64 {
    x * 3
}

fn spawn_join_many() -> CaseResult {
    let ctx = ctx();
    Context::scoped(&ctx, || {
        let ids: Vec<i64> = (0..32)
            .map(|i| abi("spawn", &[triple as *const () as usize as u64, i]))
            .collect();
        for (i, id) in ids.into_iter().enumerate() {
            ensure!(id >= 0, "spawn {i} gave {id}");
            ensure_eq!(abi("join", &[id as u64]), 3 * i as i64, "join {i}");
        }
        Ok(())
    })
}

extern "C" fn thread_tag(_: u64) -> u64 {
    // A stable per-thread number: the address of a thread-local.
    thread_local!(static TAG: u8 = const { 0 });
    TAG.with(|t| t as *const u8 as u64) & 0x7fff_ffff_ffff_ffff
}

fn other_threads() -> CaseResult {
    let ctx = ctx();
    Context::scoped(&ctx, || {
        let mine = thread_tag(0) as i64;
        let t = abi("spawn", &[thread_tag as *const () as usize as u64, 0]);
        let theirs = abi("join", &[t as u64]);
        ensure!(
            theirs >= 0 && theirs != mine,
            "the task ran on the caller's thread"
        );
        Ok(())
    })
}

/// A task that sends 1..=100 to the channel in its argument, then closes it.
extern "C" fn producer(chan: u64) -> u64 {
    for v in 1..=100 {
        if abi("chan_send", &[chan, v]) != 0 {
            return 1;
        }
    }
    u64::from(abi("chan_close", &[chan]) != 0)
}

fn producer_consumer() -> CaseResult {
    let ctx = ctx();
    Context::scoped(&ctx, || {
        let ch = abi("chan_create", &[]) as u64;
        let t = abi("spawn", &[producer as *const () as usize as u64, ch]);
        let mut got = Vec::new();
        loop {
            let v = abi("chan_recv", &[ch]);
            if v == Errno::EPIPE.neg() {
                break;
            }
            ensure!(v > 0, "recv gave {v}");
            got.push(v);
        }
        ensure_eq!(got, (1..=100).collect::<Vec<i64>>(), "values in order");
        ensure_eq!(abi("join", &[t as u64]), 0, "producer");
        Ok(())
    })
}

fn close_wakes() -> CaseResult {
    let ctx = ctx();
    let ch = ctx
        .chan_create()
        .map_err(|e| crate::CaseError::Fail(e.to_string()))?
        .0;
    let waiters: Vec<_> = (0..4)
        .map(|_| {
            let ctx = Arc::clone(&ctx);
            std::thread::spawn(move || Context::scoped(&ctx, || abi("chan_recv", &[ch])))
        })
        .collect();
    // Whether or not they are blocked yet, close must end every recv with EPIPE.
    std::thread::yield_now();
    Context::scoped(&ctx, || abi("chan_close", &[ch]));
    for w in waiters {
        let r = w
            .join()
            .map_err(|_| crate::CaseError::Fail("a receiver panicked".into()))?;
        ensure_eq!(r, Errno::EPIPE.neg(), "woken receiver");
    }
    Ok(())
}

fn rayon_stress() -> CaseResult {
    let ctx = ctx();
    let ch = Context::scoped(&ctx, || abi("chan_create", &[])) as u64;
    let sums: Vec<i64> = (0..64u64)
        .into_par_iter()
        .map(|i| {
            Context::scoped(&ctx, || {
                let mut mem = [0u8; 16];
                let t = abi("cap_create", &[mem.as_mut_ptr() as u64, 16, 3]);
                let r = abi("rand_fill", &[t as u64, 16]);
                let s = abi("cap_slice", &[t as u64, 8, 8]);
                let revoked = abi("cap_revoke", &[t as u64]);
                let stale = abi("cap_check", &[s as u64, 1, 1]);
                ensure_eq!((r, revoked, stale), (16, 0, Errno::EFAULT.neg()), "cap {i}");
                ensure_eq!(abi("chan_send", &[ch, i]), 0, "send {i}");
                Ok(abi("chan_recv", &[ch]))
            })
        })
        .collect::<Result<_, _>>()?;
    ensure_eq!(
        sums.iter().sum::<i64>(),
        (0..64).sum::<i64>(),
        "every value received once"
    );
    Ok(())
}
