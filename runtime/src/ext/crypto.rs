//! The built-in crypto extensions with the spec's argument order (their IDs: [`crate::ext::ids`]).
//!
//! | name | arguments (buffers are capability tokens) | result |
//! |------|-------------------------------------------|--------|
//! | `sha256` | input, input_len, output(32) | 0 |
//! | `hmac_sha256` | key, key_len, data, data_len, output(32) | 0 |
//! | `aes256_gcm_encrypt` | key(32), nonce(12), plain, plain_len, cipher(plain_len), tag(16) | 0 |
//! | `aes256_gcm_decrypt` | key(32), nonce(12), cipher, cipher_len, tag(16), plain(cipher_len) | 0, or `CryptoFailure` and nothing written |
//! | `constant_time_eq` | ptr1, ptr2, len | 1 equal, 0 not |
//! | `secure_random` | output, len | 0 |
//! | `pbkdf2_sha256` | password, pass_len, salt, salt_len, iterations (1..=2³²−1), out, out_len | 0 |
//! | `ed25519_sign` | secret_key(32-byte seed), message, msg_len, signature(64) | 0 |
//! | `ed25519_verify` | public_key(32), message, msg_len, signature(64) | 1 valid, 0 invalid |
//! | `x25519_derive` | private_key(32), public_key(32), shared_secret(32) | 0, or `CryptoFailure` |
//!
//! AES-GCM uses no associated data (the spec's argument list has none).
//!
//! **Ed25519 strictness.** Verification uses `ed25519-dalek`'s `verify_strict`: besides the
//! RFC 8032 checks (canonical `S < ℓ`, decodable points), it rejects signatures whose `R` or
//! whose public key `A` has small order, and it uses the cofactorless equation. A small-order
//! public key lets one signature verify for many messages (a key-substitution / repudiation
//! hazard), so the strict rule is the safer choice for a language runtime that has no context to
//! decide otherwise. Every Wycheproof EdDSA vector agrees with it (`ext.wycheproof.ed25519.*`).
//!
//! **X25519 low-order points.** A public key of small order (or on the twist such that the
//! result is all zeros) makes the shared secret all-zero, independent of the private key. Such
//! results are rejected with [`ExtError::CryptoFailure`] and nothing is written (detected with
//! `SharedSecret::was_contributory`, which is constant time). Wycheproof marks these vectors
//! "acceptable"; the conformance cases pin the rejection (`ext.wycheproof.x25519.*`).

use aes_gcm::aead::{AeadInPlace, KeyInit};
use aes_gcm::{Aes256Gcm, Nonce, Tag};
use ed25519_dalek::{Signature, Signer, SigningKey, VerifyingKey};
use hmac::{Hmac, Mac};
use sha2::{Digest, Sha256};
use subtle::ConstantTimeEq;

use super::bridge::{BufArg, BufLen, bridged, bridged_short};
use super::gcm;
pub use super::gcm::{SealError, seal as aes256_gcm_seal};
use super::{ExtCategory, ExtError, ExtId, ExtensionRegistry, SafeBuffer};

/// One row of the built-in table.
struct Builtin {
    id: ExtId,
    name: &'static str,
    description: &'static str,
    arg_count: usize,
    taint: bool,
    bufs: &'static [BufArg],
    body: super::bridge::BridgedFn,
    /// A pure computation linear in its buffers (`bridged_short`).
    short: bool,
}

use BufLen::{Arg, Fixed};

/// Writes the built-in table [`BUILTINS`] and its ID constants ([`ids`], which
/// [`crate::ext::ids`] re-exports) from one row per extension:
/// `ID CONSTANT name "description" { arg_count, taint, bufs, short }`, the body being the function
/// `name` of this file.
macro_rules! builtins {
    ($( $id:literal $konst:ident $name:ident $desc:literal { $($field:ident: $value:expr),* $(,)? } )*) => {
        /// The crypto half of [`crate::ext::ids`].
        pub(super) mod ids {
            crate::ext::ids::constants! {
                /// Every built-in crypto extension, in the order of its table (ascending IDs).
                CRYPTO: $($id $konst $name $desc)*
            }
        }

        const BUILTINS: &[Builtin] = &[$(
            Builtin {
                id: ids::$konst,
                name: stringify!($name),
                description: $desc,
                body: $name,
                $($field: $value,)*
            },
        )*];
    };
}

