//! Generated code as the runtime's client: `ext.call` from machine code beside the same call
//! from Rust, and the spec's JIT cycle through the buffer pool beside the same cycle through
//! mmap and mprotect. The machine code comes from the conformance suite's test JIT
//! (`neurlang_conformance::jit`), which emits the host's calling convention.
//!
//! `cargo bench -p neurlang-benches --bench jit -- --warm-up-time 1 --measurement-time 3`
#![allow(unsafe_code)] // calls the machine code the test JIT and the stencils generate.

use std::hint::black_box;
use std::sync::Arc;

use criterion::{Criterion, criterion_group, criterion_main};
use neurlang::ext::ids;
use neurlang::ext::stdlib::{Stdlib, register_into};
use neurlang::runtime::{
    BufferPool, Context, ExtCategory, ExtId, ExtensionRegistry, IOPermissions, PoolConfig,
};
use neurlang_conformance::jit::{Compiled, Program};

/// A context whose registry has the standard library and `noop` (one argument, returned).
fn context() -> (Arc<Context>, ExtId) {
    let mut registry = ExtensionRegistry::new();
    register_into(&mut registry, Arc::new(Stdlib::new()));
    let noop = registry.register(
        "noop",
        "returns its argument",
        1,
        false,
        ExtCategory::Custom,
        Arc::new(|a, _| Ok(a[0])),
    );
    let ctx = Context::new(IOPermissions::default()).with_extensions(registry);
    (Arc::new(ctx), noop)
}

/// Calls `code` on `frame` (the registers first, `r2` and `r3` the arguments); returns `r1`.
fn run(code: &Compiled, frame: &mut [u64]) -> u64 {
    code.call(frame);
    frame[1]
}

fn frame_for(code: &Compiled) -> Vec<u64> {
    vec![0u64; code.layout().words()]
}

fn ext_call(c: &mut Criterion) {
    neurlang_benches::machine::print();
    let (ctx, noop) = context();
    Context::scoped(&ctx, || {
        let registry = ctx.extensions();
        let v = registry.call(ids::VEC_NEW, &[], &mut []).unwrap();
        for i in 0..16 {
            registry.call(ids::VEC_PUSH, &[v, i * 3], &mut []).unwrap();
        }
        let compile = |id: ExtId| {
            Program::compile(&format!("ext.call r1, {}, r2, r3\nhalt", id.get())).expect("compiles")
        };
        let (noop_code, get_code) = (compile(noop), compile(ids::VEC_GET));
        let mut g = c.benchmark_group("jit_ext_call");
        g.bench_function("noop/machine_code", |b| {
            let mut frame = frame_for(&noop_code);
            frame[2] = 7;
            b.iter(|| black_box(run(&noop_code, black_box(&mut frame))))
        });
        g.bench_function("noop/registry_call", |b| {
            b.iter(|| {
                let r = black_box(&registry).call(black_box(noop), &[black_box(7)], &mut []);
                black_box(r.unwrap_or(0))
            })
        });
        g.bench_function("vec_get/machine_code", |b| {
            let mut frame = frame_for(&get_code);
            frame[2] = v;
            frame[3] = 5;
            b.iter(|| black_box(run(&get_code, black_box(&mut frame))))
        });
        g.bench_function("vec_get/registry_call", |b| {
            b.iter(|| {
                let r =
                    black_box(&registry).call(ids::VEC_GET, &[black_box(v), black_box(5)], &mut []);
                black_box(r.unwrap_or(0))
            })
        });
        g.finish();
        // The measured calls did what they claim.
        let mut frame = frame_for(&get_code);
        frame[2] = v;
        frame[3] = 5;
        assert_eq!(run(&get_code, &mut frame), 15);
        let mut frame = frame_for(&noop_code);
        frame[2] = 7;
        assert_eq!(run(&noop_code, &mut frame), 7);
    });
}

/// Bytes of stencil code per cycle (the spec's "~2 KB" of copied code).
const STENCIL_BYTES: usize = 2048;

/// A function of `STENCIL_BYTES` bytes built from stencils, `extern "C" fn() -> u32`: a zeroing
/// instruction, then one "add the immediate" stencil after another, each patched with its own
/// value, then a return. Returns the code and the sum it computes.
fn stencils(code: &mut Vec<u8>, seed: u32) -> u32 {
    code.clear();
    let mut sum = 0u32;
    if cfg!(target_arch = "x86_64") {
        code.extend_from_slice(&[0x31, 0xC0]); // xor eax, eax
        while code.len() + 5 < STENCIL_BYTES {
            let imm = seed.wrapping_add(code.len() as u32) & 0xffff;
            code.push(0x05); // add eax, imm32: the stencil, then its hole patched
            code.extend_from_slice(&imm.to_le_bytes());
            sum = sum.wrapping_add(imm);
        }
        code.resize(STENCIL_BYTES - 1, 0x90); // nop
        code.push(0xC3); // ret
    } else {
        code.extend_from_slice(&0x5280_0000u32.to_le_bytes()); // mov w0, #0
        while code.len() + 8 <= STENCIL_BYTES {
            let imm = seed.wrapping_add(code.len() as u32) & 0xfff;
            code.extend_from_slice(&(0x1100_0000u32 | (imm << 10)).to_le_bytes()); // add w0, w0, #imm
            sum = sum.wrapping_add(imm);
        }
        code.extend_from_slice(&0xd65f_03c0u32.to_le_bytes()); // ret
    }
    sum
}

/// One way of running a function's bytes: returns what it returned.
type Way<'a> = dyn Fn(&[u8]) -> u32 + 'a;

fn jit_cycle(c: &mut Criterion) {
    if !cfg!(any(target_arch = "x86_64", target_arch = "aarch64")) {
        eprintln!("jit_cycle: skipped: stencils exist for x86_64 and aarch64 only");
        return;
    }
    let pool = BufferPool::with_config(&PoolConfig::new(4).slot_size(4096)).unwrap();
    // Each cycle: copy and patch the stencils, then run them one way; returns what the code
    // returned, XOR the sum it must compute (0 when right).
    let by_pool = |code: &[u8]| -> u32 {
        let mut buf = pool.acquire().unwrap();
        buf.write(code).unwrap();
        // SAFETY: the buffer holds the complete `extern "C" fn() -> u32` just built.
        let f = unsafe { buf.as_fn::<extern "C" fn() -> u32>() }.unwrap();
        f.call()
    };
    let ways: Vec<(&str, &Way)> = vec![
        ("buffer_pool", &by_pool),
        #[cfg(unix)]
        ("mmap_mprotect_munmap", &neurlang_benches::traditional::run),
    ];
    let mut code = Vec::with_capacity(STENCIL_BYTES);
    let mut g = c.benchmark_group("jit_cycle_2kib");
    for (name, way) in ways {
        let mut cycle = |seed: u32| {
            let want = stencils(&mut code, seed);
            way(&code) ^ want
        };
        assert_eq!(cycle(1), 0, "{name}: the code computes its sum");
        let mut seed = 0u32;
        g.bench_function(name, |b| {
            b.iter(|| {
                seed = seed.wrapping_add(1);
                black_box(cycle(seed))
            })
        });
    }
    g.finish();
}

criterion_group!(benches, ext_call, jit_cycle);
criterion_main!(benches);
