//! A real C client: `tests/c/client.c` compiled with the system C compiler against the
//! runtime's static library and `neurlang.h`, then run.

use crate::{Case, CaseError, CaseResult, Ctx, Scratch, ensure};
use std::path::{Path, PathBuf};
use std::process::Command;

pub fn case(ctx: &Ctx) -> Case {
    let skip = if !cfg!(target_os = "linux") {
        Some("the C client is built and run on Linux only".to_string())
    } else if ctx.host.emulated() {
        Some("no native C toolchain for the emulated target in this run".to_string())
    } else {
        None
    };
    Case::new("abi", "c_client", run).skip_if(skip)
}

/// `libneurlang.a` of the profile this suite was built with (the staticlib is a crate type of
/// the runtime, so building the suite builds it).
fn staticlib() -> Option<PathBuf> {
    let exe = std::env::current_exe().ok()?;
    exe.ancestors()
        .skip(1)
        .take(3)
        .map(|d| d.join("libneurlang.a"))
        .find(|p| p.exists())
}

fn run() -> CaseResult {
    let repo = Path::new(env!("CARGO_MANIFEST_DIR")).join("..");
    let cc = std::env::var("CC").unwrap_or_else(|_| "cc".into());
    if Command::new(&cc).arg("--version").output().is_err() {
        return Err(CaseError::Skip(format!("no C compiler `{cc}` on PATH")));
    }
    let Some(lib) = staticlib() else {
        return Err(CaseError::Skip(
            "libneurlang.a not found beside the suite; run `cargo build -p neurlang` first".into(),
        ));
    };
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
