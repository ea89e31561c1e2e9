//! The Wycheproof sets (vendored JSON, see `vectors/wycheproof/SOURCE`): AES-GCM, HMAC-SHA256,
//! PBKDF2-HMAC-SHA256, Ed25519 and X25519, one case per `tcId`, run through the extensions; the
//! AES-256-GCM vectors also through `aes256_gcm_seal` directly, with their associated data.
//!
//! A vector run through extensions is a case `ext.wycheproof.SET.tcN` and its machine-code
//! sibling `….mc` ([`both_columns`]): the same calls made through `neurlang_ext_call2`/
//! `neurlang_ext_call` from machine code, agreeing call by call with a Rust run
//! ([`script::in_machine_code`]). There a check for a named error (`CryptoFailure` of a rejected
//! X25519 derivation or AES-GCM decryption, `OutOfBounds` of a short Ed25519 signature)
//! compares the code only, as the C ABI returns no name; the Rust run checks the name.

use std::sync::Arc;

use serde::Deserialize;
use serde_json::Value;

use crate::script::{self, Call, Callee, Env, Executor, Outcome, Rust};
use crate::{Case, CaseError, CaseResult, Ctx, MACHINE_CODE, ensure, ensure_eq};
use neurlang::ext::crypto::aes256_gcm_seal;
use neurlang::ext::ids;
use neurlang::runtime::{CapPermissions, CapToken as Token, Capability, ExtError, ExtId};

#[derive(Debug, Deserialize)]
struct File {
    #[serde(rename = "testGroups")]
    groups: Vec<Group>,
}

#[derive(Debug, Deserialize)]
struct Group {
    #[serde(flatten)]
    fields: serde_json::Map<String, Value>,
    tests: Vec<serde_json::Map<String, Value>>,
}

/// A test vector with its group's fields (the group's take second place).
#[derive(Debug, Clone)]
struct Vector {
    group: Arc<serde_json::Map<String, Value>>,
    test: serde_json::Map<String, Value>,
}

impl Vector {
    fn str(&self, key: &str) -> Result<&str, CaseError> {
        self.test
            .get(key)
            .and_then(Value::as_str)
            .ok_or_else(|| CaseError::Fail(format!("vector has no string {key:?}")))
    }

    fn hex(&self, key: &str) -> Result<Vec<u8>, CaseError> {
        Ok(script::hex(self.str(key)?)?)
    }

    fn num(&self, key: &str) -> Result<u64, CaseError> {
        self.test
            .get(key)
            .or_else(|| self.group.get(key))
            .and_then(Value::as_u64)
            .ok_or_else(|| CaseError::Fail(format!("vector has no number {key:?}")))
    }

    fn valid(&self) -> Result<bool, CaseError> {
        Ok(self.str("result")? == "valid")
    }
}

/// A check of a vector whose extension calls a column makes ([`Calls`]).
type Check = fn(&Vector, &mut Calls) -> CaseResult;
/// Why a vector cannot run through the set's check, if it cannot (such a vector makes no case).
type Skip = fn(&Vector) -> Option<String>;

/// How a set's vectors are checked.
#[derive(Clone, Copy)]
enum Checks {
    /// Through extensions: each vector a case and its machine-code sibling (`….mc`).
    Ext(Check),
    /// By calling the runtime's Rust function directly: one case.
    Direct(fn(&Vector) -> CaseResult),
}

/// (set name, file, check, which vectors it cannot take). A vector a set cannot take is not a
/// platform fact, so it makes no case: `ext.wycheproof.aes_gcm.coverage` counts the AES-GCM
/// vectors each way (extensions 3/4, the one-pass seal, neither).
const SETS: &[(&str, &str, Checks, Skip)] = &[
    (
        "aes_gcm",
        "aes_gcm_test.json",
        Checks::Ext(aes_gcm),
        aes_gcm_skip,
    ),
    // The one-pass sealing behind extension 3, called directly: the vectors with associated
    // data, which the extension's argument list cannot carry, reach its AAD path here.
    (
        "aes_gcm_seal",
        "aes_gcm_test.json",
        Checks::Direct(aes_gcm_seal),
        aes_gcm_params_skip,
    ),
    (
        "hmac_sha256",
        "hmac_sha256_test.json",
        Checks::Ext(hmac),
        |_| None,
    ),
    (
        "pbkdf2_sha256",
        "pbkdf2_hmacsha256_test.json",
        Checks::Ext(pbkdf2),
        |_| None,
    ),
    ("ed25519", "ed25519_test.json", Checks::Ext(ed25519), |_| {
        None
    }),
    ("x25519", "x25519_test.json", Checks::Ext(x25519), |_| None),
];

