//! Stdlib handle operations through `ExtensionRegistry::call`, side by side with the same
//! operation on the Rust type directly and with the registry's dispatch alone (a no-op
//! extension with the same argument count), in one group per operation so ratios come from one
//! run. Target: through `call` <= dispatch + direct + 10 ns.
//!
//! `stdlib_threads/*`: the same operation on 1 thread vs 2 threads on distinct handles (each
//! thread does the measured number of operations; throughput in elements/s). Target: >= 1.6x.
//!
//! `cargo bench -p neurlang-benches --bench stdlib -- --warm-up-time 1 --measurement-time 3`

use criterion::{Criterion, Throughput, criterion_group, criterion_main};
use neurlang::ext::ids::{
    HASHMAP_GET as MAP_GET, HASHMAP_INSERT as MAP_INSERT, HASHMAP_NEW as MAP_NEW, JSON_FREE,
    JSON_PARSE, STRING_CONCAT, STRING_FREE, VEC_GET, VEC_NEW, VEC_PUSH,
};
use neurlang::ext::stdlib::{Stdlib, register_into};
use neurlang::runtime::{ExtCategory, ExtId, ExtensionRegistry};
use std::collections::HashMap;
use std::hint::black_box;
use std::sync::{Arc, Barrier};
use std::time::{Duration, Instant};

const DOC: &str = r#"{"id":12345,"name":"neurlang","tags":["a","b","c"],"ok":true,"ratio":0.5,"nested":{"x":[1,2,3]}}"#;

fn registry() -> (ExtensionRegistry, Arc<Stdlib>) {
    let lib = Arc::new(Stdlib::new());
    let mut r = ExtensionRegistry::new();
    register_into(&mut r, Arc::clone(&lib));
    for (id, argc) in [(5000, 1), (5001, 2), (5002, 3)] {
        r.register_with_id(
            id.into(),
            &format!("noop{argc}"),
            "dispatch baseline",
            argc,
            false,
            ExtCategory::Custom,
            Arc::new(|args, _| Ok(black_box(args[0]))),
        )
        .unwrap();
    }
    (r, lib)
}

fn call(r: &ExtensionRegistry, id: impl Into<ExtId>, args: &[u64]) -> u64 {
    r.call(id, args, &mut []).unwrap()
}

