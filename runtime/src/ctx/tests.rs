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

/// What the C ABI acts on: the innermost `scoped` context, else the process default as of the
/// last `set_default` (even when this thread read an older one before, or is inside a call).
#[test]
fn the_current_context_follows_scoped_and_set_default() {
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
