//! Race trials of the file sandbox (`cases/abi-race.toml`): one thread keeps swapping a name
//! inside the root between a real directory or file and a symbolic link leading outside, while
//! four others read, create, truncate and unlink through it. Each shape runs through both
//! resolvers (see `neurlang::perm`): the kernel's, and the portable walk, which on Linux is
//! forced the way a kernel without `openat2` forces it (a seccomp filter failing it with
//! `ENOSYS`), so the fallback's detection is under test too.

use crate::{Case, CaseError, CaseResult, Ctx, Scratch, ensure, ensure_eq};
use neurlang::runtime::{Context, Errno, IOPermissions, OpenMode, Resolver, Sandbox};
use serde::Deserialize;
use std::collections::BTreeMap;
use std::path::{Path, PathBuf};
use std::sync::atomic::{AtomicBool, AtomicU64, Ordering};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

#[derive(Debug, Deserialize)]
struct RaceFile {
    shape: Vec<Shape>,
}

#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
struct Shape {
    name: String,
    swap: Swap,
    link: String,
    #[serde(default)]
    chain: Vec<(String, String)>,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Deserialize)]
#[serde(rename_all = "lowercase")]
enum Swap {
    Parent,
    Final,
}

/// What every file outside holds (followed by its name).
const OUTSIDE: &[u8] = b"OUTSIDE:";

pub fn cases(ctx: &Ctx) -> Result<Vec<Case>, String> {
    let file: RaceFile = ctx.table("abi-race.toml")?;
    let secs = match std::env::var("NEURLANG_RACE_SECS") {
        Ok(s) => s
            .parse::<f64>()
            .map_err(|e| format!("NEURLANG_RACE_SECS={s}: {e}"))?,
        Err(_) => 1.0,
    };
    let duration = Duration::from_secs_f64(secs);
    let emulated = ctx.host.emulated();
    let mut cases = Vec::new();
    for shape in file.shape {
        for (label, resolver) in [("kernel", Resolver::Kernel), ("walk", Resolver::Walk)] {
            let skip = (resolver == Resolver::Kernel && !cfg!(target_os = "linux")).then(|| {
                "no kernel resolver beneath a directory on this OS: the walk is its only one"
                    .to_string()
            });
            let shape = shape.clone();
            let name = format!("race.{}.{label}", shape.name);
            cases.push(
                Case::new("abi", name, move || {
                    trial(&shape, resolver, duration, emulated)
                })
                .skip_if(skip),
            );
        }
    }
    Ok(cases)
}

fn fail(e: impl std::fmt::Display) -> CaseError {
    CaseError::Fail(e.to_string())
}

/// The scratch tree of one trial.
struct Fixture {
    _scratch: Scratch,
    root: PathBuf,
    outside: PathBuf,
    shape: Shape,
}

impl Fixture {
    fn new(shape: &Shape) -> Result<Fixture, CaseError> {
        let scratch = Scratch::new("race").map_err(fail)?;
        let base = scratch.path().canonicalize().map_err(fail)?;
        let (root, outside) = (base.join("root"), base.join("outside"));
        std::fs::create_dir_all(&outside).map_err(fail)?;
        for name in ["f", "g", "v"] {
            std::fs::write(outside.join(name), [OUTSIDE, name.as_bytes()].concat())
                .map_err(fail)?;
        }
        let fx = Fixture {
            _scratch: scratch,
            root,
            outside,
            shape: shape.clone(),
        };
        let target = PathBuf::from(
            shape
                .link
                .replace("{outside}", &fx.outside.to_string_lossy()),
        );
        let is_dir = shape.swap == Swap::Parent;
        let links_in = match shape.swap {
            Swap::Parent => fx.root.clone(),
            Swap::Final => fx.root.join("d"),
        };
        std::fs::create_dir_all(&links_in).map_err(fail)?;
        fx.restore();
        link(&target, &fx.link_path(), is_dir)
            .map_err(|e| CaseError::Skip(format!("cannot make symbolic links here: {e}")))?;
        // Wine 8's CreateSymbolicLinkW reports success and makes nothing.
        let made = std::fs::symlink_metadata(fx.link_path()).map(|m| m.file_type().is_symlink());
        if !matches!(made, Ok(true)) {
            return Err(CaseError::Skip(format!(
                "making a symbolic link reported success but made {made:?}: this system cannot \
                 make links for the trial"
            )));
        }
        for (name, to) in &shape.chain {
            link(Path::new(to), &links_in.join(name), is_dir).map_err(fail)?;
        }
        Ok(fx)
    }

