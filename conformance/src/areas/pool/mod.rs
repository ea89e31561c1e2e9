//! Area `pool`: the executable buffer pool runs real machine code (from `cases/pool.toml`) on
//! every backend this platform has, stays correct when a slot is rewritten thousands of times
//! and when threads race for slots, traps on a released slot's old entry, keeps working under
//! Linux `PR_SET_MDWE`, and makes no system call on its hot path.

pub(crate) mod child;

use crate::{Case, CaseError, CaseResult, Ctx, ensure, ensure_eq, fail};
use neurlang::runtime::{Backend, BufferPool, Errno, PoolConfig, PoolError};
use serde::Deserialize;
use std::collections::HashMap;
use std::sync::atomic::{AtomicBool, Ordering};

#[derive(Debug, Clone, Deserialize)]
pub(crate) struct PoolFile {
    pub program: Vec<Program>,
    pub stress: Stress,
}

#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub(crate) struct Program {
    pub name: String,
    #[serde(default)]
    pub arg: Option<i32>,
    pub expect: i32,
    x86_64_sysv: String,
    x86_64_win64: String,
    aarch64: String,
}

#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub(crate) struct Stress {
    rewrites: usize,
    threads: usize,
    cycles_per_thread: usize,
    #[cfg_attr(not(target_os = "linux"), allow(dead_code))] // read by the Linux-only trial
    pub hot_path_cycles: usize,
    emulated_divisor: usize,
}

impl Program {
    /// The bytes for this target, or `None` where the table has no encoding.
    pub fn bytes(&self) -> Option<Vec<u8>> {
        let hex = if cfg!(all(target_arch = "x86_64", windows)) {
            &self.x86_64_win64
        } else if cfg!(target_arch = "x86_64") {
            &self.x86_64_sysv
        } else if cfg!(target_arch = "aarch64") {
            &self.aarch64
        } else {
            return None;
        };
        hex.split_whitespace()
            .map(|b| u8::from_str_radix(b, 16).ok())
            .collect()
    }

    /// Writes the program into `pool`'s buffer `buf`, calls it, and checks the result.
    #[allow(unsafe_code)] // calls the table's machine code
    pub fn run_in(&self, buf: &mut neurlang::runtime::ExecutableBuffer<'_>) -> Result<(), String> {
        let bytes = self.bytes().ok_or("no encoding for this architecture")?;
        buf.reset();
        buf.write(&bytes).map_err(|e| e.to_string())?;
        let got = match self.arg {
            // SAFETY: the table's bytes for this target are `extern "C" fn() -> i32`.
            None => unsafe { buf.as_fn::<extern "C" fn() -> i32>() }
                .map_err(|e| e.to_string())?
                .call(),
            // SAFETY: the table's bytes for this target are `extern "C" fn(i32) -> i32`.
            Some(a) => unsafe { buf.as_fn::<extern "C" fn(i32) -> i32>() }
                .map_err(|e| e.to_string())?
                .call(a),
        };
        if got != self.expect {
            return Err(format!(
                "{} returned {got}, expected {}",
                self.name, self.expect
            ));
        }
        Ok(())
    }
}

pub(crate) fn load() -> Result<PoolFile, String> {
    Ctx::new().table("pool.toml")
}

/// Backends the suite tries, and where each must work.
const BACKENDS: &[Backend] = &[
    Backend::DualMap,
    Backend::MapJit,
    Backend::Mprotect,
    Backend::Rwx,
];

fn expected_here(b: Backend) -> bool {
    let dual_map = cfg!(any(target_os = "linux", target_os = "freebsd", windows));
    let map_jit = cfg!(all(target_vendor = "apple", target_arch = "aarch64"));
    match b {
        Backend::DualMap => dual_map,
        Backend::MapJit => map_jit,
        _ => true,
    }
}

/// The backend the probe must choose here.
fn default_here() -> Backend {
    if cfg!(all(target_vendor = "apple", target_arch = "aarch64")) {
        Backend::MapJit
    } else if expected_here(Backend::DualMap) {
        Backend::DualMap
    } else {
        Backend::Mprotect
    }
}

