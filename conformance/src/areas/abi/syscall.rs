//! The platform mapping (`cases/abi-syscalls.toml`): on Linux verified by behaviour (a seccomp
//! filter fails the named system call with a marker errno), on Windows by the named function's
//! import-table entry counting the call ([`super::iat`]).

#![allow(unsafe_code)] // Calls the C ABI through its table.

use crate::script::{abi, permissions};
use crate::{Case, CaseError, CaseResult, Ctx, Scratch};
use neurlang::runtime::{CapPermissions, CapToken as Token, Context};
use serde::Deserialize;
use std::sync::Arc;

#[derive(Debug, Deserialize)]
struct SyscallFile {
    row: Vec<Row>,
}

#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
struct Row {
    function: String,
    linux: String,
    macos: String,
    windows: String,
    #[serde(default)]
    #[cfg_attr(not(target_os = "linux"), allow(dead_code))] // Probed on Linux only.
    linux_probe: Vec<String>,
    #[serde(default)]
    #[cfg_attr(not(target_os = "linux"), allow(dead_code))] // Probed on Linux only.
    fail_enosys: Vec<String>,
    #[serde(default)]
    linux_unverifiable: Option<String>,
    #[serde(default)]
    #[cfg_attr(not(windows), allow(dead_code))] // Probed on Windows only.
    windows_probe: Option<String>,
}

pub fn cases(ctx: &Ctx) -> Result<Vec<Case>, String> {
    let file: SyscallFile = ctx.table("abi-syscalls.toml")?;
    let platform = ctx.host.platform_name().to_string();
    let emulated = ctx.host.emulated();
    let mut cases = Vec::new();
    for row in file.row {
        let skip = match platform.as_str() {
            "linux" if emulated => Some(format!(
                "seccomp is unavailable under the emulator (ENOSYS); {} -> {}",
                row.function, row.linux
            )),
            "linux" => row
                .linux_unverifiable
                .clone()
                .map(|why| format!("unverifiable: {} -> {}: {why}", row.function, row.linux)),
            "windows" if row.windows_probe.is_none() => Some(format!(
                "unverified: the row names no windows_probe; {} -> {}",
                row.function, row.windows
            )),
            "windows" => None,
            "darwin" => Some(format!(
                "unverified: no syscall filter check on macOS; {} -> {}",
                row.function, row.macos
            )),
            other => Some(format!("no mapping check on {other}")),
        };
        let name = format!("syscall.{}", row.function);
        cases.push(Case::new("abi", name, move || verify(&row)).skip_if(skip));
    }
    Ok(cases)
}

#[cfg_attr(not(any(target_os = "linux", windows)), allow(dead_code))] // Linux/Windows probes.
fn fail(e: impl std::fmt::Display) -> CaseError {
    CaseError::Fail(e.to_string())
}

/// What a probe calls the ABI with: a context allowed to read and write files under a scratch
/// root and to connect to and listen on 127.0.0.1, an open file holding "data", a listener and
/// a 16-byte capability.
#[cfg_attr(not(any(target_os = "linux", windows)), allow(dead_code))] // Linux/Windows probes.
struct Fixture {
    ctx: Arc<Context>,
    fd: u64,
    port: u64,
    token: u64,
    _scratch: Scratch,
}

#[cfg_attr(not(any(target_os = "linux", windows)), allow(dead_code))] // Linux/Windows probes.
impl Fixture {
    fn new() -> Result<Self, CaseError> {
        let scratch = Scratch::new("syscall").map_err(fail)?;
        let root = scratch.path().canonicalize().map_err(fail)?;
        std::fs::write(root.join("f"), b"data").map_err(fail)?;
        let perms = permissions(
            &[
                "file_read".into(),
                "file_write".into(),
                "net_connect".into(),
                "net_listen".into(),
            ],
            root.clone(),
            &["127.0.0.1".into()],
        )
        .map_err(CaseError::Fail)?;
        let ctx = Arc::new(Context::new(perms));
        let listener = ctx.net_listen(b"127.0.0.1", 0).map_err(fail)?;
        let port = u64::from(ctx.net_port(listener).map_err(fail)?);
        let path = root.join("f").to_string_lossy().into_owned();
        let fd = ctx.file_open(path.as_bytes(), 3).map_err(fail)?.0;
        let token = Token::new_owned(vec![7u8; 16].into_boxed_slice(), CapPermissions::ALL)
            .map_err(fail)?
            .get();
        Ok(Fixture {
            ctx,
            fd,
            port,
            token,
            _scratch: scratch,
        })
    }