pub fn cases(ctx: &Ctx) -> Result<Vec<Case>, String> {
    // Each file is read once, though several sets may check its vectors.
    let mut files: Vec<(&str, Vec<Vector>)> = Vec::new();
    for &(_, file, _, _) in SETS {
        if !files.iter().any(|(f, _)| *f == file) {
            files.push((file, vectors(ctx, file)?));
        }
    }
    let of = |file: &str| {
        files
            .iter()
            .find(|(f, _)| *f == file)
            .map(|(_, v)| v.as_slice())
    };
    let mut cases = vec![aes_gcm_coverage(
        of("aes_gcm_test.json").unwrap_or_default(),
    )];
    for &(set, file, check, skip) in SETS {
        for v in of(file).unwrap_or_default().iter().cloned() {
            let id = v
                .num("tcId")
                .map_err(|_| format!("{file}: a vector without tcId"))?;
            if skip(&v).is_some() {
                continue;
            }
            let name = format!("wycheproof.{set}.tc{id}");
            match check {
                Checks::Direct(check) => cases.push(Case::new("ext", name, move || check(&v))),
                Checks::Ext(check) => {
                    let v = Arc::new(v);
                    let check = Arc::new(move |c: &mut Calls| check(&v, c));
                    cases.extend(both_columns(name, check));
                }
            }
        }
    }
    Ok(cases)
}

/// Every vector of a Wycheproof file, each with its group's fields.
fn vectors(ctx: &Ctx, file: &str) -> Result<Vec<Vector>, String> {
    let path = ctx.vectors_dir.join("wycheproof").join(file);
    let text = std::fs::read_to_string(&path).map_err(|e| format!("{}: {e}", path.display()))?;
    let parsed: File =
        serde_json::from_str(&text).map_err(|e| format!("{}: {e}", path.display()))?;
    let mut all = Vec::new();
    for g in parsed.groups {
        let group = Arc::new(g.fields);
        all.extend(g.tests.into_iter().map(|test| Vector {
            group: Arc::clone(&group),
            test,
        }));
    }
    Ok(all)
}

/// How the AES-GCM vectors divide: through extensions 3/4 (and their machine-code column), with
/// associated data through the one-pass seal only, or not at all (sizes the spec's interface
/// cannot take). Fails if no vector runs through the extensions.
fn aes_gcm_coverage(vectors: &[Vector]) -> Case {
    let (mut ext, mut seal, mut none) = (0usize, 0usize, 0usize);
    for v in vectors {
        if aes_gcm_params_skip(v).is_some() {
            none += 1;
        } else if aes_gcm_skip(v).is_some() {
            seal += 1;
        } else {
            ext += 1;
        }
    }
    Case::new("ext", "wycheproof.aes_gcm.coverage", move || {
        ensure!(ext > 0, "no AES-GCM vector fits extensions 3/4");
        crate::note(format!(
            "{ext} vectors through extensions 3/4 (and machine code), {seal} with associated data \
             through the one-pass seal only, {none} not run: key, nonce or tag sizes other than \
             the interface's 256/96/128 bits"
        ));
        Ok(())
    })
}

fn aes_gcm_params_skip(v: &Vector) -> Option<String> {
    let (k, iv, tag) = (
        v.num("keySize").ok()?,
        v.num("ivSize").ok()?,
        v.num("tagSize").ok()?,
    );
    ((k, iv, tag) != (256, 96, 128)).then(|| {
        format!(
            "extensions 3/4 are AES-256 with a 96-bit nonce and 128-bit tag; vector has key {k}, nonce {iv}, tag {tag} bits"
        )
    })
}

fn aes_gcm_skip(v: &Vector) -> Option<String> {
    if let Some(why) = aes_gcm_params_skip(v) {
        return Some(why);
    }
    if v.str("aad").map_or(true, |a| !a.is_empty()) {
        return Some(
            "extensions 3/4 take no associated data (spec argument list); vector has AAD".into(),
        );
    }
    None
}

