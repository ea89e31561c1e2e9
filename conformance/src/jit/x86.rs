//! x86_64 code for the System V and Windows x64 calling conventions.
//!
//! The frame pointer lives in `rbx`, callee-saved in both; nothing else callee-saved is touched
//! (not `rdi`/`rsi`, which Windows x64 also preserves, nor any vector register). `rax` is the
//! scratch register.
//!
//! | | System V | Windows x64 |
//! |---|---|---|
//! | integer arguments | rdi, rsi, rdx, rcx, r8, r9, then the stack | rcx, rdx, r8, r9, then the stack after 32 bytes of shadow space |
//! | stack reserved below the saved `rbx` | 16 bytes (the 7th argument) | 64 bytes (shadow space + arguments 5..7) |
//!
//! Either way `rsp` is 16-byte aligned at every call: it is 8 mod 16 at entry (the return
//! address), the `push rbx` makes it 0, and the reservation is a multiple of 16.

use super::emit::{Arg, Emit};

/// Which convention.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Abi {
    SysV,
    Win64,
}

const RAX: u8 = 0;
const RCX: u8 = 1;
const RDX: u8 = 2;
const RBX: u8 = 3;
const RSI: u8 = 6;
const RDI: u8 = 7;
const R8: u8 = 8;
const R9: u8 = 9;

impl Abi {
    fn arg_regs(self) -> &'static [u8] {
        match self {
            Abi::SysV => &[RDI, RSI, RDX, RCX, R8, R9],
            Abi::Win64 => &[RCX, RDX, R8, R9],
        }
    }
    /// Bytes reserved under the saved `rbx`.
    fn reserve(self) -> u8 {
        match self {
            Abi::SysV => 16,
            Abi::Win64 => 64,
        }
    }
    /// Where stack argument `k` (0 for the first one not in a register) goes, above `rsp`.
    fn stack_arg(self, k: usize) -> u8 {
        let shadow = match self {
            Abi::SysV => 0,
            Abi::Win64 => 32,
        };
        (shadow + 8 * k) as u8
    }
}

/// The x86_64 generator.
#[derive(Debug)]
pub struct X86 {
    abi: Abi,
    code: Vec<u8>,
}

impl X86 {
    pub fn new(abi: Abi) -> X86 {
        X86 {
            abi,
            code: Vec::new(),
        }
    }

    fn bytes(&mut self, b: &[u8]) {
        self.code.extend_from_slice(b);
    }

    /// `REX.W` with the R bit for `reg` and the B bit for `rm`.
    fn rex(&mut self, reg: u8, rm: u8) {
        self.code.push(0x48 | ((reg >> 3) << 2) | (rm >> 3));
    }

    /// `op reg, [rbx + disp32]` (or the reverse, as `op` says).
    fn rbx_mem(&mut self, op: u8, reg: u8, slot: usize) {
        self.rex(reg, RBX);
        self.code.push(op);
        self.code.push(0x80 | ((reg & 7) << 3) | RBX);
        self.code.extend_from_slice(&disp(slot).to_le_bytes());
    }

    /// `mov reg, [rbx + 8*slot]`.
    fn load(&mut self, reg: u8, slot: usize) {
        self.rbx_mem(0x8B, reg, slot);
    }

    /// `mov [rbx + 8*slot], reg`.
    fn store(&mut self, slot: usize, reg: u8) {
        self.rbx_mem(0x89, reg, slot);
    }

    /// `mov reg, imm64`.
    fn imm(&mut self, reg: u8, v: u64) {
        self.rex(0, reg);
        self.code.push(0xB8 | (reg & 7));
        self.code.extend_from_slice(&v.to_le_bytes());
    }

    fn arg(&mut self, reg: u8, a: Arg) {
        match a {
            Arg::Slot(s) => self.load(reg, s),
            Arg::Imm(v) => self.imm(reg, v),
            // lea reg, [rbx + 8*slot]
            Arg::Addr(s) => self.rbx_mem(0x8D, reg, s),
        }
    }
}

fn disp(slot: usize) -> i32 {
    i32::try_from(8 * slot).expect("frame offsets are checked against MAX_FRAME_WORDS")
}

impl Emit for X86 {
    fn prologue(&mut self) {
        let first = self.abi.arg_regs()[0];
        // push rbx; sub rsp, reserve; mov rbx, <first argument>
        self.bytes(&[0x53, 0x48, 0x83, 0xEC, self.abi.reserve()]);
        self.bytes(&[0x48, 0x89, 0xC0 | (first << 3) | RBX]);
    }

    fn epilogue(&mut self) {
        // add rsp, reserve; pop rbx; ret
        self.bytes(&[0x48, 0x83, 0xC4, self.abi.reserve(), 0x5B, 0xC3]);
    }

