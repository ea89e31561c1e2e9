//! Area `ext`: the Extension Registry's table of built-ins (a row per ID, and a row for every
//! registered crypto ID: `table.crypto_complete`) and the crypto extensions
//! ([`neurlang::ext::ids::CRYPTO`]) against known-answer vectors (FIPS 180-2, RFC 4231, RFC 7914, RFC 8032,
//! RFC 7748, typed in `cases/ext.toml`) and the Wycheproof sets (`vectors/wycheproof`), every
//! vector one case, all called through `ExtensionRegistry::call` with capability tokens.
//!
//! Every vector that calls an extension has a sibling `NAME.mc`, the machine-code column: the
//! same calls made from machine code through `neurlang_ext_call2`/`neurlang_ext_call` (the
//! test JIT, [`crate::script::Jit`]), agreeing call by call with a Rust run
//! ([`script::in_machine_code`]). There a check for a named error (`CryptoFailure` of a
//! rejected X25519 derivation or AES-GCM decryption, `OutOfBounds` of a short Ed25519
//! signature) compares the code only, as the C ABI returns no name; the Rust run checks the
//! name.

mod wycheproof;

use std::ops::RangeInclusive;
use std::sync::{Arc, OnceLock};

use crate::script::{self, Call, Callee, Env, Executor, Outcome, Rust};
use crate::{Case, CaseError, CaseResult, Ctx, MACHINE_CODE, ensure, ensure_eq, fail};
use neurlang::ext::ids;
use neurlang::runtime::{
    CapPermissions, CapToken as Token, Capability, ExtError, ExtId, ExtensionRegistry,
};
use serde::Deserialize;

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
struct ExtFile {
    ext: Vec<Row>,
    sha256: Vec<Sha256Kat>,
    hmac: Vec<HmacKat>,
    pbkdf2: Vec<Pbkdf2Kat>,
    ed25519: Vec<Ed25519Kat>,
    x25519: Vec<X25519Kat>,
}

#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
struct Row {
    id: u32,
    name: String,
    args: usize,
    category: String,
    taint: bool,
}

#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
struct Sha256Kat {
    name: String,
    msg: String,
    #[serde(default)]
    repeat: Option<usize>,
    digest: String,
}

#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
struct HmacKat {
    name: String,
    key: String,
    data: String,
    mac: String,
}

#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
struct Pbkdf2Kat {
    name: String,
    password: String,
    salt: String,
    iterations: u64,
    dk: String,
}

#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
struct Ed25519Kat {
    name: String,
    secret: String,
    public: String,
    msg: String,
    sig: String,
}

#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
struct X25519Kat {
    name: String,
    scalar: String,
    u: String,
    /// Hex, or `rejected` for a result the runtime refuses (all-zero shared secret).
    out: String,
}

/// The registry every case calls through.
pub(crate) fn registry() -> &'static ExtensionRegistry {
    static R: OnceLock<ExtensionRegistry> = OnceLock::new();
    R.get_or_init(ExtensionRegistry::with_builtins)
}

/// A capability token over an owned buffer, revoked on drop.
pub(crate) struct Buf(Token);

impl Buf {
    /// A read-only buffer holding `bytes`.
    pub(crate) fn input(bytes: &[u8]) -> Buf {
        Buf(Token::new_owned(bytes.into(), CapPermissions::READ).expect("token"))
    }

    /// A read-write buffer of `len` bytes, filled with 0xA5 (to see what was written).
    pub(crate) fn output(len: usize) -> Buf {
        let perms = CapPermissions::READ | CapPermissions::WRITE;
        Buf(Token::new_owned(vec![0xA5; len].into_boxed_slice(), perms).expect("token"))
    }

    pub(crate) fn tok(&self) -> u64 {
        self.0.get()
    }

    pub(crate) fn bytes(&self) -> Vec<u8> {
        let cap = Capability::from_token(self.0).expect("live token");
        cap.to_vec(0, cap.length()).expect("readable")
    }

    pub(crate) fn untouched(&self) -> bool {
        self.bytes().iter().all(|&b| b == 0xA5)
    }
}

impl Drop for Buf {
    fn drop(&mut self) {
        let _ = self.0.revoke();
    }
}

pub(crate) fn hex(s: &str) -> Result<Vec<u8>, CaseError> {
    if !s.len().is_multiple_of(2) {
        fail!("odd-length hex {s:?}");
    }
    (0..s.len())
        .step_by(2)
        .map(|i| {
            u8::from_str_radix(&s[i..i + 2], 16)
                .map_err(|e| CaseError::Fail(format!("hex {s:?}: {e}")))
        })
        .collect()
}

