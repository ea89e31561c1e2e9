//! `fs_beneath`: the file sandbox's path resolution (`Sandbox::open` / `unlink`, what
//! `Context::file_open` / `file_unlink` call) on arbitrary guest paths over a fixture tree,
//! against a model computed from the tree's own description. Every input runs twice, through
//! each resolver (`Resolver::Kernel`, which is `openat2` on Linux, and `Resolver::Walk`, the
//! portable walk), the fixture put back in between.
//!
//! The fixture, built once per process under the temp directory, is `BASE/root` (the allowed
//! root: directories, files whose contents are unique, and symlinks of every kind: relative to
//! files and directories, with a trailing slash, chains, `..` that stays inside, `..` that
//! leaves, absolute ones pointing inside and outside, dangling ones, loops, a 20-hop one, one
//! through a file), `BASE/outside` (a secret file) and `BASE/root-evil` (a sibling whose name
//! starts with the root's). The model is an in-memory copy of that description, resolved like
//! Linux `openat2(RESOLVE_BENEATH | RESOLVE_NO_MAGICLINKS)` (see `Model::resolve`); the
//! code under test is never consulted for an expected answer.
//!
//! Input: up to 8 lines, one operation each: byte 0 the operation (`r` read, `w` write | create
//! | trunc, `x` write | create | excl, `u` unlink; any other byte is taken modulo 4), byte 1
//! what the rest is appended to (`R` the root, `B` the base, `A` nothing: the rest is the whole
//! path, `N` the root padded with `/.` so that the whole path is 4090 + (byte 2 mod 12) bytes
//! long; any other byte modulo 4), then the path bytes (NUL, invalid UTF-8 and all).
//!
//! Properties, for every operation: the decision (`Ok` or the errno) is the model's; a read
//! reaches the model's file (its contents) or directory (its inode); a write lands in the
//! model's file and a create at the model's path (checked by the whole-tree comparison); an
//! unlink removes the model's name. After the input, the whole of `BASE` (outside the root
//! included) must equal the model; then the fixture is put back as described. Unix only (the
//! fixture needs symlinks); elsewhere the body does nothing and the conformance replay skips it.

/// The longest symlink chain a resolution follows (Linux `MAXSYMLINKS`); one more is refused.
pub const MAX_HOPS: usize = 40;
/// The longest name of one path component (Linux `NAME_MAX`).
pub const NAME_MAX: usize = 255;
/// At most this many operations of an input are run.
pub const MAX_OPS: usize = 8;

/// The `fs_beneath` target on raw bytes (see the module docs).
pub fn fs_beneath(data: &[u8]) {
    #[cfg(unix)]
    imp::check(data);
    #[cfg(not(unix))]
    let _ = data;
}

#[cfg(unix)]
mod imp {
    use super::{MAX_HOPS, MAX_OPS, NAME_MAX};
    use neurlang::perm::MAX_PATH;
    use neurlang::runtime::{Errno, IOPermissions, OpenMode, Resolver, Sandbox};
    use std::collections::{BTreeMap, VecDeque};
    use std::io::{Read, Write};
    use std::os::unix::fs::MetadataExt;
    use std::path::{Path, PathBuf};
    use std::sync::Mutex;

    /// One operation of an input.
    #[derive(Clone, Copy, Debug, PartialEq, Eq)]
    pub enum Op {
        /// `OPEN_READ`.
        Read,
        /// `OPEN_WRITE | OPEN_CREATE | OPEN_TRUNC`, then a write of new contents.
        Write,
        /// `OPEN_WRITE | OPEN_CREATE | OPEN_EXCL`, then a write of new contents.
        Excl,
        /// `file_unlink`.
        Unlink,
    }

    /// An entry of the fixture description, relative to `BASE`.
    #[derive(Clone, Debug, PartialEq, Eq)]
    enum Entry {
        Dir,
        File(Vec<u8>),
        Link(String),
    }