    /// Where the swapped name's real directory or file rests between swaps (the file is made
    /// anew there each round).
    fn real_path(&self) -> PathBuf {
        match self.shape.swap {
            Swap::Parent => self.root.join("d_real"),
            Swap::Final => self.root.join("d").join("f_real"),
        }
    }

    /// Where the swapped name's link rests between swaps (made anew each round for a file).
    fn link_path(&self) -> PathBuf {
        match self.shape.swap {
            Swap::Parent => self.root.join("d_link"),
            Swap::Final => self.root.join("d").join("f_link"),
        }
    }

    /// The swapped name.
    fn name(&self) -> PathBuf {
        match self.shape.swap {
            Swap::Parent => self.root.join("d"),
            Swap::Final => self.root.join("d").join("f"),
        }
    }

    /// Puts back what the threads removed or emptied, at the resting places (trusted paths).
    fn restore(&self) {
        let real = self.real_path();
        match self.shape.swap {
            Swap::Parent => {
                let _ = std::fs::create_dir_all(&real);
                for name in ["f", "g", "v"] {
                    if std::fs::symlink_metadata(real.join(name)).is_err() {
                        let _ = std::fs::write(real.join(name), format!("inside:{name}"));
                    }
                }
            }
            // The threads' create and truncate may have left an empty file resting there.
            Swap::Final => {
                let _ = std::fs::write(&real, "inside:f");
            }
        }
    }

    /// One round: the real thing in place, then the link. A file and a link replace each other
    /// atomically (the name never disappears); a directory cannot replace a link, so the parent
    /// shape moves each in and out.
    fn swap(&self, target: &Path, tally: &Tally) {
        self.restore();
        let name = self.name();
        match self.shape.swap {
            Swap::Parent => {
                if std::fs::symlink_metadata(self.link_path()).is_err() {
                    let _ = link(target, &self.link_path(), true);
                }
                for (resting, seen) in [
                    (self.real_path(), &tally.inside),
                    (self.link_path(), &tally.refused),
                ] {
                    let _ = std::fs::rename(&resting, &name);
                    dwell(seen);
                    let _ = std::fs::rename(&name, &resting);
                }
            }
            Swap::Final => {
                let _ = std::fs::rename(self.real_path(), &name);
                dwell(&tally.inside);
                let _ = std::fs::remove_file(self.link_path());
                let _ = link(target, &self.link_path(), false);
                let _ = std::fs::rename(self.link_path(), &name);
                dwell(&tally.refused);
            }
        }
    }

    /// Every file under OUTSIDE with its bytes.
    fn outside_tree(&self) -> BTreeMap<PathBuf, Vec<u8>> {
        let mut out = BTreeMap::new();
        let mut dirs = vec![self.outside.clone()];
        while let Some(dir) = dirs.pop() {
            for e in std::fs::read_dir(&dir).into_iter().flatten().flatten() {
                let p = e.path();
                if p.is_dir() {
                    dirs.push(p.clone());
                }
                let data = std::fs::read(&p).unwrap_or_default();
                out.insert(p, data);
            }
        }
        out
    }
}

/// Holds a state until a thread has met it (`seen` moved) or for at most 0.2 ms, so that the
/// threads meet each state and not only the transitions (spinning: a swapper that yields waits
/// for every busy thread's time slice).
fn dwell(seen: &AtomicU64) {
    let (start, until) = (
        seen.load(Ordering::Relaxed),
        Instant::now() + Duration::from_micros(200),
    );
    while seen.load(Ordering::Relaxed) == start && Instant::now() < until {
        std::hint::spin_loop();
    }
}

#[cfg(unix)]
fn link(target: &Path, at: &Path, _dir: bool) -> std::io::Result<()> {
    std::os::unix::fs::symlink(target, at)
}