fn single_thread(c: &mut Criterion) {
    let (r, lib) = registry();
    let noop = |argc: usize| 5000 + argc as u32 - 1;

    let mut g = c.benchmark_group("stdlib_vec_push");
    g.bench_function("dispatch_noop", |b| {
        b.iter(|| call(&r, noop(2), &[black_box(1), 2]))
    });
    let v = call(&r, VEC_NEW, &[]);
    g.bench_function("registry_call", |b| {
        let mut n = 0u32;
        b.iter(|| {
            call(&r, VEC_PUSH, &[black_box(v), 7]);
            n += 1;
            if n == 4096 {
                n = 0;
                lib.vec_clear(neurlang::ext::stdlib::Handle::from_raw(v))
                    .unwrap();
            }
        })
    });
    let mut direct: Vec<u64> = Vec::new();
    g.bench_function("direct", |b| {
        b.iter(|| {
            black_box(&mut direct).push(7);
            if direct.len() == 4096 {
                direct.clear();
            }
        })
    });
    g.finish();

    let mut g = c.benchmark_group("stdlib_vec_get");
    g.bench_function("dispatch_noop", |b| {
        b.iter(|| call(&r, noop(2), &[black_box(1), 2]))
    });
    let v = call(&r, VEC_NEW, &[]);
    for i in 0..16 {
        call(&r, VEC_PUSH, &[v, i]);
    }
    g.bench_function("registry_call", |b| {
        b.iter(|| call(&r, VEC_GET, &[black_box(v), black_box(7)]))
    });
    let vh = neurlang::ext::stdlib::Handle::from_raw(v);
    g.bench_function("handle_table_no_registry", |b| {
        b.iter(|| lib.vec_get(black_box(vh), black_box(7)).unwrap())
    });
    let direct: Vec<u64> = (0..16).collect();
    g.bench_function("direct", |b| b.iter(|| black_box(&direct)[black_box(7)]));
    g.finish();

    let mut g = c.benchmark_group("stdlib_hashmap_insert");
    g.bench_function("dispatch_noop", |b| {
        b.iter(|| call(&r, noop(3), &[black_box(1), 2, 3]))
    });
    let m = call(&r, MAP_NEW, &[]);
    g.bench_function("registry_call", |b| {
        let mut k = 0u64;
        b.iter(|| {
            k = (k + 1) & 1023;
            call(&r, MAP_INSERT, &[black_box(m), k, 9])
        })
    });
    let mut direct: HashMap<u64, u64> = HashMap::new();
    g.bench_function("direct", |b| {
        let mut k = 0u64;
        b.iter(|| {
            k = (k + 1) & 1023;
            black_box(&mut direct).insert(k, 9)
        })
    });
    g.finish();

    let mut g = c.benchmark_group("stdlib_hashmap_get");
    g.bench_function("dispatch_noop", |b| {
        b.iter(|| call(&r, noop(2), &[black_box(1), 2]))
    });
    g.bench_function("registry_call", |b| {
        let mut k = 0u64;
        b.iter(|| {
            k = (k + 1) & 1023;
            call(&r, MAP_GET, &[black_box(m), k])
        })
    });
    g.bench_function("direct", |b| {
        let mut k = 0u64;
        b.iter(|| {
            k = (k + 1) & 1023;
            black_box(&direct).get(&k).copied().unwrap_or(0)
        })
    });
    g.finish();

    let mut g = c.benchmark_group("stdlib_string_concat");
    g.bench_function("dispatch_noop_x2", |b| {
        b.iter(|| {
            call(&r, noop(2), &[black_box(1), 2]);
            call(&r, noop(1), &[black_box(1)])
        })
    });
    let a = lib.string_from_bytes(b"hello, ").unwrap().raw();
    let w = lib.string_from_bytes(b"world").unwrap().raw();
    g.bench_function("registry_call_concat_free", |b| {
        b.iter(|| {
            let s = call(&r, STRING_CONCAT, &[black_box(a), black_box(w)]);
            call(&r, STRING_FREE, &[s])
        })
    });
    let (da, dw) = (String::from("hello, "), String::from("world"));
    g.bench_function("direct", |b| {
        b.iter(|| {
            let mut s = String::with_capacity(da.len() + dw.len());
            s.push_str(black_box(&da));
            s.push_str(black_box(&dw));
            drop(black_box(s));
        })
    });
    g.finish();

    let mut g = c.benchmark_group("stdlib_json_parse");
    let doc = lib.string_from_bytes(DOC.as_bytes()).unwrap().raw();
    g.bench_function("registry_call_parse_free", |b| {
        b.iter(|| {
            let j = call(&r, JSON_PARSE, &[black_box(doc)]);
            call(&r, JSON_FREE, &[j])
        })
    });
    g.bench_function("direct", |b| {
        b.iter(|| {
            drop(black_box(
                serde_json::from_str::<serde_json::Value>(black_box(DOC)).unwrap(),
            ))
        })
    });
    g.finish();
}

/// Runs `op(handle)` `iters` times on each of `threads` threads, each on its own handle.
fn parallel(
    r: &ExtensionRegistry,
    handles: &[u64],
    iters: u64,
    op: fn(&ExtensionRegistry, u64, u64),
) -> Duration {
    let barrier = Barrier::new(handles.len() + 1);
    std::thread::scope(|s| {
        for &h in handles {
            let barrier = &barrier;
            s.spawn(move || {
                barrier.wait();
                for i in 0..iters {
                    op(r, h, i);
                }
                barrier.wait();
            });
        }
        barrier.wait();
        let start = Instant::now();
        barrier.wait();
        start.elapsed()
    })
}

fn threads(c: &mut Criterion) {
    let (r, _lib) = registry();
    type Op = fn(&ExtensionRegistry, u64, u64);
    let ops: [(&str, ExtId, Op); 3] = [
        ("vec_get", VEC_NEW, |r, h, i| {
            black_box(call(r, VEC_GET, &[h, i & 15]));
        }),
        ("hashmap_insert", MAP_NEW, |r, h, i| {
            black_box(call(r, MAP_INSERT, &[h, i & 1023, i]));
        }),
        ("hashmap_get", MAP_NEW, |r, h, i| {
            black_box(call(r, MAP_GET, &[h, i & 1023]));
        }),
    ];
    for (name, new, op) in ops {
        let mut g = c.benchmark_group(format!("stdlib_threads_{name}"));
        let handles: Vec<u64> = (0..2)
            .map(|_| {
                let h = call(&r, new, &[]);
                for i in 0..16 {
                    if new == VEC_NEW {
                        call(&r, VEC_PUSH, &[h, i]);
                    } else {
                        call(&r, MAP_INSERT, &[h, i, i]);
                    }
                }
                h
            })
            .collect();
        for n in [1usize, 2] {
            g.throughput(Throughput::Elements(n as u64));
            g.bench_function(format!("{n}_thread"), |b| {
                b.iter_custom(|iters| parallel(&r, &handles[..n], iters, op))
            });
        }
        g.finish();
    }
}

criterion_group!(
    benches,
    neurlang_benches::machine::header,
    single_thread,
    threads
);
criterion_main!(benches);