    /// The fixture: `(path relative to BASE, entry)`, parents first. Symlink targets may start
    /// with `{root}` or `{base}`, replaced by the absolute paths when the tree is built.
    pub fn fixture_entries() -> Vec<(String, String)> {
        let hop20 = format!("{}f", "here/".repeat(19));
        let long = "n".repeat(NAME_MAX);
        let mut v: Vec<(String, String)> = [
            ("root", "/"),
            ("root/f", ""),
            ("root/g", ""),
            ("root/d", "/"),
            ("root/d/f", ""),
            ("root/d/\u{e9}t\u{e9}", ""),
            ("root/d/e", "/"),
            ("root/d/e/f", ""),
            ("root/d/e/top", "@../.."),
            ("root/d/e/topf", "@../../f"),
            ("root/d/e/updf", "@../f"),
            ("root/d/e/esc", "@../../.."),
            ("root/d/e/escf", "@../../../outside/secret"),
            ("root/d/sib", "@../g"),
            ("root/d/dot", "@."),
            ("root/empty", "/"),
            ("root/here", "@."),
            ("root/lf", "@f"),
            ("root/ld", "@d"),
            ("root/lds", "@d/"),
            ("root/lfs", "@f/"),
            ("root/c1", "@c2"),
            ("root/c2", "@c3"),
            ("root/c3", "@d/e/f"),
            ("root/cd", "@ld/e"),
            ("root/back", "@d/e/../../g"),
            ("root/deep", "@d/e/top/d/e/top/d/e/f"),
            ("root/abs", "@{root}/f"),
            ("root/absd", "@{root}/d"),
            ("root/abso", "@{base}/outside/secret"),
            ("root/out", "@../outside/secret"),
            ("root/outd", "@../outside"),
            ("root/evil", "@../root-evil/f"),
            ("root/dang", "@missing"),
            ("root/dangd", "@nodir/x"),
            ("root/dango", "@../outside/new"),
            ("root/dangs", "@missing/"),
            ("root/self", "@self"),
            ("root/loopa", "@loopb"),
            ("root/loopb", "@loopa"),
            ("root/up", "@.."),
            ("root/fdir", "@f/x"),
            ("outside", "/"),
            ("outside/secret", ""),
            ("outside/sub", "/"),
            ("outside/sub/f", ""),
            ("root-evil", "/"),
            ("root-evil/f", ""),
        ]
        .iter()
        .map(|(p, k)| (p.to_string(), k.to_string()))
        .collect();
        v.push(("root/hop20".into(), format!("@{hop20}")));
        v.push((format!("root/{long}"), String::new()));
        v
    }

    /// Decodes [`fixture_entries`]: `/` a directory, `@TARGET` a symlink, anything else a file
    /// whose contents name it.
    fn description(base: &Path) -> Vec<(String, Entry)> {
        let root = base.join("root");
        fixture_entries()
            .into_iter()
            .map(|(path, kind)| {
                let entry = if kind == "/" {
                    Entry::Dir
                } else if let Some(t) = kind.strip_prefix('@') {
                    Entry::Link(
                        t.replace("{root}", &root.to_string_lossy())
                            .replace("{base}", &base.to_string_lossy()),
                    )
                } else {
                    Entry::File(format!("contents of {path}\n").into_bytes())
                };
                (path, entry)
            })
            .collect()
    }

    /// The model: every entry of `BASE` by its path relative to `BASE`.
    #[derive(Clone, Debug, PartialEq, Eq)]
    pub struct Model {
        entries: BTreeMap<String, Entry>,
        root: Vec<String>,
    }

    /// What the model says an operation gives.
    #[derive(Clone, Debug, PartialEq, Eq)]
    pub enum Want {
        /// Opens the file at this path (relative to `BASE`), or creates it there.
        File(String),
        /// Opens the directory at this path.
        Dir(String),
        /// Removes this name.
        Removed(String),
        /// Fails with one of these (one, except where the platforms differ).
        Err(Vec<Errno>),
    }

    /// Where a resolution ends: the path of the last entry (a directory reached through `.` or
    /// `..` included), what is there (`None`: nothing, to be created), and whether the last
    /// step came from a symlink target ending in `/`.
    struct End {
        path: String,
        entry: Option<Entry>,
        slash: bool,
    }