#[cfg(windows)]
fn link(target: &Path, at: &Path, dir: bool) -> std::io::Result<()> {
    if dir {
        std::os::windows::fs::symlink_dir(target, at)
    } else {
        std::os::windows::fs::symlink_file(target, at)
    }
}

#[cfg(not(any(unix, windows)))]
fn link(_target: &Path, _at: &Path, _dir: bool) -> std::io::Result<()> {
    Err(std::io::ErrorKind::Unsupported.into())
}

/// What the four threads saw.
#[derive(Default)]
struct Tally {
    ops: AtomicU64,
    inside: AtomicU64,
    refused: AtomicU64,
    swaps: AtomicU64,
    escapes: Mutex<Vec<String>>,
}

#[derive(Clone, Copy, Debug)]
enum Op {
    Read,
    Create,
    Truncate,
    Unlink,
}

fn trial(shape: &Shape, resolver: Resolver, duration: Duration, emulated: bool) -> CaseResult {
    let fx = Fixture::new(shape)?;
    let before = fx.outside_tree();
    let kernel_missing = || {
        CaseError::Skip(
            "the kernel has no openat2 here (ENOSYS): only the walk can be tried".into(),
        )
    };
    // On Linux the walk is reached as a kernel without openat2 reaches it; where seccomp is not
    // available (qemu-user) it is asked for.
    let forced = resolver == Resolver::Walk && cfg!(target_os = "linux") && !emulated;
    let asked = if forced { Resolver::Kernel } else { resolver };
    let perms = IOPermissions::files_under(&fx.root);
    let ctx = Arc::new(Context::with_sandbox(Sandbox::with_resolver(perms, asked)));
    let target = PathBuf::from(
        shape
            .link
            .replace("{outside}", &fx.outside.to_string_lossy()),
    );
    if resolver == Resolver::Kernel {
        // One open first, so that a kernel without openat2 skips at once.
        let _ = ctx.file_open(fx.root.to_string_lossy().as_bytes(), OpenMode::READ);
        if ctx.sandbox().resolver() != Resolver::Kernel {
            return Err(kernel_missing());
        }
    }
    let tally = Tally::default();
    let stop = AtomicBool::new(false);
    let started = Instant::now();
    let setup_errors: Vec<String> = std::thread::scope(|s| {
        let threads: Vec<_> = [Op::Read, Op::Create, Op::Truncate, Op::Unlink]
            .into_iter()
            .map(|op| {
                let (ctx, fx, tally, stop) = (&ctx, &fx, &tally, &stop);
                s.spawn(move || -> Result<(), String> {
                    if forced {
                        super::syscall::fail_with_enosys(&["openat2"])?;
                    }
                    let mut n = 0u64;
                    while !stop.load(Ordering::Relaxed) {
                        run_op(ctx, fx, op, n, tally);
                        n += 1;
                    }
                    Ok(())
                })
            })
            .collect();
        // The trial lasts `duration`, and longer (up to ten times) until the threads have met
        // both states, so that a slow machine gives a weaker trial, never a failed one.
        let raced = || {
            tally.inside.load(Ordering::Relaxed) > 0 && tally.refused.load(Ordering::Relaxed) > 0
        };
        while started.elapsed() < duration || (!raced() && started.elapsed() < duration * 10) {
            fx.swap(&target, &tally);
            tally.swaps.fetch_add(1, Ordering::Relaxed);
        }
        stop.store(true, Ordering::Relaxed);
        threads
            .into_iter()
            .filter_map(|t| match t.join() {
                Ok(Ok(())) => None,
                Ok(Err(e)) => Some(e),
                Err(_) => Some("a thread panicked".to_string()),
            })
            .collect()
    });
    if let Some(e) = setup_errors.first() {
        if forced && (e.contains("Invalid argument") || e.contains("not implemented")) {
            return Err(CaseError::Skip(format!("seccomp unavailable here: {e}")));
        }
        return Err(fail(e));
    }
    let escapes = tally.escapes.lock().map_err(fail)?.clone();
    let (ops, inside, refused, swaps) = (
        tally.ops.load(Ordering::Relaxed),
        tally.inside.load(Ordering::Relaxed),
        tally.refused.load(Ordering::Relaxed),
        tally.swaps.load(Ordering::Relaxed),
    );
    crate::note(format!(
        "{:.1} s, {ops} operations ({inside} reached the inside file, {refused} refused), \
         {swaps} swaps, {} escapes",
        started.elapsed().as_secs_f64(),
        escapes.len()
    ));
    ensure!(
        escapes.is_empty(),
        "{} escapes, the first: {}",
        escapes.len(),
        escapes[0]
    );
    ensure!(
        fx.outside_tree() == before,
        "the tree outside the root changed: before {:?}, after {:?}",
        before.keys().collect::<Vec<_>>(),
        fx.outside_tree().keys().collect::<Vec<_>>()
    );
    let used = ctx.sandbox().resolver();
    ensure_eq!(used, resolver, "the resolver that served the trial");
    ensure!(
        swaps > 0 && inside > 0 && refused > 0,
        "the trial did not race: {swaps} swaps, {inside} reads of the inside file, {refused} \
         refusals"
    );
    Ok(())
}

