//! The inverse of `arbitrary`'s decoding (arbitrary 1.x) for the shapes the structured inputs
//! use, so that seeds can be written as values. The round trip is tested per input type
//! (`encoding_round_trips` in `safe_buffer.rs` and in `crypto_ext.rs`).

/// Bytes that `arbitrary` decodes back into the value.
pub(crate) trait Encode {
    fn encode(&self, out: &mut Vec<u8>);
}

impl Encode for u8 {
    fn encode(&self, out: &mut Vec<u8>) {
        out.push(*self);
    }
}

impl Encode for u16 {
    fn encode(&self, out: &mut Vec<u8>) {
        out.extend_from_slice(&self.to_le_bytes());
    }
}

impl Encode for u64 {
    fn encode(&self, out: &mut Vec<u8>) {
        out.extend_from_slice(&self.to_le_bytes());
    }
}

/// `usize` is decoded from a `u64` on every platform.
impl Encode for usize {
    fn encode(&self, out: &mut Vec<u8>) {
        (*self as u64).encode(out);
    }
}

impl<const N: usize> Encode for [u8; N] {
    fn encode(&self, out: &mut Vec<u8>) {
        out.extend_from_slice(self);
    }
}

impl<A: Encode, B: Encode> Encode for (A, B) {
    fn encode(&self, out: &mut Vec<u8>) {
        self.0.encode(out);
        self.1.encode(out);
    }
}

/// A collection is a sequence of elements each preceded by a byte with the low bit set, ended
/// by a byte without it (or by the end of the input), whether or not it is the last field.
impl<T: Encode> Encode for Vec<T> {
    fn encode(&self, out: &mut Vec<u8>) {
        for x in self {
            out.push(1);
            x.encode(out);
        }
        out.push(0);
    }
}

/// The discriminant of variant `index` of an enum with `count` variants: the derive maps a
/// `u32` `x` to variant `(x * count) >> 32`.
pub(crate) fn variant(index: u32, count: u32, out: &mut Vec<u8>) {
    let x = ((u64::from(index) << 32).div_ceil(u64::from(count))) as u32;
    out.extend_from_slice(&x.to_le_bytes());
}
