//! The platform mapping (`cases/abi-syscalls.toml`), verified by behaviour on Linux.

#[cfg(not(target_os = "linux"))]
use crate::CaseError;
use crate::{Case, CaseResult, Ctx};
use serde::Deserialize;

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
}

pub fn cases(ctx: &Ctx) -> Result<Vec<Case>, String> {
    let file: SyscallFile = ctx.table("abi-syscalls.toml")?;
    let platform = ctx.host.platform_name().to_string();
    let emulated = ctx.host.emulated();
    let mut cases = Vec::new();
    for row in file.row {
        let skip = match platform.as_str() {
            "linux" if emulated => Some(format!(
                "{} -> {}: seccomp is unavailable under the emulator (ENOSYS)",
                row.function, row.linux
            )),
            "linux" => row
                .linux_unverifiable
                .clone()
                .map(|why| format!("unverifiable: {} -> {}: {why}", row.function, row.linux)),
            "windows" => Some(format!(
                "unverified: {} -> {}: no API relay trace is taken on this leg",
                row.function, row.windows
            )),
            "darwin" => Some(format!(
                "unverified: {} -> {}: no syscall filter check on macOS",
                row.function, row.macos
            )),
            other => Some(format!("no mapping check on {other}")),
        };
        let name = format!("syscall.{}", row.function);
        cases.push(Case::new("abi", name, move || verify(&row)).skip_if(skip));
    }
    Ok(cases)
}

#[cfg(target_os = "linux")]
fn verify(row: &Row) -> CaseResult {
    linux::verify(&row.function, &row.linux_probe, &row.fail_enosys)
}

#[cfg(not(target_os = "linux"))]
fn verify(row: &Row) -> CaseResult {
    Err(CaseError::Skip(format!("{}: Linux only", row.function)))
}

#[cfg(target_os = "linux")]
mod linux {
    #![allow(unsafe_code)] // seccomp through libc; raw ABI pointers.

    use super::super::script::{call, permissions};
    use crate::{CaseError, CaseResult, Scratch, ensure_eq};
    use neurlang::runtime::{CapPermissions, CapToken as Token, Context, Errno};
    use std::sync::Arc;

    /// The marker errno the filter returns: EMLINK, which none of the probed calls reports.
    const MARKER: Errno = Errno::EMLINK;

    fn nr(name: &str) -> Option<libc::c_long> {
        Some(match name {
            "read" => libc::SYS_read,
            "write" => libc::SYS_write,
            "socket" => libc::SYS_socket,
            "connect" => libc::SYS_connect,
            "clone" => libc::SYS_clone,
            "clone3" => libc::SYS_clone3,
            _ => return None,
        })
    }

    /// Installs, on the calling thread only, a filter failing each `(nr, errno)`.
    fn install(rules: &[(libc::c_long, i32)]) -> Result<(), String> {
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
        let scratch = Scratch::new("syscall").map_err(|e| CaseError::Fail(e.to_string()))?;
        let root = scratch
            .path()
            .canonicalize()
            .map_err(|e| CaseError::Fail(e.to_string()))?;
        std::fs::write(root.join("f"), b"data").map_err(|e| CaseError::Fail(e.to_string()))?;
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
        let listener = ctx
            .net_listen(b"127.0.0.1", 0)
            .map_err(|e| CaseError::Fail(e.to_string()))?;
        let port = u64::from(
            ctx.net_port(listener)
                .map_err(|e| CaseError::Fail(e.to_string()))?,
        );
        let path = root.join("f").to_string_lossy().into_owned();
        let fd = ctx
            .file_open(path.as_bytes(), 3)
            .map_err(|e| CaseError::Fail(e.to_string()))?
            .0;
        let token = Token::new_owned(vec![7u8; 16].into_boxed_slice(), CapPermissions::ALL)
            .map_err(|e| CaseError::Fail(e.to_string()))?
            .get();
        let function = function.to_string();
        let host = b"127.0.0.1";
        extern "C" fn id(x: u64) -> u64 {
            x
        }
        let worker_ctx = Arc::clone(&ctx);
        let result = std::thread::spawn(move || -> Result<i64, String> {
            install(&rules)?;
            Ok(Context::scoped(&worker_ctx, || match function.as_str() {
                "file_read" => call("file_read", &[fd, token, 4]),
                "file_write" => call("file_write", &[fd, token, 4]),
                "net_socket" | "net_connect" => call(
                    "net_connect",
                    &[host.as_ptr() as u64, host.len() as u64, port],
                ),
                "spawn" => call("spawn", &[id as *const () as usize as u64, 1]),
                _ => None,
            })
            .unwrap_or(i64::MIN))
        })
        .join()
        .map_err(|_| CaseError::Fail("the probe thread panicked".into()))?;
        let _ = Token::from_raw(token).revoke();
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
