use super::*;

fn rw() -> CapPermissions {
    CapPermissions::READ | CapPermissions::WRITE
}

#[test]
fn owned_round_trip_and_bounds() {
    let tok = Token::new_owned(vec![0; 8].into_boxed_slice(), rw()).unwrap();
    let cap = Capability::from_raw(tok.get()).unwrap();
    assert_eq!(cap.length(), 8);
    assert!(cap.has_read_permission() && cap.has_write_permission());
    cap.write(4, b"abcd").unwrap();
    assert_eq!(cap.to_vec(2, 6).unwrap(), b"\0\0abcd");
    assert_eq!(cap.write(5, b"abcd"), Err(Errno::EFAULT));
    assert_eq!(cap.to_vec(usize::MAX, 2), Err(Errno::EFAULT));
    drop(cap);
    tok.revoke().unwrap();
}

#[test]
fn forged_and_zero_tokens_are_rejected() {
    let tok = Token::new_owned(vec![0; 8].into_boxed_slice(), rw()).unwrap();
    assert_eq!(Capability::from_raw(0).err(), Some(Errno::EFAULT));
    assert_eq!(Capability::from_raw(u64::MAX).err(), Some(Errno::EFAULT));
    for bit in 0..64 {
        assert_eq!(
            Capability::from_raw(tok.get() ^ (1 << bit)).err(),
            Some(Errno::EFAULT),
            "bit {bit}"
        );
    }
    tok.revoke().unwrap();
}

#[test]
fn revoked_and_stale_tokens_are_rejected() {
    let a = Token::new_owned(vec![1; 4].into_boxed_slice(), rw()).unwrap();
    a.revoke().unwrap();
    assert_eq!(Capability::from_raw(a.get()).err(), Some(Errno::EFAULT));
    assert_eq!(a.revoke(), Err(Errno::EFAULT));
    // The slot is likely reused by the next token: the old one stays dead.
    let b = Token::new_owned(vec![2; 4].into_boxed_slice(), rw()).unwrap();
    assert_ne!(a, b);
    assert_eq!(Capability::from_raw(a.get()).err(), Some(Errno::EFAULT));
    b.revoke().unwrap();
}

#[test]
fn restrict_and_slice_only_shrink() {
    let root = Token::new_owned(
        (0..16).collect::<Vec<u8>>().into_boxed_slice(),
        CapPermissions::READ,
    )
    .unwrap();
    let widened = root.restrict(CapPermissions::ALL).unwrap();
    assert_eq!(
        Capability::from_token(widened).unwrap().permissions(),
        CapPermissions::READ
    );
    let s = root.slice(4, 8).unwrap();
    let cap = Capability::from_token(s).unwrap();
    assert_eq!(cap.length(), 8);
    let root_base = Capability::from_token(root).unwrap().base_address();
    assert_eq!(cap.base_address(), root_base + 4, "a slice starts 4 bytes into its root");
    assert_eq!(cap.to_vec(0, 8).unwrap(), (4..12).collect::<Vec<u8>>());
    assert_eq!(cap.write(0, b"x"), Err(Errno::EFAULT));
    drop(cap);
    assert_eq!(s.slice(4, 5), Err(Errno::EFAULT));
    assert_eq!(s.slice(9, 0), Err(Errno::EFAULT));
    let s2 = s.slice(8, 0).unwrap();
    assert_eq!(root.check(CapPermissions::READ, 16), Ok(()));
    assert_eq!(root.check(CapPermissions::READ, 17), Err(Errno::EFAULT));
    assert_eq!(root.check(CapPermissions::WRITE, 1), Err(Errno::EFAULT));
    root.revoke().unwrap();
    for t in [widened, s, s2] {
        assert_eq!(Capability::from_token(t).err(), Some(Errno::EFAULT));
    }
}

#[test]
fn revoking_a_child_keeps_the_parent() {
    let root = Token::new_owned(vec![0; 4].into_boxed_slice(), rw()).unwrap();
    let child = root.restrict(CapPermissions::READ).unwrap();
    let grandchild = child.slice(1, 1).unwrap();
    child.revoke().unwrap();
    assert!(Capability::from_token(grandchild).is_err());
    assert!(Capability::from_token(root).is_ok());
    root.revoke().unwrap();
}

#[test]
#[allow(unsafe_code)] // a token over a local array
fn raw_memory_is_untouched_after_revoke() {
    let mut mem = [0u8; 4];
    // SAFETY: `mem` outlives the token: it is revoked below before `mem` is read or dropped.
    let tok = unsafe { Token::new_raw(mem.as_mut_ptr(), mem.len(), rw()) }.unwrap();
    Capability::from_token(tok)
        .unwrap()
        .write(0, &[9, 9])
        .unwrap();
    tok.revoke().unwrap();
    assert_eq!(mem, [9, 9, 0, 0]);
}