    /// Calls the ABI function of a row in the fixture's context; `None` for an unknown row.
    fn call(&self, function: &str) -> Option<i64> {
        extern "C" fn id(x: u64) -> u64 {
            x
        }
        let host = b"127.0.0.1";
        let (fd, token, port) = (self.fd, self.token, self.port);
        let (name, args) = match function {
            "file_read" => ("file_read", vec![fd, token, 4]),
            "file_write" => ("file_write", vec![fd, token, 4]),
            "net_socket" | "net_connect" => (
                "net_connect",
                vec![host.as_ptr() as u64, host.len() as u64, port],
            ),
            "spawn" => ("spawn", vec![id as *const () as usize as u64, 1]),
            "time_now" => ("time_now", vec![]),
            _ => return None,
        };
        // SAFETY: the only pointers are `host`, a static of the length passed beside it, and
        // `id`, a real `extern "C" fn(u64) -> u64`; the rest are plain words.
        Context::scoped(&self.ctx, || unsafe { abi::call(name, &args) })
    }
}

/// Joins task `t` in `ctx`.
#[cfg(windows)]
fn join(ctx: &Arc<Context>, t: u64) {
    // SAFETY: `join` takes no pointer.
    Context::scoped(ctx, || unsafe { abi::call("join", &[t]) });
}

impl Drop for Fixture {
    fn drop(&mut self) {
        let _ = Token::from_raw(self.token).revoke();
    }
}

#[cfg(target_os = "linux")]
fn verify(row: &Row) -> CaseResult {
    linux::verify(&row.function, &row.linux_probe, &row.fail_enosys)
}

#[cfg(windows)]
fn verify(row: &Row) -> CaseResult {
    let import = row.windows_probe.as_deref().ok_or(CaseError::Skip(format!(
        "{}: no windows_probe",
        row.function
    )))?;
    let fx = Fixture::new()?;
    let (hits, dlls, got) = super::iat::count_calls(import, || fx.call(&row.function))
        .map_err(|e| fail(format!("{} -> {import}: {e}", row.function)))?;
    let got = got.ok_or(fail(format!("no probe for {}", row.function)))?;
    if row.function == "spawn" && got >= 0 {
        join(&fx.ctx, got as u64);
    }
    crate::ensure!(got >= 0, "{} failed with {got}", row.function);
    crate::ensure!(
        hits > 0,
        "{} returned {got} without calling {import} (imported from {})",
        row.function,
        dlls.join(", ")
    );
    Ok(())
}

#[cfg(not(any(target_os = "linux", windows)))]
fn verify(row: &Row) -> CaseResult {
    Err(CaseError::Skip(format!(
        "{}: Linux and Windows only",
        row.function
    )))
}

/// Makes the named system calls fail with `ENOSYS` on the calling thread (and threads it
/// creates), as on a kernel without them. Linux only.
#[cfg(target_os = "linux")]
pub(super) fn fail_with_enosys(names: &[&str]) -> Result<(), String> {
    let rules = names
        .iter()
        .map(|n| {
            linux::nr(n)
                .map(|nr| (nr, libc::ENOSYS))
                .ok_or(format!("unknown system call {n}"))
        })
        .collect::<Result<Vec<_>, _>>()?;
    linux::install(&rules)
}

/// Seccomp is Linux's: elsewhere nothing can be made to fail this way.
#[cfg(not(target_os = "linux"))]
pub(super) fn fail_with_enosys(_names: &[&str]) -> Result<(), String> {
    Err("seccomp filters are Linux only".into())
}

#[cfg(target_os = "linux")]
mod linux {
    #![allow(unsafe_code)] // seccomp through libc; raw ABI pointers.