    fn join(dir: &[String], name: &str) -> String {
        let mut p = dir.join("/");
        p.push('/');
        p.push_str(name);
        p
    }

    impl Model {
        fn new(base: &Path) -> Model {
            let base_comps = components(&base.to_string_lossy());
            let mut root = base_comps;
            root.push("root".into());
            Model {
                entries: description(base).into_iter().collect(),
                root,
            }
        }

        /// The guest path check: absolute, UTF-8, no NUL, at most `MAX_PATH` bytes, no `..`
        /// component, no trailing separator, component-wise under the root (`.` and empty
        /// components ignored). Returns the components below the root.
        fn check(&self, guest: &[u8]) -> Result<Vec<String>, Errno> {
            if guest.len() > MAX_PATH {
                return Err(Errno::ENAMETOOLONG);
            }
            let text = std::str::from_utf8(guest).map_err(|_| Errno::EACCES)?;
            if !text.starts_with('/') || text.ends_with('/') || text.contains('\0') {
                return Err(Errno::EACCES);
            }
            let comps = components(text);
            if comps.iter().any(|c| c == "..") || !comps.starts_with(&self.root) {
                return Err(Errno::EACCES);
            }
            Ok(comps[self.root.len()..].to_vec())
        }

        /// Resolves `rel` beneath the root, like Linux `openat2(RESOLVE_BENEATH |
        /// RESOLVE_NO_MAGICLINKS)`: a symlink is followed (the last one only if
        /// `follow_last`), its target resolved from the symlink's directory; an absolute
        /// target, a `..` above the root or more than [`MAX_HOPS`] symlinks is `EACCES`; a
        /// missing name before the last is `ENOENT`, a file before the last `ENOTDIR`, a name
        /// longer than [`NAME_MAX`] `ENAMETOOLONG`.
        fn resolve(&self, rel: Vec<String>, follow_last: bool) -> Result<End, Errno> {
            let mut at: Vec<String> = vec!["root".into()];
            let mut queue: VecDeque<String> = rel.into();
            let (mut hops, mut slash) = (0, false);
            while let Some(c) = queue.pop_front() {
                let last = queue.is_empty();
                match c.as_str() {
                    "." => {}
                    ".." => {
                        if at.len() == 1 {
                            return Err(Errno::EACCES);
                        }
                        at.pop();
                    }
                    name => {
                        if name.len() > NAME_MAX {
                            return Err(Errno::ENAMETOOLONG);
                        }
                        let path = join(&at, name);
                        let entry = self.entries.get(&path).cloned();
                        match entry {
                            Some(Entry::Dir) => at.push(name.into()),
                            Some(Entry::Link(t)) if !last || follow_last => {
                                hops += 1;
                                if hops > MAX_HOPS || t.starts_with('/') {
                                    return Err(Errno::EACCES);
                                }
                                slash |= last && t.ends_with('/');
                                for comp in t.split('/').filter(|s| !s.is_empty()).rev() {
                                    queue.push_front(comp.into());
                                }
                            }
                            entry if last => return Ok(End { path, entry, slash }),
                            None => return Err(Errno::ENOENT),
                            Some(_) => return Err(Errno::ENOTDIR),
                        }
                    }
                }
            }
            Ok(End {
                path: at.join("/"),
                entry: Some(Entry::Dir),
                slash,
            })
        }

        /// What `op` on `guest` gives, and the model changed accordingly (a write stores
        /// `contents`).
        pub fn apply(&mut self, op: Op, guest: &[u8], contents: &[u8]) -> Want {
            let want = self.want(op, guest);
            match &want {
                Want::File(p) if op != Op::Read => {
                    self.entries
                        .insert(p.clone(), Entry::File(contents.to_vec()));
                }
                Want::Removed(p) => {
                    self.entries.remove(p);
                }
                _ => {}
            }
            want
        }

