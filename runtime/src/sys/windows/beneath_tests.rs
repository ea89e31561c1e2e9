use super::*;
use crate::errno::Errno;
use std::io::{Read, Write};
use windows_sys::Win32::Storage::FileSystem::{
    CreateSymbolicLinkW, FILE_FLAG_OPEN_REPARSE_POINT,
    SYMBOLIC_LINK_FLAG_ALLOW_UNPRIVILEGED_CREATE, SYMBOLIC_LINK_FLAG_DIRECTORY,
};
use windows_sys::Win32::System::Ioctl::FSCTL_SET_REPARSE_POINT;

/// A scratch directory removed at the end of the test.
struct Scratch(PathBuf);
impl Drop for Scratch {
    fn drop(&mut self) {
        let _ = std::fs::remove_dir_all(&self.0);
    }
}
fn scratch(tag: &str) -> Scratch {
    let d = std::env::temp_dir().join(format!("nl-beneath-{tag}-{}", std::process::id()));
    let _ = std::fs::remove_dir_all(&d);
    std::fs::create_dir_all(&d).unwrap();
    Scratch(d)
}

fn errno<T>(r: io::Result<T>) -> Errno {
    match r {
        Ok(_) => panic!("expected an error"),
        Err(e) => Errno::from_io_error(&e),
    }
}
fn opened<T>(e: Entry<T>) -> T {
    match e {
        Entry::Opened(t) => t,
        Entry::Link(target) => panic!("expected an open entry, got a link to {target:?}"),
    }
}
fn link<T>(e: Entry<T>) -> PathBuf {
    match e {
        Entry::Opened(_) => panic!("expected a link"),
        Entry::Link(target) => target,
    }
}
fn text(mut f: File) -> String {
    let mut text = String::new();
    f.read_to_string(&mut text).unwrap();
    text
}
fn mode(bits: u64) -> OpenMode {
    OpenMode::from_bits(bits).unwrap()
}
const R: u64 = OpenMode::READ;
const W: u64 = OpenMode::WRITE;
const C: u64 = OpenMode::CREATE;

fn wide(p: &Path) -> Vec<u16> {
    p.as_os_str().encode_wide().chain([0]).collect()
}

/// `CreateSymbolicLinkW` (unprivileged, as developer mode allows).
fn symlink(at: &Path, target: &str, dir: bool) -> io::Result<()> {
    let flags = SYMBOLIC_LINK_FLAG_ALLOW_UNPRIVILEGED_CREATE
        | if dir { SYMBOLIC_LINK_FLAG_DIRECTORY } else { 0 };
    let (at, target) = (wide(at), wide(Path::new(target)));
    // SAFETY: both are NUL-terminated UTF-16 strings that outlive the call.
    if unsafe { CreateSymbolicLinkW(at.as_ptr(), target.as_ptr(), flags) } {
        Ok(())
    } else {
        Err(io::Error::last_os_error())
    }
}

/// A junction at `at` (a new directory) to the absolute `target`, set with
/// `FSCTL_SET_REPARSE_POINT` as `mklink /J` does.
fn junction(at: &Path, target: &Path) -> io::Result<()> {
    std::fs::create_dir(at)?;
    let dir = OpenOptions::new()
        .write(true)
        .custom_flags(FILE_FLAG_BACKUP_SEMANTICS | FILE_FLAG_OPEN_REPARSE_POINT)
        .open(at)?;
    let buf = mount_point_buffer(
        &format!(r"\??\{}", target.display()),
        &target.display().to_string(),
    );
    let mut done = 0u32;
    // SAFETY: the handle is open for writing; `buf` is readable for its length; no output
    // buffer; `done` is writable; no OVERLAPPED.
    let ok = unsafe {
        DeviceIoControl(
            dir.as_raw_handle(),
            FSCTL_SET_REPARSE_POINT,
            buf.as_ptr().cast(),
            buf.len() as u32,
            ptr::null_mut(),
            0,
            &mut done,
            ptr::null_mut(),
        )
    };
    if ok == 0 {
        return Err(io::Error::last_os_error());
    }
    Ok(())
}

