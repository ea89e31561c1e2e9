use super::*;

fn perms(root: &str) -> IOPermissions {
    IOPermissions::files_under(root)
}

#[test]
fn default_denies_everything_but_print() {
    let p = IOPermissions::default();
    let read = OpenMode {
        read: true,
        ..OpenMode::default()
    };
    assert_eq!(p.open(b"/tmp/x", read).err(), Some(Errno::EPERM));
    assert_eq!(
        p.check_host(b"localhost", NetOp::Connect),
        Err(Errno::EPERM)
    );
    assert!(p.io_print && !p.io_read);
}

#[test]
fn lexical_escapes_are_refused() {
    let root = if cfg!(windows) { "C:\\data" } else { "/data" };
    let p = perms(root);
    let sep = if cfg!(windows) { "\\" } else { "/" };
    for bad in [
        format!("{root}{sep}..{sep}etc{sep}passwd"),
        format!("{root}-evil{sep}x"),
        format!("{root}{sep}x{sep}"),
        format!("{root}{sep}x\0y"),
        "relative/x".to_string(),
        String::new(),
    ] {
        assert_eq!(
            p.check_path(bad.as_bytes()).map(|_| ()),
            Err(Errno::EACCES),
            "{bad:?}"
        );
    }
    let long = format!("{root}{sep}{}", "a".repeat(MAX_PATH));
    assert_eq!(
        p.check_path(long.as_bytes()).map(|_| ()),
        Err(Errno::ENAMETOOLONG)
    );
    let ok = format!("{root}{sep}.{sep}x");
    assert_eq!(p.check_path(ok.as_bytes()).unwrap().1, PathBuf::from("x"));
}

#[test]
fn hosts_match_exactly_up_to_ascii_case() {
    let p = IOPermissions {
        net_connect: true,
        net_hosts: vec!["localhost".into()],
        ..IOPermissions::default()
    };
    assert!(p.check_host(b"LocalHost", NetOp::Connect).is_ok());
    assert_eq!(
        p.check_host(b"127.0.0.1", NetOp::Connect),
        Err(Errno::EACCES)
    );
    assert_eq!(p.check_host(b"localhost", NetOp::Listen), Err(Errno::EPERM));
}

#[test]
fn flags_are_validated() {
    assert_eq!(OpenMode::from_bits(0), Err(Errno::EINVAL));
    assert_eq!(OpenMode::from_bits(64 | 1), Err(Errno::EINVAL));
    assert_eq!(
        OpenMode::from_bits(OpenMode::READ | OpenMode::CREATE),
        Err(Errno::EINVAL)
    );
    assert!(OpenMode::from_bits(OpenMode::WRITE | OpenMode::CREATE | OpenMode::EXCL).is_ok());
}
