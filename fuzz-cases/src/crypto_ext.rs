//! Every crypto extension on mutated inputs through `ExtensionRegistry::call`: never a panic,
//! an AES-GCM ciphertext opens to its plaintext, and a mutated AES-GCM ciphertext/tag or Ed25519
//! signature is never accepted.

use std::sync::OnceLock;

use arbitrary::Arbitrary;
use neurlang::ext::ids;
use neurlang::runtime::{
    CapPermissions, CapToken as Token, Capability, ExtError, ExtId, ExtensionRegistry,
};

use crate::encode::Encode;

/// One arbitrary call, then a fixed AES-GCM and Ed25519 round with `key` and `msg`.
#[derive(Arbitrary, Debug, Clone, PartialEq, Eq)]
pub struct Input {
    /// The extension of the arbitrary call: an index into [`ids::CRYPTO`], modulo one more
    /// than its length (the extra index is [`UNREGISTERED`]); see [`index_of`].
    pub id: u8,
    /// Raw argument values (up to 8); a value below 16 that indexes `bufs` becomes that
    /// buffer's token, any other value is passed as it is.
    pub args: Vec<u64>,
    /// Buffers (up to 8) with their permissions (bit 0 read, bit 1 write, bit 2 execute).
    pub bufs: Vec<(Vec<u8>, u8)>,
    /// The AES-256-GCM key and Ed25519 seed of the fixed round.
    pub key: [u8; 32],
    /// Its message.
    pub msg: Vec<u8>,
    /// The bit flipped in the ciphertext/tag and in the signature: (position, mask).
    pub flip: (u16, u8),
}

impl Input {
    /// The bytes that decode into this input (see [`crate::decode`]).
    pub fn to_bytes(&self) -> Vec<u8> {
        let mut out = Vec::new();
        self.id.encode(&mut out);
        self.args.encode(&mut out);
        self.bufs.encode(&mut out);
        self.key.encode(&mut out);
        self.msg.encode(&mut out);
        self.flip.encode(&mut out);
        out
    }
}

/// The ID the arbitrary call uses for the index one past [`ids::CRYPTO`]: never registered
/// (the registry refuses ID 0), so the fuzzer also calls an unknown extension.
pub const UNREGISTERED: ExtId = ExtId(0);

/// The extension [`Input::id`] selects.
pub fn selected(id: u8) -> ExtId {
    let i = usize::from(id) % (ids::CRYPTO.len() + 1);
    ids::CRYPTO.get(i).copied().unwrap_or(UNREGISTERED)
}

/// The [`Input::id`] that selects built-in `ext` (its index in [`ids::CRYPTO`]), if it is one.
pub fn index_of(ext: ExtId) -> Option<u8> {
    let i = ids::CRYPTO.iter().position(|&id| id == ext)?;
    u8::try_from(i).ok()
}

fn registry() -> &'static ExtensionRegistry {
    static R: OnceLock<ExtensionRegistry> = OnceLock::new();
    R.get_or_init(ExtensionRegistry::with_builtins)
}

fn buf(bytes: &[u8], perms: CapPermissions) -> Token {
    Token::new_owned(bytes.into(), perms).unwrap()
}

fn bytes(t: Token) -> Vec<u8> {
    let c = Capability::from_token(t).unwrap();
    c.to_vec(0, c.length()).unwrap()
}

/// The arbitrary call of `input`: the extension [`selected`] by `input.id`, with the arguments
/// mapped onto the buffers' tokens (revoked afterwards). `None` when it is skipped (a PBKDF2
/// iteration count above 1000: slow, not interesting).
pub fn arbitrary_call(input: &Input) -> Option<Result<u64, ExtError>> {
    let tokens: Vec<Token> = input
        .bufs
        .iter()
        .take(8)
        .map(|(b, p)| buf(b, CapPermissions::from_bits_truncate((*p).into())))
        .collect();
    let args: Vec<u64> = input
        .args
        .iter()
        .take(8)
        .map(|&a| match tokens.get(a as usize % 16) {
            Some(t) if a < 16 => t.get(),
            _ if (16..1 << 16).contains(&a) => a & 0xffff, // plausible lengths
            _ => a,
        })
        .collect();
    let mut out = [0u64; 2];
    let id = selected(input.id);
    let result = if id == ids::PBKDF2_SHA256 && args.get(4).is_some_and(|&i| i > 1000) {
        None
    } else {
        Some(registry().call(id, &args, &mut out))
    };
    for t in tokens {
        t.revoke().unwrap();
    }
    result
}

