//! Runs generated code on the host (ignored under Miri, which cannot execute it).

#![allow(unsafe_code)] // The callee-saved harness is assembly, called through `extern "C"`.

use super::*;
use neurlang::errno::Errno;
use neurlang::ext::ids;

fn id(id: neurlang::ext::ExtId) -> u64 {
    u64::from(id.get())
}

#[test]
#[cfg_attr(miri, ignore)]
fn vec_program_runs_and_frees() {
    let text = format!(
        "ext.call r1, {new}, r0, r0\nmov r2, 42\next.call r0, {push}, r1, r2\n\
         ext.call r5, {len}, r1, r0\next.call r0, {free}, r1, r0\nhalt\nmov r9, 1\n",
        new = id(ids::VEC_NEW),
        push = id(ids::VEC_PUSH),
        len = id(ids::VEC_LEN),
        free = id(ids::VEC_FREE),
    );
    let mut regs = [0; 32];
    let (run, live) = with_own_stdlib(|| Program::compile(&text).map(|c| c.run(&mut regs)));
    let run = run.expect("compiles");
    assert_eq!(regs[5], 1, "vec_len after one push");
    assert_eq!(regs[9], 0, "nothing after halt runs");
    assert_eq!(run.steps.len(), 6, "steps up to the halt");
    assert_eq!(run.steps[3].value, 1);
    assert_eq!(run.failure(), None);
    assert_eq!(live.total(), 0, "the vec was freed");
}

#[test]
#[cfg_attr(miri, ignore)]
fn a_failed_ext_call_leaves_rd_and_records_its_status() {
    let code = Program::compile("mov r3, 7\next.call r3, 999, r0, r0\nmov r4, r3").expect("ok");
    let mut regs = [0; 32];
    let run = code.run(&mut regs);
    assert_eq!((regs[3], regs[4]), (7, 7), "rd untouched on failure");
    let failed = run.failure().expect("ID 999 is unregistered");
    assert_eq!((failed.line, failed.status), (2, Errno::ENOSYS.neg()));
}

#[test]
#[cfg_attr(miri, ignore)]
fn three_argument_ids_take_the_registers_after_rs2() {
    let text = format!(
        "ext.call r1, {new}, r0, r0\nmov r7, 5\nmov r8, 500\next.call r0, {ins}, r1, r7\n\
         ext.call r2, {get}, r1, r7\next.call r0, {free}, r1, r0\n",
        new = id(ids::HASHMAP_NEW),
        ins = id(ids::HASHMAP_INSERT),
        get = id(ids::HASHMAP_GET),
        free = id(ids::HASHMAP_FREE),
    );
    let mut regs = [0; 32];
    let (run, live) = with_own_stdlib(|| Program::compile(&text).map(|c| c.run(&mut regs)));
    assert_eq!(run.expect("compiles").failure(), None);
    assert_eq!(
        regs[2], 500,
        "the value came from r8, the register after rs2"
    );
    assert_eq!(live.total(), 0);
    let edge = format!("ext.call r0, {}, r1, r31", id(ids::HASHMAP_INSERT));
    let err = Program::parse(&edge)
        .and_then(|p| p.load())
        .expect_err("no r32");
    assert!(err.to_string().contains("registers after it"), "{err}");
}

extern "C" fn digits(a: u64, b: u64, c: u64, d: u64, e: u64, f: u64, g: u64) -> u64 {
    a + 10 * b + 100 * c + 1_000 * d + 10_000 * e + 100_000 * f + 1_000_000 * g
}

extern "C" fn ends(a: u64, b: u64, c: u64, d: u64, e: u64, f: u64, g: u64) -> u64 {
    a ^ b.rotate_left(8) ^ c ^ d ^ e ^ f ^ g.rotate_left(32)
}

#[repr(align(16))]
struct Aligned([u8; 16]);

/// The misalignment of a 16-aligned local: non-zero if `sp` was misaligned at the call.
extern "C" fn misalignment() -> u64 {
    let x = Aligned([0; 16]);
    let p = std::hint::black_box(&x);
    (p as *const Aligned as usize % 16) as u64 + u64::from(p.0[0])
}

