//! Writes the committed fuzz seeds, `fuzz/seeds/TARGET/*`, from the conformance vectors and a
//! few hand-written inputs:
//!
//! ```sh
//! cargo run -p neurlang-fuzz-cases --bin fuzz-seeds
//! ```
//!
//! - `json_handles`: a subset of JSONTestSuite `test_parsing` (`conformance/vectors`): every
//!   `y_` and `i_` file of at most 64 bytes and every third such `n_` file;
//! - `crypto_ext`: structured inputs whose arbitrary call is a real test vector (Wycheproof
//!   AES-GCM, HMAC-SHA256, PBKDF2, Ed25519, X25519; FIPS 180-2 SHA-256);
//! - `http_request`: every request of `conformance/cases/http.toml` without a `{N*text}`
//!   repetition, behind two seed bytes for the split points;
//! - `safe_buffer`, `string_handles`: hand-written inputs (bounds edges, permissions,
//!   nested slices; UTF-8 edge cases).
//!
//! Each directory is emptied first, so the seeds are exactly what this program writes.

use neurlang::ext::ids;
use neurlang::runtime::{ExtError, ExtId};
use neurlang_fuzz_cases::{crypto_ext, safe_buffer, target};
use safe_buffer::Op;
use serde_json::Value;
use std::path::{Path, PathBuf};

type Seeds = Vec<(String, Vec<u8>)>;

fn main() {
    if let Err(e) = run() {
        eprintln!("fuzz-seeds: {e}");
        std::process::exit(1);
    }
}

fn run() -> Result<(), String> {
    let root = Path::new(env!("CARGO_MANIFEST_DIR"))
        .parent()
        .ok_or("no workspace root")?
        .to_path_buf();
    let vectors = root.join("conformance").join("vectors");
    let sets: [(&str, Seeds); 6] = [
        ("json_handles", json(&vectors.join("JSONTestSuite"))?),
        ("crypto_ext", crypto(&vectors.join("wycheproof"))?),
        ("safe_buffer", safe_buffer_seeds()),
        ("string_handles", string_seeds()),
        (
            "http_request",
            http(&root.join("conformance").join("cases").join("http.toml"))?,
        ),
        ("fs_beneath", fs_seeds()),
    ];
    for (name, seeds) in sets {
        let body = target(name).ok_or(format!("no target {name}"))?;
        let dir = root.join("fuzz").join("seeds").join(name);
        if dir.exists() {
            std::fs::remove_dir_all(&dir).map_err(|e| format!("{}: {e}", dir.display()))?;
        }
        std::fs::create_dir_all(&dir).map_err(|e| format!("{}: {e}", dir.display()))?;
        let mut total = 0;
        for (file, bytes) in &seeds {
            body(bytes); // a seed must pass its target
            let path = dir.join(file);
            std::fs::write(&path, bytes).map_err(|e| format!("{}: {e}", path.display()))?;
            total += bytes.len();
        }
        println!("fuzz/seeds/{name}: {} files, {total} bytes", seeds.len());
    }
    Ok(())
}

/// The requests of the conformance area `http` (those without `{N*text}` repetitions), each
/// behind two seed bytes that vary the split points.
fn http(table: &Path) -> Result<Seeds, String> {
    #[derive(serde::Deserialize)]
    struct File {
        request: Vec<Row>,
    }
    #[derive(serde::Deserialize)]
    struct Row {
        name: String,
        send: String,
    }
    let text = std::fs::read_to_string(table).map_err(|e| format!("{}: {e}", table.display()))?;
    let file: File = toml::from_str(&text).map_err(|e| format!("{}: {e}", table.display()))?;
    Ok(file
        .request
        .into_iter()
        .filter(|r| !r.send.contains('{'))
        .enumerate()
        .map(|(i, r)| {
            let mut bytes = (i as u16).wrapping_mul(40_503).to_le_bytes().to_vec();
            bytes.extend_from_slice(r.send.as_bytes());
            (r.name.replace('.', "-"), bytes)
        })
        .collect())
}