fn aes_gcm(v: &Vector, c: &mut Calls) -> CaseResult {
    let (key, iv, msg, ct, tag) = (
        v.hex("key")?,
        v.hex("iv")?,
        v.hex("msg")?,
        v.hex("ct")?,
        v.hex("tag")?,
    );
    let (kb, ivb) = (Buf::input(&key), Buf::input(&iv));
    if v.valid()? {
        let (mb, cb, tb) = (Buf::input(&msg), Buf::output(msg.len()), Buf::output(16));
        ensure_eq!(
            c.call(
                ids::AES256_GCM_ENCRYPT,
                &[
                    kb.tok(),
                    ivb.tok(),
                    mb.tok(),
                    msg.len() as u64,
                    cb.tok(),
                    tb.tok()
                ]
            ),
            Outcome::Value(0)
        );
        ensure_eq!(cb.bytes(), ct, "ciphertext");
        ensure_eq!(tb.bytes(), tag, "tag");
    }
    let (cb, tb, pb) = (Buf::input(&ct), Buf::input(&tag), Buf::output(ct.len()));
    let got = c.call(
        ids::AES256_GCM_DECRYPT,
        &[
            kb.tok(),
            ivb.tok(),
            cb.tok(),
            ct.len() as u64,
            tb.tok(),
            pb.tok(),
        ],
    );
    if v.valid()? {
        ensure_eq!(got, Outcome::Value(0), "decrypt");
        ensure_eq!(pb.bytes(), msg, "plaintext");
    } else {
        ensure_failed(
            &got,
            ExtError::CryptoFailure,
            "decrypt of an invalid vector",
        )?;
        ensure!(pb.untouched(), "a failed decrypt wrote to its output");
    }
    Ok(())
}

/// `aes256_gcm_seal` with the vector's associated data: a valid vector's ciphertext and tag
/// exactly; an invalid one (a modified tag) is never what sealing produces.
fn aes_gcm_seal(v: &Vector) -> CaseResult {
    let (key, iv, aad, msg, ct, tag) = (
        v.hex("key")?,
        v.hex("iv")?,
        v.hex("aad")?,
        v.hex("msg")?,
        v.hex("ct")?,
        v.hex("tag")?,
    );
    let key: [u8; 32] = key
        .try_into()
        .map_err(|_| CaseError::Fail("key is not 32 bytes".into()))?;
    let iv: [u8; 12] = iv
        .try_into()
        .map_err(|_| CaseError::Fail("nonce is not 12 bytes".into()))?;
    let mut out = vec![0; msg.len()];
    let sealed = aes256_gcm_seal(&key, &iv, &aad, &msg, &mut out)
        .map_err(|e| CaseError::Fail(format!("seal refused: {e}")))?;
    if v.valid()? {
        ensure_eq!(out, ct, "ciphertext");
        ensure_eq!(sealed.to_vec(), tag, "tag");
    } else {
        ensure!(
            (out, sealed.to_vec()) != (ct, tag),
            "sealing produced an invalid vector's ciphertext and tag"
        );
    }
    Ok(())
}

fn hmac(v: &Vector, c: &mut Calls) -> CaseResult {
    let (key, msg, tag) = (v.hex("key")?, v.hex("msg")?, v.hex("tag")?);
    let (kb, mb, out) = (Buf::input(&key), Buf::input(&msg), Buf::output(32));
    ensure_eq!(
        c.call(
            ids::HMAC_SHA256,
            &[
                kb.tok(),
                key.len() as u64,
                mb.tok(),
                msg.len() as u64,
                out.tok()
            ]
        ),
        Outcome::Value(0)
    );
    let got = out.bytes();
    let matches = tag.len() <= 32 && got[..tag.len()] == tag[..];
    ensure_eq!(matches, v.valid()?, "computed MAC matches the vector's tag");
    Ok(())
}

fn pbkdf2(v: &Vector, c: &mut Calls) -> CaseResult {
    let (pw, salt, dk) = (v.hex("password")?, v.hex("salt")?, v.hex("dk")?);
    let (pb, sb, out) = (Buf::input(&pw), Buf::input(&salt), Buf::output(dk.len()));
    let args = [
        pb.tok(),
        pw.len() as u64,
        sb.tok(),
        salt.len() as u64,
        v.num("iterationCount")?,
        out.tok(),
        dk.len() as u64,
    ];
    ensure_eq!(c.call(ids::PBKDF2_SHA256, &args), Outcome::Value(0));
    ensure_eq!(out.bytes() == dk, v.valid()?, "derived key matches");
    Ok(())
}