#[test]
#[cfg_attr(miri, ignore)]
fn call_c_passes_seven_arguments_in_order() {
    // SAFETY: `digits` and `ends` take seven u64 and return one.
    let got = unsafe { call_c(digits as *const () as usize, &[1, 2, 3, 4, 5, 6, 7]) };
    assert_eq!(got, Ok(7_654_321));
    let args = [u64::MAX, 1, 0, 0, 0, 0, 0x8000_0000_0000_0001];
    // SAFETY: as above.
    let got = unsafe { call_c(ends as *const () as usize, &args) };
    assert_eq!(got, Ok(ends(args[0], args[1], 0, 0, 0, 0, args[6])));
    // SAFETY: `misalignment` takes nothing and returns a u64.
    let got = unsafe { call_c(misalignment as *const () as usize, &[]) };
    assert_eq!(got, Ok(0), "sp was not 16-byte aligned at the call");
    // SAFETY: `digits` is never called: eight arguments are refused first.
    assert!(unsafe { call_c(digits as *const () as usize, &[0; 8]) }.is_err());
}

#[test]
#[cfg_attr(miri, ignore)]
fn call_takes_registers_immediates_and_symbols() {
    let symbol = |n: &str| (n == "digits").then_some(digits as *const () as usize);
    let text = "mov r10, 3\nmov r11, 7\ncall r12, @digits, 1, 2, r10, 4, 5, 6, r11\nhalt";
    let code = Program::parse_with(text, &symbol)
        .and_then(|p| p.load())
        .expect("ok");
    let mut regs = [0; 32];
    let run = code.run(&mut regs);
    assert_eq!(regs[12], 7_654_321);
    assert_eq!(run.steps[2].value, 7_654_321);
}

#[test]
#[cfg_attr(miri, ignore)]
fn ext_call_checks_the_count_it_is_given() {
    // SAFETY: the linked runtime's own entries.
    let ext_call = |id, args: &[u64]| unsafe { ext_call(ExtEntries::linked(), id, args) };
    let ((), live) = with_own_stdlib(|| {
        let (st, h) = ext_call(id(ids::VEC_NEW), &[]).expect("compiles");
        assert_eq!(st, 0);
        assert_eq!(ext_call(id(ids::VEC_PUSH), &[h, 9]), Ok((0, 0)));
        assert_eq!(ext_call(id(ids::VEC_SET), &[h, 0, 11]), Ok((0, 0)));
        assert_eq!(ext_call(id(ids::VEC_GET), &[h, 0]), Ok((0, 11)));
        let einval = Errno::EINVAL.neg();
        assert_eq!(ext_call(id(ids::VEC_SET), &[h, 0]), Ok((einval, 0)));
        assert_eq!(ext_call(id(ids::VEC_GET), &[h, 0, 0]), Ok((einval, 0)));
        assert_eq!(ext_call(id(ids::VEC_FREE), &[h]), Ok((0, 0)));
    });
    assert_eq!(live.total(), 0);
}

#[test]
fn every_target_compiles_the_same_program() {
    let p = Program::parse(
        "mov r1, 1\next.call r0, 121, r1, r2\ncall r3, 0x1000, 1, 2, 3, 4, 5, 6, 7\nhalt",
    )
    .expect("parses");
    let arity = |_: u64| Some(3);
    for t in [Target::SysV, Target::Win64, Target::Aapcs64] {
        let (code, layout) = p
            .machine_code_with(t, ExtEntries::linked(), &arity)
            .expect("compiles");
        assert_eq!(layout.words(), 32 + 2 * 4 + 3, "{t:?}");
        assert!(!code.is_empty());
    }
}

