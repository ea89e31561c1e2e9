//! Loading machine code into the buffer pool and calling it.

#![allow(unsafe_code)] // Calls generated machine code.

use super::asm::{Inst, Line, Operand, REGS, Reg};
use super::emit::Layout;
use super::{Error, ExtEntries, Program, Run, Step, Target};
use neurlang::runtime::{BufferPool, PoolConfig};
use std::sync::OnceLock;

/// Bytes of machine code a program may have.
const SLOT_SIZE: usize = 64 * 1024;

/// The pool every compiled program lives in (grows on demand; buffers go back on drop).
fn pool() -> Result<&'static BufferPool, Error> {
    static POOL: OnceLock<Result<BufferPool, String>> = OnceLock::new();
    let config = PoolConfig::new(4).slot_size(SLOT_SIZE).max_slots(1024);
    POOL.get_or_init(|| BufferPool::with_config(&config).map_err(|e| e.to_string()))
        .as_ref()
        .map_err(|e| Error::Unsupported(e.clone()))
}

/// A program loaded for the host, in a pool buffer of its own (released on drop).
#[derive(Debug)]
pub struct Compiled {
    buffer: neurlang::runtime::ExecutableBuffer<'static>,
    layout: Layout,
    lines: Vec<Line>,
}

impl Program {
    /// Loads the program for the host.
    pub fn load(&self) -> Result<Compiled, Error> {
        self.load_with(ExtEntries::linked(), &super::context_arity)
    }

    fn load_with(
        &self,
        entries: ExtEntries,
        arity: &dyn Fn(u64) -> Option<usize>,
    ) -> Result<Compiled, Error> {
        let target = Target::host()
            .ok_or_else(|| Error::Unsupported("no JIT target for this architecture".into()))?;
        let (code, layout) = self.machine_code_with(target, entries, arity)?;
        Compiled::new(code, layout, self.lines.clone())
    }
}

impl Compiled {
    fn new(code: Vec<u8>, layout: Layout, lines: Vec<Line>) -> Result<Compiled, Error> {
        let pool = pool()?;
        let mut buffer = pool.acquire().map_err(|e| Error::Pool(e.to_string()))?;
        buffer
            .write(&code)
            .map_err(|e| Error::TooLarge(e.to_string()))?;
        // SAFETY: nothing is called here; this only checks that the backend can execute.
        unsafe { buffer.as_fn::<extern "C" fn(*mut u64)>() }
            .map_err(|e| Error::Unsupported(e.to_string()))?;
        Ok(Compiled {
            buffer,
            layout,
            lines,
        })
    }

    /// The frame layout the code expects.
    pub fn layout(&self) -> Layout {
        self.layout
    }

    /// The entry point: an `extern "C" fn(*mut u64)` taking a frame of
    /// [`layout`](Self::layout)`.words()` words.
    pub fn entry(&self) -> *const u8 {
        self.buffer.as_ptr()
    }

    /// Calls the code on `frame` as it is (the registers are its first words), with nothing
    /// copied or traced afterwards: what a caller that runs the same code many times needs
    /// (the benches). Panics unless `frame` has [`layout`](Self::layout)`.words()` words.
    pub fn call(&self, frame: &mut [u64]) {
        assert!(
            frame.len() >= self.layout.words(),
            "a frame of {} words",
            self.layout.words()
        );
        // SAFETY: the buffer holds what `emit::compile` generated for the host's convention: a
        // complete `extern "C" fn(*mut u64)` (checked executable in `new`) that reads and writes
        // only the frame's `layout.words()` words, which `frame` has (checked above), and calls
        // `neurlang_ext_call2`/`neurlang_ext_call` with in-frame pointers as their contracts
        // ask, or the C functions a `call` names, which the program's author vouched for.
        let code = unsafe { self.buffer.as_fn::<extern "C" fn(*mut u64)>() }
            .expect("checked executable when loaded");
        code.call(frame.as_mut_ptr());
    }

    /// Runs the program on `regs` (read before, written back after).
    pub fn run(&self, regs: &mut [u64; REGS]) -> Run {
        let mut frame = vec![0u64; self.layout.words()];
        frame[..REGS].copy_from_slice(regs);
        self.call(&mut frame);
        regs.copy_from_slice(&frame[..REGS]);
        let mut steps = Vec::new();
        for (i, l) in self.lines.iter().enumerate() {
            steps.push(Step {
                line: l.line,
                dest: l.inst.dest(),
                value: frame[self.layout.trace(i)],
                status: frame[self.layout.status(i)] as i64,
            });
            if l.inst == Inst::Halt {
                break;
            }
        }
        Run { steps }
    }
}

/// Calls the C function at `fn_addr` with `args` (at most 7) from freshly compiled machine
/// code, and returns what it returned.
///
/// # Safety
///
/// `fn_addr` must be an `extern "C"` function taking `args.len()` integer or pointer arguments
/// and returning an integer, and calling it with `args` must be sound.
pub unsafe fn call_c(fn_addr: usize, args: &[u64]) -> Result<u64, Error> {
    if fn_addr == 0 || args.len() > super::asm::MAX_CALL_ARGS {
        return Err(Error::Unsupported(format!(
            "call_c needs a function and at most {} arguments",
            super::asm::MAX_CALL_ARGS
        )));
    }
    let lines = vec![Line {
        line: 1,
        inst: Inst::Call {
            rd: Reg(0),
            addr: fn_addr,
            args: args.iter().map(|&a| Operand::Imm(a)).collect(),
        },
    }];
    let mut regs = [0; REGS];
    Program { lines }.load()?.run(&mut regs);
    Ok(regs[0])
}

/// Calls extension `id` with `args` from freshly compiled machine code through `entries` (the
/// linked runtime's, acting on its current context's registry, or a loaded library's):
/// `(status, result)`, status 0 or `-errno`, result 0 on failure.
///
/// With at most 2 arguments this is `ext.call r0, id, r1, r2` (`neurlang_ext_call2`, which
/// reports an extension of more arguments as `EINVAL`); with more, `neurlang_ext_call` with
/// exactly `args.len()` of them (which the runtime checks against the extension's count).
///
/// # Safety
///
/// `entries` must be the `neurlang_ext_call2` and `neurlang_ext_call` of one runtime
/// ([`ExtEntries::linked`], or resolved by name in a library exporting the C ABI).
pub unsafe fn ext_call(entries: ExtEntries, id: u64, args: &[u64]) -> Result<(i64, u64), Error> {
    if args.len() >= REGS {
        return Err(Error::TooLarge(format!("{} arguments", args.len())));
    }
    let mut regs = [0; REGS];
    regs[1..=args.len()].copy_from_slice(args);
    let lines = vec![Line {
        line: 1,
        inst: Inst::ExtCall {
            rd: Reg(0),
            id,
            rs1: Reg(1),
            rs2: Reg(2),
        },
    }];
    let n = args.len();
    let arity = move |_: u64| (n > 2).then_some(n);
    let run = Program { lines }.load_with(entries, &arity)?.run(&mut regs);
    Ok((run.steps[0].status, regs[0]))
}