fn ed25519(v: &Vector, c: &mut Calls) -> CaseResult {
    let pk = v
        .group
        .get("publicKey")
        .and_then(|k| k.get("pk"))
        .and_then(Value::as_str)
        .ok_or_else(|| CaseError::Fail("group has no publicKey.pk".into()))?;
    let (pk, msg, sig) = (script::hex(pk)?, v.hex("msg")?, v.hex("sig")?);
    let (pkb, mb) = (Buf::input(&pk), Buf::input(&msg));
    if sig.len() != 64 {
        // The extension reads exactly 64 bytes: a shorter signature buffer is refused before it
        // runs, a longer one is cut to its first 64 bytes. Both must not verify.
        ensure!(
            !v.valid()?,
            "valid vector with a {}-byte signature",
            sig.len()
        );
        let sb = Buf::input(&sig);
        let got = c.call(
            ids::ED25519_VERIFY,
            &[pkb.tok(), mb.tok(), msg.len() as u64, sb.tok()],
        );
        ensure!(
            got == Outcome::Value(0)
                || got.agrees(&Outcome::failed(ExtError::OutOfBounds))
                || sig.len() > 64,
            "got {got:?}"
        );
        if sig.len() > 64 {
            // Only the length makes it invalid; the 64-byte prefix may be a valid signature.
            return Ok(());
        }
        return Ok(());
    }
    let sb = Buf::input(&sig);
    let got = c.call(
        ids::ED25519_VERIFY,
        &[pkb.tok(), mb.tok(), msg.len() as u64, sb.tok()],
    );
    ensure_eq!(got, Outcome::Value(u64::from(v.valid()?)), "verify");
    Ok(())
}

fn x25519(v: &Vector, c: &mut Calls) -> CaseResult {
    let (public, private, shared) = (v.hex("public")?, v.hex("private")?, v.hex("shared")?);
    let (pb, sb, out) = (Buf::input(&public), Buf::input(&private), Buf::output(32));
    let got = c.call(ids::X25519_DERIVE, &[sb.tok(), pb.tok(), out.tok()]);
    if shared.iter().all(|&b| b == 0) {
        // Low-order input: the runtime's policy is to reject (Wycheproof: "acceptable").
        ensure_failed(&got, ExtError::CryptoFailure, "all-zero shared secret")?;
        ensure!(out.untouched(), "a rejected derivation wrote its output");
    } else {
        ensure_eq!(got, Outcome::Value(0), "derive");
        ensure_eq!(out.bytes(), shared, "shared secret");
    }
    Ok(())
}

/// A capability token over an owned buffer, revoked on drop.
struct Buf(Token);

impl Buf {
    /// A read-only buffer holding `bytes`.
    fn input(bytes: &[u8]) -> Buf {
        Buf(Token::new_owned(bytes.into(), CapPermissions::READ).expect("token"))
    }

    /// A read-write buffer of `len` bytes, filled with 0xA5 (to see what was written).
    fn output(len: usize) -> Buf {
        let perms = CapPermissions::READ | CapPermissions::WRITE;
        Buf(Token::new_owned(vec![0xA5; len].into_boxed_slice(), perms).expect("token"))
    }

    fn tok(&self) -> u64 {
        self.0.get()
    }

    fn bytes(&self) -> Vec<u8> {
        let cap = Capability::from_token(self.0).expect("live token");
        cap.to_vec(0, cap.length()).expect("readable")
    }

    fn untouched(&self) -> bool {
        self.bytes().iter().all(|&b| b == 0xA5)
    }
}

impl Drop for Buf {
    fn drop(&mut self) {
        let _ = self.0.revoke();
    }
}

/// The extension calls of one vector, made by one executor: [`Rust`] for the vector's case,
/// both in turn for its `.mc` sibling.
struct Calls<'a> {
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
    fn call(&mut self, id: ExtId, args: &[u64]) -> Outcome {
        let call = Call {
            callee: Callee::Ext(u64::from(id.get())),
            args: args.to_vec(),
        };
        self.exec.call(&mut self.env, &call)
    }
}

/// A check of one vector, run in a column.
type ColumnCheck = dyn Fn(&mut Calls) -> CaseResult + Send + Sync;

/// The case `ext.NAME`, its calls made by [`Rust`], and `ext.NAME.mc`, made from machine code.
fn both_columns(name: String, check: Arc<ColumnCheck>) -> [Case; 2] {
    let mc = Arc::clone(&check);
    let label = |i: usize, call: &Call| {
        let name = match call.callee {
            Callee::Ext(id) => u32::try_from(id)
                .ok()
                .and_then(|id| super::registry().info(id))
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
fn ensure_failed(got: &Outcome, e: ExtError, what: &str) -> CaseResult {
    let want = Outcome::failed(e);
    ensure!(got.agrees(&want), "{what}: got {got}, expected {want}");
    Ok(())
}
