//! Pool trials that must run in a child process: calling a released slot (which must trap),
//! `PR_SET_MDWE` (irreversible for the process) and seccomp (likewise).

#![allow(unsafe_code)] // calls a released slot, mmap and prctl / seccomp through libc in a child

use super::{Program, load};
use crate::{Case, CaseError, CaseResult, Ctx, child, ensure};
use neurlang::runtime::BufferPool;

/// Exit code of a child that could not set up its restriction here (the parent skips).
const SKIP: i32 = 77;

pub(super) fn cases(ctx: &Ctx, no_code: Option<String>) -> Vec<Case> {
    let emulated = ctx.host.emulated().then(|| {
        format!(
            "under {} the process restrictions (prctl MDWE, seccomp) are not the host kernel's",
            ctx.host.runner
        )
    });
    let not_linux = (!cfg!(target_os = "linux"))
        .then(|| "PR_SET_MDWE and seccomp are Linux mechanisms".to_string());
    vec![
        Case::new("pool", "released_slot_traps", || {
            trial("pool.released_slot_traps", false)
        })
        .skip_if(no_code.clone()),
        Case::new("pool", "hardened.mdwe", || {
            trial("pool.hardened_mdwe", true)
        })
        .skip_if(no_code.clone())
        .skip_if(not_linux.clone())
        .skip_if(emulated.clone()),
        Case::new("pool", "hot_path.no_syscall", || {
            trial("pool.hot_path_no_syscall", true)
        })
        .skip_if(no_code)
        .skip_if(not_linux)
        .skip_if(emulated),
    ]
}

/// Runs a child scenario; `succeeds` says whether it must exit 0 (else it must die).
fn trial(name: &str, succeeds: bool) -> CaseResult {
    let out = child::spawn(name)?;
    let stderr = String::from_utf8_lossy(&out.stderr);
    let stdout = String::from_utf8_lossy(&out.stdout);
    if out.status.code() == Some(SKIP) {
        return Err(CaseError::Skip(stderr.trim().to_string()));
    }
    if succeeds {
        ensure!(
            out.status.success(),
            "child {name} failed ({}): {stderr}{stdout}",
            out.status
        );
    } else {
        ensure!(
            !out.status.success() && !stdout.contains("RETURNED"),
            "calling a released slot must trap; child {name} ended with {}: {stdout}{stderr}",
            out.status
        );
    }
    Ok(())
}

fn first_program() -> Result<(Program, Vec<u8>), String> {
    let p = load()?.program.into_iter().next().ok_or("no program")?;
    let bytes = p.bytes().ok_or("no code for this architecture")?;
    Ok((p, bytes))
}

/// Child: calls the old entry of a released slot. Must die by a trap; prints RETURNED if not.
pub(crate) fn released_slot_traps() -> i32 {
    let Ok((p, bytes)) = first_program() else {
        return 2;
    };
    let pool = BufferPool::new(1);
    let Ok(mut buf) = pool.acquire() else {
        return 3;
    };
    if buf.write(&bytes).is_err() {
        return 4;
    }
    // SAFETY: the table's bytes are `extern "C" fn() -> i32`; after the release below the
    // call is meant to trap (and only ever runs in this throwaway child).
    let f: extern "C" fn() -> i32 = unsafe { std::mem::transmute(buf.as_ptr()) };
    if f() != p.expect {
        return 5;
    }
    drop(buf);
    let r = f();
    println!("RETURNED {r}");
    0
}

#[cfg(target_os = "linux")]
pub(crate) use linux::{hardened_mdwe, hot_path_no_syscall};

#[cfg(not(target_os = "linux"))]
pub(crate) fn hardened_mdwe() -> i32 {
    eprintln!("PR_SET_MDWE is Linux-only");
    SKIP
}

#[cfg(not(target_os = "linux"))]
pub(crate) fn hot_path_no_syscall() -> i32 {
    eprintln!("seccomp is Linux-only");
    SKIP
}

#[cfg(target_os = "linux")]
mod linux {
    use super::{SKIP, first_program};
    use neurlang::runtime::{Backend, BufferPool, PoolConfig, PoolError};

    const PR_SET_MDWE: libc::c_int = 65;
    const PR_MDWE_REFUSE_EXEC_GAIN: libc::c_ulong = 1;