        fn want(&self, op: Op, guest: &[u8]) -> Want {
            let err = |e: &[Errno]| Want::Err(e.to_vec());
            let rel = match self.check(guest) {
                Ok(rel) => rel,
                Err(e) => return err(&[e]),
            };
            let is_root = rel.is_empty();
            let end = match self.resolve(rel, matches!(op, Op::Read | Op::Write)) {
                Ok(end) => end,
                Err(e) => return err(&[e]),
            };
            match (op, end.entry) {
                (Op::Read, Some(Entry::File(_))) if end.slash => err(&[Errno::ENOTDIR]),
                (Op::Read, Some(Entry::File(_))) => Want::File(end.path),
                (Op::Read, Some(Entry::Dir)) => Want::Dir(end.path),
                (Op::Read, _) => err(&[Errno::ENOENT]),
                // O_CREAT with a trailing slash on the last name, or on a directory.
                (Op::Write, _) if end.slash => err(&[Errno::EISDIR]),
                (Op::Write, Some(Entry::Dir)) => err(&[Errno::EISDIR]),
                (Op::Write, Some(Entry::File(_)) | None) => Want::File(end.path),
                (Op::Write, Some(Entry::Link(_))) => unreachable!("the last symlink is followed"),
                (Op::Excl, None) => Want::File(end.path),
                (Op::Excl, Some(_)) => err(&[Errno::EEXIST]),
                // The root itself is no name in it; Linux says EISDIR for `unlink(".")`.
                (Op::Unlink, _) if is_root => err(&[Errno::EACCES, Errno::EISDIR, Errno::EPERM]),
                (Op::Unlink, Some(Entry::Dir)) => err(&[Errno::EISDIR, Errno::EPERM]),
                (Op::Unlink, Some(_)) => Want::Removed(end.path),
                (Op::Unlink, None) => err(&[Errno::ENOENT]),
            }
        }
    }

    /// The non-empty components of `text` other than `.`.
    fn components(text: &str) -> Vec<String> {
        text.split('/')
            .filter(|c| !c.is_empty() && *c != ".")
            .map(String::from)
            .collect()
    }

    /// Decodes an input into at most [`MAX_OPS`] `(operation, guest path)` pairs.
    pub fn parse(data: &[u8], base: &Path) -> Vec<(Op, Vec<u8>)> {
        let base = base.as_os_str().as_encoded_bytes();
        let root: Vec<u8> = [base, b"/root"].concat();
        data.split(|&b| b == b'\n')
            .filter(|line| !line.is_empty())
            .take(MAX_OPS)
            .map(|line| {
                let op = match line[0] {
                    b'r' => Op::Read,
                    b'w' => Op::Write,
                    b'x' => Op::Excl,
                    b'u' => Op::Unlink,
                    b => [Op::Read, Op::Write, Op::Excl, Op::Unlink][usize::from(b % 4)],
                };
                let prefix = line.get(1).copied().unwrap_or(b'R');
                let rest = line.get(2..).unwrap_or_default();
                let path = match prefix {
                    b'R' => [&root, rest].concat(),
                    b'B' => [base, rest].concat(),
                    b'A' => rest.to_vec(),
                    b'N' => padded(&root, rest),
                    b => match b % 4 {
                        0 => [&root, rest].concat(),
                        1 => [base, rest].concat(),
                        2 => rest.to_vec(),
                        _ => padded(&root, rest),
                    },
                };
                (op, path)
            })
            .collect()
    }

    /// `root`, `/.` repeated (and one `/` more if needed), then `rest[1..]`: 4090 + (`rest[0]`
    /// mod 12) bytes in all, when `root` and `rest` are short enough.
    fn padded(root: &[u8], rest: &[u8]) -> Vec<u8> {
        let (n, rest) = match rest.split_first() {
            Some((n, rest)) => (usize::from(n % 12), rest),
            None => (0, rest),
        };
        let want = MAX_PATH - 6 + n;
        let pad = want.saturating_sub(root.len() + rest.len());
        let mut p = root.to_vec();
        if pad % 2 == 1 {
            p.push(b'/');
        }
        p.extend(b"/.".repeat(pad / 2));
        p.extend_from_slice(rest);
        p
    }