/// Many compiled calls, interleaved with Rust state that lives across them: the state ends as a
/// run without the calls computes it.
#[test]
#[cfg_attr(miri, ignore)]
fn rust_state_survives_compiled_calls() {
    let code = Program::parse_with("call r0, @digits, r1, r2, r3, r4, r5, r6, r7", &|_| {
        Some(digits as *const () as usize)
    })
    .and_then(|p| p.load())
    .expect("ok");
    let step = |(a, b, c): (u64, u64, u64), i: u64| {
        (
            a.wrapping_mul(31) ^ i,
            b.rotate_left(7) + i,
            c.wrapping_add(a ^ b),
        )
    };
    let (mut with, mut without) = ((1u64, 2u64, 3u64), (1u64, 2u64, 3u64));
    for i in 0..500u64 {
        with = step(with, i);
        let mut regs = [0; 32];
        regs[1..8].copy_from_slice(&[i % 10, 1, 0, 0, 0, 0, 0]);
        code.run(&mut regs);
        assert_eq!(regs[0], i % 10 + 10);
        with = step(with, regs[0]);
        without = step(step(without, i), i % 10 + 10);
    }
    assert_eq!(with, without);
}

/// The x86_64 harness: `code` and `frame` are the first two argument registers, `reserve` the
/// stack to reserve (alignment, plus shadow space on Windows), then each callee-saved register
/// with its value, and the same registers in reverse (for the pops).
#[cfg(all(target_arch = "x86_64", any(target_os = "linux", windows)))]
macro_rules! x86_harness {
    ($code:literal, $frame:literal, $reserve:literal, [$($reg:literal = $v:literal),*], [$($pop:literal),*]) => {
        std::arch::global_asm!(
            ".globl neurlang_conformance_jit_harness",
            "neurlang_conformance_jit_harness:",
            $(concat!("push ", $reg),)*
            concat!("sub rsp, ", $reserve),
            concat!("mov rax, ", $code),
            concat!("mov ", $code, ", ", $frame),
            $(concat!("movabs ", $reg, ", ", $v),)*
            "call rax",
            "xor eax, eax",
            $(concat!("movabs rcx, ", $v), concat!("xor rcx, ", $reg), "or rax, rcx",)*
            concat!("add rsp, ", $reserve),
            $(concat!("pop ", $pop),)*
            "ret",
        );
    };
}

// 6 pushes after the return address: 8 more bytes realign the stack.
#[cfg(all(target_arch = "x86_64", target_os = "linux"))]
x86_harness!(
    "rdi",
    "rsi",
    "8",
    [
        "rbx" = "0x0b0b0b0b0b0b0b01",
        "rbp" = "0x0b0b0b0b0b0b0b02",
        "r12" = "0x0b0b0b0b0b0b0b03",
        "r13" = "0x0b0b0b0b0b0b0b04",
        "r14" = "0x0b0b0b0b0b0b0b05",
        "r15" = "0x0b0b0b0b0b0b0b06"
    ],
    ["r15", "r14", "r13", "r12", "rbp", "rbx"]
);

// 8 pushes after the return address: 32 bytes of shadow space and 8 to realign.
#[cfg(all(target_arch = "x86_64", windows))]
x86_harness!(
    "rcx",
    "rdx",
    "40",
    [
        "rbx" = "0x0b0b0b0b0b0b0b01",
        "rbp" = "0x0b0b0b0b0b0b0b02",
        "rdi" = "0x0b0b0b0b0b0b0b07",
        "rsi" = "0x0b0b0b0b0b0b0b08",
        "r12" = "0x0b0b0b0b0b0b0b03",
        "r13" = "0x0b0b0b0b0b0b0b04",
        "r14" = "0x0b0b0b0b0b0b0b05",
        "r15" = "0x0b0b0b0b0b0b0b06"
    ],
    ["r15", "r14", "r13", "r12", "rsi", "rdi", "rbp", "rbx"]
);

