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
