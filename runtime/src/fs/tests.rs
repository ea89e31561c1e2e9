use super::*;
use crate::perm::IOPermissions;

/// A sandbox and a file table, as a context holds them.
struct Fs {
    sandbox: Sandbox,
    files: Files,
}
fn fs(perms: IOPermissions) -> Fs {
    Fs {
        sandbox: Sandbox::new(perms),
        files: Files::for_context(),
    }
}

struct Dir(std::path::PathBuf);
impl Drop for Dir {
    fn drop(&mut self) {
        let _ = std::fs::remove_dir_all(&self.0);
    }
}
fn dir(tag: &str) -> Dir {
    let d = std::env::temp_dir().join(format!("nl-fs-{tag}-{}", std::process::id()));
    std::fs::create_dir_all(&d).unwrap();
    Dir(d.canonicalize().unwrap())
}
fn p(d: &Dir, name: &str) -> Vec<u8> {
    d.0.join(name).to_str().unwrap().as_bytes().to_vec()
}

#[test]
fn write_seek_read_size_unlink() {
    let d = dir("rw");
    let ctx = fs(IOPermissions::files_under(&d.0));
    let fd = ctx
        .files
        .open(
            &ctx.sandbox,
            &p(&d, "f"),
            OpenMode::READ | OpenMode::WRITE | OpenMode::CREATE,
        )
        .unwrap();
    assert_eq!(ctx.files.write(fd, b"hello"), Ok(5));
    assert_eq!(ctx.files.seek(fd, 1, SEEK_SET), Ok(1));
    let mut buf = [0u8; 8];
    assert_eq!(ctx.files.read(fd, &mut buf), Ok(4));
    assert_eq!(&buf[..4], b"ello");
    assert_eq!(ctx.files.size(fd), Ok(5));
    assert_eq!(ctx.files.seek(fd, 0, 9), Err(Errno::EINVAL));
    ctx.files.close(fd).unwrap();
    assert_eq!(ctx.files.read(fd, &mut buf), Err(Errno::EBADF));
    assert_eq!(ctx.files.close(fd), Err(Errno::EBADF));
    ctx.sandbox.unlink(&p(&d, "f")).unwrap();
    assert!(!d.0.join("f").exists());
    assert_eq!(
        ctx.files.open(&ctx.sandbox, &p(&d, "f"), OpenMode::READ),
        Err(Errno::ENOENT)
    );
}

#[test]
fn read_only_context_cannot_write() {
    let d = dir("ro");
    let ctx = fs(IOPermissions {
        file_read: true,
        file_paths: vec![d.0.clone()],
        ..IOPermissions::default()
    });
    let flags = OpenMode::WRITE | OpenMode::CREATE;
    assert_eq!(
        ctx.files.open(&ctx.sandbox, &p(&d, "x"), flags),
        Err(Errno::EPERM)
    );
    assert_eq!(ctx.sandbox.unlink(&p(&d, "x")), Err(Errno::EPERM));
    assert!(!d.0.join("x").exists());
}

#[cfg(unix)]
#[test]
fn symlink_out_of_the_root_is_refused() {
    let d = dir("ln");
    let outside = dir("ln-out");
    std::fs::write(outside.0.join("secret"), b"s").unwrap();
    std::os::unix::fs::symlink(outside.0.join("secret"), d.0.join("l")).unwrap();
    std::os::unix::fs::symlink(&outside.0, d.0.join("dl")).unwrap();
    let ctx = fs(IOPermissions::files_under(&d.0));
    assert_eq!(
        ctx.files.open(&ctx.sandbox, &p(&d, "l"), OpenMode::READ),
        Err(Errno::EACCES)
    );
    let w = OpenMode::WRITE | OpenMode::CREATE;
    assert_eq!(
        ctx.files.open(&ctx.sandbox, &p(&d, "dl/new"), w),
        Err(Errno::EACCES)
    );
    assert!(!outside.0.join("new").exists());
}

/// A read that waits on a FIFO holds a reference, not the descriptor's lock: a `close` on another
/// thread returns at once, and the read, once data comes, still completes on the file it began
/// on. Were the read under the lock (as a regular file's is), the close would wait for it.
#[cfg(unix)]
#[test]
fn a_close_does_not_wait_for_a_read_blocked_on_a_fifo() {
    use std::sync::mpsc;
    use std::time::Duration;
    let d = dir("fifo");
    let path = d.0.join("pipe");
    let made = std::process::Command::new("mkfifo").arg(&path).status();
    assert!(made.as_ref().is_ok_and(|s| s.success()), "mkfifo: {made:?}");
    let ctx = Arc::new(fs(IOPermissions::files_under(&d.0)));
    // Read and write: opening a FIFO so does not wait for a writer (Linux, macOS, FreeBSD).
    let fd = ctx
        .files
        .open(
            &ctx.sandbox,
            &p(&d, "pipe"),
            OpenMode::READ | OpenMode::WRITE,
        )
        .unwrap();
    let (started, start) = mpsc::channel();
    let reader = {
        let ctx = Arc::clone(&ctx);
        std::thread::spawn(move || {
            let mut buf = [0u8; 4];
            started.send(()).unwrap();
            let n = ctx.files.read(fd, &mut buf);
            (n, buf)
        })
    };
    // Let the reader block in its read (it cannot return before data comes: it holds the file).
    start.recv().unwrap();
    std::thread::sleep(Duration::from_millis(100));
    assert!(!reader.is_finished(), "the read returned without data");
    let (tx, rx) = mpsc::channel();
    let closer = {
        let ctx = Arc::clone(&ctx);
        std::thread::spawn(move || tx.send(ctx.files.close(fd)).unwrap())
    };
    let closed = rx.recv_timeout(Duration::from_secs(5));
    // Whatever happened, unblock the reader through a second descriptor of the FIFO.
    let mut writer = std::fs::OpenOptions::new().write(true).open(&path).unwrap();
    std::io::Write::write_all(&mut writer, b"ping").unwrap();
    assert_eq!(closed, Ok(Ok(())), "the close waited for the blocked read");
    closer.join().unwrap();
    assert_eq!(reader.join().unwrap(), (Ok(4), *b"ping"));
    let mut buf = [0u8; 4];
    assert_eq!(ctx.files.read(fd, &mut buf), Err(Errno::EBADF));
}
