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
    assert_eq!(
        Sandbox::new(p.clone()).open(b"/tmp/x", read).err(),
        Some(Errno::EPERM)
    );
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

/// A scratch tree: `root/` (the allowed root) beside `outside/` holding `secret`.
struct Tree(PathBuf);

impl Tree {
    fn new(tag: &str) -> Tree {
        let base = std::env::temp_dir().join(format!("nl-perm-{tag}-{}", std::process::id()));
        let _ = std::fs::remove_dir_all(&base);
        std::fs::create_dir_all(base.join("root/a/b")).unwrap();
        std::fs::create_dir_all(base.join("outside/dir")).unwrap();
        std::fs::write(base.join("outside/secret"), b"secret").unwrap();
        std::fs::write(base.join("root/a/b/f"), b"inside").unwrap();
        Tree(base.canonicalize().unwrap())
    }
    fn root(&self) -> PathBuf {
        self.0.join("root")
    }
    #[cfg(unix)]
    fn path(&self, rel: &str) -> Vec<u8> {
        let p = if rel.is_empty() {
            self.root()
        } else {
            self.root().join(rel)
        };
        p.to_str().unwrap().as_bytes().to_vec()
    }
    #[cfg(unix)]
    fn sandboxes(&self) -> [Sandbox; 2] {
        let perms = IOPermissions::files_under(self.root());
        [
            Sandbox::with_resolver(perms.clone(), Resolver::Kernel),
            Sandbox::with_resolver(perms, Resolver::Walk),
        ]
    }
}

impl Drop for Tree {
    fn drop(&mut self) {
        let _ = std::fs::remove_dir_all(&self.0);
    }
}

const READ: OpenMode = OpenMode {
    read: true,
    write: false,
    create: false,
    truncate: false,
    append: false,
    exclusive: false,
};
#[cfg(unix)]
const CREATE_EXCL: OpenMode = OpenMode {
    read: false,
    write: true,
    create: true,
    truncate: false,
    append: false,
    exclusive: true,
};

fn read_all(sandbox: &Sandbox, path: &[u8]) -> Result<Vec<u8>, Errno> {
    use std::io::Read;
    let mut f = sandbox.open(path, READ)?;
    let mut out = Vec::new();
    f.read_to_end(&mut out)
        .map_err(|e| Errno::from_io_error(&e))?;
    Ok(out)
}

/// Every resolution rule, through both resolvers: the same answer from each (on systems without
/// a kernel resolver both are the walk).
#[cfg(unix)]
#[test]
fn both_resolvers_follow_the_same_rules() {
    use std::os::unix::fs::symlink;
    let t = Tree::new("rules");
    let r = t.root();
    let outside = t.0.join("outside");
    symlink("a/b", r.join("rel_in")).unwrap();
    symlink(r.join("a/b"), r.join("abs_in")).unwrap();
    symlink("../outside", r.join("up_out")).unwrap();
    symlink("../outside/missing", r.join("up_out_missing")).unwrap();
    symlink(outside.join("secret"), r.join("abs_out")).unwrap();
    symlink(outside.join("missing"), r.join("abs_out_missing")).unwrap();
    symlink("loop", r.join("loop")).unwrap();
    symlink("a/b/../../a/b/f", r.join("dots_in")).unwrap();
    symlink("nothing", r.join("dangling")).unwrap();
    symlink("../../..", r.join("a/b/up3")).unwrap();
    symlink("rel_in", r.join("chain")).unwrap();
    let cases: &[(&str, Result<&[u8], Errno>)] = &[
        ("a/b/f", Ok(b"inside")),
        ("rel_in/f", Ok(b"inside")),
        ("chain/f", Ok(b"inside")),
        ("dots_in", Ok(b"inside")),
        ("abs_in/f", Err(Errno::EACCES)),
        ("up_out/secret", Err(Errno::EACCES)),
        ("up_out_missing", Err(Errno::EACCES)),
        ("up_out/missing/deeper", Err(Errno::EACCES)),
        ("abs_out", Err(Errno::EACCES)),
        ("abs_out_missing", Err(Errno::EACCES)),
        ("loop", Err(Errno::EACCES)),
        ("a/b/up3/outside/secret", Err(Errno::EACCES)),
        ("dangling", Err(Errno::ENOENT)),
        ("missing/f", Err(Errno::ENOENT)),
        ("a/b/f/g", Err(Errno::ENOTDIR)),
    ];
    for sandbox in t.sandboxes() {
        for (rel, want) in cases {
            let got = read_all(&sandbox, &t.path(rel));
            assert_eq!(
                got,
                want.map(<[u8]>::to_vec),
                "{rel} through {:?}",
                sandbox.resolver()
            );
        }
    }
}