/// A `REPARSE_DATA_BUFFER` as the file system returns it: the header, then (symlink only) the
/// flags after the four name fields, then both names, each NUL-terminated.
fn reparse_buffer(tag: u32, flags: Option<u32>, substitute: &str, print: &str) -> Vec<u8> {
    let utf16 = |s: &str| -> Vec<u8> {
        s.encode_utf16()
            .chain([0])
            .flat_map(u16::to_le_bytes)
            .collect()
    };
    let (sub, prn) = (utf16(substitute), utf16(print));
    let mut data = Vec::new();
    for v in [0, sub.len() - 2, sub.len(), prn.len() - 2] {
        data.extend_from_slice(&(v as u16).to_le_bytes());
    }
    if let Some(f) = flags {
        data.extend_from_slice(&f.to_le_bytes());
    }
    data.extend_from_slice(&sub);
    data.extend_from_slice(&prn);
    let mut buf = tag.to_le_bytes().to_vec();
    buf.extend_from_slice(&(data.len() as u16).to_le_bytes());
    buf.extend_from_slice(&[0, 0]);
    buf.extend_from_slice(&data);
    buf
}
fn mount_point_buffer(substitute: &str, print: &str) -> Vec<u8> {
    reparse_buffer(IO_REPARSE_TAG_MOUNT_POINT, None, substitute, print)
}

#[test]
fn opens_a_directory_and_a_file_beneath() {
    let s = scratch("open");
    std::fs::create_dir(s.0.join("sub")).unwrap();
    std::fs::write(s.0.join("sub").join("f"), b"hello").unwrap();
    let root = Dir::open_root(&s.0).unwrap();
    let sub = opened(open_dir_at(&root, OsStr::new("sub")).unwrap());
    let f = opened(open_file_at(&sub, OsStr::new("f"), mode(R)).unwrap());
    assert_eq!(text(f), "hello");
    // Names are matched without regard to case, as Win32 does.
    assert!(matches!(
        open_dir_at(&root, OsStr::new("SUB")),
        Ok(Entry::Opened(_))
    ));
}

#[test]
fn missing_names_wrong_kinds_and_bad_names() {
    let s = scratch("errors");
    std::fs::create_dir(s.0.join("sub")).unwrap();
    std::fs::write(s.0.join("f"), b"x").unwrap();
    let root = Dir::open_root(&s.0).unwrap();
    assert_eq!(errno(open_dir_at(&root, OsStr::new("nope"))), Errno::ENOENT);
    assert_eq!(
        errno(open_file_at(&root, OsStr::new("nope"), mode(R))),
        Errno::ENOENT
    );
    assert_eq!(errno(unlink_at(&root, OsStr::new("nope"))), Errno::ENOENT);
    assert_eq!(errno(open_dir_at(&root, OsStr::new("f"))), Errno::ENOTDIR);
    assert_eq!(errno(Dir::open_root(&s.0.join("f"))), Errno::ENOTDIR);
    assert_eq!(errno(Dir::open_root(&s.0.join("nope"))), Errno::ENOENT);
    // A directory opens for reading (as openat(O_RDONLY) does) but not for writing.
    let d = opened(open_file_at(&root, OsStr::new("sub"), mode(R)).unwrap());
    assert!(d.metadata().unwrap().is_dir());
    assert_eq!(
        errno(open_file_at(&root, OsStr::new("sub"), mode(W))),
        Errno::EISDIR
    );
    for bad in ["", ".", "..", r"a\b", "a/b", "f:s", "a\0b"] {
        assert_eq!(
            errno(open_dir_at(&root, OsStr::new(bad))),
            Errno::EINVAL,
            "{bad:?}"
        );
        assert_eq!(
            errno(unlink_at(&root, OsStr::new(bad))),
            Errno::EINVAL,
            "{bad:?}"
        );
    }
    let long = "n".repeat(40_000);
    assert_eq!(
        errno(open_dir_at(&root, OsStr::new(&long))),
        Errno::ENAMETOOLONG
    );
}

#[test]
fn dot_is_the_parent_itself_for_reading() {
    let s = scratch("dot");
    let root = Dir::open_root(&s.0).unwrap();
    let me = opened(open_file_at(&root, OsStr::new("."), mode(R)).unwrap());
    assert!(me.metadata().unwrap().is_dir());
    assert_eq!(
        errno(open_file_at(&root, OsStr::new("."), mode(W))),
        Errno::EISDIR
    );
}