fn json(suite: &Path) -> Result<Seeds, String> {
    let dir = suite.join("test_parsing");
    let mut files: Vec<PathBuf> = std::fs::read_dir(&dir)
        .map_err(|e| format!("{}: {e}", dir.display()))?
        .filter_map(|e| e.ok().map(|e| e.path()))
        .collect();
    files.sort();
    let mut seeds = Vec::new();
    let mut n_count = 0;
    for path in files {
        let name = path
            .file_name()
            .unwrap_or_default()
            .to_string_lossy()
            .into_owned();
        let bytes = std::fs::read(&path).map_err(|e| format!("{}: {e}", path.display()))?;
        if bytes.len() > 64 {
            continue;
        }
        let keep = if name.starts_with("n_") {
            n_count += 1;
            n_count % 3 == 1
        } else {
            name.starts_with("y_") || name.starts_with("i_")
        };
        if keep {
            seeds.push((name, bytes));
        }
    }
    Ok(seeds)
}

fn load(path: &Path) -> Result<Value, String> {
    let text = std::fs::read_to_string(path).map_err(|e| format!("{}: {e}", path.display()))?;
    serde_json::from_str(&text).map_err(|e| format!("{}: {e}", path.display()))
}

fn hex(v: &Value, field: &str) -> Vec<u8> {
    let s = v[field].as_str().unwrap_or_default();
    (0..s.len() / 2)
        .filter_map(|i| u8::from_str_radix(&s[2 * i..2 * i + 2], 16).ok())
        .collect()
}

/// Every test of a Wycheproof file with its group.
fn tests(file: &Value) -> Vec<(&Value, &Value)> {
    file["testGroups"]
        .as_array()
        .into_iter()
        .flatten()
        .flat_map(|g| {
            g["tests"]
                .as_array()
                .into_iter()
                .flatten()
                .map(move |t| (g, t))
        })
        .collect()
}

/// An argument of the arbitrary call: the token of buffer `B(i)`, or the value `V(x)`.
#[derive(Clone, Copy)]
enum Arg {
    B(u64),
    V(u64),
}
use Arg::{B, V};

const R: u8 = 1;
const RW: u8 = 3;

/// A test vector as the arbitrary call of a crypto seed: extension `ext` on `bufs` with `args`
/// must give `want` (checked, so a seed is a real vector); the fixed round uses `key`
/// (zero-padded to 32 bytes) and `msg`. `valid`: whether it counts against a [`Set`]'s quota of
/// valid or of invalid vectors.
struct Vector {
    args: Vec<Arg>,
    bufs: Vec<(Vec<u8>, u8)>,
    key: Vec<u8>,
    msg: Vec<u8>,
    want: Result<u64, ExtError>,
    valid: bool,
}

impl Vector {
    /// Appends the seed `name` whose arbitrary call is this vector on `ext`.
    fn seed(self, name: String, ext: ExtId, seeds: &mut Seeds) {
        let id = crypto_ext::index_of(ext)
            .unwrap_or_else(|| panic!("{name}: {ext} is not a built-in crypto extension"));
        let args = self
            .args
            .iter()
            .map(|&a| match a {
                B(i) => {
                    assert!((i as usize) < self.bufs.len(), "{name}: no buffer {i}");
                    i
                }
                // A value below 16 that indexes a buffer would be read as that buffer's token.
                V(x) => {
                    assert!(
                        x >= self.bufs.len() as u64,
                        "{name}: value {x} reads as a buffer's token"
                    );
                    x
                }
            })
            .collect();
        let mut key = [0u8; 32];
        let n = self.key.len().min(32);
        key[..n].copy_from_slice(&self.key[..n]);
        let input = crypto_ext::Input {
            id,
            args,
            bufs: self.bufs,
            key,
            msg: self.msg,
            flip: (seeds.len() as u16, 1),
        };
        let got = crypto_ext::arbitrary_call(&input);
        assert_eq!(got, Some(self.want), "{name}: the vector's call");
        seeds.push((name, input.to_bytes()));
    }
}

