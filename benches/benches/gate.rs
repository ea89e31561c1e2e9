//! The instruction-count gate: every hot operation of the runtime, measured by callgrind
//! (through gungraun) as instructions executed, which are identical from run to run on a given
//! binary whatever else the machine does. `ci/bench-gate.sh` compares each count with its limit
//! in `benches/gate/limits.toml` and fails, naming the operation, when one rises beyond it.
//!
//! Each benchmark runs its operation [`N`] times so that a per-operation change of a few
//! instructions stands out of the fixed cost of the harness; setup runs outside the measurement.

use aes_gcm::aead::{AeadInPlace, KeyInit};
use aes_gcm::{Aes256Gcm, Nonce};
use gungraun::{LibraryBenchmarkConfig, library_benchmark, library_benchmark_group, main};
use neurlang::abi::{
    neurlang_cap_check, neurlang_chan_create, neurlang_chan_recv, neurlang_chan_send,
    neurlang_file_read,
};
use neurlang::ext::ids;
use neurlang::ext::stdlib::{Stdlib, register_into};
use neurlang::runtime::{
    AsyncRuntime, BufferPool, CapPermissions, CapToken, Context, Errno, ExtCategory,
    ExtensionRegistry, IOPermissions, Platform, SafeBuffer, TimerWheel, Token,
};
use neurlang_benches::abi::{CAP_READ, CAP_WRITE, Scratch, leaked_token};
use neurlang_conformance::jit::{Compiled, Program};
use neurlang_server::http::{Limits, Parsed, Responses, parse_head};
use sha2::{Digest, Sha256};
use std::hint::black_box;
use std::io;
use std::sync::Arc;
use std::time::{Duration, Instant, SystemTime};

/// Repetitions of the measured operation per benchmark.
const N: usize = 1000;

fn host_errors() -> Vec<io::Error> {
    // Host codes from the front and the back of the table.
    let refused = Errno::ECONNREFUSED
        .row()
        .host_codes(Platform::HOST.expect("a mapped host"));
    let code = refused.into_iter().next().unwrap_or(111) as i32;
    (0..N)
        .map(|i| io::Error::from_raw_os_error(if i % 3 == 0 { 2 } else { code }))
        .collect()
}

#[library_benchmark]
#[bench::mixed(setup = host_errors)]
fn errno_from_io_error(errors: Vec<io::Error>) -> i64 {
    let mut sum = 0;
    for e in &errors {
        sum += black_box(Errno::from_io_error(black_box(e))).neg();
    }
    sum
}

fn pool() -> BufferPool {
    let pool = BufferPool::new(64);
    // Warm every slot once, so the measurement sees the steady state.
    let held: Vec<_> = (0..64).map(|_| pool.acquire().expect("a slot")).collect();
    drop(held);
    pool
}

#[library_benchmark]
#[bench::steady(setup = pool)]
fn pool_acquire_release(pool: BufferPool) -> usize {
    for _ in 0..N {
        drop(black_box(pool.acquire().expect("a slot")));
    }
    pool.in_use()
}

fn registry_with_noop() -> (ExtensionRegistry, u32) {
    let mut r = ExtensionRegistry::new();
    let id = r.register(
        "noop",
        "returns its argument",
        1,
        false,
        ExtCategory::Custom,
        Arc::new(|a, _| Ok(a[0])),
    );
    (r, id.into())
}

#[library_benchmark]
#[bench::noop(setup = registry_with_noop)]
fn ext_call_dispatch((registry, id): (ExtensionRegistry, u32)) -> u64 {
    let mut sum = 0u64;
    for i in 0..N as u64 {
        sum = sum.wrapping_add(
            registry
                .call(black_box(id), &[black_box(i)], &mut [])
                .unwrap(),
        );
    }
    sum
}

/// `ext.call r1, ID, r2, r3` as the test JIT compiles it for the host, with the context (whose
/// registry has `noop`) it runs in and its frame.
fn machine_code_noop() -> (Arc<Context>, Compiled, Vec<u64>) {
    let (registry, id) = registry_with_noop();
    let ctx = Arc::new(Context::new(IOPermissions::default()).with_extensions(registry));
    let code = Context::scoped(&ctx, || {
        Program::compile(&format!("ext.call r1, {id}, r2, r3\nhalt")).expect("compiles")
    });
    let frame = vec![0u64; code.layout().words()];
    (ctx, code, frame)
}