#[test]
fn create_exclusive_truncate_append() {
    let s = scratch("create");
    let root = Dir::open_root(&s.0).unwrap();
    let excl = mode(W | C | OpenMode::EXCL);
    opened(open_file_at(&root, OsStr::new("f"), excl).unwrap())
        .write_all(b"abcdef")
        .unwrap();
    assert_eq!(
        errno(open_file_at(&root, OsStr::new("f"), excl)),
        Errno::EEXIST
    );
    std::fs::create_dir(s.0.join("d")).unwrap();
    assert_eq!(
        errno(open_file_at(&root, OsStr::new("d"), excl)),
        Errno::EEXIST
    );

    let append = mode(W | OpenMode::APPEND);
    opened(open_file_at(&root, OsStr::new("f"), append).unwrap())
        .write_all(b"gh")
        .unwrap();
    assert_eq!(std::fs::read(s.0.join("f")).unwrap(), b"abcdefgh");
    let trunc = mode(W | OpenMode::TRUNC);
    opened(open_file_at(&root, OsStr::new("f"), trunc).unwrap())
        .write_all(b"z")
        .unwrap();
    assert_eq!(std::fs::read(s.0.join("f")).unwrap(), b"z");
    let both = mode(W | OpenMode::APPEND | OpenMode::TRUNC);
    assert_eq!(
        errno(open_file_at(&root, OsStr::new("f"), both)),
        Errno::EINVAL
    );
    // Without CREATE a missing name stays missing; with it, it is made.
    assert_eq!(
        errno(open_file_at(&root, OsStr::new("g"), mode(W))),
        Errno::ENOENT
    );
    opened(open_file_at(&root, OsStr::new("g"), mode(W | C)).unwrap());
    assert!(s.0.join("g").is_file());
}

#[test]
fn unlink_removes_files_not_directories() {
    let s = scratch("unlink");
    std::fs::write(s.0.join("f"), b"x").unwrap();
    std::fs::create_dir(s.0.join("d")).unwrap();
    let root = Dir::open_root(&s.0).unwrap();
    unlink_at(&root, OsStr::new("f")).unwrap();
    assert!(!s.0.join("f").exists());
    assert_eq!(errno(unlink_at(&root, OsStr::new("d"))), Errno::EISDIR);
    assert!(s.0.join("d").is_dir());
}

#[test]
fn reparse_buffers_give_the_stored_target() {
    let rel = reparse_buffer(
        IO_REPARSE_TAG_SYMLINK,
        Some(SYMLINK_FLAG_RELATIVE),
        r"..\x",
        r"..\x",
    );
    assert_eq!(reparse_target(&rel).unwrap(), Path::new(r"..\x"));
    let abs = reparse_buffer(IO_REPARSE_TAG_SYMLINK, Some(0), r"\??\C:\x", r"C:\x");
    assert_eq!(reparse_target(&abs).unwrap(), Path::new(r"C:\x"));
    let junction = mount_point_buffer(r"\??\C:\data", "");
    let target = reparse_target(&junction).unwrap();
    assert_eq!(target, Path::new(r"\\?\C:\data"));
    assert!(target.is_absolute());
    assert_eq!(
        reparse_target(&mount_point_buffer(r"\??\C:\d", r"C:\d")).unwrap(),
        Path::new(r"C:\d")
    );
    for cut in [0, 3, 8, 12, rel.len() - 1] {
        assert_eq!(
            errno(reparse_target(&rel[..cut])),
            Errno::EIO,
            "cut at {cut}"
        );
    }
    assert_eq!(
        errno(reparse_target(&reparse_buffer(0x8000_0017, None, "a", "a"))),
        Errno::EIO
    );
}

#[test]
fn dir_is_shareable_and_reopen_keeps_the_object() {
    fn shareable<T: Send + Sync + std::fmt::Debug>() {}
    shareable::<Dir>();
    let s = scratch("reopen");
    std::fs::write(s.0.join("f"), b"data").unwrap();
    let root = Dir::open_root(&s.0).unwrap();
    let f = opened(open_file_at(&root, OsStr::new("f"), mode(R)).unwrap());
    let again = reopen(&f.into(), FILE_GENERIC_READ).unwrap();
    assert_eq!(text(again.into()), "data");
}

#[test]
fn resolution_follows_the_handle_not_the_name() {
    let s = scratch("rename");
    std::fs::create_dir(s.0.join("a")).unwrap();
    std::fs::write(s.0.join("a").join("f"), b"first").unwrap();
    let root = Dir::open_root(&s.0).unwrap();
    let a = opened(open_dir_at(&root, OsStr::new("a")).unwrap());
    // The name moves away and a different directory takes it: `a` still means the first.
    std::fs::rename(s.0.join("a"), s.0.join("moved")).unwrap();
    std::fs::create_dir(s.0.join("a")).unwrap();
    std::fs::write(s.0.join("a").join("f"), b"second").unwrap();
    let f = opened(open_file_at(&a, OsStr::new("f"), mode(R)).unwrap());
    assert_eq!(text(f), "first");
}

