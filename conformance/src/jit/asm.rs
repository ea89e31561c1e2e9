//! The assembly the test JIT reads: one instruction a line, `;` to the end of a line is a
//! comment, operands separated by commas.
//!
//! - `mov rd, imm` / `mov rd, rs`: an immediate (decimal, negative, or `0x` hexadecimal, any
//!   64-bit pattern) or another register into `rd`;
//! - `ext.call rd, id, rs1, rs2`: extension `id` (see [`super`] for how arguments are taken);
//! - `call rd, fn, a1, …, a7`: the C function at address `fn` (an integer, or `@name` resolved
//!   by the caller's symbol table) with up to 7 integer arguments, each a register or an
//!   immediate; its return value goes to `rd`;
//! - `halt`: return to the caller (reaching the end of the text does the same).
//!
//! Registers are `r0` … `r31`.

use super::Error;

/// Number of virtual registers.
pub const REGS: usize = 32;

/// The most arguments `call` passes.
pub const MAX_CALL_ARGS: usize = 7;

/// A virtual register, `r0` … `r31`.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Reg(pub u8);

/// An argument of `call`.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Operand {
    Reg(Reg),
    Imm(u64),
}

/// One instruction.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Inst {
    MovImm(Reg, u64),
    MovReg(Reg, Reg),
    ExtCall {
        rd: Reg,
        id: u64,
        rs1: Reg,
        rs2: Reg,
    },
    Call {
        rd: Reg,
        addr: usize,
        args: Vec<Operand>,
    },
    Halt,
}

impl Inst {
    /// The register the instruction writes, if any.
    pub fn dest(&self) -> Option<Reg> {
        match self {
            Inst::MovImm(rd, _) | Inst::MovReg(rd, _) => Some(*rd),
            Inst::ExtCall { rd, .. } | Inst::Call { rd, .. } => Some(*rd),
            Inst::Halt => None,
        }
    }
}

/// An instruction with the 1-based line it came from.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Line {
    pub line: usize,
    pub inst: Inst,
}

/// Parses `text`; `symbol` resolves the `@name` of a `call`.
pub fn parse(text: &str, symbol: &dyn Fn(&str) -> Option<usize>) -> Result<Vec<Line>, Error> {
    let mut out = Vec::new();
    for (i, raw) in text.lines().enumerate() {
        let line = i + 1;
        let code = raw.split(';').next().unwrap_or("").trim();
        if code.is_empty() {
            continue;
        }
        let bad = |msg: String| Error::Parse { line, msg };
        let (op, rest) = code.split_once(char::is_whitespace).unwrap_or((code, ""));
        let ops: Vec<&str> = if rest.trim().is_empty() {
            Vec::new()
        } else {
            rest.split(',').map(str::trim).collect()
        };
        let reg = |s: &str| register(s).ok_or_else(|| bad(format!("`{s}` is not r0..r31")));
        let want = |n: usize| {
            if ops.len() == n {
                Ok(())
            } else {
                Err(bad(format!("`{op}` takes {n} operands, got {}", ops.len())))
            }
        };
        let inst = match op {
            "mov" => {
                want(2)?;
                let rd = reg(ops[0])?;
                match register(ops[1]) {
                    Some(rs) => Inst::MovReg(rd, rs),
                    None => Inst::MovImm(rd, imm(ops[1]).ok_or_else(|| bad(not_operand(ops[1])))?),
                }
            }
            "ext.call" => {
                want(4)?;
                Inst::ExtCall {
                    rd: reg(ops[0])?,
                    id: imm(ops[1]).ok_or_else(|| bad(format!("`{}` is not an ID", ops[1])))?,
                    rs1: reg(ops[2])?,
                    rs2: reg(ops[3])?,
                }
            }
            "call" => {
                if ops.len() < 2 || ops.len() > 2 + MAX_CALL_ARGS {
                    return Err(bad(format!(
                        "`call rd, fn, args…` takes 0..={MAX_CALL_ARGS} arguments"
                    )));
                }
                let addr = match ops[1].strip_prefix('@') {
                    Some(name) => symbol(name).ok_or_else(|| bad(format!("no symbol `{name}`")))?,
                    None => imm(ops[1])
                        .and_then(|a| usize::try_from(a).ok())
                        .ok_or_else(|| bad(format!("`{}` is not an address", ops[1])))?,
                };
                if addr == 0 {
                    return Err(bad("call to address 0".into()));
                }
                let args = ops[2..]
                    .iter()
                    .map(|s| match register(s) {
                        Some(r) => Ok(Operand::Reg(r)),
                        None => imm(s).map(Operand::Imm).ok_or_else(|| bad(not_operand(s))),
                    })
                    .collect::<Result<_, _>>()?;
                Inst::Call {
                    rd: reg(ops[0])?,
                    addr,
                    args,
                }
            }
            "halt" => {
                want(0)?;
                Inst::Halt
            }
            _ => return Err(bad(format!("unknown instruction `{op}`"))),
        };
        out.push(Line { line, inst });
    }
    Ok(out)
}