/// A Wycheproof set as seeds `NAME-tcID` for extension `ext`: every test that `vector` turns
/// into a call, up to `valid` valid and `invalid` invalid ones.
struct Set {
    file: &'static str,
    name: &'static str,
    ext: ExtId,
    valid: usize,
    invalid: usize,
    vector: fn(group: &Value, test: &Value) -> Option<Vector>,
}

/// The Wycheproof sets the crypto seeds come from.
const SETS: &[Set] = &[
    Set {
        file: "aes_gcm_test.json",
        name: "wycheproof-aes-gcm-encrypt",
        ext: ids::AES256_GCM_ENCRYPT,
        valid: 4,
        invalid: 0,
        vector: aes_gcm_encrypt,
    },
    Set {
        file: "aes_gcm_test.json",
        name: "wycheproof-aes-gcm-decrypt",
        ext: ids::AES256_GCM_DECRYPT,
        valid: 4,
        invalid: 2,
        vector: aes_gcm_decrypt,
    },
    Set {
        file: "hmac_sha256_test.json",
        name: "wycheproof-hmac-sha256",
        ext: ids::HMAC_SHA256,
        valid: 4,
        invalid: 0,
        vector: hmac_sha256,
    },
    Set {
        file: "ed25519_test.json",
        name: "wycheproof-ed25519-verify",
        ext: ids::ED25519_VERIFY,
        valid: 4,
        invalid: 2,
        vector: ed25519_verify,
    },
    Set {
        file: "x25519_test.json",
        name: "wycheproof-x25519",
        ext: ids::X25519_DERIVE,
        valid: 4,
        invalid: 2,
        vector: x25519_derive,
    },
];

/// Whether a length can be passed as a value with `bufs` buffers (see [`Vector::seed`]).
fn unambiguous(bytes: &[u8], bufs: usize) -> bool {
    bytes.len() >= bufs
}

fn tc(t: &Value) -> u64 {
    t["tcId"].as_u64().unwrap_or(0)
}

fn crypto(dir: &Path) -> Result<Seeds, String> {
    let mut seeds = Vec::new();
    for set in SETS {
        let file = load(&dir.join(set.file))?;
        let (mut valid, mut invalid) = (0, 0);
        for (g, t) in tests(&file) {
            let Some(v) = (set.vector)(g, t) else {
                continue;
            };
            let (count, quota) = if v.valid {
                (&mut valid, set.valid)
            } else {
                (&mut invalid, set.invalid)
            };
            if *count < quota {
                *count += 1;
                v.seed(format!("{}-tc{}", set.name, tc(t)), set.ext, &mut seeds);
            }
        }
    }
    for (name, ext, v) in hand_written() {
        v.seed(name.into(), ext, &mut seeds);
    }
    Ok(seeds)
}

/// An AES-256-GCM test without associated data.
struct AesGcm {
    key: Vec<u8>,
    iv: Vec<u8>,
    msg: Vec<u8>,
    valid: bool,
}

/// The AES-256-GCM test `t` if it fits (96-bit IV, 128-bit tag, no associated data, a message
/// length that cannot read as a buffer index).
fn aes_gcm(g: &Value, t: &Value) -> Option<AesGcm> {
    let (key, iv, msg) = (hex(t, "key"), hex(t, "iv"), hex(t, "msg"));
    let fits = g["keySize"] == 256
        && g["ivSize"] == 96
        && g["tagSize"] == 128
        && hex(t, "aad").is_empty()
        && unambiguous(&msg, 5);
    let valid = t["result"] == "valid";
    fits.then_some(AesGcm {
        key,
        iv,
        msg,
        valid,
    })
}

fn aes_gcm_encrypt(g: &Value, t: &Value) -> Option<Vector> {
    let AesGcm {
        key,
        iv,
        msg,
        valid,
    } = aes_gcm(g, t).filter(|a| a.valid)?;
    Some(Vector {
        args: vec![B(0), B(1), B(2), V(msg.len() as u64), B(3), B(4)],
        bufs: vec![
            (key.clone(), R),
            (iv, R),
            (msg.clone(), R),
            (vec![0; msg.len()], RW),
            (vec![0; 16], RW),
        ],
        key,
        msg,
        want: Ok(0),
        valid,
    })
}