    /// The fixture on disk and the model of what it holds now.
    struct Fixture {
        base: PathBuf,
        initial: Model,
        /// The inode of every directory, to tell which one an open reached.
        inodes: BTreeMap<String, (u64, u64)>,
        /// Set while an input runs: still set at the next input means the last one failed
        /// half-way, and the tree is rebuilt.
        dirty: bool,
    }

    static FIXTURE: Mutex<Option<Fixture>> = Mutex::new(None);

    impl Fixture {
        fn build() -> Fixture {
            let tmp = std::env::temp_dir()
                .canonicalize()
                .expect("the temp directory");
            let base = tmp.join(format!("neurlang-fuzz-fs-beneath-{}", std::process::id()));
            remove_stale(&tmp);
            let _ = std::fs::remove_dir_all(&base);
            std::fs::create_dir_all(&base).expect("the fixture base");
            let initial = Model::new(&base);
            let mut inodes = BTreeMap::new();
            for (path, entry) in &initial.entries {
                create(&base, path, entry);
                if *entry == Entry::Dir {
                    let m = std::fs::metadata(base.join(path)).expect("a fixture directory");
                    inodes.insert(path.clone(), (m.dev(), m.ino()));
                }
            }
            Fixture {
                base,
                initial,
                inodes,
                dirty: false,
            }
        }

        /// Puts back every entry the model says differs from the description.
        fn restore(&self, now: &Model) {
            for path in now.entries.keys() {
                if !self.initial.entries.contains_key(path) {
                    std::fs::remove_file(self.base.join(path)).expect("removing a created file");
                }
            }
            for (path, entry) in &self.initial.entries {
                if now.entries.get(path) != Some(entry) {
                    let _ = std::fs::remove_file(self.base.join(path));
                    create(&self.base, path, entry);
                }
            }
        }

        /// Everything under `BASE` as it is on disk, symlinks not followed.
        fn snapshot(&self) -> BTreeMap<String, Entry> {
            let mut out = BTreeMap::new();
            let mut dirs = vec![String::new()];
            while let Some(dir) = dirs.pop() {
                let entries = std::fs::read_dir(self.base.join(&dir)).expect("reading the fixture");
                for e in entries {
                    let e = e.expect("a fixture entry");
                    let name = e.file_name().to_string_lossy().into_owned();
                    let path = if dir.is_empty() {
                        name
                    } else {
                        format!("{dir}/{name}")
                    };
                    let full = self.base.join(&path);
                    let kind = std::fs::symlink_metadata(&full).expect("lstat").file_type();
                    let entry = if kind.is_dir() {
                        dirs.push(path.clone());
                        Entry::Dir
                    } else if kind.is_symlink() {
                        let t = std::fs::read_link(&full).expect("readlink");
                        Entry::Link(t.to_string_lossy().into_owned())
                    } else {
                        Entry::File(std::fs::read(&full).expect("reading a fixture file"))
                    };
                    out.insert(path, entry);
                }
            }
            out
        }
    }

    fn create(base: &Path, path: &str, entry: &Entry) {
        let full = base.join(path);
        match entry {
            Entry::Dir => std::fs::create_dir(&full).expect("creating a fixture directory"),
            Entry::File(c) => std::fs::write(&full, c).expect("writing a fixture file"),
            Entry::Link(t) => {
                std::os::unix::fs::symlink(t, &full).expect("creating a fixture symlink");
            }
        }
    }

    /// Removes the fixtures of processes that are gone (Linux: no `/proc/PID`).
    fn remove_stale(tmp: &Path) {
        if !Path::new("/proc/self").exists() {
            return;
        }
        let Ok(entries) = std::fs::read_dir(tmp) else {
            return;
        };
        for e in entries.flatten() {
            let name = e.file_name().to_string_lossy().into_owned();
            if let Some(pid) = name.strip_prefix("neurlang-fuzz-fs-beneath-")
                && !Path::new("/proc").join(pid).exists()
            {
                let _ = std::fs::remove_dir_all(e.path());
            }
        }
    }

