//! The portable resolver: a path beneath an open root, one component at a time.
//!
//! Every directory on the way is opened from the previous one's handle with no-follow
//! semantics (`sys::open_dir_at`), so a name is looked up exactly once and what was checked is
//! what gets used: a second thread swapping a directory for a symbolic link changes nothing
//! the walk already holds, and a link it meets is read, not followed, and resolved here. The
//! rules are those of `openat2(RESOLVE_BENEATH | RESOLVE_NO_MAGICLINKS)`, the fast path on
//! Linux, so both give one behaviour:
//!
//! - a link with a relative target is followed from the directory that holds it;
//! - an absolute target is refused, even one pointing inside the root (the kernel refuses it);
//! - `..` goes back to the directory held before, and is refused at the root itself;
//! - more than [`MAX_LINKS`] links in one resolution are refused (a loop);
//!
//! and each refusal is `EACCES` whether the target exists or not, so the answer tells nothing
//! about what lies outside. The last component is opened without following (`sys::open_file_at`
//! reports a link instead), created with `O_EXCL` semantics on the parent's handle, or removed
//! from the parent's handle (`sys::unlink_at`: the name itself, never a link's target).
//!
//! Checked by the conformance cases `abi.escape.*` (each escape shape) and `abi.race.*` (a
//! thread swapping directories and links while others open, create, truncate and unlink), run
//! through both resolvers; by the `fs_beneath` fuzz target against a model (its seeds replayed
//! by `cargo test` as `fuzz.seed.fs_beneath.*`); and rule by rule by `perm::tests`.

use crate::errno::Errno;
use crate::perm::OpenMode;
use crate::sys::{self, Dir, Entry};
use std::ffi::{OsStr, OsString};
use std::fs::File;
use std::io;
use std::path::{Component, Path};

/// The most symbolic links one resolution follows (Linux's own limit).
pub const MAX_LINKS: usize = 40;

/// One step still to take.
#[derive(Debug)]
enum Step {
    Up,
    Name(OsString),
    /// A link's target ended with a separator: what it named must be a directory (`"."` of
    /// it is opened if it is the last step).
    Here,
}

/// A resolution in progress: the directories entered below the root, and the steps left (a
/// stack: the next step is the last).
struct Walk<'r> {
    root: &'r Dir,
    held: Vec<Dir>,
    steps: Vec<Step>,
    links: usize,
}

impl<'r> Walk<'r> {
    fn new(root: &'r Dir, rel: &Path) -> Result<Walk<'r>, Errno> {
        let mut walk = Walk {
            root,
            held: Vec::new(),
            steps: Vec::new(),
            links: 0,
        };
        walk.push_front(rel)?;
        Ok(walk)
    }

    fn dir(&self) -> &Dir {
        self.held.last().unwrap_or(self.root)
    }

    /// Puts the components of `path` before the remaining steps; an absolute path is refused.
    fn push_front(&mut self, path: &Path) -> Result<(), Errno> {
        let start = self.steps.len();
        for c in path.components() {
            match c {
                Component::CurDir => {}
                Component::ParentDir => self.steps.push(Step::Up),
                Component::Normal(n) => self.steps.push(Step::Name(n.to_os_string())),
                Component::RootDir | Component::Prefix(_) => return Err(Errno::EACCES),
            }
        }
        let trailing = path
            .as_os_str()
            .as_encoded_bytes()
            .last()
            .is_some_and(|&b| std::path::is_separator(char::from(b)));
        if trailing {
            self.steps.push(Step::Here);
        }
        self.steps[start..].reverse();
        Ok(())
    }

    /// Continues the resolution at a link's target.
    fn follow(&mut self, target: &Path) -> Result<(), Errno> {
        self.links += 1;
        if self.links > MAX_LINKS {
            return Err(Errno::EACCES);
        }
        if target.as_os_str().is_empty() {
            return Err(Errno::ENOENT);
        }
        self.push_front(target)
    }

    /// Enters every directory but the last step's; returns the last name and whether a
    /// separator followed it (a link's target ending with one: it must be a directory), or
    /// `None` when the path ends on a directory already held (the root, or after a `..`).
    fn enter_to_last(&mut self) -> Result<Option<(OsString, bool)>, Errno> {
        while let Some(step) = self.steps.pop() {
            match step {
                Step::Up => {
                    if self.held.pop().is_none() {
                        return Err(Errno::EACCES);
                    }
                }
                Step::Here => {}
                Step::Name(name) if self.steps.iter().all(|s| matches!(s, Step::Here)) => {
                    let dir = !self.steps.is_empty();
                    self.steps.clear();
                    return Ok(Some((name, dir)));
                }
                Step::Name(name) => self.enter(&name)?,
            }
        }
        Ok(None)
    }

    /// Opens the directory `name` in the one held last and holds it, or follows it.
    fn enter(&mut self, name: &OsStr) -> Result<(), Errno> {
        match sys::open_dir_at(self.dir(), name).map_err(errno)? {
            Entry::Opened(d) => self.held.push(d),
            Entry::Link(target) => self.follow(&target)?,
        }
        Ok(())
    }
}

fn errno(e: io::Error) -> Errno {
    Errno::from_io_error(&e)
}

/// Opens `rel` beneath `root` with `mode`.
pub(crate) fn open(root: &Dir, rel: &Path, mode: OpenMode) -> Result<File, Errno> {
    let mut walk = Walk::new(root, rel)?;
    loop {
        let name = match walk.enter_to_last()? {
            None => OsString::from("."),
            // As `open(2)`: creating a name that must be a directory is `EISDIR`.
            Some((_, true)) if mode.create => return Err(Errno::EISDIR),
            Some((name, true)) => {
                walk.enter(&name)?;
                walk.steps.insert(0, Step::Here);
                continue;
            }
            Some((name, false)) => name,
        };
        match sys::open_file_at(walk.dir(), &name, mode).map_err(errno)? {
            Entry::Opened(f) => return Ok(f),
            Entry::Link(target) => walk.follow(&target)?,
        }
    }
}

/// Removes the name `rel` beneath `root` (never what a link points to).
pub(crate) fn unlink(root: &Dir, rel: &Path) -> Result<(), Errno> {
    let mut walk = Walk::new(root, rel)?;
    match walk.enter_to_last()? {
        Some((name, _)) => sys::unlink_at(walk.dir(), &name).map_err(errno),
        None => Err(Errno::EACCES),
    }
}