pub(crate) fn call(id: ExtId, args: &[u64]) -> Result<u64, ExtError> {
    registry().call(id, args, &mut [0u64; 1])
}

/// The extension calls of one vector, made by one executor: [`Rust`] for the vector's case,
/// both in turn for its `.mc` sibling.
pub(crate) struct Calls<'a> {
    env: Env,
    exec: &'a mut dyn Executor,
}

impl<'a> Calls<'a> {
    fn new(exec: &'a mut dyn Executor) -> Calls<'a> {
        Calls {
            env: Env::builtins(),
            exec,
        }
    }

    /// Calls extension `id` with `args`.
    pub(crate) fn call(&mut self, id: ExtId, args: &[u64]) -> Outcome {
        let call = Call {
            callee: Callee::Ext(u64::from(id.get())),
            args: args.to_vec(),
        };
        self.exec.call(&mut self.env, &call)
    }
}

/// A check of one vector, run in a column.
pub(crate) type Check = dyn Fn(&mut Calls) -> CaseResult + Send + Sync;

/// The case `ext.NAME`, its calls made by [`Rust`], and `ext.NAME.mc`, made from machine code.
pub(crate) fn both_columns(name: String, check: Arc<Check>) -> [Case; 2] {
    let mc = Arc::clone(&check);
    let label = |i: usize, call: &Call| {
        let name = match call.callee {
            Callee::Ext(id) => u32::try_from(id)
                .ok()
                .and_then(|id| registry().info(id))
                .map_or("?", |i| i.name.as_str()),
            Callee::Abi(name) => name,
        };
        format!("call {} ({name})", i + 1)
    };
    [
        Case::new("ext", name.clone(), move || {
            check(&mut Calls::new(&mut Rust))
        }),
        Case::new("ext", format!("{name}{MACHINE_CODE}"), move || {
            script::in_machine_code(|exec| mc(&mut Calls::new(exec)), label)
        }),
    ]
}

/// `got` is the failure `e`: by name where the executor names it, else (machine code) by code.
pub(crate) fn ensure_failed(got: &Outcome, e: ExtError, what: &str) -> CaseResult {
    let want = Outcome::failed(e);
    ensure!(got.agrees(&want), "{what}: got {got}, expected {want}");
    Ok(())
}

pub fn cases(ctx: &Ctx) -> Result<Vec<Case>, String> {
    let file: ExtFile = ctx.table("ext.toml")?;
    let mut cases = Vec::new();
    let rows: Vec<u32> = file.ext.iter().map(|r| r.id).collect();
    cases.push(Case::new("ext", "table.crypto_complete", move || {
        rows_complete(registry(), ids::CRYPTO_RANGE, &rows, "cases/ext.toml")
    }));
    for row in file.ext {
        cases.push(Case::new(
            "ext",
            format!("table.{}.{}", row.id, row.name),
            move || table_row(&row),
        ));
    }
    for k in file.sha256 {
        let name = format!("sha256.{}", k.name);
        cases.extend(both_columns(name, Arc::new(move |c| sha256(&k, c))));
    }
    for k in file.hmac {
        let name = format!("hmac_sha256.{}", k.name);
        cases.extend(both_columns(name, Arc::new(move |c| hmac(&k, c))));
    }
    for k in file.pbkdf2 {
        let name = format!("pbkdf2_sha256.{}", k.name);
        cases.extend(both_columns(name, Arc::new(move |c| pbkdf2(&k, c))));
    }
    for k in file.ed25519 {
        let name = format!("ed25519.{}", k.name);
        cases.extend(both_columns(name, Arc::new(move |c| ed25519(&k, c))));
    }
    for k in file.x25519 {
        let name = format!("x25519.{}", k.name);
        cases.extend(both_columns(name, Arc::new(move |c| x25519(&k, c))));
    }
    cases.extend(wycheproof::cases(ctx)?);
    Ok(cases)
}

/// Every ID in `range` that `registry` has is one of `rows` (the IDs of the spec's table
/// `table`); that every row is registered is each row's own case.
pub(crate) fn rows_complete(
    registry: &ExtensionRegistry,
    range: RangeInclusive<u32>,
    rows: &[u32],
    table: &str,
) -> CaseResult {
    let missing: Vec<String> = registry
        .iter()
        .filter(|i| range.contains(&i.id.get()) && !rows.contains(&i.id.get()))
        .map(|i| format!("{} {}", i.id, i.name))
        .collect();
    ensure!(
        missing.is_empty(),
        "registered extensions with no row in {table}: {missing:?}"
    );
    Ok(())
}

fn table_row(row: &Row) -> CaseResult {
    let r = registry();
    let Some(info) = r.info(row.id) else {
        fail!("ID {} is not registered", row.id)
    };
    ensure_eq!(info.name, row.name, "name");
    ensure_eq!(
        r.lookup(&row.name).map(|i| i.get()),
        Some(row.id),
        "lookup by name"
    );
    ensure_eq!(info.arg_count, row.args, "argument count");
    ensure_eq!(info.category.name(), row.category, "category");
    ensure_eq!(info.propagate_taint, row.taint, "taint flag");
    let wrong = vec![0u64; row.args + 1];
    let got = call(ExtId(row.id), &wrong);
    ensure_eq!(
        got,
        Err(ExtError::WrongArgCount {
            expected: row.args,
            got: row.args + 1
        }),
        "call with one argument too many"
    );
    Ok(())
}

fn sha256(k: &Sha256Kat, c: &mut Calls) -> CaseResult {
    let msg = k.msg.repeat(k.repeat.unwrap_or(1));
    let (input, out) = (Buf::input(msg.as_bytes()), Buf::output(32));
    ensure_eq!(
        c.call(ids::SHA256, &[input.tok(), msg.len() as u64, out.tok()]),
        Outcome::Value(0)
    );
    ensure_eq!(out.bytes(), hex(&k.digest)?, "digest");
    Ok(())
}

fn hmac(k: &HmacKat, c: &mut Calls) -> CaseResult {
    let (key, data) = (hex(&k.key)?, hex(&k.data)?);
    let (kb, db, out) = (Buf::input(&key), Buf::input(&data), Buf::output(32));
    ensure_eq!(
        c.call(
            ids::HMAC_SHA256,
            &[
                kb.tok(),
                key.len() as u64,
                db.tok(),
                data.len() as u64,
                out.tok()
            ]
        ),
        Outcome::Value(0)
    );
    let want = hex(&k.mac)?;
    ensure_eq!(out.bytes()[..want.len()], want[..], "mac");
    Ok(())
}

fn pbkdf2(k: &Pbkdf2Kat, c: &mut Calls) -> CaseResult {
    let (pw, salt, want) = (hex(&k.password)?, hex(&k.salt)?, hex(&k.dk)?);
    let (pb, sb, out) = (Buf::input(&pw), Buf::input(&salt), Buf::output(want.len()));
    let args = [
        pb.tok(),
        pw.len() as u64,
        sb.tok(),
        salt.len() as u64,
        k.iterations,
        out.tok(),
        want.len() as u64,
    ];
    ensure_eq!(c.call(ids::PBKDF2_SHA256, &args), Outcome::Value(0));
    ensure_eq!(out.bytes(), want, "derived key");
    Ok(())
}

fn ed25519(k: &Ed25519Kat, c: &mut Calls) -> CaseResult {
    let (sk, pk, msg, want) = (hex(&k.secret)?, hex(&k.public)?, hex(&k.msg)?, hex(&k.sig)?);
    let (skb, pkb, mb, sig) = (
        Buf::input(&sk),
        Buf::input(&pk),
        Buf::input(&msg),
        Buf::output(64),
    );
    ensure_eq!(
        c.call(
            ids::ED25519_SIGN,
            &[skb.tok(), mb.tok(), msg.len() as u64, sig.tok()]
        ),
        Outcome::Value(0)
    );
    ensure_eq!(sig.bytes(), want, "signature");
    ensure_eq!(
        c.call(
            ids::ED25519_VERIFY,
            &[pkb.tok(), mb.tok(), msg.len() as u64, sig.tok()]
        ),
        Outcome::Value(1),
        "verify"
    );
    let mut bad = want.clone();
    bad[0] ^= 1;
    let badb = Buf::input(&bad);
    ensure_eq!(
        c.call(
            ids::ED25519_VERIFY,
            &[pkb.tok(), mb.tok(), msg.len() as u64, badb.tok()]
        ),
        Outcome::Value(0),
        "verify of a flipped signature"
    );
    Ok(())
}

fn x25519(k: &X25519Kat, c: &mut Calls) -> CaseResult {
    let (s, u) = (Buf::input(&hex(&k.scalar)?), Buf::input(&hex(&k.u)?));
    let out = Buf::output(32);
    let got = c.call(ids::X25519_DERIVE, &[s.tok(), u.tok(), out.tok()]);
    if k.out == "rejected" {
        ensure_failed(&got, ExtError::CryptoFailure, "low-order result")?;
        ensure!(out.untouched(), "a rejected derivation wrote its output");
    } else {
        ensure_eq!(got, Outcome::Value(0));
        ensure_eq!(out.bytes(), hex(&k.out)?, "shared secret");
    }
    Ok(())
}