fn aes_gcm_decrypt(g: &Value, t: &Value) -> Option<Vector> {
    let AesGcm {
        key,
        iv,
        msg,
        valid,
    } = aes_gcm(g, t)?;
    Some(Vector {
        args: vec![B(0), B(1), B(2), V(msg.len() as u64), B(3), B(4)],
        bufs: vec![
            (key.clone(), R),
            (iv, R),
            (hex(t, "ct"), R),
            (hex(t, "tag"), R),
            (vec![0; msg.len()], RW),
        ],
        key,
        msg,
        want: if valid {
            Ok(0)
        } else {
            Err(ExtError::CryptoFailure)
        },
        valid,
    })
}

/// HMAC-SHA256 with full-length tags, valid tests only.
fn hmac_sha256(g: &Value, t: &Value) -> Option<Vector> {
    let (key, msg) = (hex(t, "key"), hex(t, "msg"));
    let fits = g["tagSize"] == 256
        && t["result"] == "valid"
        && unambiguous(&key, 3)
        && unambiguous(&msg, 3);
    fits.then(|| Vector {
        args: vec![B(0), V(key.len() as u64), B(1), V(msg.len() as u64), B(2)],
        bufs: vec![(key.clone(), R), (msg.clone(), R), (vec![0; 32], RW)],
        key,
        msg,
        want: Ok(0),
        valid: true,
    })
}

/// Ed25519 verification of signatures of the right length: 1 for a valid one, 0 otherwise.
fn ed25519_verify(g: &Value, t: &Value) -> Option<Vector> {
    let (pk, msg, sig) = (hex(&g["publicKey"], "pk"), hex(t, "msg"), hex(t, "sig"));
    let valid = t["result"] == "valid";
    (unambiguous(&msg, 3) && sig.len() == 64).then(|| Vector {
        args: vec![B(0), B(1), V(msg.len() as u64), B(2)],
        bufs: vec![(pk.clone(), R), (msg.clone(), R), (sig, R)],
        key: pk,
        msg,
        want: Ok(u64::from(valid)),
        valid,
    })
}

/// X25519: valid exchanges, and (as the invalid ones) those whose shared secret is all zero,
/// which the runtime rejects.
fn x25519_derive(_: &Value, t: &Value) -> Option<Vector> {
    let all_zero = hex(t, "shared").iter().all(|&b| b == 0);
    let valid = t["result"] == "valid";
    let private = hex(t, "private");
    (valid || all_zero).then(|| Vector {
        args: vec![B(0), B(1), B(2)],
        bufs: vec![
            (private.clone(), R),
            (hex(t, "public"), R),
            (vec![0; 32], RW),
        ],
        key: private,
        msg: b"x25519".to_vec(),
        want: if valid {
            Ok(0)
        } else {
            Err(ExtError::CryptoFailure)
        },
        valid,
    })
}

