//! Every crypto extension on mutated inputs through `ExtensionRegistry::call`: never a panic,
//! and a mutated AES-GCM ciphertext/tag or Ed25519 signature is never accepted.
#![no_main]

use std::sync::OnceLock;

use arbitrary::Arbitrary;
use libfuzzer_sys::fuzz_target;
use neurlang::runtime::{CapPermissions, Capability, ExtError, ExtensionRegistry, Token};

#[derive(Arbitrary, Debug)]
struct Input {
    id: u8,
    /// Raw argument values; small values select one of the buffers below as a token.
    args: Vec<u64>,
    bufs: Vec<(Vec<u8>, u8)>,
    key: [u8; 32],
    msg: Vec<u8>,
    flip: (u16, u8),
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

fuzz_target!(|input: Input| {
    let r = registry();
    let rw = CapPermissions::READ | CapPermissions::WRITE;
    // 1. Arbitrary calls: any ID, any arguments, arguments pointing at arbitrary buffers.
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
            _ if a >= 16 && a < 1 << 16 => a & 0xffff, // plausible lengths
            _ => a,
        })
        .collect();
    let mut out = [0u64; 2];
    let id = u32::from(input.id % 12);
    if id == 7 && args.get(4).is_some_and(|&i| i > 1000) {
        // Skip huge PBKDF2 iteration counts: slow, not interesting.
    } else {
        let _ = r.call(id, &args, &mut out);
    }
    for t in tokens {
        t.revoke().unwrap();
    }

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
            3u32,
            &[k.get(), n.get(), m.get(), len, c.get(), tag.get()],
            &mut out
        ),
        Ok(0)
    );
    let (mut ct, mut tg) = (bytes(c), bytes(tag));
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
            4u32,
            &[k.get(), n.get(), ctb.get(), len, tgb.get(), plain.get()],
            &mut out
        ),
        Err(ExtError::CryptoFailure)
    );
    assert!(bytes(plain).iter().all(|&b| b == 0xA5));

    // 3. A mutated Ed25519 signature never verifies.
    let sig = buf(&[0; 64], rw);
    assert_eq!(
        r.call(8u32, &[k.get(), m.get(), len, sig.get()], &mut out),
        Ok(0)
    );
    let mut s = bytes(sig);
    s[usize::from(input.flip.0) % 64] ^= bit;
    let sb = buf(&s, CapPermissions::READ);
    let pk = ed25519_public(&input.key);
    let pkb = buf(&pk, CapPermissions::READ);
    assert_eq!(
        r.call(9u32, &[pkb.get(), m.get(), len, sb.get()], &mut out),
        Ok(0)
    );
    assert_eq!(
        r.call(9u32, &[pkb.get(), m.get(), len, sig.get()], &mut out),
        Ok(1)
    );
    for t in [k, n, m, c, tag, ctb, tgb, plain, sig, sb, pkb] {
        t.revoke().unwrap();
    }
});

/// The Ed25519 public key of a seed (the runtime's helper, so the fuzz crate needs no dalek).
fn ed25519_public(seed: &[u8; 32]) -> [u8; 32] {
    neurlang::ext::crypto::ed25519_public_key(seed)
}