builtins! {
    1 SHA256 sha256 "SHA-256 hash" {
        arg_count: 3,
        taint: true,
        bufs: &[BufArg::input(0, Arg(1)), BufArg::output(2, Fixed(32))],
        short: true,
    }
    2 HMAC_SHA256 hmac_sha256 "HMAC-SHA256" {
        arg_count: 5,
        taint: true,
        bufs: &[
            BufArg::input(0, Arg(1)),
            BufArg::input(2, Arg(3)),
            BufArg::output(4, Fixed(32)),
        ],
        short: true,
    }
    3 AES256_GCM_ENCRYPT aes256_gcm_encrypt "AES-256-GCM encrypt" {
        arg_count: 6,
        taint: true,
        bufs: &[
            BufArg::input(0, Fixed(32)),
            BufArg::input(1, Fixed(12)),
            BufArg::input(2, Arg(3)),
            BufArg::output(4, Arg(3)),
            BufArg::output(5, Fixed(16)),
        ],
        short: true,
    }
    4 AES256_GCM_DECRYPT aes256_gcm_decrypt "AES-256-GCM decrypt" {
        arg_count: 6,
        taint: true,
        bufs: &[
            BufArg::input(0, Fixed(32)),
            BufArg::input(1, Fixed(12)),
            BufArg::input(4, Fixed(16)),
            BufArg::output_from(5, Arg(3), 2),
        ],
        short: true,
    }
    5 CONSTANT_TIME_EQ constant_time_eq "Constant-time compare" {
        arg_count: 3,
        taint: true,
        bufs: &[BufArg::input(0, Arg(2)), BufArg::input(1, Arg(2))],
        short: true,
    }
    6 SECURE_RANDOM secure_random "Cryptographic RNG" {
        arg_count: 2,
        taint: false,
        bufs: &[BufArg::output(0, Arg(1))],
        short: false,
    }
    7 PBKDF2_SHA256 pbkdf2_sha256 "PBKDF2 key derivation" {
        arg_count: 7,
        taint: true,
        bufs: &[
            BufArg::input(0, Arg(1)),
            BufArg::input(2, Arg(3)),
            BufArg::output(5, Arg(6)),
        ],
        short: false,
    }
    8 ED25519_SIGN ed25519_sign "Ed25519 signature" {
        arg_count: 4,
        taint: true,
        bufs: &[
            BufArg::input(0, Fixed(32)),
            BufArg::input(1, Arg(2)),
            BufArg::output(3, Fixed(64)),
        ],
        short: false,
    }
    9 ED25519_VERIFY ed25519_verify "Ed25519 verify" {
        arg_count: 4,
        taint: true,
        bufs: &[
            BufArg::input(0, Fixed(32)),
            BufArg::input(1, Arg(2)),
            BufArg::input(3, Fixed(64)),
        ],
        short: false,
    }
    10 X25519_DERIVE x25519_derive "X25519 key exchange" {
        arg_count: 3,
        taint: true,
        bufs: &[
            BufArg::input(0, Fixed(32)),
            BufArg::input(1, Fixed(32)),
            BufArg::output(2, Fixed(32)),
        ],
        short: false,
    }
}

/// Registers every row of [`BUILTINS`].
pub(super) fn register_all(registry: &mut ExtensionRegistry) {
    for b in BUILTINS {
        registry
            .register_with_id(
                b.id,
                b.name,
                b.description,
                b.arg_count,
                b.taint,
                ExtCategory::Crypto,
                if b.short {
                    bridged_short(b.bufs, b.body)
                } else {
                    bridged(b.bufs, b.body)
                },
            )
            .expect("built-in IDs and names are distinct");
    }
}

/// The declared buffers of built-in `id` (for tools and fuzzers).
pub fn buffers(id: ExtId) -> Option<&'static [BufArg]> {
    BUILTINS.iter().find(|b| b.id == id).map(|b| b.bufs)
}

/// The Ed25519 public key of a 32-byte secret seed (as `ed25519_sign` uses it).
pub fn ed25519_public_key(seed: &[u8; 32]) -> [u8; 32] {
    SigningKey::from_bytes(seed).verifying_key().to_bytes()
}

fn array<const N: usize>(buf: &SafeBuffer) -> Result<[u8; N], ExtError> {
    buf.read(0, N)?
        .try_into()
        .map_err(|_| ExtError::OutOfBounds)
}

fn sha256(b: &mut [SafeBuffer], _: &[u64]) -> Result<u64, ExtError> {
    let digest = Sha256::digest(b[0].as_slice()?);
    b[1].write(0, &digest)?;
    Ok(0)
}

fn hmac_sha256(b: &mut [SafeBuffer], _: &[u64]) -> Result<u64, ExtError> {
    let mut mac = <Hmac<Sha256> as Mac>::new_from_slice(b[0].as_slice()?)
        .map_err(|_| ExtError::InvalidArgument("HMAC key"))?;
    mac.update(b[1].as_slice()?);
    b[2].write(0, &mac.finalize().into_bytes())?;
    Ok(0)
}