// The same dispatch as `ext_call_dispatch`, reached the way generated code reaches it: from
// machine code through `neurlang_ext_call2`, in the current context.
#[library_benchmark]
#[bench::noop(setup = machine_code_noop)]
fn ext_call_machine_code((ctx, code, mut frame): (Arc<Context>, Compiled, Vec<u64>)) -> u64 {
    Context::scoped(&ctx, || {
        let mut sum = 0u64;
        for i in 0..N as u64 {
            frame[2] = black_box(i);
            code.call(&mut frame);
            sum = sum.wrapping_add(frame[1]);
        }
        assert_eq!(
            sum,
            (N as u64 - 1) * N as u64 / 2,
            "every call returned its argument"
        );
        sum
    })
}

fn crypto() -> (ExtensionRegistry, [u64; 6]) {
    let rw = CapPermissions::READ | CapPermissions::WRITE;
    let tok = |v: Vec<u8>, p| CapToken::new_owned(v.into_boxed_slice(), p).unwrap().get();
    let input = tok(vec![0x5a; 1024], CapPermissions::READ);
    let digest = tok(vec![0; 32], rw);
    let key = tok(vec![7; 32], CapPermissions::READ);
    let nonce = tok(vec![9; 12], CapPermissions::READ);
    let cipher = tok(vec![0; 1024], rw);
    let tag = tok(vec![0; 16], rw);
    (
        ExtensionRegistry::with_builtins(),
        [input, digest, key, nonce, cipher, tag],
    )
}

#[library_benchmark]
#[bench::kib(setup = crypto, teardown = drop_registry)]
fn sha256_1kib_call((registry, t): (ExtensionRegistry, [u64; 6])) -> (ExtensionRegistry, u64) {
    let mut out = [0u64; 1];
    for _ in 0..N / 10 {
        registry
            .call(ids::SHA256, black_box(&[t[0], 1024, t[1]]), &mut out)
            .unwrap();
    }
    (registry, out[0])
}

#[library_benchmark]
#[bench::kib(setup = crypto, teardown = drop_registry)]
fn aes256_gcm_encrypt_1kib_call(
    (registry, t): (ExtensionRegistry, [u64; 6]),
) -> (ExtensionRegistry, u64) {
    let mut out = [0u64; 1];
    for _ in 0..N / 10 {
        registry
            .call(
                ids::AES256_GCM_ENCRYPT,
                black_box(&[t[2], t[3], t[0], 1024, t[4], t[5]]),
                &mut out,
            )
            .unwrap();
    }
    (registry, out[0])
}

/// Drops the registry outside the measurement (its drop is not part of a call).
fn drop_registry((registry, out): (ExtensionRegistry, u64)) {
    black_box(out);
    drop(registry);
}

// The crate called directly on the same 1 KiB, the baseline of `sha256_1kib_call`.
#[library_benchmark]
#[bench::kib(setup = crate_input)]
fn sha256_1kib_crate(data: Vec<u8>) -> u8 {
    let mut last = 0;
    for _ in 0..N / 10 {
        last ^= Sha256::digest(black_box(&data))[31];
    }
    last
}

// The crate called directly, key schedule included (the extension receives the key on every
// call), the baseline of `aes256_gcm_encrypt_1kib_call`.
#[library_benchmark]
#[bench::kib(setup = crate_input)]
fn aes256_gcm_encrypt_1kib_crate(data: Vec<u8>) -> u8 {
    let mut buf = data.clone();
    let mut last = 0;
    for _ in 0..N / 10 {
        let aes = Aes256Gcm::new_from_slice(black_box(&[7; 32])).unwrap();
        buf.copy_from_slice(&data);
        let tag = aes
            .encrypt_in_place_detached(Nonce::from_slice(&[9; 12]), &[], black_box(&mut buf))
            .unwrap();
        last ^= tag[15];
    }
    last
}

fn crate_input() -> Vec<u8> {
    vec![0x5a; 1024]
}

/// What an extension body sees: a 4 KiB read-write `SafeBuffer`.
fn safe_buffer() -> SafeBuffer<'static> {
    SafeBuffer::new(
        vec![0x5a; 4096],
        CapPermissions::READ | CapPermissions::WRITE,
    )
}

#[library_benchmark]
#[bench::bytes_64(setup = safe_buffer)]
fn safe_buffer_read(buf: SafeBuffer<'static>) -> u64 {
    let mut sum = 0u64;
    for i in 0..N {
        let bytes = buf.read(black_box(i * 64 % 4032), black_box(64)).unwrap();
        sum = sum.wrapping_add(u64::from(black_box(bytes)[63]));
    }
    sum
}