/// The seeds that are not Wycheproof tests: PBKDF2 (every Wycheproof vector has 1 iteration,
/// which would read as a buffer index, or more than the target runs, 1000), the FIPS 180-2
/// appendix B SHA-256 examples, `constant_time_eq` and `secure_random`.
fn hand_written() -> Vec<(&'static str, ExtId, Vector)> {
    let vector = |args: &[Arg], bufs: Vec<(Vec<u8>, u8)>, key: &[u8], msg: &[u8], want| Vector {
        args: args.to_vec(),
        bufs,
        key: key.to_vec(),
        msg: msg.to_vec(),
        want,
        valid: true,
    };
    let sha256 = |msg: &[u8]| {
        let bufs = vec![(msg.to_vec(), R), (vec![0; 32], RW)];
        vector(&[B(0), V(msg.len() as u64), B(1)], bufs, msg, msg, Ok(0))
    };
    vec![
        (
            "pbkdf2-sha256-16-iterations",
            ids::PBKDF2_SHA256,
            vector(
                &[B(0), V(8), B(1), V(4), V(16), B(2), V(32)],
                vec![
                    (b"password".to_vec(), R),
                    (b"salt".to_vec(), R),
                    (vec![0; 32], RW),
                ],
                b"password",
                b"salt",
                Ok(0),
            ),
        ),
        ("fips180-sha256-1", ids::SHA256, sha256(b"abc")),
        (
            "fips180-sha256-2",
            ids::SHA256,
            sha256(b"abcdbcdecdefdefgefghfghighijhijkijkljklmklmnlmnomnopnopq"),
        ),
        (
            "constant-time-eq",
            ids::CONSTANT_TIME_EQ,
            vector(
                &[B(0), B(1), V(10)],
                vec![(b"same bytes".to_vec(), R), (b"same bytes".to_vec(), R)],
                b"",
                b"eq",
                Ok(1),
            ),
        ),
        (
            "secure-random",
            ids::SECURE_RANDOM,
            vector(&[B(0), V(32)], vec![(vec![0; 32], RW)], b"", b"", Ok(0)),
        ),
    ]
}

fn sb(init: &[u8], perms: u8, ops: Vec<Op>) -> Vec<u8> {
    safe_buffer::Input {
        init: init.to_vec(),
        perms,
        ops,
    }
    .to_bytes()
}

fn safe_buffer_seeds() -> Seeds {
    let init: Vec<u8> = (0..32).collect();
    let edges = vec![
        Op::Read { offset: 0, len: 32 },
        Op::Read { offset: 32, len: 0 },
        Op::Read { offset: 31, len: 2 },
        Op::Read {
            offset: usize::MAX,
            len: 1,
        },
        Op::Write {
            offset: 30,
            data: vec![0xee, 0xff],
        },
        Op::Write {
            offset: 31,
            data: vec![1, 2],
        },
        Op::Write {
            offset: usize::MAX,
            data: vec![1],
        },
        Op::Read { offset: 28, len: 4 },
    ];
    let slices = vec![
        Op::CapSlice { offset: 4, len: 16 },
        Op::CapRead { offset: 0, len: 16 },
        Op::CapWrite {
            offset: 15,
            data: vec![7],
        },
        Op::CapSlice { offset: 8, len: 8 },
        Op::CapWrite {
            offset: 7,
            data: vec![8, 9],
        },
        Op::CapRead { offset: 0, len: 8 },
        Op::CapSlice {
            offset: 1,
            len: usize::MAX,
        },
        Op::CapRead { offset: 8, len: 0 },
    ];
    let restrict = vec![
        Op::Write {
            offset: 0,
            data: vec![0xaa; 4],
        },
        Op::Restrict { perms: 1 },
        Op::Write {
            offset: 0,
            data: vec![0xbb],
        },
        Op::Read { offset: 0, len: 4 },
        Op::Restrict { perms: 7 },
        Op::Write {
            offset: 0,
            data: vec![0xcc],
        },
        Op::Restrict { perms: 0 },
        Op::Read { offset: 0, len: 1 },
    ];
    vec![
        ("rw-edges".into(), sb(&init, 3, edges.clone())),
        ("read-only-edges".into(), sb(&init, 1, edges)),
        ("rw-nested-slices".into(), sb(&init, 3, slices.clone())),
        ("write-only-slices".into(), sb(&init, 2, slices)),
        ("restrict".into(), sb(&init, 7, restrict)),
        (
            "empty".into(),
            sb(
                &[],
                3,
                vec![
                    Op::Read { offset: 0, len: 0 },
                    Op::CapWrite {
                        offset: 0,
                        data: vec![],
                    },
                    Op::Write {
                        offset: 0,
                        data: vec![1],
                    },
                ],
            ),
        ),
    ]
}

/// A `string_handles` input: substring `start` and `len` (`inverted`: `u64::MAX - len`),
/// strings `a` and `b`.
fn st(start: u16, len: u32, inverted: bool, a: &[u8], b: &[u8]) -> Vec<u8> {
    let cut = u8::try_from(a.len()).expect("a is at most 255 bytes");
    let mut v = start.to_le_bytes().to_vec();
    v.extend_from_slice(&len.to_le_bytes());
    v.push(u8::from(inverted));
    v.push(cut);
    v.extend_from_slice(a);
    v.extend_from_slice(b);
    v
}

