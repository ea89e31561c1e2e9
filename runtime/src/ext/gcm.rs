//! AES-256-GCM sealing (NIST SP 800-38D) in one pass over the plaintext, composed from the
//! RustCrypto crates `aes-gcm` itself is built on (`aes`, `ctr` with the 32-bit big-endian
//! counter, `ghash`).
//!
//! `aes-gcm` 0.10 encrypts in place and then authenticates: two passes over the buffer, and an
//! input that is not the output must first be copied into it. Here the counter-mode keystream
//! goes from the plaintext straight into the output a chunk at a time, and GHASH reads each
//! chunk while it is still in the L1 cache. The result is byte-for-byte `aes-gcm`'s (the unit
//! tests `same_as_aes_gcm`, on random keys, nonces, associated data and lengths, and
//! `every_length_around_the_block_and_chunk_boundaries` compare them; the Wycheproof AES-GCM
//! vectors run through the extension as `ext.wycheproof.aes_gcm.*`, and those with associated
//! data through this module directly as `ext.wycheproof.aes_gcm_seal.*`). Decryption stays on
//! `aes-gcm`: it must authenticate before it writes anything.

use aes_gcm::aes::Aes256Enc;
use ctr::CtrCore;
use ctr::cipher::inout::InOutBuf;
use ctr::cipher::{BlockEncrypt, InnerIvInit, KeyInit, StreamCipherCore};
use ctr::flavors::Ctr32BE;
use ghash::GHash;
use ghash::universal_hash::UniversalHash;

/// Bytes encrypted and then authenticated at a time: a multiple of the block size, small enough
/// that a chunk of output is still in the L1 cache when GHASH reads it.
const CHUNK: usize = 512;

/// The longest plaintext GCM allows: 2³⁹ − 256 bits.
const MAX_PLAIN: u64 = (1 << 36) - 32;

/// The longest associated data GCM allows here (the standard's 2⁶⁴ − 1 bits, in bytes).
const MAX_AAD: u64 = (1 << 61) - 1;

/// Why [`seal`] refused.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
#[non_exhaustive]
pub enum SealError {
    /// The plaintext or the associated data is longer than GCM allows.
    TooLong,
    /// `out` is not as long as `plain`.
    LengthMismatch,
}

impl std::fmt::Display for SealError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(match self {
            SealError::TooLong => "plaintext or associated data longer than AES-GCM allows",
            SealError::LengthMismatch => "output length differs from plaintext length",
        })
    }
}

impl std::error::Error for SealError {}

/// The body of extension 3 (`aes256_gcm_encrypt`) as a plain function, for host code and the
/// benchmarks: encrypts `plain` into `out` (of the same length) under `key` and the 96-bit
/// `nonce`, and returns the 128-bit tag over `aad` and the ciphertext.
pub fn seal(
    key: &[u8; 32],
    nonce: &[u8; 12],
    aad: &[u8],
    plain: &[u8],
    out: &mut [u8],
) -> Result<[u8; 16], SealError> {
    if plain.len() != out.len() {
        return Err(SealError::LengthMismatch);
    }
    if plain.len() as u64 > MAX_PLAIN || aad.len() as u64 > MAX_AAD {
        return Err(SealError::TooLong);
    }
    let aes = Aes256Enc::new(key.into());
    // The hash key is the encryption of the zero block.
    let mut hash_key = ghash::Key::default();
    aes.encrypt_block(&mut hash_key);
    let mut ghash = GHash::new(&hash_key);
    ghash.update_padded(aad);

    // J0 = nonce ‖ 0³¹ ‖ 1: its keystream block masks the tag; the data starts at J0 + 1.
    let mut j0 = ghash::Block::default();
    j0[..12].copy_from_slice(nonce);
    j0[15] = 1;
    let mut ctr = CtrCore::<&Aes256Enc, Ctr32BE>::inner_iv_init(&aes, &j0);
    let mut mask = ghash::Block::default();
    ctr.write_keystream_block(&mut mask);

    let mut plain_chunks = plain.chunks_exact(CHUNK);
    let mut out_chunks = out.chunks_exact_mut(CHUNK);
    for (p, o) in (&mut plain_chunks).zip(&mut out_chunks) {
        let (blocks, _) = InOutBuf::new(p, o)
            .expect("chunks of equal length")
            .into_chunks();
        ctr.apply_keystream_blocks_inout(blocks);
        ghash.update_padded(o);
    }
    // Fewer than CHUNK bytes remain: whole blocks, then a partial one.
    let (p, o) = (plain_chunks.remainder(), out_chunks.into_remainder());
    let (blocks, tail) = InOutBuf::new(p, o)
        .expect("remainders of equal length")
        .into_chunks();
    ctr.apply_keystream_blocks_inout(blocks);
    if !tail.is_empty() {
        ctr.apply_keystream_partial(tail);
    }
    ghash.update_padded(o);

    let mut lengths = ghash::Block::default();
    lengths[..8].copy_from_slice(&(aad.len() as u64 * 8).to_be_bytes());
    lengths[8..].copy_from_slice(&(plain.len() as u64 * 8).to_be_bytes());
    ghash.update(&[lengths]);
    let mut tag = ghash.finalize();
    for (t, m) in tag.iter_mut().zip(mask.iter()) {
        *t ^= m;
    }
    Ok(tag.into())
}