/// Whether `made` created a link at `at`; if not, says why and the caller skips. Windows
/// without developer mode refuses unprivileged symlinks (ERROR_PRIVILEGE_NOT_HELD); Debian's
/// Wine 8.0 has no reparse points: its CreateSymbolicLinkW reports success and makes nothing,
/// and FSCTL_SET_REPARSE_POINT fails with ERROR_NOT_SUPPORTED.
fn made(at: &Path, made: io::Result<()>) -> bool {
    match made {
        Err(e) => eprintln!("skipped: this system made no link at {at:?}: {e}"),
        Ok(()) if std::fs::symlink_metadata(at).is_err() => {
            eprintln!("skipped: the link call reported success but nothing is at {at:?}")
        }
        Ok(()) => return true,
    }
    false
}

#[test]
fn symlinks_are_reported_not_followed() {
    let s = scratch("symlink");
    std::fs::write(s.0.join("f"), b"x").unwrap();
    std::fs::create_dir(s.0.join("d")).unwrap();
    if !made(&s.0.join("lf"), symlink(&s.0.join("lf"), "f", false)) {
        return;
    }
    symlink(&s.0.join("ld"), "d", true).unwrap();
    symlink(&s.0.join("dangling"), "nowhere", false).unwrap();
    symlink(&s.0.join("abs"), &s.0.join("d").display().to_string(), true).unwrap();
    let root = Dir::open_root(&s.0).unwrap();
    let name = OsStr::new;
    for m in [
        mode(R),
        mode(W),
        mode(W | C),
        mode(W | OpenMode::TRUNC),
        mode(W | OpenMode::APPEND),
    ] {
        assert_eq!(
            link(open_file_at(&root, name("lf"), m).unwrap()),
            Path::new("f"),
            "{m:?}"
        );
        assert_eq!(
            link(open_file_at(&root, name("ld"), m).unwrap()),
            Path::new("d"),
            "{m:?}"
        );
    }
    assert_eq!(
        link(open_dir_at(&root, name("lf")).unwrap()),
        Path::new("f")
    );
    assert_eq!(
        link(open_dir_at(&root, name("ld")).unwrap()),
        Path::new("d")
    );
    let abs = link(open_dir_at(&root, name("abs")).unwrap());
    assert!(abs.is_absolute(), "{abs:?}");
    // Create through a dangling link reports the link and makes nothing; exclusive create
    // finds the name taken.
    let dangling = open_file_at(&root, name("dangling"), mode(W | C)).unwrap();
    assert_eq!(link(dangling), Path::new("nowhere"));
    assert!(!s.0.join("nowhere").exists());
    let excl = mode(W | C | OpenMode::EXCL);
    assert_eq!(errno(open_file_at(&root, name("lf"), excl)), Errno::EEXIST);
    // Truncation never reached the target.
    assert_eq!(std::fs::read(s.0.join("f")).unwrap(), b"x");
    // Unlink removes the links themselves.
    unlink_at(&root, name("lf")).unwrap();
    unlink_at(&root, name("ld")).unwrap();
    assert!(std::fs::symlink_metadata(s.0.join("lf")).is_err());
    assert!(std::fs::symlink_metadata(s.0.join("ld")).is_err());
    assert!(s.0.join("f").is_file() && s.0.join("d").is_dir());
}

#[test]
fn junctions_are_reported_not_followed() {
    let s = scratch("junction");
    std::fs::create_dir(s.0.join("d")).unwrap();
    // Absolute and not verbatim (`\\?\`, as canonicalize gives): `junction` adds the `\??\`.
    let target = s.0.join("d");
    if !made(&s.0.join("j"), junction(&s.0.join("j"), &target)) {
        return;
    }
    let root = Dir::open_root(&s.0).unwrap();
    let found = link(open_dir_at(&root, OsStr::new("j")).unwrap());
    assert_eq!(found, target);
    unlink_at(&root, OsStr::new("j")).unwrap();
    assert!(std::fs::symlink_metadata(s.0.join("j")).is_err());
    assert!(s.0.join("d").is_dir());
}