    /// Child: after `PR_SET_MDWE`, the default backend still runs code; RWX fails cleanly.
    pub(crate) fn hardened_mdwe() -> i32 {
        let Ok((p, _)) = first_program() else {
            return 2;
        };
        // SAFETY: prctl with integer arguments only; it changes this child's memory policy.
        let r = unsafe { libc::prctl(PR_SET_MDWE, PR_MDWE_REFUSE_EXEC_GAIN, 0, 0, 0) };
        if r != 0 {
            eprintln!(
                "prctl(PR_SET_MDWE) unavailable here: {}",
                std::io::Error::last_os_error()
            );
            return SKIP;
        }
        let pool = BufferPool::new(4);
        if pool.backend() != Some(Backend::DualMap) {
            eprintln!(
                "under MDWE the pool chose {:?} ({:?})",
                pool.backend(),
                pool.error()
            );
            return 3;
        }
        for _ in 0..100 {
            let Ok(mut buf) = pool.acquire() else {
                return 4;
            };
            if let Err(e) = p.run_in(&mut buf) {
                eprintln!("under MDWE: {e}");
                return 5;
            }
        }
        match BufferPool::with_config(&PoolConfig::new(4).backend(Backend::Rwx)) {
            Err(PoolError::Backend(Backend::Rwx, e)) => eprintln!("RWX refused cleanly: {e}"),
            other => {
                eprintln!("under MDWE the RWX backend gave {other:?}, expected an error");
                return 6;
            }
        }
        0
    }

    /// The errno the seccomp filter returns, so a refusal is recognisably ours.
    const MARKER: u32 = 3777;

    /// Child: a seccomp filter makes mmap, mprotect and munmap fail with MARKER; 10 000
    /// acquire/write/call/release cycles on a warmed-up pool must still all succeed.
    pub(crate) fn hot_path_no_syscall() -> i32 {
        let Ok(file) = super::load() else { return 2 };
        let p = &file.program[0];
        let cycles = file.stress.hot_path_cycles;
        let pool = BufferPool::new(8);
        if pool.backend() != Some(Backend::DualMap) {
            eprintln!(
                "the default backend here is {:?}, not the dual mapping",
                pool.backend()
            );
            return 3;
        }
        for _ in 0..16 {
            let Ok(mut b) = pool.acquire() else { return 4 };
            if p.run_in(&mut b).is_err() {
                return 5;
            }
        }
        if let Err(e) = forbid_mapping_syscalls() {
            eprintln!("seccomp unavailable here: {e}");
            return SKIP;
        }
        // The filter is active: a direct mmap fails with our marker.
        // SAFETY: an anonymous mapping request that the filter refuses (and that would be
        // harmless if it did not).
        let m = unsafe {
            libc::mmap(
                std::ptr::null_mut(),
                4096,
                libc::PROT_READ,
                libc::MAP_PRIVATE | libc::MAP_ANONYMOUS,
                -1,
                0,
            )
        };
        let err = std::io::Error::last_os_error().raw_os_error();
        if m != libc::MAP_FAILED || err != Some(MARKER as i32) {
            eprintln!("the seccomp filter is not in effect ({err:?})");
            return 6;
        }
        for i in 0..cycles {
            let mut b = match pool.acquire() {
                Ok(b) => b,
                Err(e) => {
                    eprintln!("cycle {i}: acquire: {e}");
                    return 7;
                }
            };
            if let Err(e) = p.run_in(&mut b) {
                eprintln!("cycle {i}: {e}");
                return 8;
            }
        }
        0
    }

    fn forbid_mapping_syscalls() -> std::io::Result<()> {
        use libc::{sock_filter, sock_fprog};
        const LD_W_ABS: u16 = (libc::BPF_LD | libc::BPF_W | libc::BPF_ABS) as u16;
        const JEQ_K: u16 = (libc::BPF_JMP | libc::BPF_JEQ | libc::BPF_K) as u16;
        const RET_K: u16 = (libc::BPF_RET | libc::BPF_K) as u16;
        let stmt = |code, k| sock_filter {
            code,
            jt: 0,
            jf: 0,
            k,
        };
        let nr = |n: libc::c_long| n as u32;
        // offsetof(struct seccomp_data, nr) == 0
        let filter = [
            stmt(LD_W_ABS, 0),
            sock_filter {
                code: JEQ_K,
                jt: 3,
                jf: 0,
                k: nr(libc::SYS_mmap),
            },
            sock_filter {
                code: JEQ_K,
                jt: 2,
                jf: 0,
                k: nr(libc::SYS_mprotect),
            },
            sock_filter {
                code: JEQ_K,
                jt: 1,
                jf: 0,
                k: nr(libc::SYS_munmap),
            },
            stmt(RET_K, libc::SECCOMP_RET_ALLOW),
            stmt(RET_K, libc::SECCOMP_RET_ERRNO | MARKER),
        ];
        let prog = sock_fprog {
            len: filter.len() as u16,
            filter: filter.as_ptr().cast_mut(),
        };
        // SAFETY: prctl with integer arguments only.
        if unsafe { libc::prctl(libc::PR_SET_NO_NEW_PRIVS, 1, 0, 0, 0) } != 0 {
            return Err(std::io::Error::last_os_error());
        }
        // SAFETY: `prog` points to a valid filter that outlives the call (the kernel copies it).
        let r = unsafe {
            libc::prctl(
                libc::PR_SET_SECCOMP,
                libc::SECCOMP_MODE_FILTER,
                &prog as *const sock_fprog,
            )
        };
        if r != 0 {
            return Err(std::io::Error::last_os_error());
        }
        Ok(())
    }
}