fn string_seeds() -> Seeds {
    let s = |name: &str, v: Vec<u8>| (name.to_string(), v);
    vec![
        s("ascii-split", st(2, 5, false, b"a,b,,c,", b",")),
        s("empty-separator", st(0, 0, false, b"abc", b"")),
        s(
            "two-byte-boundary",
            st(1, 2, false, "caf\u{e9}s".as_bytes(), "\u{e9}".as_bytes()),
        ),
        s(
            "three-byte-boundary",
            st(
                2,
                1,
                false,
                "\u{20ac}\u{20ac}".as_bytes(),
                "\u{20ac}".as_bytes(),
            ),
        ),
        s(
            "four-byte-emoji",
            st(
                0,
                4,
                false,
                "\u{1f600}x\u{1f600}".as_bytes(),
                "x".as_bytes(),
            ),
        ),
        s("max-scalar", st(0, 4, false, "\u{10ffff}".as_bytes(), b"")),
        s(
            "sharp-s-upper",
            st(0, 1, true, "stra\u{df}e".as_bytes(), "\u{df}".as_bytes()),
        ),
        s(
            "dotted-i-lower",
            st(0, 2, false, "\u{130}stanbul".as_bytes(), b"s"),
        ),
        s(
            "final-sigma",
            st(
                0,
                9,
                false,
                "\u{3a3}\u{391}\u{3a3}".as_bytes(),
                "\u{3a3}".as_bytes(),
            ),
        ),
        s("ligature", st(0, 3, false, "\u{fb01}ne".as_bytes(), b"ne")),
        s(
            "combining",
            st(
                1,
                1,
                false,
                "e\u{301}e\u{301}".as_bytes(),
                "\u{301}".as_bytes(),
            ),
        ),
        s(
            "unicode-whitespace-trim",
            st(
                0,
                0,
                false,
                "\u{3000}\u{a0}\u{85}x\u{2028}".as_bytes(),
                b"x",
            ),
        ),
        s(
            "bom",
            st(0, 3, false, "\u{feff}abc".as_bytes(), "\u{feff}".as_bytes()),
        ),
        s(
            "zero-width",
            st(0, 0, false, "a\u{200b}b".as_bytes(), "\u{200b}".as_bytes()),
        ),
        s("nul", st(0, 3, false, b"a\0b\0", b"\0")),
        s("int-max", st(0, 0, false, b"9223372036854775807", b"7")),
        s("int-min", st(0, 0, false, b"-9223372036854775808", b"-")),
        s("int-overflow", st(0, 0, false, b"9223372036854775808", b"")),
        s("float-exp", st(0, 0, false, b"1e308", b"e")),
        s("float-inf", st(0, 0, false, b"inf", b"")),
        s("float-nan", st(0, 0, true, b"NaN", b"")),
        s("float-subnormal", st(0, 0, false, b"4.9e-324", b"")),
        s("substr-past-end", st(300, 1, false, b"short", b"")),
        s("substr-huge-len", st(1, 0, true, b"abc", b"")),
        s("surrogate-invalid", st(0, 1, false, b"\xed\xa0\x80", b"")),
        s("overlong-invalid", st(0, 1, false, b"\xc0\xaf", b"/")),
        s(
            "beyond-max-invalid",
            st(0, 1, false, b"\xf4\x90\x80\x80", b""),
        ),
        s("truncated-invalid", st(0, 1, false, b"ok", b"\xe2\x82")),
        s("lone-continuation-invalid", st(0, 1, false, b"\x80", b"a")),
    ]
}