    /// Runs one input (see the module docs); panics on any disagreement with the model.
    pub(super) fn check(data: &[u8]) {
        let mut guard = FIXTURE
            .lock()
            .unwrap_or_else(|poisoned| poisoned.into_inner());
        if guard.as_ref().is_none_or(|f| f.dirty) {
            *guard = Some(Fixture::build());
        }
        let fx = guard.as_mut().expect("built above");
        let ops = parse(data, &fx.base);
        if ops.is_empty() {
            return;
        }
        fx.dirty = true;
        let perms = IOPermissions::files_under(fx.base.join("root"));
        for resolver in [Resolver::Kernel, Resolver::Walk] {
            let sandbox = Sandbox::with_resolver(perms.clone(), resolver);
            pass(fx, &ops, &sandbox);
        }
        fx.dirty = false;
    }

    /// One run of the operations through `sandbox` against a fresh model; puts the fixture back.
    fn pass(fx: &mut Fixture, ops: &[(Op, Vec<u8>)], sandbox: &Sandbox) {
        let resolver = sandbox.resolver();
        let mut model = fx.initial.clone();
        for (i, (op, guest)) in ops.iter().enumerate() {
            let (op, guest) = (*op, guest.as_slice());
            let contents = format!("operation {i} of the input wrote this\n").into_bytes();
            let want = model.apply(op, guest, &contents);
            let shown = String::from_utf8_lossy(guest);
            let got = run(sandbox, op, guest, &contents);
            let ok = match (&want, &got) {
                (Want::Err(allowed), Got::Err(e)) => allowed.contains(e),
                (Want::File(p), Got::Read(c)) => {
                    model.entries.get(p) == Some(&Entry::File(c.clone()))
                }
                (Want::Dir(p), Got::Dir(ino)) => fx.inodes.get(p) == Some(ino),
                (Want::File(_), Got::Wrote) | (Want::Removed(_), Got::Removed) => true,
                _ => false,
            };
            assert!(
                ok,
                "{op:?} {shown:?} through {resolver:?}: the model says {want:?}, the sandbox \
                 gave {got:?}"
            );
        }
        let disk = fx.snapshot();
        if disk != model.entries {
            let diff: Vec<String> = model
                .entries
                .keys()
                .chain(disk.keys())
                .filter(|k| model.entries.get(*k) != disk.get(*k))
                .map(|k| {
                    format!(
                        "{k}: model {:?}, disk {:?}",
                        model.entries.get(k),
                        disk.get(k)
                    )
                })
                .collect();
            panic!(
                "the tree differs from the model after the input through {resolver:?}: {}",
                diff.join("; ")
            );
        }
        fx.restore(&model);
    }

    /// What the sandbox did.
    #[derive(Debug)]
    enum Got {
        Err(Errno),
        /// Opened a file for reading: its contents.
        Read(Vec<u8>),
        /// Opened a directory: its device and inode.
        Dir((u64, u64)),
        /// Opened (or created) a file for writing and wrote the contents.
        Wrote,
        Removed,
    }

    fn run(sandbox: &Sandbox, op: Op, guest: &[u8], contents: &[u8]) -> Got {
        let flags = match op {
            Op::Read => OpenMode::READ,
            Op::Write => OpenMode::WRITE | OpenMode::CREATE | OpenMode::TRUNC,
            Op::Excl => OpenMode::WRITE | OpenMode::CREATE | OpenMode::EXCL,
            Op::Unlink => {
                return match sandbox.unlink(guest) {
                    Ok(()) => Got::Removed,
                    Err(e) => Got::Err(e),
                };
            }
        };
        let mode = OpenMode::from_bits(flags).expect("valid flags");
        let mut file = match sandbox.open(guest, mode) {
            Ok(f) => f,
            Err(e) => return Got::Err(e),
        };
        let meta = file.metadata().expect("fstat of an opened file");
        if op != Op::Read {
            file.write_all(contents).expect("writing an opened file");
            return Got::Wrote;
        }
        if meta.is_dir() {
            return Got::Dir((meta.dev(), meta.ino()));
        }
        let mut c = Vec::new();
        file.read_to_end(&mut c).expect("reading an opened file");
        Got::Read(c)
    }
}
