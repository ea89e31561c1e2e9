//! The sandbox's open: a 3-deep path (`root/a/b/c/f`) opened for reading and closed, through each
//! resolver (`Sandbox::with_resolver`: the kernel's `openat2(RESOLVE_BENEATH)` and the portable
//! walk), against plain `open(2)` of the same absolute path (std's `File::open`). The figures
//! and the command are in docs/performance.md ("The file sandbox").

use criterion::{Criterion, criterion_group, criterion_main};
use neurlang::runtime::{IOPermissions, OpenMode, Resolver, Sandbox};
use std::hint::black_box;

fn open_3_deep(c: &mut Criterion) {
    let root = std::env::temp_dir().join(format!("nl-bench-sandbox-{}", std::process::id()));
    std::fs::create_dir_all(root.join("a/b/c")).unwrap();
    let root = root.canonicalize().unwrap();
    let file = root.join("a/b/c/f");
    std::fs::write(&file, b"data").unwrap();
    let path = file.to_str().unwrap().as_bytes().to_vec();
    let read = OpenMode {
        read: true,
        ..OpenMode::default()
    };
    let mut g = c.benchmark_group("sandbox/open_3_deep");
    g.bench_function("open(2)", |b| {
        b.iter(|| black_box(std::fs::File::open(black_box(&file)).unwrap()))
    });
    for (name, resolver) in [("kernel", Resolver::Kernel), ("walk", Resolver::Walk)] {
        let sandbox = Sandbox::with_resolver(IOPermissions::files_under(&root), resolver);
        sandbox.open(&path, read).unwrap();
        if sandbox.resolver() != resolver {
            eprintln!("sandbox/open_3_deep/{name}: not available here, skipped");
            continue;
        }
        g.bench_function(name, |b| {
            b.iter(|| black_box(sandbox.open(black_box(&path), read).unwrap()))
        });
    }
    g.finish();
    std::fs::remove_dir_all(&root).unwrap();
}

criterion_group!(benches, neurlang_benches::machine::header, open_3_deep);
criterion_main!(benches);
