//! AAPCS64 code.
//!
//! The frame pointer lives in `x19` (callee-saved), saved with the frame record (`x29`, `x30`)
//! in a 32-byte frame, so `sp` stays 16-byte aligned. Arguments go in `x0`..`x7` (the 7 that
//! `call` allows all fit), `x9` is the scratch register and `x16` holds a call's target.

use super::emit::{Arg, Emit};

const X0: u32 = 0;
const X9: u32 = 9;
const X16: u32 = 16;
const X19: u32 = 19;
const FP: u32 = 29;
const LR: u32 = 30;
const SP: u32 = 31;

/// The AAPCS64 generator.
#[derive(Debug, Default)]
pub struct Arm64 {
    code: Vec<u8>,
}

impl Arm64 {
    pub fn new() -> Arm64 {
        Arm64::default()
    }

    fn op(&mut self, word: u32) {
        self.code.extend_from_slice(&word.to_le_bytes());
    }

    /// `ldr xt, [xn, #8*slot]`.
    fn ldr(&mut self, t: u32, n: u32, slot: usize) {
        self.op(0xF940_0000 | imm12(slot) << 10 | n << 5 | t);
    }

    /// `str xt, [xn, #8*slot]`.
    fn str(&mut self, t: u32, n: u32, slot: usize) {
        self.op(0xF900_0000 | imm12(slot) << 10 | n << 5 | t);
    }

    /// `movz` then a `movk` for each further non-zero half-word.
    fn imm(&mut self, d: u32, v: u64) {
        self.op(0xD280_0000 | ((v & 0xFFFF) as u32) << 5 | d);
        for hw in 1..4u32 {
            let part = ((v >> (16 * hw)) & 0xFFFF) as u32;
            if part != 0 {
                self.op(0xF280_0000 | hw << 21 | part << 5 | d);
            }
        }
    }

    /// `add xd, x19, #8*slot` (split into a shifted and an unshifted add past 4095 bytes).
    fn addr(&mut self, d: u32, slot: usize) {
        let bytes = (8 * slot) as u32;
        let (hi, lo) = (bytes >> 12, bytes & 0xFFF);
        if hi != 0 {
            self.op(0x9140_0000 | hi << 10 | X19 << 5 | d);
            self.op(0x9100_0000 | lo << 10 | d << 5 | d);
        } else {
            self.op(0x9100_0000 | lo << 10 | X19 << 5 | d);
        }
    }

    fn arg(&mut self, d: u32, a: Arg) {
        match a {
            Arg::Slot(s) => self.ldr(d, X19, s),
            Arg::Imm(v) => self.imm(d, v),
            Arg::Addr(s) => self.addr(d, s),
        }
    }
}

fn imm12(slot: usize) -> u32 {
    assert!(
        slot < 4096,
        "frame offsets are checked against MAX_FRAME_WORDS"
    );
    slot as u32
}

impl Emit for Arm64 {
    fn prologue(&mut self) {
        self.op(0xA9BE_0000 | LR << 10 | SP << 5 | FP); // stp x29, x30, [sp, #-32]!
        self.op(0x9100_0000 | SP << 5 | FP); // mov x29, sp
        self.str(X19, SP, 2); // str x19, [sp, #16]
        self.op(0xAA00_03E0 | X0 << 16 | X19); // mov x19, x0
    }

    fn epilogue(&mut self) {
        self.ldr(X19, SP, 2); // ldr x19, [sp, #16]
        self.op(0xA8C2_0000 | LR << 10 | SP << 5 | FP); // ldp x29, x30, [sp], #32
        self.op(0xD65F_03C0); // ret
    }

    fn call(&mut self, addr: usize, args: &[Arg]) {
        assert!(args.len() <= 8, "the parser allows at most 7 arguments");
        for (r, a) in args.iter().enumerate() {
            self.arg(r as u32, *a);
        }
        self.imm(X16, addr as u64);
        self.op(0xD63F_0000 | X16 << 5); // blr x16
    }

    fn store_ret(&mut self, slot: usize) {
        self.str(X0, X19, slot);
    }

    fn copy(&mut self, dst: usize, src: Arg) {
        self.arg(X9, src);
        self.str(X9, X19, dst);
    }

    fn finish(self: Box<Self>) -> Vec<u8> {
        self.code
    }
}

#[cfg(test)]
mod tests {
    //! Words checked against GNU as (`aarch64-linux-gnu-as` then `aarch64-linux-gnu-objdump -d`).
    use super::*;

    fn words(f: impl FnOnce(&mut Arm64)) -> Vec<u32> {
        let mut e = Arm64::new();
        f(&mut e);
        e.code
            .chunks(4)
            .map(|c| u32::from_le_bytes(c.try_into().expect("whole words")))
            .collect()
    }

    #[test]
    fn prologue_and_epilogue() {
        // stp x29, x30, [sp, #-32]!; mov x29, sp; str x19, [sp, #16]; mov x19, x0
        assert_eq!(
            words(|e| e.prologue()),
            [0xa9be7bfd, 0x910003fd, 0xf9000bf3, 0xaa0003f3]
        );
        // ldr x19, [sp, #16]; ldp x29, x30, [sp], #32; ret
        assert_eq!(
            words(|e| e.epilogue()),
            [0xf9400bf3, 0xa8c27bfd, 0xd65f03c0]
        );
    }

    #[test]
    fn loads_stores_addresses_and_immediates() {
        // ldr x3, [x19, #264]; str x0, [x19, #8]; add x2, x19, #0x10
        assert_eq!(words(|e| e.ldr(3, X19, 33)), [0xf9408663]);
        assert_eq!(words(|e| e.store_ret(1)), [0xf9000660]);
        assert_eq!(words(|e| e.addr(2, 2)), [0x91004262]);
        // add x2, x19, #0x1, lsl #12; add x2, x2, #0x8
        assert_eq!(words(|e| e.addr(2, 513)), [0x91400662, 0x91002042]);
        // mov x9, #0x0 (movz)
        assert_eq!(words(|e| e.imm(X9, 0)), [0xd2800009]);
        // movz x16, #0x7788; movk x16, #0x5566, lsl #16; movk x16, #0x1122, lsl #48
        assert_eq!(
            words(|e| e.imm(X16, 0x1122_0000_5566_7788)),
            [0xd28ef110, 0xf2aaacd0, 0xf2e22450]
        );
        // blr x16
        assert_eq!(words(|e| e.call(0x10, &[]))[1], 0xd63f0200);
    }
}