    fn call(&mut self, addr: usize, args: &[Arg]) {
        let regs = self.abi.arg_regs();
        // Stack arguments first, through rax, then the registers.
        for (k, a) in args.iter().skip(regs.len()).enumerate() {
            self.arg(RAX, *a);
            // mov [rsp + disp8], rax
            self.bytes(&[0x48, 0x89, 0x44, 0x24, self.abi.stack_arg(k)]);
        }
        for (r, a) in regs.iter().zip(args) {
            self.arg(*r, *a);
        }
        self.imm(RAX, addr as u64);
        self.bytes(&[0xFF, 0xD0]); // call rax
    }

    fn store_ret(&mut self, slot: usize) {
        self.store(slot, RAX);
    }

    fn copy(&mut self, dst: usize, src: Arg) {
        self.arg(RAX, src);
        self.store(dst, RAX);
    }

    fn finish(self: Box<Self>) -> Vec<u8> {
        self.code
    }
}

#[cfg(test)]
mod tests {
    //! Byte sequences checked against GNU as (`as --64` with the `{disp32}` pseudo-prefix on the
    //! frame accesses, which it would otherwise shorten, then `objdump -d -M intel`; shown above
    //! each).
    use super::*;

    fn emit(abi: Abi, f: impl FnOnce(&mut X86)) -> Vec<u8> {
        let mut e = X86::new(abi);
        f(&mut e);
        e.code
    }

    #[test]
    fn prologue_and_epilogue() {
        // push rbx; sub rsp,0x10; mov rbx,rdi
        assert_eq!(
            emit(Abi::SysV, |e| e.prologue()),
            [0x53, 0x48, 0x83, 0xec, 0x10, 0x48, 0x89, 0xfb]
        );
        // push rbx; sub rsp,0x40; mov rbx,rcx
        assert_eq!(
            emit(Abi::Win64, |e| e.prologue()),
            [0x53, 0x48, 0x83, 0xec, 0x40, 0x48, 0x89, 0xcb]
        );
        // add rsp,0x40; pop rbx; ret
        assert_eq!(
            emit(Abi::Win64, |e| e.epilogue()),
            [0x48, 0x83, 0xc4, 0x40, 0x5b, 0xc3]
        );
    }

    #[test]
    fn loads_stores_and_immediates() {
        // mov r9,QWORD PTR [rbx+0x108]
        assert_eq!(
            emit(Abi::SysV, |e| e.load(R9, 33)),
            [0x4c, 0x8b, 0x8b, 0x08, 0x01, 0, 0]
        );
        // mov QWORD PTR [rbx+0x8],rax
        assert_eq!(
            emit(Abi::SysV, |e| e.store(1, RAX)),
            [0x48, 0x89, 0x83, 0x08, 0, 0, 0]
        );
        // lea r8,[rbx+0x10]
        assert_eq!(
            emit(Abi::SysV, |e| e.arg(R8, Arg::Addr(2))),
            [0x4c, 0x8d, 0x83, 0x10, 0, 0, 0]
        );
        // movabs rsi,0x1122334455667788
        assert_eq!(
            emit(Abi::SysV, |e| e.imm(RSI, 0x1122_3344_5566_7788)),
            [0x48, 0xbe, 0x88, 0x77, 0x66, 0x55, 0x44, 0x33, 0x22, 0x11]
        );
        // movabs r9,0xffffffffffffffff
        assert_eq!(
            emit(Abi::SysV, |e| e.imm(R9, u64::MAX)),
            [0x49, 0xb9, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff]
        );
    }

    #[test]
    fn stack_arguments_follow_each_convention() {
        // Win64, 5 args: arg 5 at [rsp+0x20] above the shadow space.
        let args = [
            Arg::Imm(1),
            Arg::Imm(2),
            Arg::Imm(3),
            Arg::Imm(4),
            Arg::Slot(0),
        ];
        let code = emit(Abi::Win64, |e| e.call(0x10, &args));
        // mov rax,QWORD PTR [rbx+0x0]; mov QWORD PTR [rsp+0x20],rax; movabs rcx,1 …
        assert_eq!(
            code[..12],
            [0x48, 0x8b, 0x83, 0, 0, 0, 0, 0x48, 0x89, 0x44, 0x24, 0x20]
        );
        assert_eq!(code[12..14], [0x48, 0xb9]);
        // …; movabs rax,0x10; call rax
        assert_eq!(
            code[code.len() - 12..],
            [0x48, 0xb8, 0x10, 0, 0, 0, 0, 0, 0, 0, 0xff, 0xd0]
        );
        // System V, 7 args: the 7th at [rsp], the 1st in rdi.
        let args = [Arg::Imm(0); 7];
        let code = emit(Abi::SysV, |e| e.call(0x10, &args));
        assert_eq!(code[10..15], [0x48, 0x89, 0x44, 0x24, 0x00]);
        assert_eq!(code[15..17], [0x48, 0xbf]);
    }
}
