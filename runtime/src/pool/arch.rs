//! What a trapping instruction looks like on each architecture.
//!
//! Released and unwritten bytes are filled with a pattern that traps when executed: `int3`
//! (0xCC) on x86, `brk #0` (0xd4200000, little-endian) on aarch64, and zero words elsewhere
//! (an illegal instruction on RISC-V and PowerPC). Filling always starts at a slot's start, so
//! the 4-byte patterns stay instruction-aligned.

/// The repeating trap pattern of the target architecture.
#[cfg(any(target_arch = "x86_64", target_arch = "x86"))]
pub(crate) const TRAP: [u8; 4] = [0xCC; 4];
/// The repeating trap pattern of the target architecture (`brk #0`).
#[cfg(target_arch = "aarch64")]
pub(crate) const TRAP: [u8; 4] = 0xd420_0000u32.to_le_bytes();
/// The repeating trap pattern of the target architecture.
#[cfg(not(any(target_arch = "x86_64", target_arch = "x86", target_arch = "aarch64")))]
pub(crate) const TRAP: [u8; 4] = [0; 4];

/// Fills `bytes` (starting at an instruction boundary) with the trap pattern, eight bytes a
/// store.
///
/// The pattern passes through `black_box` so that the compiler does not turn the loop into a
/// call to the C library's `memset` (`black_box` is a hint; were it ignored, the pool bench's
/// cycle would show it against its floor): on the Intel Xeon of docs/performance.md, glibc's AVX-512
/// `memset` of the 16 bytes the pool bench's stub leaves, just after the core ran them, cost
/// ~65 ns more than plain stores (the bench's floor in two runs back to back: 228 ns with its
/// plain stores, 292 ns when made to call `memset`); the pool's cycle went from 1.39x to 1.20x
/// that floor with this fill.
pub(crate) fn fill_trap(bytes: &mut [u8]) {
    let mut pattern = [0u8; 8];
    pattern[..4].copy_from_slice(&TRAP);
    pattern[4..].copy_from_slice(&TRAP);
    let pattern = std::hint::black_box(pattern);
    let mut words = bytes.chunks_exact_mut(8);
    for w in &mut words {
        w.copy_from_slice(&pattern);
    }
    let mut chunks = words.into_remainder().chunks_exact_mut(4);
    for c in &mut chunks {
        c.copy_from_slice(&TRAP);
    }
    let rest = chunks.into_remainder();
    let n = rest.len();
    rest.copy_from_slice(&TRAP[..n]);
}

/// The length to poison after `written` bytes: whole trap instructions.
pub(crate) fn poison_len(written: usize) -> usize {
    written.div_ceil(TRAP.len()) * TRAP.len()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn fill_repeats_the_pattern_from_the_start() {
        // Every length through two words, a word and a half, and a ragged end.
        for len in 0..=21 {
            let mut b = [0u8; 24];
            fill_trap(&mut b[..len]);
            for (i, &x) in b.iter().enumerate() {
                let want = if i < len { TRAP[i % 4] } else { 0 };
                assert_eq!(x, want, "byte {i} of a {len}-byte fill");
            }
        }
    }

    #[test]
    fn poison_covers_whole_instructions() {
        assert_eq!(poison_len(0), 0);
        assert_eq!(poison_len(1), 4);
        assert_eq!(poison_len(8), 8);
    }
}
