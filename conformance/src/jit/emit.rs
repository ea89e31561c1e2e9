//! From instructions to machine code: the frame layout, the lowering of each instruction to a
//! few target-independent steps (load an argument, call an address, store the return value,
//! copy a word), and the [`Emit`] trait that each target implements.

use super::asm::{Inst, Line, Operand, REGS, Reg};
use super::{Error, Target, arm64, x86};

/// The largest frame, in words: AAPCS64 `ldr`/`str` reach 4095 words from the base register.
pub const MAX_FRAME_WORDS: usize = 4095;

/// An argument of a call, or the source of a copy.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Arg {
    /// The frame word at this index.
    Slot(usize),
    /// A constant.
    Imm(u64),
    /// The address of the frame word at this index.
    Addr(usize),
}

/// What a target's code generator provides. The frame pointer (the compiled function's one
/// argument) lives in a callee-saved register for the whole function.
pub trait Emit {
    /// Saves what the function uses of the callee-saved registers, aligns the stack, keeps the
    /// frame pointer.
    fn prologue(&mut self);
    /// Undoes the prologue and returns.
    fn epilogue(&mut self);
    /// Calls the C function at `addr` with `args` (at most 7).
    fn call(&mut self, addr: usize, args: &[Arg]);
    /// Stores the last call's return value in frame word `slot`.
    fn store_ret(&mut self, slot: usize);
    /// Frame word `dst` = `src` (a slot or an immediate).
    fn copy(&mut self, dst: usize, src: Arg);
    /// The bytes emitted.
    fn finish(self: Box<Self>) -> Vec<u8>;
}

/// Where each word of the frame is: registers `0..32`, then two words per instruction (the
/// value of its destination register after it ran, and the status of an `ext.call`), then the
/// argument array of `ext.call`s that take more than two arguments.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Layout {
    /// Instructions.
    pub insts: usize,
    /// Words of the argument array.
    pub args: usize,
}

impl Layout {
    pub fn trace(&self, i: usize) -> usize {
        REGS + 2 * i
    }
    pub fn status(&self, i: usize) -> usize {
        REGS + 2 * i + 1
    }
    pub fn args_at(&self) -> usize {
        REGS + 2 * self.insts
    }
    pub fn words(&self) -> usize {
        self.args_at() + self.args
    }
}

/// The runtime functions an `ext.call` reaches, and the argument count of an ID (`None` for an
/// ID the registry does not have: it goes through `neurlang_ext_call2`, which reports `ENOSYS`).
pub struct ExtAbi<'a> {
    pub call2: usize,
    pub call: usize,
    pub arity: &'a dyn Fn(u64) -> Option<usize>,
}

fn slot(r: Reg) -> usize {
    usize::from(r.0)
}

/// The machine code of `lines` for `target`, and the frame layout it expects.
pub fn compile(target: Target, lines: &[Line], ext: &ExtAbi) -> Result<(Vec<u8>, Layout), Error> {
    let mut args = 0;
    let mut plan = Vec::with_capacity(lines.len());
    for l in lines {
        let n = match &l.inst {
            Inst::ExtCall { id, rs2, .. } => {
                let n = (ext.arity)(*id).unwrap_or(0);
                if n > 2 && slot(*rs2) + n - 2 >= REGS {
                    return Err(Error::Parse {
                        line: l.line,
                        msg: format!(
                            "ID {id} takes {n} arguments: r{} and the {} registers after it must exist",
                            rs2.0,
                            n - 2
                        ),
                    });
                }
                n
            }
            _ => 0,
        };
        if n > 2 {
            args = args.max(n);
        }
        plan.push(n);
    }
    let layout = Layout {
        insts: lines.len(),
        args,
    };
    if layout.words() > MAX_FRAME_WORDS {
        return Err(Error::TooLarge(format!(
            "{} frame words, at most {MAX_FRAME_WORDS}",
            layout.words()
        )));
    }
    let mut e: Box<dyn Emit> = match target {
        Target::SysV => Box::new(x86::X86::new(x86::Abi::SysV)),
        Target::Win64 => Box::new(x86::X86::new(x86::Abi::Win64)),
        Target::Aapcs64 => Box::new(arm64::Arm64::new()),
    };
    e.prologue();
    for (i, (l, &n)) in lines.iter().zip(&plan).enumerate() {
        match &l.inst {
            Inst::MovImm(rd, v) => e.copy(slot(*rd), Arg::Imm(*v)),
            Inst::MovReg(rd, rs) => e.copy(slot(*rd), Arg::Slot(slot(*rs))),
            Inst::ExtCall { rd, id, rs1, rs2 } => {
                let result = Arg::Addr(slot(*rd));
                if n <= 2 {
                    let (a, b) = (Arg::Slot(slot(*rs1)), Arg::Slot(slot(*rs2)));
                    e.call(ext.call2, &[Arg::Imm(*id), a, b, result]);
                } else {
                    let at = layout.args_at();
                    e.copy(at, Arg::Slot(slot(*rs1)));
                    for k in 1..n {
                        e.copy(at + k, Arg::Slot(slot(*rs2) + k - 1));
                    }
                    let array = Arg::Addr(at);
                    e.call(
                        ext.call,
                        &[Arg::Imm(*id), array, Arg::Imm(n as u64), result],
                    );
                }
                e.store_ret(layout.status(i));
            }
            Inst::Call { rd, addr, args } => {
                let args: Vec<Arg> = args
                    .iter()
                    .map(|a| match a {
                        Operand::Reg(r) => Arg::Slot(slot(*r)),
                        Operand::Imm(v) => Arg::Imm(*v),
                    })
                    .collect();
                e.call(*addr, &args);
                e.store_ret(slot(*rd));
            }
            Inst::Halt => e.epilogue(),
        }
        if let Some(rd) = l.inst.dest() {
            e.copy(layout.trace(i), Arg::Slot(slot(rd)));
        }
    }
    e.epilogue();
    Ok((e.finish(), layout))
}