#[cfg(test)]
mod tests {
    use super::*;
    use aes_gcm::aead::AeadInPlace;
    use aes_gcm::{Aes256Gcm, Nonce};
    use proptest::prelude::*;

    fn reference(
        key: &[u8; 32],
        nonce: &[u8; 12],
        aad: &[u8],
        plain: &[u8],
    ) -> (Vec<u8>, [u8; 16]) {
        let mut buf = plain.to_vec();
        let tag = Aes256Gcm::new(key.into())
            .encrypt_in_place_detached(Nonce::from_slice(nonce), aad, &mut buf)
            .expect("within limits");
        (buf, tag.into())
    }

    fn check(key: &[u8; 32], nonce: &[u8; 12], aad: &[u8], plain: &[u8]) {
        let mut out = vec![0xA5; plain.len()];
        let tag = seal(key, nonce, aad, plain, &mut out).expect("within limits");
        let (want, want_tag) = reference(key, nonce, aad, plain);
        assert_eq!(out, want, "ciphertext, {} bytes", plain.len());
        assert_eq!(tag, want_tag, "tag, {} bytes", plain.len());
    }

    #[test]
    fn every_length_around_the_block_and_chunk_boundaries() {
        let plain: Vec<u8> = (0..3 * CHUNK + 40).map(|i| (i * 7 + 3) as u8).collect();
        let lengths = (0..=48)
            .chain((CHUNK - 17)..=(CHUNK + 17))
            .chain((2 * CHUNK - 1)..=(2 * CHUNK + 1))
            .chain([3 * CHUNK + 40]);
        for len in lengths {
            check(&[0x42; 32], &[7; 12], &[], &plain[..len]);
            check(&[0x42; 32], &[7; 12], b"header", &plain[..len]);
        }
    }

    #[test]
    fn refuses_mismatched_output() {
        let mut out = [0u8; 3];
        assert_eq!(
            seal(&[0; 32], &[0; 12], &[], &[1, 2], &mut out),
            Err(SealError::LengthMismatch)
        );
        assert_eq!(out, [0; 3]);
    }

    proptest! {
        #![proptest_config(ProptestConfig::with_cases(256))]
        #[test]
        fn same_as_aes_gcm(
            key in any::<[u8; 32]>(),
            nonce in any::<[u8; 12]>(),
            aad in prop::collection::vec(any::<u8>(), 0..80),
            plain in prop::collection::vec(any::<u8>(), 0..1600),
        ) {
            check(&key, &nonce, &aad, &plain);
        }
    }
}