#[cfg(all(target_arch = "aarch64", target_os = "linux"))]
std::arch::global_asm!(
    ".globl neurlang_conformance_jit_harness",
    "neurlang_conformance_jit_harness:",
    "stp x29, x30, [sp, #-96]!",
    "stp x19, x20, [sp, #16]",
    "stp x21, x22, [sp, #32]",
    "stp x23, x24, [sp, #48]",
    "stp x25, x26, [sp, #64]",
    "stp x27, x28, [sp, #80]",
    "mov x29, sp",
    "mov x16, x0",
    "mov x0, x1",
    "mov x19, #0x0b19",
    "mov x20, #0x0b20",
    "mov x21, #0x0b21",
    "mov x22, #0x0b22",
    "mov x23, #0x0b23",
    "mov x24, #0x0b24",
    "mov x25, #0x0b25",
    "mov x26, #0x0b26",
    "mov x27, #0x0b27",
    "mov x28, #0x0b28",
    "movk x19, #0xcafe, lsl #48",
    "movk x28, #0xcafe, lsl #48",
    "blr x16",
    "mov x9, #0x0b19",
    "movk x9, #0xcafe, lsl #48",
    "eor x0, x19, x9",
    "mov x9, #0x0b20",
    "eor x9, x20, x9",
    "orr x0, x0, x9",
    "mov x9, #0x0b21",
    "eor x9, x21, x9",
    "orr x0, x0, x9",
    "mov x9, #0x0b22",
    "eor x9, x22, x9",
    "orr x0, x0, x9",
    "mov x9, #0x0b23",
    "eor x9, x23, x9",
    "orr x0, x0, x9",
    "mov x9, #0x0b24",
    "eor x9, x24, x9",
    "orr x0, x0, x9",
    "mov x9, #0x0b25",
    "eor x9, x25, x9",
    "orr x0, x0, x9",
    "mov x9, #0x0b26",
    "eor x9, x26, x9",
    "orr x0, x0, x9",
    "mov x9, #0x0b27",
    "eor x9, x27, x9",
    "orr x0, x0, x9",
    "mov x9, #0x0b28",
    "movk x9, #0xcafe, lsl #48",
    "eor x9, x28, x9",
    "orr x0, x0, x9",
    "mov x9, sp",
    "eor x9, x9, x29",
    "orr x0, x0, x9",
    "ldp x19, x20, [sp, #16]",
    "ldp x21, x22, [sp, #32]",
    "ldp x23, x24, [sp, #48]",
    "ldp x25, x26, [sp, #64]",
    "ldp x27, x28, [sp, #80]",
    "ldp x29, x30, [sp], #96",
    "ret",
);

/// The platforms the harness is written for.
macro_rules! harness_platforms {
    ($($item:item)*) => {$(
        #[cfg(any(
            all(target_arch = "x86_64", any(target_os = "linux", windows)),
            all(target_arch = "aarch64", target_os = "linux"),
        ))]
        $item
    )*};
}

harness_platforms! {
unsafe extern "C" {
    /// Sets every callee-saved integer register to a known value, calls `code(frame)`, and
    /// returns 0 when each still holds its value (else the OR of the differences).
    fn neurlang_conformance_jit_harness(code: *const u8, frame: *mut u64) -> u64;
}

/// A hand-written caller checks that a compiled program (which calls into the runtime and back)
/// preserves every callee-saved register of the convention.
#[test]
#[cfg_attr(miri, ignore)]
fn compiled_code_preserves_callee_saved_registers() {
    let text = format!(
        "ext.call r1, {new}, r0, r0\ncall r2, @digits, 1, 2, 3, 4, 5, 6, 7\n\
         ext.call r0, {free}, r1, r0\nhalt",
        new = id(ids::VEC_NEW),
        free = id(ids::VEC_FREE),
    );
    let program = Program::parse_with(&text, &|_| Some(digits as *const () as usize)).expect("parses");
    let ((), live) = with_own_stdlib(|| {
        let code = program.load().expect("loads");
        let mut frame = vec![0u64; code.layout().words()];
        // SAFETY: the entry point is a compiled `extern "C" fn(*mut u64)` whose frame needs
        // `layout.words()` words, which `frame` has; the harness calls it with that frame.
        let diff = unsafe { neurlang_conformance_jit_harness(code.entry(), frame.as_mut_ptr()) };
        assert_eq!(diff, 0, "callee-saved registers changed: {diff:#x}");
        assert_eq!(frame[2], 7_654_321);
    });
    assert_eq!(live.total(), 0);
}
}
