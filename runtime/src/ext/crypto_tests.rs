use super::*;
use crate::cap::{CapPermissions, Capability, Token};

fn input(bytes: &[u8]) -> u64 {
    Token::new_owned(bytes.into(), CapPermissions::READ)
        .unwrap()
        .get()
}

fn output(len: usize) -> u64 {
    Token::new_owned(
        vec![0xAA; len].into_boxed_slice(),
        CapPermissions::READ | CapPermissions::WRITE,
    )
    .unwrap()
    .get()
}

fn bytes(tok: u64) -> Vec<u8> {
    let cap = Capability::from_raw(tok).unwrap();
    cap.to_vec(0, cap.length()).unwrap()
}

fn hex(s: &str) -> Vec<u8> {
    (0..s.len())
        .step_by(2)
        .map(|i| u8::from_str_radix(&s[i..i + 2], 16).unwrap())
        .collect()
}

#[test]
fn sha256_abc() {
    let r = ExtensionRegistry::with_builtins();
    let out = output(32);
    assert_eq!(
        r.call(ids::SHA256, &[input(b"abc"), 3, out], &mut []),
        Ok(0)
    );
    assert_eq!(
        bytes(out),
        hex("ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad")
    );
    // Empty input may be token 0.
    assert_eq!(r.call(ids::SHA256, &[0, 0, out], &mut []), Ok(0));
    assert_eq!(
        bytes(out),
        hex("e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855")
    );
}

#[test]
fn bad_tokens_are_refused_before_anything_runs() {
    let r = ExtensionRegistry::with_builtins();
    let ro = input(&[0; 32]);
    let out = output(31);
    assert_eq!(
        r.call(ids::SHA256, &[ro, 3, ro], &mut []),
        Err(ExtError::PermissionDenied)
    );
    assert_eq!(
        r.call(ids::SHA256, &[ro, 33, output(32)], &mut []),
        Err(ExtError::OutOfBounds)
    );
    assert_eq!(
        r.call(ids::SHA256, &[ro, 3, out], &mut []),
        Err(ExtError::OutOfBounds)
    );
    assert_eq!(
        r.call(ids::SHA256, &[ro ^ 1, 3, output(32)], &mut []),
        Err(ExtError::InvalidCapability)
    );
    assert_eq!(
        r.call(ids::SHA256, &[ro, u64::MAX, output(32)], &mut []),
        Err(ExtError::OutOfBounds)
    );
}

#[test]
fn aes_gcm_round_trip_and_tamper_writes_nothing() {
    let r = ExtensionRegistry::with_builtins();
    let (key, nonce) = (input(&[7; 32]), input(&[9; 12]));
    let msg = b"attack at dawn";
    let (ct, tag) = (output(msg.len()), output(16));
    assert_eq!(
        r.call(
            ids::AES256_GCM_ENCRYPT,
            &[key, nonce, input(msg), msg.len() as u64, ct, tag],
            &mut []
        ),
        Ok(0)
    );
    let pt = output(msg.len());
    assert_eq!(
        r.call(
            ids::AES256_GCM_DECRYPT,
            &[key, nonce, ct, msg.len() as u64, tag, pt],
            &mut []
        ),
        Ok(0)
    );
    assert_eq!(bytes(pt), msg);
    let mut bad_tag = bytes(tag);
    bad_tag[0] ^= 1;
    let pt2 = output(msg.len());
    assert_eq!(
        r.call(
            ids::AES256_GCM_DECRYPT,
            &[key, nonce, ct, msg.len() as u64, input(&bad_tag), pt2],
            &mut []
        ),
        Err(ExtError::CryptoFailure)
    );
    assert_eq!(bytes(pt2), vec![0xAA; msg.len()]);
}

#[test]
fn aliasing_input_and_output_is_fine() {
    let r = ExtensionRegistry::with_builtins();
    let buf = output(32);
    Capability::from_raw(buf).unwrap().write(0, b"abc").unwrap();
    assert_eq!(r.call(ids::SHA256, &[buf, 3, buf], &mut []), Ok(0));
    assert_eq!(
        bytes(buf),
        hex("ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad")
    );
}