#[test]
fn concurrent_use_and_revoke_never_crash() {
    use rayon::prelude::*;
    (0..64).into_par_iter().for_each(|i| {
        let tok = Token::new_owned(vec![i as u8; 32].into_boxed_slice(), rw()).unwrap();
        let s = tok.slice(8, 8).unwrap();
        let cap = Capability::from_token(s).unwrap();
        assert_eq!(cap.to_vec(0, 8).unwrap(), vec![i as u8; 8]);
        drop(cap);
        tok.revoke().unwrap();
        assert!(Capability::from_token(s).is_err());
    });
}

/// Revoking a root waits for a `Capability` of its memory alive on another thread: `revoke`
/// returns only after that thread has dropped it.
#[test]
fn revoking_a_root_waits_for_live_capabilities() {
    use std::sync::atomic::{AtomicBool, Ordering};
    let tok = Token::new_owned(vec![0; 4].into_boxed_slice(), rw()).unwrap();
    let cap = Capability::from_token(tok).unwrap();
    let dropped = AtomicBool::new(false);
    std::thread::scope(|s| {
        let revoker = s.spawn(|| {
            tok.revoke().unwrap();
            dropped.load(Ordering::SeqCst)
        });
        // Long enough that a revoke which does not wait has returned before the drop.
        std::thread::sleep(std::time::Duration::from_millis(50));
        dropped.store(true, Ordering::SeqCst);
        drop(cap);
        assert!(
            revoker.join().unwrap(),
            "revoke returned while a Capability was alive"
        );
    });
    assert_eq!(Capability::from_token(tok).err(), Some(Errno::EFAULT));
}

/// Why the capability table is not a [`HandleTable`](crate::handle::HandleTable) (`cap/table.rs`):
/// a handle carries its slot and generation in clear, so whoever holds one handle names every
/// other live value of its table by counting slots; a token's low 40 bits are a keyed MAC of its
/// slot and generation, so holding one token names nothing else. Measured on 1 000 live entries
/// of each, with every slot guessed from one known handle or token.
#[test]
fn one_token_names_no_other_where_one_handle_names_them_all() {
    use crate::handle::{Handle, HandleTable, Tag};
    const N: usize = 1000;
    let handles: HandleTable<u64> = HandleTable::new(Tag::Vec);
    let mine: Vec<Handle> = (0..N as u64).map(|v| handles.insert(v).unwrap()).collect();
    let known = mine[0].raw();
    // The slot is the low 32 bits: keep the rest of the known handle, count the slot up.
    let found = (0..2 * N as u64)
        .map(|slot| Handle::from_raw((known & !0xffff_ffff) | slot))
        .filter(|&h| h.raw() != known && handles.get(h).is_ok())
        .count();
    assert_eq!(
        found,
        N - 1,
        "every other handle is found by counting slots"
    );

    let tokens: Vec<Token> = (0..N)
        .map(|_| Token::new_owned(vec![0; 1].into_boxed_slice(), rw()).unwrap())
        .collect();
    let known = tokens[0].get();
    // The slot is the top 24 bits: keep the known token's MAC, count the slot up; and keep the
    // slot, count the MAC's low bits through every value nearby.
    let by_slot = (1..=(1u64 << 24) - 1)
        .take(4 * N)
        .map(|index| (index << 40) | (known & ((1 << 40) - 1)));
    let by_mac =
        (0..4 * N as u64).map(|d| (known & !((1 << 40) - 1)) | ((known + d) & ((1 << 40) - 1)));
    let forged = by_slot
        .chain(by_mac)
        .filter(|&raw| raw != known && Capability::from_raw(raw).is_ok())
        .count();
    assert_eq!(forged, 0, "no other token is found from one token");
    for t in tokens {
        t.revoke().unwrap();
    }
}

#[test]
fn a_permission_set_is_empty_only_without_any_permission() {
    assert!(CapPermissions::NONE.is_empty());
    assert!(CapPermissions::default().is_empty());
    assert!(CapPermissions::from_bits_truncate(8).is_empty());
    assert!(
        CapPermissions::READ
            .intersection(CapPermissions::WRITE)
            .is_empty()
    );
    for p in [
        CapPermissions::READ,
        CapPermissions::WRITE,
        CapPermissions::EXEC,
        CapPermissions::ALL,
    ] {
        assert!(!p.is_empty(), "{p:?}");
    }
}

#[test]
fn a_capability_reports_exactly_the_permissions_it_was_given() {
    for (perms, read, write) in [
        (CapPermissions::READ, true, false),
        (CapPermissions::WRITE, false, true),
        (CapPermissions::EXEC, false, false),
    ] {
        let tok = Token::new_owned(vec![0; 4].into_boxed_slice(), perms).unwrap();
        let cap = Capability::from_raw(tok.get()).unwrap();
        assert_eq!(cap.has_read_permission(), read, "{perms:?}");
        assert_eq!(cap.has_write_permission(), write, "{perms:?}");
        drop(cap);
        tok.revoke().unwrap();
    }
}