pub fn cases(ctx: &Ctx) -> Result<Vec<Case>, String> {
    let file: PoolFile = ctx.table("pool.toml")?;
    let no_code = (file.program[0].bytes().is_none()).then(|| {
        format!(
            "no machine code in pool.toml for {}",
            std::env::consts::ARCH
        )
    });
    let emulated = ctx.host.emulated();
    let div = if emulated {
        file.stress.emulated_divisor.max(1)
    } else {
        1
    };
    let mut cases = Vec::new();

    cases.push(Case::new("pool", "backend.probed", move || {
        backend_probed(emulated)
    }));
    for p in &file.program {
        for &b in BACKENDS {
            let p = p.clone();
            let skip = (!expected_here(b))
                .then(|| format!("the {b} backend does not exist on this platform"));
            cases.push(
                Case::new("pool", format!("exec.{}.{}", p.name, b.name()), move || {
                    exec(b, &p, emulated)
                })
                .skip_if(no_code.clone())
                .skip_if(skip),
            );
        }
    }
    let progs = file.program.clone();
    cases.push(
        Case::new("pool", "exec.spec_example", move || spec_example(&progs[0]))
            .skip_if(no_code.clone()),
    );
    let (progs, n) = (file.program.clone(), file.stress.rewrites);
    cases.push(
        Case::new("pool", "rewrite.same_slot", move || rewrite(&progs, n)).skip_if(no_code.clone()),
    );
    cases.push(Case::new(
        "pool",
        "write.all_or_nothing",
        write_all_or_nothing,
    ));
    cases.push(Case::new("pool", "poison.released_bytes", poison_released));
    cases.push(Case::new("pool", "exhaustion.clear_error", exhaustion));
    let (t, c) = (file.stress.threads, file.stress.cycles_per_thread / div);
    cases.push(Case::new("pool", "threads.unique_slots", move || {
        unique_slots(t, c)
    }));
    cases.extend(child::cases(ctx, no_code));
    Ok(cases)
}

/// Under an emulator the dual mapping may fail its self-test (qemu-user keeps running code
/// rewritten through the other view stale); the pool must then fall back to mprotect.
const EMULATED_DUAL_MAP: &str = "the dual mapping fails the pool's coherence self-test under \
    this emulator (qemu-user does not see code rewritten through the second view)";

fn backend_probed(emulated: bool) -> CaseResult {
    let pool = BufferPool::new(4);
    let Some(b) = pool.backend() else {
        fail!(
            "no backend: {}",
            pool.error().map(|e| e.to_string()).unwrap_or_default()
        );
    };
    if emulated && default_here() == Backend::DualMap && b == Backend::Mprotect {
        return Ok(());
    }
    ensure_eq!(b, default_here(), "probed backend");
    ensure!(b.executable(), "the probed backend {b} must execute");
    Ok(())
}

fn exec(backend: Backend, p: &Program, emulated: bool) -> CaseResult {
    let pool = match BufferPool::with_config(&PoolConfig::new(4).backend(backend)) {
        Ok(pool) => pool,
        Err(PoolError::Backend(Backend::DualMap, Errno::EOPNOTSUPP)) if emulated => {
            return Err(CaseError::Skip(EMULATED_DUAL_MAP.into()));
        }
        Err(e) => fail!("the {backend} backend must work here: {e}"),
    };
    ensure_eq!(pool.backend(), Some(backend));
    for _ in 0..3 {
        let mut buf = pool.acquire()?;
        p.run_in(&mut buf)?;
    }
    ensure_eq!(pool.in_use(), 0, "in use after release");
    Ok(())
}

/// The specification's example, with `extern "C"`.
#[allow(unsafe_code)] // calls the table's machine code
fn spec_example(p: &Program) -> CaseResult {
    let machine_code = p.bytes().ok_or("no code")?;
    let pool = BufferPool::new(64);
    let mut buffer = pool.acquire().expect("pool exhausted");
    buffer.write(&machine_code)?;
    // SAFETY: the bytes are `extern "C" fn() -> i32` for this target (pool.toml).
    let func: extern "C" fn() -> i32 = unsafe { std::mem::transmute(buffer.as_ptr()) };
    let result = func();
    ensure_eq!(result, p.expect);
    ensure_eq!((pool.in_use(), pool.capacity()), (1, 64));
    drop(buffer);
    ensure_eq!((pool.in_use(), pool.capacity()), (0, 64));
    Ok(())
}