/// `fs_beneath` inputs: every name of the fixture read, written, created exclusively and
/// unlinked in turn (`all-NAME`), then the guest path checks (prefixes, separators, `.`, `..`,
/// NUL, invalid UTF-8, the 4096-byte limit), the 40-hop limit, and sequences that create where
/// a symlink was or through a dangling one.
fn fs_seeds() -> Seeds {
    let names = [
        "f",
        "d",
        "d/f",
        "d/\u{e9}t\u{e9}",
        "d/e/f",
        "d/e/top",
        "d/e/top/f",
        "d/e/topf",
        "d/e/updf",
        "d/e/esc",
        "d/e/esc/outside/secret",
        "d/e/escf",
        "d/sib",
        "d/dot",
        "d/dot/f",
        "empty",
        "empty/new",
        "here",
        "here/f",
        "lf",
        "ld",
        "ld/f",
        "ld/e/f",
        "lds",
        "lds/f",
        "lfs",
        "c1",
        "c3",
        "cd",
        "cd/f",
        "back",
        "deep",
        "abs",
        "absd",
        "absd/f",
        "abso",
        "out",
        "outd",
        "outd/secret",
        "outd/new",
        "evil",
        "dang",
        "dangd",
        "dango",
        "dangs",
        "self",
        "loopa",
        "up",
        "up/outside/secret",
        "fdir",
        "hop20",
        "here/hop20",
        "lf/x",
        "f/x",
        "missing",
        "missing/x",
        "new",
    ];
    let mut seeds: Seeds = names
        .iter()
        .map(|n| {
            let file = format!("all-{}", n.replace('/', "-").replace('\u{e9}', "e"));
            (
                file,
                format!("rR/{n}\nwR/{n}\nxR/{n}\nuR/{n}\n").into_bytes(),
            )
        })
        .collect();
    let long = "n".repeat(255);
    let here = |n: usize| "/here".repeat(n);
    let s = |name: &str, bytes: &[u8]| (name.to_string(), bytes.to_vec());
    let text = |name: &str, text: String| (name.to_string(), text.into_bytes());
    seeds.extend([
        s("root-itself", b"rR\nwR\nxR\nuR\n"),
        text("name-max", format!("rR/{long}\nuR/{long}\nxR/{long}\n")),
        text("name-too-long", format!("rR/{long}n\nxR/{long}n\n")),
        s("trailing-slash", b"rR/\nrR/d/\nwR/new/\n"),
        s(
            "separators-and-dots",
            b"rR//d//f\nrR/./d/./f\nrR/d/.\nrR/.\n",
        ),
        s("dotdot-in-guest-path", b"rR/d/../f\nrR/..\nuR/d/e/..\n"),
        s("nul", b"rR/f\0\nrR/\0/f\n"),
        s("invalid-utf8", b"rR/\xff\nwR/\xc0\xaf\n"),
        s(
            "root-prefix-not-a-component",
            b"rR-evil/f\nrRx/f\nwR-evil/g\n",
        ),
        s(
            "base-outside",
            b"rB/outside/secret\nwB/outside/new\nuB/outside/secret\n",
        ),
        s("relative-and-empty", b"rAd/f\nrA\nrA/\nrA/etc/passwd\n"),
        s("length-4096", b"rN\x06/f\nwN\x06/new\n"),
        s("length-4097", b"rN\x07/f\nuN\x07/f\n"),
        text(
            "hops-40",
            format!("rR{}/hop20\nrR{}/f\n", here(20), here(40)),
        ),
        text(
            "hops-41",
            format!("rR{}/hop20\nrR{}/f\n", here(21), here(41)),
        ),
        s("create-where-a-symlink-was", b"uR/lf\nxR/lf\nrR/lf\nrR/f\n"),
        s(
            "create-through-dangling",
            b"wR/dang\nrR/missing\nrR/dang\nuR/missing\n",
        ),
        s("write-through-chain", b"wR/c1\nrR/d/e/f\nwR/back\nrR/g\n"),
        s(
            "unlink-a-dir-symlink",
            b"uR/d/e/top\nrR/d/e/top/f\nxR/d/e/top\n",
        ),
        s("unlink-twice", b"uR/f\nuR/f\nrR/lf\nwR/lf\nrR/f\n"),
    ]);
    seeds
}