fn run_op(ctx: &Context, fx: &Fixture, op: Op, n: u64, tally: &Tally) {
    let d = fx.root.join("d");
    let path = match (op, fx.shape.swap) {
        (_, Swap::Final) => d.join("f"),
        (Op::Read, Swap::Parent) => d.join("f"),
        (Op::Create, Swap::Parent) => d.join(format!("new-{n}")),
        (Op::Truncate, Swap::Parent) => d.join("g"),
        (Op::Unlink, Swap::Parent) => d.join("v"),
    };
    let path = path.to_string_lossy().into_owned();
    let path = path.as_bytes();
    let result = match op {
        Op::Read => ctx.file_open(path, OpenMode::READ).and_then(|fd| {
            let mut buf = [0u8; 64];
            let got = ctx.file_read(fd, &mut buf);
            let _ = ctx.file_close(fd);
            let got = &buf[..got?];
            if got.starts_with(OUTSIDE) {
                if let Ok(mut e) = tally.escapes.lock() {
                    e.push(format!(
                        "read {:?} through {}",
                        String::from_utf8_lossy(got),
                        String::from_utf8_lossy(path)
                    ));
                }
            } else if got.starts_with(b"inside:") {
                tally.inside.fetch_add(1, Ordering::Relaxed);
            }
            Ok(())
        }),
        Op::Create => ctx
            .file_open(path, OpenMode::WRITE | OpenMode::CREATE | OpenMode::EXCL)
            .and_then(|fd| ctx.file_close(fd)),
        Op::Truncate => ctx
            .file_open(path, OpenMode::WRITE | OpenMode::CREATE | OpenMode::TRUNC)
            .and_then(|fd| ctx.file_close(fd)),
        Op::Unlink => ctx.file_unlink(path),
    };
    tally.ops.fetch_add(1, Ordering::Relaxed);
    if result == Err(Errno::EACCES) {
        tally.refused.fetch_add(1, Ordering::Relaxed);
    }
}

#[cfg(all(test, target_os = "linux"))]
mod tests {
    use super::*;

    /// A kernel without `openat2` (here: a seccomp filter failing it with `ENOSYS`) turns the
    /// sandbox to the walk for good, and the open still succeeds through it.
    #[test]
    fn a_kernel_without_openat2_turns_the_sandbox_to_the_walk() {
        let scratch = Scratch::new("no-openat2").unwrap();
        std::fs::write(scratch.join("f"), b"inside").unwrap();
        let perms = IOPermissions::files_under(scratch.path());
        let ctx = Context::with_sandbox(Sandbox::with_resolver(perms, Resolver::Kernel));
        let path = scratch.join("f");
        let opened = std::thread::scope(|s| {
            s.spawn(|| {
                super::super::syscall::fail_with_enosys(&["openat2"])?;
                Ok::<_, String>(ctx.file_open(path.to_string_lossy().as_bytes(), OpenMode::READ))
            })
            .join()
            .unwrap()
        });
        match opened {
            Err(e) => eprintln!("skipped: seccomp unavailable here: {e}"),
            Ok(file) => {
                assert!(file.is_ok(), "{file:?}");
                assert_eq!(ctx.sandbox().resolver(), Resolver::Walk);
            }
        }
    }
}