/// One slot rewritten `n` times, cycling through every program, called after each write: stale
/// instructions (a missing instruction-cache flush) return the previous program's result.
fn rewrite(progs: &[Program], n: usize) -> CaseResult {
    let pool = BufferPool::new(1);
    let mut buf = pool.acquire()?;
    let entry = buf.as_ptr();
    for i in 0..n {
        progs[i % progs.len()]
            .run_in(&mut buf)
            .map_err(|e| format!("rewrite {i}: {e}"))?;
        ensure_eq!(buf.as_ptr(), entry, "the slot moved");
    }
    Ok(())
}

fn write_all_or_nothing() -> CaseResult {
    let pool = BufferPool::with_buffer_size(1, 64);
    let mut buf = pool.acquire()?;
    buf.write(&[0x90; 60])?;
    match buf.write(&[0x90; 8]) {
        Err(PoolError::TooLarge {
            len: 8,
            remaining: 4,
        }) => {}
        other => fail!("an oversized write gave {other:?}, expected TooLarge"),
    }
    ensure_eq!(buf.len(), 60, "length after a refused write");
    Ok(())
}

fn poison_released() -> CaseResult {
    let pool = BufferPool::with_buffer_size(1, 64);
    let mut buf = pool.acquire()?;
    let fresh = read(&buf, 64);
    buf.write(&[0x5A; 40])?;
    drop(buf);
    let buf = pool.acquire()?;
    ensure_eq!(
        read(&buf, 64),
        fresh,
        "a released slot reads back as trap bytes"
    );
    let trap: &[u8] = if cfg!(target_arch = "aarch64") {
        &[0x00, 0x00, 0x20, 0xD4]
    } else {
        &[0xCC]
    };
    ensure!(
        fresh.chunks(trap.len()).all(|c| c == trap),
        "unwritten bytes are the trap pattern {trap:02X?}: {fresh:02X?}"
    );
    Ok(())
}

#[allow(unsafe_code)] // reads the slot's executable view
fn read(buf: &neurlang::runtime::ExecutableBuffer<'_>, n: usize) -> Vec<u8> {
    // SAFETY: the slot has at least `n` readable bytes in its executable view, held by `buf`.
    unsafe { std::slice::from_raw_parts(buf.as_ptr(), n) }.to_vec()
}

fn exhaustion() -> CaseResult {
    let pool = BufferPool::new(2);
    let _a = pool.acquire()?;
    let _b = pool.acquire()?;
    match pool.acquire() {
        Err(e @ PoolError::Exhausted { capacity: 2 }) => {
            ensure_eq!(e.errno(), neurlang::runtime::Errno::EAGAIN)
        }
        other => fail!("a third acquire of two gave {other:?}"),
    }
    let s = pool.stats().ok_or("no stats")?;
    ensure_eq!((s.in_use, s.high_water, s.exhausted), (2, 2, 1), "stats");
    Ok(())
}

/// `threads` threads acquire and release `cycles` times each; a slot is never held twice.
fn unique_slots(threads: usize, cycles: usize) -> CaseResult {
    use rayon::prelude::*;
    let slots = threads * 2;
    let pool = BufferPool::new(slots);
    let held: Vec<_> = (0..slots)
        .map(|_| pool.acquire())
        .collect::<Result<_, _>>()?;
    let owned: HashMap<usize, AtomicBool> = held
        .iter()
        .map(|b| (b.as_ptr() as usize, AtomicBool::new(false)))
        .collect();
    drop(held);
    let rt = rayon::ThreadPoolBuilder::new()
        .num_threads(threads)
        .build()?;
    let dup = rt.install(|| {
        (0..threads)
            .into_par_iter()
            .map(|_| {
                for _ in 0..cycles {
                    let buf = match pool.acquire() {
                        Ok(b) => b,
                        Err(e) => return Err(format!("acquire failed: {e}")),
                    };
                    let flag = &owned[&(buf.as_ptr() as usize)];
                    if flag.swap(true, Ordering::AcqRel) {
                        return Err(format!("slot {:?} handed out twice", buf.as_ptr()));
                    }
                    flag.store(false, Ordering::Release);
                }
                Ok(())
            })
            .collect::<Result<Vec<()>, String>>()
    });
    dup.map_err(CaseError::Fail)?;
    ensure_eq!(pool.in_use(), 0);
    Ok(())
}