#[test]
fn sign_verify_eq_random_pbkdf2_x25519() {
    let r = ExtensionRegistry::with_builtins();
    let seed = [3u8; 32];
    let sig = output(64);
    assert_eq!(
        r.call(
            ids::ED25519_SIGN,
            &[input(&seed), input(b"m"), 1, sig],
            &mut []
        ),
        Ok(0)
    );
    let pk = SigningKey::from_bytes(&seed).verifying_key().to_bytes();
    assert_eq!(
        r.call(
            ids::ED25519_VERIFY,
            &[input(&pk), input(b"m"), 1, sig],
            &mut []
        ),
        Ok(1)
    );
    assert_eq!(
        r.call(
            ids::ED25519_VERIFY,
            &[input(&pk), input(b"n"), 1, sig],
            &mut []
        ),
        Ok(0)
    );
    assert_eq!(
        r.call(
            ids::CONSTANT_TIME_EQ,
            &[input(b"abcd"), input(b"abcd"), 4],
            &mut []
        ),
        Ok(1)
    );
    assert_eq!(
        r.call(
            ids::CONSTANT_TIME_EQ,
            &[input(b"abcd"), input(b"abce"), 4],
            &mut []
        ),
        Ok(0)
    );
    let rnd = output(64);
    assert_eq!(r.call(ids::SECURE_RANDOM, &[rnd, 64], &mut []), Ok(0));
    assert_ne!(bytes(rnd), vec![0xAA; 64]);
    let dk = output(20);
    assert_eq!(
        r.call(
            ids::PBKDF2_SHA256,
            &[input(b"p"), 1, input(b"s"), 1, 0, dk, 20],
            &mut []
        ),
        Err(ExtError::InvalidArgument("iterations"))
    );
    assert_eq!(
        r.call(
            ids::PBKDF2_SHA256,
            &[input(b"p"), 1, input(b"s"), 1, 1, dk, 20],
            &mut []
        ),
        Ok(0)
    );
    let shared = output(32);
    assert_eq!(
        r.call(
            ids::X25519_DERIVE,
            &[input(&[1; 32]), input(&[0; 32]), shared],
            &mut []
        ),
        Err(ExtError::CryptoFailure)
    );
    assert_eq!(bytes(shared), vec![0xAA; 32]);
}

#[test]
fn aes_gcm_in_place_matches_separate_buffers() {
    let r = ExtensionRegistry::with_builtins();
    let (key, nonce) = (input(&[7; 32]), input(&[9; 12]));
    let msg: Vec<u8> = (0..100u8).collect();
    let (ct, tag) = (output(msg.len()), output(16));
    let n = msg.len() as u64;
    let args = [key, nonce, input(&msg), n, ct, tag];
    assert_eq!(r.call(ids::AES256_GCM_ENCRYPT, &args, &mut []), Ok(0));
    // Plaintext and ciphertext in one buffer: encrypted in place.
    let (buf, tag2) = (output(msg.len()), output(16));
    Capability::from_raw(buf).unwrap().write(0, &msg).unwrap();
    assert_eq!(
        r.call(
            ids::AES256_GCM_ENCRYPT,
            &[key, nonce, buf, n, buf, tag2],
            &mut []
        ),
        Ok(0)
    );
    assert_eq!(bytes(buf), bytes(ct));
    assert_eq!(bytes(tag2), bytes(tag));
    // And back, in place.
    assert_eq!(
        r.call(
            ids::AES256_GCM_DECRYPT,
            &[key, nonce, buf, n, tag2, buf],
            &mut []
        ),
        Ok(0)
    );
    assert_eq!(bytes(buf), msg);
}

#[test]
fn calls_larger_than_the_kept_scratch_memory() {
    let r = ExtensionRegistry::with_builtins();
    for len in [4096, 4097, 100 * 1024] {
        let data: Vec<u8> = (0..len).map(|i| (i % 251) as u8).collect();
        let out = output(32);
        assert_eq!(
            r.call(ids::SHA256, &[input(&data), len as u64, out], &mut []),
            Ok(0)
        );
        assert_eq!(bytes(out), Sha256::digest(&data).as_slice(), "{len}");
    }
}