#[library_benchmark]
#[bench::bytes_64(setup = safe_buffer)]
fn safe_buffer_write(mut buf: SafeBuffer<'static>) -> usize {
    let chunk = [0xa5u8; 64];
    for i in 0..N {
        buf.write(black_box(i * 64 % 4032), black_box(&chunk))
            .unwrap();
    }
    buf.written().map_or(0, |(_, bytes)| bytes.len())
}

fn stdlib() -> (ExtensionRegistry, Arc<Stdlib>) {
    let lib = Arc::new(Stdlib::new());
    let mut r = ExtensionRegistry::new();
    register_into(&mut r, Arc::clone(&lib));
    (r, lib)
}

#[library_benchmark]
#[bench::handles(setup = stdlib)]
fn stdlib_vec_push_get((r, _lib): (ExtensionRegistry, Arc<Stdlib>)) -> u64 {
    let v = r.call(ids::VEC_NEW, &[], &mut []).unwrap();
    let mut sum = 0u64;
    for i in 0..N as u64 {
        r.call(ids::VEC_PUSH, &[v, black_box(i)], &mut []).unwrap();
        sum = sum.wrapping_add(r.call(ids::VEC_GET, &[v, black_box(i)], &mut []).unwrap());
    }
    sum
}

#[library_benchmark]
#[bench::handles(setup = stdlib)]
fn stdlib_hashmap_insert_get((r, _lib): (ExtensionRegistry, Arc<Stdlib>)) -> u64 {
    let m = r.call(ids::HASHMAP_NEW, &[], &mut []).unwrap();
    let mut sum = 0u64;
    for i in 0..N as u64 {
        r.call(ids::HASHMAP_INSERT, &[m, black_box(i), i], &mut [])
            .unwrap();
        sum = sum.wrapping_add(
            r.call(ids::HASHMAP_GET, &[m, black_box(i)], &mut [])
                .unwrap(),
        );
    }
    sum
}

fn strings() -> (ExtensionRegistry, Arc<Stdlib>, [u64; 2]) {
    let (r, lib) = stdlib();
    let a = lib.string_from_bytes(b"Hello, ").unwrap().raw();
    let b = lib.string_from_bytes("wörld — ✓".as_bytes()).unwrap().raw();
    (r, lib, [a, b])
}

#[library_benchmark]
#[bench::handles(setup = strings)]
fn stdlib_string_concat_len_free((r, _lib, s): (ExtensionRegistry, Arc<Stdlib>, [u64; 2])) -> u64 {
    let mut sum = 0u64;
    for _ in 0..N {
        let c = r.call(ids::STRING_CONCAT, &black_box(s), &mut []).unwrap();
        sum = sum.wrapping_add(r.call(ids::STRING_LEN, &[c], &mut []).unwrap());
        r.call(ids::STRING_FREE, &[c], &mut []).unwrap();
    }
    sum
}

const DOC: &[u8] =
    br#"{"id":42,"name":"neurlang","tags":["jit","runtime"],"ok":true,"ratio":1.25}"#;

fn json_source() -> (ExtensionRegistry, Arc<Stdlib>, u64) {
    let (r, lib) = stdlib();
    let bytes = CapToken::new_owned(DOC.into(), CapPermissions::READ)
        .unwrap()
        .get();
    let s = r
        .call(ids::STRING_FROM_BYTES, &[bytes, DOC.len() as u64], &mut [])
        .unwrap();
    (r, lib, s)
}

#[library_benchmark]
#[bench::small_doc(setup = json_source)]
fn stdlib_json_parse_free((r, _lib, s): (ExtensionRegistry, Arc<Stdlib>, u64)) -> u64 {
    let mut last = 0;
    for _ in 0..N / 10 {
        last = r.call(ids::JSON_PARSE, &[black_box(s)], &mut []).unwrap();
        r.call(ids::JSON_FREE, &[last], &mut []).unwrap();
    }
    last
}

fn wheel() -> (TimerWheel, Instant) {
    let base = Instant::now();
    let mut w = TimerWheel::with_start(base);
    for i in 0..1000u64 {
        w.insert_at(
            Token(i),
            base + Duration::from_millis(1 + (i * 2_654_435_761) % 3_600_000),
        );
    }
    (w, base)
}

#[library_benchmark]
#[bench::live_1k(setup = wheel)]
fn timer_insert_cancel((mut w, base): (TimerWheel, Instant)) -> usize {
    for i in 0..N as u64 {
        let id = w.insert_at(
            Token(u64::MAX >> 1),
            base + Duration::from_millis(1 + (i * 7919) % 3_600_000),
        );
        black_box(w.cancel(id));
    }
    w.len()
}

fn runtime() -> AsyncRuntime {
    AsyncRuntime::new().expect("an event loop")
}

