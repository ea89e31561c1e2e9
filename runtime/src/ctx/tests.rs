//! Handles of a context's services never alias: each table has its own handle type.

use super::*;

fn dir() -> std::path::PathBuf {
    let d = std::env::temp_dir().join(format!("nl-ctx-{}", std::process::id()));
    std::fs::create_dir_all(&d).unwrap();
    d
}

#[test]
fn a_handle_of_one_service_is_refused_by_the_others() {
    let d = dir();
    let ctx = Context::new(IOPermissions::files_under(&d));
    let path = d.join("f");
    let fd = ctx
        .file_open(path.to_str().unwrap().as_bytes(), 2 | 4)
        .unwrap();
    let ch = ctx.chan_create().unwrap();
    let task = ctx.spawn(|| 7).unwrap();
    assert_eq!(ctx.file_write(ch, b"x"), Err(Errno::EBADF));
    assert_eq!(ctx.file_write(task, b"x"), Err(Errno::EBADF));
    assert_eq!(ctx.chan_send(fd, 1), Err(Errno::EBADF));
    assert_eq!(ctx.join(ch), Err(Errno::ESRCH));
    assert_eq!(ctx.net_send(fd, b"x"), Err(Errno::ENOTSOCK));
    assert_eq!(ctx.net_close(ch), Err(Errno::EBADF));
    assert_eq!(ctx.join(task), Ok(7));
    assert_eq!(ctx.file_write(fd, b"x"), Ok(1));
    ctx.file_close(fd).unwrap();
    assert_eq!(
        ctx.net_send(fd, b"x"),
        Err(Errno::EBADF),
        "closed: not a file any more"
    );
    std::fs::remove_dir_all(&d).unwrap();
}

#[test]
fn a_closed_descriptor_stays_closed_when_its_slot_is_reused() {
    let ctx = Context::new(IOPermissions::default());
    let a = ctx.chan_create().unwrap();
    ctx.chan_destroy(a).unwrap();
    let b = ctx.chan_create().unwrap();
    assert_ne!(a, b);
    assert_eq!(ctx.chan_send(a, 1), Err(Errno::EBADF));
    assert_eq!(ctx.chan_send(b, 1), Ok(()));
    assert!(
        a.raw() >= 3 && b.raw() >= 3,
        "0, 1 and 2 never name anything"
    );
}

/// Held by the tests that replace the process default, so that they do not see each other's.
static DEFAULT_TESTS: std::sync::Mutex<()> = std::sync::Mutex::new(());

/// What the C ABI acts on: the innermost `scoped` context, else the process default as of the
/// last `set_default` (even when this thread read an older one before, or is inside a call).
#[test]
fn the_current_context_follows_scoped_and_set_default() {
    let _one_at_a_time = DEFAULT_TESTS.lock().unwrap_or_else(|p| p.into_inner());
    // Contexts told apart by address; deny-all, as the default is, for tests running meanwhile.
    let new = || Arc::new(Context::new(IOPermissions::default()));
    let (a, b, c) = (new(), new(), new());
    let seen = || Context::with_current(|ctx| ctx as *const Context);
    let old = Context::set_default(Arc::clone(&a));
    assert_eq!(seen(), Arc::as_ptr(&a));
    assert!(Arc::ptr_eq(&Context::current(), &a));
    Context::set_default(Arc::clone(&b));
    assert_eq!(seen(), Arc::as_ptr(&b), "this thread's copy is read again");
    Context::with_current(|outer| {
        assert_eq!(outer as *const Context, Arc::as_ptr(&b));
        Context::set_default(Arc::clone(&c));
        assert_eq!(seen(), Arc::as_ptr(&c), "inside a call too");
        assert_eq!(
            outer as *const Context,
            Arc::as_ptr(&b),
            "the outer call keeps its own"
        );
    });
    assert_eq!(seen(), Arc::as_ptr(&c));
    Context::scoped(&a, || {
        assert_eq!(seen(), Arc::as_ptr(&a), "scoped wins over the default");
        Context::scoped(&b, || assert!(Arc::ptr_eq(&Context::current(), &b)));
        assert_eq!(seen(), Arc::as_ptr(&a), "restored after an inner scope");
        let inner = std::panic::AssertUnwindSafe(|| Context::scoped(&b, || panic!("unwinds")));
        let unwound = std::panic::catch_unwind(inner);
        assert!(unwound.is_err());
        assert!(
            Arc::ptr_eq(&Context::current(), &a),
            "restored after a panic"
        );
    });
    assert_eq!(seen(), Arc::as_ptr(&c), "no scope left");
    let strong = Arc::strong_count(&a);
    Context::scoped(&a, || drop(Context::current()));
    assert_eq!(
        Arc::strong_count(&a),
        strong,
        "current() owns the count it adds"
    );
    Context::set_default(old);
}