/// Makes the arbitrary call (its result is not checked: it must only not panic), then checks
/// that a mutated AES-GCM ciphertext or tag never decrypts and writes nothing, and that a
/// mutated Ed25519 signature never verifies while the original does.
pub fn check(input: Input) {
    let r = registry();
    let rw = CapPermissions::READ | CapPermissions::WRITE;
    // 1. Arbitrary calls: any ID, any arguments, arguments pointing at arbitrary buffers.
    let _ = arbitrary_call(&input);
    let mut out = [0u64; 2];

    // 2. Forged tag / ciphertext never decrypts, and writes nothing.
    let (k, n) = (
        buf(&input.key, CapPermissions::READ),
        buf(&[3; 12], CapPermissions::READ),
    );
    let m = buf(&input.msg, CapPermissions::READ);
    let len = input.msg.len() as u64;
    let (c, tag) = (buf(&vec![0; input.msg.len()], rw), buf(&[0; 16], rw));
    assert_eq!(
        r.call(
            ids::AES256_GCM_ENCRYPT,
            &[k.get(), n.get(), m.get(), len, c.get(), tag.get()],
            &mut out
        ),
        Ok(0)
    );
    let (mut ct, mut tg) = (bytes(c), bytes(tag));
    // The ciphertext (sealed in one pass, runtime/src/ext/gcm.rs) opens with aes-gcm's decrypt.
    let (ct0, tg0) = (
        buf(&ct, CapPermissions::READ),
        buf(&tg, CapPermissions::READ),
    );
    let opened = buf(&vec![0xA5; ct.len()], rw);
    assert_eq!(
        r.call(
            ids::AES256_GCM_DECRYPT,
            &[k.get(), n.get(), ct0.get(), len, tg0.get(), opened.get()],
            &mut out
        ),
        Ok(0)
    );
    assert_eq!(bytes(opened), input.msg);
    let pos = usize::from(input.flip.0) % (ct.len() + 16);
    let bit = input.flip.1 | 1;
    if pos < ct.len() {
        ct[pos] ^= bit
    } else {
        tg[pos - ct.len()] ^= bit
    }
    let (ctb, tgb) = (
        buf(&ct, CapPermissions::READ),
        buf(&tg, CapPermissions::READ),
    );
    let plain = buf(&vec![0xA5; ct.len()], rw);
    assert_eq!(
        r.call(
            ids::AES256_GCM_DECRYPT,
            &[k.get(), n.get(), ctb.get(), len, tgb.get(), plain.get()],
            &mut out
        ),
        Err(ExtError::CryptoFailure)
    );
    assert!(bytes(plain).iter().all(|&b| b == 0xA5));

    // 3. A mutated Ed25519 signature never verifies.
    let sig = buf(&[0; 64], rw);
    assert_eq!(
        r.call(
            ids::ED25519_SIGN,
            &[k.get(), m.get(), len, sig.get()],
            &mut out
        ),
        Ok(0)
    );
    let mut s = bytes(sig);
    s[usize::from(input.flip.0) % 64] ^= bit;
    let sb = buf(&s, CapPermissions::READ);
    let pk = neurlang::ext::crypto::ed25519_public_key(&input.key);
    let pkb = buf(&pk, CapPermissions::READ);
    assert_eq!(
        r.call(
            ids::ED25519_VERIFY,
            &[pkb.get(), m.get(), len, sb.get()],
            &mut out
        ),
        Ok(0)
    );
    assert_eq!(
        r.call(
            ids::ED25519_VERIFY,
            &[pkb.get(), m.get(), len, sig.get()],
            &mut out
        ),
        Ok(1)
    );
    for t in [
        k, n, m, c, tag, ct0, tg0, opened, ctb, tgb, plain, sig, sb, pkb,
    ] {
        t.revoke().unwrap();
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_index_selects_a_builtin_and_one_more_an_unregistered_id() {
        for (i, &id) in ids::CRYPTO.iter().enumerate() {
            let index = index_of(id).unwrap();
            assert_eq!((usize::from(index), selected(index)), (i, id));
        }
        let past = u8::try_from(ids::CRYPTO.len()).unwrap();
        assert_eq!(selected(past), UNREGISTERED);
        assert_eq!(registry().info(UNREGISTERED), None);
        assert_eq!(selected(past + 1), ids::CRYPTO[0]);
    }

    #[test]
    fn encoding_round_trips() {
        let input = Input {
            id: 4,
            args: vec![0, 1, u64::MAX, 300],
            bufs: vec![(vec![7; 32], 1), (vec![], 3)],
            key: [0x42; 32],
            msg: b"abc".to_vec(),
            flip: (0x1234, 0x80),
        };
        assert_eq!(crate::decode::<Input>(&input.to_bytes()), Some(input));
    }
}