#[library_benchmark]
#[bench::zero_timeout(setup = runtime)]
fn aio_empty_poll(mut rt: AsyncRuntime) -> usize {
    for _ in 0..N / 10 {
        black_box(rt.poll(Some(Duration::ZERO)).unwrap());
    }
    0
}

/// The C ABI as generated code calls it: a 64-byte read of a file through a token.
fn abi_file() -> (Scratch, u64, u64) {
    let scratch = Scratch::new("gate");
    let (_, fd) = scratch.open("f", &vec![0x5a; N * 64]);
    let (_, token) = leaked_token(64, CAP_WRITE);
    (scratch, fd, token)
}

// N reads of 64 bytes, one after the other through a file of N x 64 bytes (no seek).
#[library_benchmark]
#[bench::bytes_64(setup = abi_file, teardown = drop_scratch)]
fn abi_file_read((scratch, fd, token): (Scratch, u64, u64)) -> (Scratch, i64) {
    let mut sum = 0;
    for _ in 0..N {
        sum += neurlang_file_read(black_box(fd), black_box(token), 64);
    }
    (scratch, sum)
}

/// Removes the scratch directory outside the measurement.
fn drop_scratch((scratch, sum): (Scratch, i64)) {
    assert_eq!(sum, N as i64 * 64, "every read returned 64 bytes");
    drop(scratch);
}

fn abi_chan() -> u64 {
    neurlang_chan_create() as u64
}

#[library_benchmark]
#[bench::one_value(setup = abi_chan)]
fn abi_chan_send_recv(ch: u64) -> i64 {
    let mut sum = 0;
    for i in 0..N as u64 {
        neurlang_chan_send(black_box(ch), black_box(i));
        sum += neurlang_chan_recv(black_box(ch));
    }
    sum
}

fn abi_token() -> u64 {
    leaked_token(64, CAP_READ | CAP_WRITE).1
}

#[library_benchmark]
#[bench::read_64(setup = abi_token)]
fn abi_cap_check(token: u64) -> i64 {
    let mut sum = 0;
    for _ in 0..N {
        sum += neurlang_cap_check(black_box(token), CAP_READ, 64);
    }
    sum
}

/// The request wrk sends, and the server's responses dated at a fixed instant.
fn http_request() -> (&'static [u8], Responses) {
    let at = SystemTime::UNIX_EPOCH + Duration::from_secs(1_700_000_000);
    (
        b"GET / HTTP/1.1\r\nHost: 127.0.0.1:8080\r\n\r\n",
        Responses::new(at),
    )
}

// What the server does per keep-alive request between its read and its write: parse the head,
// append the response.
#[library_benchmark]
#[bench::wrk_request(setup = http_request)]
fn http_parse_respond((request, responses): (&'static [u8], Responses)) -> usize {
    let limits = Limits::default();
    let mut out = Vec::with_capacity(256);
    let mut total = 0;
    for _ in 0..N {
        out.clear();
        let mut scanned = 0;
        match parse_head(black_box(request), &mut scanned, &limits) {
            Parsed::Complete(head) => {
                out.extend_from_slice(responses.ok(head.head_only, head.keep_alive))
            }
            other => panic!("{other:?}"),
        }
        total += black_box(&out).len();
    }
    total
}

library_benchmark_group!(name = errno; benchmarks = errno_from_io_error);
library_benchmark_group!(name = http; benchmarks = http_parse_respond);
library_benchmark_group!(name = pool; benchmarks = pool_acquire_release);
library_benchmark_group!(
    name = ext;
    benchmarks = ext_call_dispatch, ext_call_machine_code, sha256_1kib_call, sha256_1kib_crate,
        aes256_gcm_encrypt_1kib_call, aes256_gcm_encrypt_1kib_crate
);
library_benchmark_group!(name = safe_buffer; benchmarks = safe_buffer_read, safe_buffer_write);
library_benchmark_group!(
    name = stdlib;
    benchmarks = stdlib_vec_push_get, stdlib_hashmap_insert_get, stdlib_string_concat_len_free,
        stdlib_json_parse_free
);
library_benchmark_group!(name = aio; benchmarks = timer_insert_cancel, aio_empty_poll);
library_benchmark_group!(
    name = abi;
    benchmarks = abi_file_read, abi_chan_send_recv, abi_cap_check
);

main!(
    // Generated code is rewritten in place: make valgrind notice it wherever it runs.
    config = LibraryBenchmarkConfig::default().valgrind_args(["--smc-check=all"]);
    library_benchmark_groups = errno, pool, ext, safe_buffer, stdlib, aio, http, abi
);
