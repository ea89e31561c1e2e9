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

/// Fills `bytes` (starting at an instruction boundary) with the trap pattern.
pub(crate) fn fill_trap(bytes: &mut [u8]) {
    let mut chunks = bytes.chunks_exact_mut(4);
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
        let mut b = [0u8; 10];
        fill_trap(&mut b);
        for (i, &x) in b.iter().enumerate() {
            assert_eq!(x, TRAP[i % 4]);
        }
    }

    #[test]
    fn poison_covers_whole_instructions() {
        assert_eq!(poison_len(0), 0);
        assert_eq!(poison_len(1), 4);
        assert_eq!(poison_len(8), 8);
    }
}