/// Creating through a dangling link inside creates its target; `EXCL` never goes through a
/// link; unlink removes the link itself.
#[cfg(unix)]
#[test]
fn create_and_unlink_through_links() {
    use std::os::unix::fs::symlink;
    for (i, resolver) in [Resolver::Kernel, Resolver::Walk].into_iter().enumerate() {
        let t = Tree::new(&format!("create{i}"));
        let r = t.root();
        symlink("a/new", r.join("to_new")).unwrap();
        symlink("../outside/created", r.join("to_out")).unwrap();
        let sandbox = Sandbox::with_resolver(IOPermissions::files_under(&r), resolver);
        let create = OpenMode {
            exclusive: false,
            ..CREATE_EXCL
        };
        assert!(
            sandbox.open(&t.path("to_new"), create).is_ok(),
            "{resolver:?}"
        );
        assert!(r.join("a/new").exists());
        assert_eq!(
            sandbox.open(&t.path("to_out"), create).err(),
            Some(Errno::EACCES)
        );
        assert!(!t.0.join("outside/created").exists());
        assert_eq!(
            sandbox.open(&t.path("to_new"), CREATE_EXCL).err(),
            Some(Errno::EEXIST)
        );
        assert_eq!(
            sandbox.open(&t.path("to_out"), CREATE_EXCL).err(),
            Some(Errno::EEXIST)
        );
        sandbox.unlink(&t.path("to_out")).unwrap();
        assert!(std::fs::symlink_metadata(r.join("to_out")).is_err());
        assert_eq!(sandbox.unlink(&t.path("")), Err(Errno::EACCES));
        assert_eq!(sandbox.resolver(), expected(resolver));
    }
}

/// The resolver a sandbox asked for ends up using: the walk where the system has no other.
#[cfg(unix)]
fn expected(asked: Resolver) -> Resolver {
    if crate::sys::KERNEL_BENEATH && kernel_has_openat2() {
        asked
    } else {
        Resolver::Walk
    }
}

#[cfg(unix)]
fn kernel_has_openat2() -> bool {
    let t = Tree::new("probe");
    let s = Sandbox::new(IOPermissions::files_under(t.root()));
    let _ = s.open(&t.path("a/b/f"), READ);
    s.resolver() == Resolver::Kernel
}

/// A file listed in `file_paths` opens by its own path and nothing beneath it; a root made after
/// the sandbox is opened at its first use.
#[test]
fn file_roots_and_late_roots() {
    let t = Tree::new("roots");
    let file = t.root().join("a/b/f");
    let late = t.0.join("late");
    let perms = IOPermissions {
        file_read: true,
        file_write: true,
        file_paths: vec![file.clone(), late.clone()],
        ..IOPermissions::default()
    };
    for resolver in [Resolver::Kernel, Resolver::Walk] {
        let sandbox = Sandbox::with_resolver(perms.clone(), resolver);
        let f = file.to_str().unwrap().as_bytes();
        assert_eq!(read_all(&sandbox, f).unwrap(), b"inside");
        let beneath = file.join("x");
        assert_eq!(
            sandbox
                .open(beneath.to_str().unwrap().as_bytes(), READ)
                .err(),
            Some(Errno::ENOTDIR)
        );
        assert_eq!(sandbox.unlink(f), Err(Errno::EACCES));
        let in_late = late.join("g");
        let in_late = in_late.to_str().unwrap().as_bytes();
        assert_eq!(sandbox.open(in_late, READ).err(), Some(Errno::ENOENT));
        std::fs::create_dir_all(&late).unwrap();
        std::fs::write(late.join("g"), b"late").unwrap();
        assert_eq!(read_all(&sandbox, in_late).unwrap(), b"late");
        std::fs::remove_dir_all(&late).unwrap();
    }
}

/// Where the kernel has a beneath-resolver, a sandbox asked for it starts with it (it falls
/// back to the walk only when the kernel says it has none), and one asked for the walk keeps it.
#[test]
fn a_sandbox_starts_with_the_resolver_it_was_given() {
    let perms = IOPermissions::default();
    let kernel = Sandbox::with_resolver(perms.clone(), Resolver::Kernel).resolver();
    let expected = if crate::sys::KERNEL_BENEATH {
        Resolver::Kernel
    } else {
        Resolver::Walk
    };
    assert_eq!(kernel, expected);
    assert_eq!(
        Sandbox::with_resolver(perms, Resolver::Walk).resolver(),
        Resolver::Walk
    );
}

/// A mode built field by field (the fields are public) counts as writing when any one of its
/// write, create, truncate or append flags is set alone: a permission check must not miss it.
#[test]
fn each_modifying_flag_alone_makes_a_writing_mode() {
    let base = OpenMode::default();
    assert!(!base.writes());
    assert!(
        !OpenMode {
            read: true,
            exclusive: true,
            ..base
        }
        .writes()
    );
    for one in [
        OpenMode {
            write: true,
            ..base
        },
        OpenMode {
            create: true,
            ..base
        },
        OpenMode {
            truncate: true,
            ..base
        },
        OpenMode {
            append: true,
            ..base
        },
    ] {
        assert!(one.writes(), "{one:?}");
    }
}
