//! A real C client: `tests/c/client.c` compiled with the system C compiler against the
//! runtime's static library and `neurlang.h`, then run.
//!
//! The static library is the `staticlib` crate type of the runtime. Cargo writes
//! `libneurlang.a` beside the binaries only when the runtime is built as a package of its own,
//! not as the suite's dependency, so the case first runs
//! `cargo build -p neurlang-conformance -p neurlang --lib` with the profile, target and target
//! directory of the running executable: on a fresh clone that produces the library, afterwards
//! cargo finds it fresh (or rebuilds it after a change). The suite is named too so that cargo
//! resolves the runtime's dependencies' features as it did for the suite and finds the runtime
//! already compiled: `-p neurlang` alone resolves other features and compiles it a second time.

use crate::{Case, CaseError, CaseResult, Ctx, Scratch, ensure};
use std::path::{Path, PathBuf};
use std::process::Command;

pub fn case(ctx: &Ctx) -> Case {
    let skip = if !cfg!(target_os = "linux") {
        Some(format!(
            "the C client's link line (`-lpthread -ldl -lm`) is written for Linux; on {} it is \
             not built",
            ctx.host.os
        ))
    } else if ctx.host.emulated() {
        Some(format!(
            "runs under {}: the C client would need a C cross compiler for {}; this suite \
             builds it with the host's C compiler, natively only",
            ctx.host.runner, ctx.host.arch
        ))
    } else {
        None
    };
    Case::new("abi", "c_client", run).skip_if(skip)
}

/// Where cargo put the running executable: its target directory, target triple (when built
/// with `--target`) and profile directory.
#[derive(Debug, PartialEq, Eq)]
struct BuildDir {
    target_dir: PathBuf,
    triple: Option<String>,
    profile_dir: PathBuf,
}

impl BuildDir {
    /// From the executable's path: `TARGET_DIR[/TRIPLE]/PROFILE[/deps]/EXE`. The target
    /// directory is the one holding cargo's `CACHEDIR.TAG`.
    fn of(exe: &Path) -> Option<BuildDir> {
        let mut dir = exe.parent()?;
        if dir.file_name()? == "deps" {
            dir = dir.parent()?;
        }
        let above = dir.parent()?;
        let (target_dir, triple) = if above.join("CACHEDIR.TAG").exists() {
            (above, None)
        } else {
            let triple = above.file_name()?.to_str()?.to_string();
            (above.parent()?, Some(triple))
        };
        Some(BuildDir {
            target_dir: target_dir.to_path_buf(),
            triple,
            profile_dir: dir.to_path_buf(),
        })
    }

    /// The cargo profile whose output lands in the profile directory (`debug` is `dev`).
    fn profile(&self) -> Option<&str> {
        match self.profile_dir.file_name()?.to_str()? {
            "debug" => Some("dev"),
            other => Some(other),
        }
    }
}

/// `libneurlang.a` of the profile and target this suite was built with, built or brought up to
/// date first by cargo (see the module documentation).
fn staticlib(repo: &Path) -> Result<PathBuf, CaseError> {
    let exe = std::env::current_exe()?;
    let dir = BuildDir::of(&exe)
        .ok_or_else(|| format!("{}: not in a cargo target directory", exe.display()))?;
    let profile = dir
        .profile()
        .ok_or_else(|| format!("{}: no profile directory", exe.display()))?;
    // `cargo run` and `cargo test` name themselves in $CARGO.
    let cargo = std::env::var_os("CARGO").unwrap_or_else(|| "cargo".into());
    let mut build = Command::new(&cargo);
    build
        .arg("build")
        .arg("--manifest-path")
        .arg(repo.join("Cargo.toml"))
        .args(["-p", "neurlang-conformance", "-p", "neurlang", "--lib"])
        .args(["--profile", profile])
        .arg("--target-dir")
        .arg(&dir.target_dir);
    if let Some(triple) = &dir.triple {
        build.args(["--target", triple]);
    }
    let out = build.output().map_err(|e| {
        CaseError::Fail(format!(
            "`{}` cannot be run to build libneurlang.a: {e}",
            Path::new(&cargo).display()
        ))
    })?;
    let what =
        format!("`cargo build -p neurlang-conformance -p neurlang --lib --profile {profile}`");
    ensure!(
        out.status.success(),
        "{what} failed: {}",
        String::from_utf8_lossy(&out.stderr)
    );
    let lib = dir.profile_dir.join("libneurlang.a");
    ensure!(lib.exists(), "{what} made no {}", lib.display());
    Ok(lib)
}

fn run() -> CaseResult {
    let repo = Path::new(env!("CARGO_MANIFEST_DIR")).join("..");
    let cc = std::env::var("CC").unwrap_or_else(|_| "cc".into());
    if Command::new(&cc).arg("--version").output().is_err() {
        return Err(CaseError::Skip(format!("no C compiler `{cc}` on PATH")));
    }
    let lib = staticlib(&repo)?;
    let scratch = Scratch::new("cclient").map_err(|e| CaseError::Fail(e.to_string()))?;
    let exe = scratch.join("client");
    let out = Command::new(&cc)
        .arg("-O1")
        .arg("-I")
        .arg(repo.join("runtime/include"))
        .arg(repo.join("tests/c/client.c"))
        .arg(&lib)
        .args(["-lpthread", "-ldl", "-lm", "-o"])
        .arg(&exe)
        .output()
        .map_err(|e| CaseError::Fail(format!("{cc}: {e}")))?;
    ensure!(
        out.status.success(),
        "compile failed: {}",
        String::from_utf8_lossy(&out.stderr)
    );
    let dir = scratch.join("data");
    std::fs::create_dir_all(&dir).map_err(|e| CaseError::Fail(e.to_string()))?;
    let dir = dir
        .canonicalize()
        .map_err(|e| CaseError::Fail(e.to_string()))?;
    let run = Command::new(&exe)
        .arg(&dir)
        .output()
        .map_err(|e| CaseError::Fail(e.to_string()))?;
    ensure!(
        run.status.success() && run.stdout == b"client: ok\n",
        "client failed ({}): {}{}",
        run.status,
        String::from_utf8_lossy(&run.stdout),
        String::from_utf8_lossy(&run.stderr)
    );
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::BuildDir;

    #[test]
    fn build_dir_of_the_report_and_the_tests() {
        let scratch = crate::Scratch::new("builddir").unwrap();
        let target = scratch.join("target");
        for d in [
            "release",
            "debug/deps",
            "aarch64-unknown-linux-gnu/min-size",
        ] {
            std::fs::create_dir_all(target.join(d)).unwrap();
        }
        std::fs::write(target.join("CACHEDIR.TAG"), "").unwrap();

        let report = BuildDir::of(&target.join("release/neurlang-conformance")).unwrap();
        assert_eq!(report.target_dir, target);
        assert_eq!(report.triple, None);
        assert_eq!(report.profile(), Some("release"));

        let test = BuildDir::of(&target.join("debug/deps/conformance-0123")).unwrap();
        assert_eq!(test.profile_dir, target.join("debug"));
        assert_eq!(test.profile(), Some("dev"));

        let cross = BuildDir::of(&target.join("aarch64-unknown-linux-gnu/min-size/x")).unwrap();
        assert_eq!(cross.target_dir, target);
        assert_eq!(cross.triple.as_deref(), Some("aarch64-unknown-linux-gnu"));
        assert_eq!(cross.profile(), Some("min-size"));
    }
}