/// The expanded key of a 32-byte key buffer. `new` on a fixed-size key builds the cipher in
/// place; `new_from_slice` returns it in a `Result` and so moves all of it (over 1 KiB) once more.
#[inline(always)]
fn aes_key(buf: &SafeBuffer) -> Result<Aes256Gcm, ExtError> {
    let key: &[u8; 32] = buf
        .read(0, 32)?
        .try_into()
        .map_err(|_| ExtError::OutOfBounds)?;
    Ok(Aes256Gcm::new(key.into()))
}

fn aes256_gcm_encrypt(b: &mut [SafeBuffer], _: &[u64]) -> Result<u64, ExtError> {
    let key = array::<32>(&b[0])?;
    let nonce = array::<12>(&b[1])?;
    let (inputs, outputs) = b.split_at_mut(3);
    let (cipher, tag) = outputs.split_at_mut(1);
    let len = cipher[0].len();
    // One pass: the keystream goes from the plaintext into the output, GHASH follows.
    let t = gcm::seal(
        &key,
        &nonce,
        &[],
        inputs[2].as_slice()?,
        cipher[0].slice_mut(0, len)?,
    )
    .map_err(|_| ExtError::InvalidArgument("plaintext too long"))?;
    tag[0].write(0, &t)?;
    Ok(0)
}

fn aes256_gcm_decrypt(b: &mut [SafeBuffer], _: &[u64]) -> Result<u64, ExtError> {
    let cipher = aes_key(&b[0])?;
    let nonce = *Nonce::from_slice(b[1].as_slice()?);
    let tag = *Tag::from_slice(b[2].as_slice()?);
    // The output starts as a copy of the ciphertext and is decrypted in place, in its private
    // copy: the bridge commits it only because this returns Ok, so a forged tag writes nothing
    // to the caller's memory.
    let len = b[3].len();
    cipher
        .decrypt_in_place_detached(&nonce, &[], b[3].slice_mut(0, len)?, &tag)
        .map_err(|_| ExtError::CryptoFailure)?;
    Ok(0)
}

fn constant_time_eq(b: &mut [SafeBuffer], _: &[u64]) -> Result<u64, ExtError> {
    Ok(u64::from(bool::from(
        b[0].as_slice()?.ct_eq(b[1].as_slice()?),
    )))
}

fn secure_random(b: &mut [SafeBuffer], _: &[u64]) -> Result<u64, ExtError> {
    let len = b[0].len();
    getrandom::fill(b[0].slice_mut(0, len)?).map_err(|_| ExtError::RandomUnavailable)?;
    Ok(0)
}

fn pbkdf2_sha256(b: &mut [SafeBuffer], args: &[u64]) -> Result<u64, ExtError> {
    let rounds = u32::try_from(args[4])
        .ok()
        .filter(|&r| r > 0)
        .ok_or(ExtError::InvalidArgument("iterations"))?;
    let (inputs, out) = b.split_at_mut(2);
    let len = out[0].len();
    let out = out[0].slice_mut(0, len)?;
    pbkdf2::pbkdf2_hmac::<Sha256>(inputs[0].as_slice()?, inputs[1].as_slice()?, rounds, out);
    Ok(0)
}

fn ed25519_sign(b: &mut [SafeBuffer], _: &[u64]) -> Result<u64, ExtError> {
    let key = SigningKey::from_bytes(&array::<32>(&b[0])?);
    b[2].write(0, &key.sign(b[1].as_slice()?).to_bytes())?;
    Ok(0)
}

fn ed25519_verify(b: &mut [SafeBuffer], _: &[u64]) -> Result<u64, ExtError> {
    let Ok(key) = VerifyingKey::from_bytes(&array::<32>(&b[0])?) else {
        return Ok(0);
    };
    let sig = Signature::from_bytes(&array::<64>(&b[2])?);
    Ok(u64::from(key.verify_strict(b[1].as_slice()?, &sig).is_ok()))
}

fn x25519_derive(b: &mut [SafeBuffer], _: &[u64]) -> Result<u64, ExtError> {
    let secret = x25519_dalek::StaticSecret::from(array::<32>(&b[0])?);
    let public = x25519_dalek::PublicKey::from(array::<32>(&b[1])?);
    let shared = secret.diffie_hellman(&public);
    if !shared.was_contributory() {
        return Err(ExtError::CryptoFailure);
    }
    b[2].write(0, shared.as_bytes())?;
    Ok(0)
}

#[cfg(test)]
#[path = "crypto_tests.rs"]
mod tests;