fn not_operand(s: &str) -> String {
    format!("`{s}` is neither a register nor an immediate")
}

fn register(s: &str) -> Option<Reg> {
    let n: u8 = s.strip_prefix('r')?.parse().ok()?;
    (usize::from(n) < REGS).then_some(Reg(n))
}

/// Decimal (optionally negative, two's complement) or `0x` hexadecimal.
fn imm(s: &str) -> Option<u64> {
    if let Some(h) = s.strip_prefix("0x") {
        return u64::from_str_radix(&h.replace('_', ""), 16).ok();
    }
    match s.strip_prefix('-') {
        Some(d) => d
            .parse::<u64>()
            .ok()
            .filter(|&v| v <= 1 << 63)
            .map(u64::wrapping_neg),
        None => s.parse().ok(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn parse_ok(text: &str) -> Vec<Inst> {
        parse(text, &|n| (n == "f").then_some(0x1000))
            .expect("parses")
            .into_iter()
            .map(|l| l.inst)
            .collect()
    }

    fn parse_err(text: &str) -> String {
        parse(text, &|_| None).expect_err("rejected").to_string()
    }

    #[test]
    fn reads_every_form() {
        let got = parse_ok(
            "; comment only\n  mov r1, -1 ; tail\nmov r31, r1\next.call r0, 0x64, r1, r2\n\
             call r3, @f, r4, 7\ncall r5, 4096\nhalt\n",
        );
        assert_eq!(
            got,
            vec![
                Inst::MovImm(Reg(1), u64::MAX),
                Inst::MovReg(Reg(31), Reg(1)),
                Inst::ExtCall {
                    rd: Reg(0),
                    id: 100,
                    rs1: Reg(1),
                    rs2: Reg(2)
                },
                Inst::Call {
                    rd: Reg(3),
                    addr: 0x1000,
                    args: vec![Operand::Reg(Reg(4)), Operand::Imm(7)]
                },
                Inst::Call {
                    rd: Reg(5),
                    addr: 4096,
                    args: vec![]
                },
                Inst::Halt,
            ]
        );
    }

    #[test]
    fn names_the_line_of_each_error() {
        assert_eq!(parse_err("\nmov r32, 1"), "line 2: `r32` is not r0..r31");
        assert_eq!(parse_err("mov r1"), "line 1: `mov` takes 2 operands, got 1");
        assert_eq!(parse_err("jmp r1"), "line 1: unknown instruction `jmp`");
        assert_eq!(parse_err("call r0, @g"), "line 1: no symbol `g`");
        assert_eq!(parse_err("call r0, 0"), "line 1: call to address 0");
        assert!(parse_err("call r0, 1, 1, 2, 3, 4, 5, 6, 7, 8").contains("0..=7 arguments"));
        assert!(parse_err("mov r1, 1x").contains("neither a register"));
        assert!(parse_err("mov r1, -9223372036854775809").contains("neither"));
    }
}