    use super::Fixture;
    use crate::{CaseError, CaseResult, ensure_eq};
    use neurlang::runtime::Errno;

    /// The marker errno the filter returns: EMLINK, which none of the probed calls reports.
    const MARKER: Errno = Errno::EMLINK;

    pub(super) fn nr(name: &str) -> Option<libc::c_long> {
        Some(match name {
            "read" => libc::SYS_read,
            "write" => libc::SYS_write,
            "socket" => libc::SYS_socket,
            "connect" => libc::SYS_connect,
            "clone" => libc::SYS_clone,
            "clone3" => libc::SYS_clone3,
            "openat2" => libc::SYS_openat2,
            _ => return None,
        })
    }

    /// Installs, on the calling thread only, a filter failing each `(nr, errno)`.
    pub(super) fn install(rules: &[(libc::c_long, i32)]) -> Result<(), String> {
        let mut prog: Vec<libc::sock_filter> = Vec::new();
        let stmt = |code: u32, k: u32| libc::sock_filter {
            code: code as u16,
            jt: 0,
            jf: 0,
            k,
        };
        // A = seccomp_data.nr
        prog.push(stmt(libc::BPF_LD | libc::BPF_W | libc::BPF_ABS, 0));
        for &(nr, errno) in rules {
            prog.push(libc::sock_filter {
                code: (libc::BPF_JMP | libc::BPF_JEQ | libc::BPF_K) as u16,
                jt: 0,
                jf: 1,
                k: nr as u32,
            });
            prog.push(stmt(
                libc::BPF_RET | libc::BPF_K,
                libc::SECCOMP_RET_ERRNO | errno as u32,
            ));
        }
        prog.push(stmt(libc::BPF_RET | libc::BPF_K, libc::SECCOMP_RET_ALLOW));
        let fprog = libc::sock_fprog {
            len: prog.len() as u16,
            filter: prog.as_mut_ptr(),
        };
        // SAFETY: plain prctl with integer arguments; affects only this thread.
        if unsafe { libc::prctl(libc::PR_SET_NO_NEW_PRIVS, 1, 0, 0, 0) } != 0 {
            return Err(format!(
                "PR_SET_NO_NEW_PRIVS: {}",
                std::io::Error::last_os_error()
            ));
        }
        // SAFETY: `fprog` points at `prog`, alive for the call; without TSYNC the filter applies
        // to this thread (and threads it creates) only.
        let r = unsafe {
            libc::prctl(
                libc::PR_SET_SECCOMP,
                libc::SECCOMP_MODE_FILTER,
                &raw const fprog,
                0,
                0,
            )
        };
        if r != 0 {
            return Err(format!("seccomp: {}", std::io::Error::last_os_error()));
        }
        Ok(())
    }

    pub fn verify(function: &str, probe: &[String], enosys: &[String]) -> CaseResult {
        let mut rules = Vec::new();
        for n in enosys {
            rules.push((
                nr(n).ok_or(CaseError::Fail(format!("unknown {n}")))?,
                libc::ENOSYS,
            ));
        }
        for n in probe {
            rules.push((
                nr(n).ok_or(CaseError::Fail(format!("unknown {n}")))?,
                MARKER.code(),
            ));
        }
        let fx = Fixture::new()?;
        let function = function.to_string();
        let result = std::thread::scope(|scope| {
            scope
                .spawn(|| -> Result<i64, String> {
                    install(&rules)?;
                    Ok(fx.call(&function).unwrap_or(i64::MIN))
                })
                .join()
        })
        .map_err(|_| CaseError::Fail("the probe thread panicked".into()))?;
        let got = match result {
            Ok(v) => v,
            Err(e) if e.contains("Invalid argument") || e.contains("not implemented") => {
                return Err(CaseError::Skip(format!("seccomp unavailable here: {e}")));
            }
            Err(e) => return Err(CaseError::Fail(e)),
        };
        ensure_eq!(
            got,
            MARKER.neg(),
            "{} with its system call failing with the marker",
            probe.join("+")
        );
        Ok(())
    }
}