/// A context prints as its sandbox (what a reader debugging a refusal needs), and says that
/// it has more fields than it shows.
#[test]
fn debug_shows_the_sandbox() {
    let ctx = Context::new(IOPermissions::default());
    let text = format!("{ctx:?}");
    assert!(text.starts_with("Context { sandbox: Sandbox {"), "{text}");
    assert!(text.ends_with(", .. }"), "{text}");
}

/// A default context dropped when a thread reads the new default may call the ABI from its
/// drop (an extension's closure, an embedder's output): the thread's copy is not borrowed then.
#[test]
fn a_context_dropped_by_the_refresh_may_reach_the_current_context() {
    use crate::ext::{ExtCategory, ExtensionRegistry};
    struct ReachesCurrent(Arc<std::sync::atomic::AtomicBool>);
    impl Drop for ReachesCurrent {
        fn drop(&mut self) {
            Context::with_current(|_| ());
            self.0.store(true, Ordering::SeqCst);
        }
    }
    let _one_at_a_time = DEFAULT_TESTS.lock().unwrap_or_else(|p| p.into_inner());
    // On a thread of its own, so that no other test's ABI call holds the context.
    std::thread::spawn(|| {
        let dropped = Arc::new(std::sync::atomic::AtomicBool::new(false));
        let guard = ReachesCurrent(Arc::clone(&dropped));
        let mut registry = ExtensionRegistry::new();
        let keep = move |_: &[u64], _: &mut [u64]| {
            let _ = &guard;
            Ok(0)
        };
        registry.register("keep", "", 0, false, ExtCategory::Custom, Arc::new(keep));
        let first = Arc::new(Context::new(IOPermissions::default()).with_extensions(registry));
        let prev = Context::set_default(Arc::clone(&first));
        Context::with_current(|_| ());
        drop(first);
        let restored = Context::set_default(prev);
        drop(restored);
        assert!(
            !dropped.load(Ordering::SeqCst),
            "this thread's copy still holds it"
        );
        Context::with_current(|_| ());
        assert!(
            dropped.load(Ordering::SeqCst),
            "dropped when the copy was read again"
        );
    })
    .join()
    .expect("no panic in the drop");
}

/// The default context is reached through this thread's copy, not the slow way (the default's
/// lock and a reference count), whenever no call of this thread is using the copy: the first
/// call, the next ones, and the first after a `set_default`.
#[test]
fn the_default_is_reached_without_the_slow_way() {
    let _one_at_a_time = DEFAULT_TESTS.lock().unwrap_or_else(|p| p.into_inner());
    std::thread::spawn(|| {
        let slow = || SLOW_CALLS.with(Cell::get);
        for _ in 0..3 {
            Context::with_current(|_| ());
        }
        assert_eq!(slow(), 0, "fresh and current copies");
        let old = Context::set_default(Arc::new(Context::new(IOPermissions::default())));
        Context::with_current(|_| ());
        assert_eq!(slow(), 0, "a copy read again after set_default");
        Context::with_current(|_| {
            let b = Context::set_default(Arc::new(Context::new(IOPermissions::default())));
            Context::with_current(|_| ());
            assert_eq!(
                slow(),
                1,
                "only a nested call after set_default takes the slow way"
            );
            drop(b);
        });
        Context::set_default(old);
    })
    .join()
    .unwrap();
}
