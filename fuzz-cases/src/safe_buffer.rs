//! SafeBuffer and capability bounds/permissions: arbitrary offset/length/permission sequences
//! against a plain model; nothing may ever go out of bounds or disagree with the model.

use arbitrary::Arbitrary;
use neurlang::runtime::{CapPermissions, CapToken as Token, Capability, ExtError, SafeBuffer};

use crate::encode::{Encode, variant};

/// One operation on the buffer (`Read`/`Write`/`Restrict`) or on the capability token
/// (`Cap*`).
#[derive(Arbitrary, Debug, Clone, PartialEq, Eq)]
pub enum Op {
    Read { offset: usize, len: u16 },
    Write { offset: usize, data: Vec<u8> },
    Restrict { perms: u8 },
    CapSlice { offset: usize, len: usize },
    CapRead { offset: usize, len: u16 },
    CapWrite { offset: usize, data: Vec<u8> },
}

/// The initial contents and permissions (bit 0 read, bit 1 write, bit 2 execute), then up to
/// 64 operations.
#[derive(Arbitrary, Debug, Clone, PartialEq, Eq)]
pub struct Input {
    pub init: Vec<u8>,
    pub perms: u8,
    pub ops: Vec<Op>,
}

impl Encode for Op {
    fn encode(&self, out: &mut Vec<u8>) {
        match self {
            Op::Read { offset, len } => {
                variant(0, 6, out);
                (*offset, *len).encode(out);
            }
            Op::Write { offset, data } => {
                variant(1, 6, out);
                offset.encode(out);
                data.encode(out);
            }
            Op::Restrict { perms } => {
                variant(2, 6, out);
                perms.encode(out);
            }
            Op::CapSlice { offset, len } => {
                variant(3, 6, out);
                (*offset, *len).encode(out);
            }
            Op::CapRead { offset, len } => {
                variant(4, 6, out);
                (*offset, *len).encode(out);
            }
            Op::CapWrite { offset, data } => {
                variant(5, 6, out);
                offset.encode(out);
                data.encode(out);
            }
        }
    }
}

impl Input {
    /// The bytes that decode into this input (see [`crate::decode`]).
    pub fn to_bytes(&self) -> Vec<u8> {
        let mut out = Vec::new();
        self.init.encode(&mut out);
        self.perms.encode(&mut out);
        self.ops.encode(&mut out);
        out
    }
}

fn in_bounds(offset: usize, len: usize, total: usize) -> bool {
    offset.checked_add(len).is_some_and(|end| end <= total)
}

/// Runs the operations on a `SafeBuffer` and on a capability token, each against a `Vec`
/// model; panics on any disagreement.
pub fn check(input: Input) {
    let mut perms = input.perms & 7;
    let mut model = input.init.clone();
    let mut buf = SafeBuffer::new(
        input.init.clone(),
        CapPermissions::from_bits_truncate(perms.into()),
    );
    let token = Token::new_owned(
        input.init.clone().into_boxed_slice(),
        CapPermissions::from_bits_truncate(perms.into()),
    )
    .unwrap();
    let mut view = (token, 0usize, input.init.len()); // token, offset into model, length
    let mut cap_model = input.init.clone();
    for op in input.ops.into_iter().take(64) {
        match op {
            Op::Read { offset, len } => {
                let len = usize::from(len);
                let want = if perms & 1 == 0 {
                    Err(ExtError::PermissionDenied)
                } else if !in_bounds(offset, len, model.len()) {
                    Err(ExtError::OutOfBounds)
                } else {
                    Ok(&model[offset..offset + len])
                };
                assert_eq!(buf.read(offset, len), want);
            }
            Op::Write { offset, data } => {
                let want = if perms & 2 == 0 {
                    Err(ExtError::PermissionDenied)
                } else if !in_bounds(offset, data.len(), model.len()) {
                    Err(ExtError::OutOfBounds)
                } else {
                    model[offset..offset + data.len()].copy_from_slice(&data);
                    Ok(())
                };
                assert_eq!(buf.write(offset, &data), want);
            }
            Op::Restrict { perms: p } => {
                perms &= p & 7;
                buf = buf.restrict(CapPermissions::from_bits_truncate(p.into()));
            }
            Op::CapSlice { offset, len } => {
                let got = view.0.slice(offset, len);
                if in_bounds(offset, len, view.2) {
                    view = (got.unwrap(), view.1 + offset, len);
                } else {
                    assert!(got.is_err());
                }
            }
            Op::CapRead { offset, len } => {
                let cap = Capability::from_token(view.0).unwrap();
                let len = usize::from(len);
                let got = cap.to_vec(offset, len);
                if input.perms & 1 != 0 && in_bounds(offset, len, view.2) {
                    assert_eq!(
                        got.unwrap(),
                        &cap_model[view.1 + offset..view.1 + offset + len]
                    );
                } else {
                    assert!(got.is_err());
                }
            }
            Op::CapWrite { offset, data } => {
                let cap = Capability::from_token(view.0).unwrap();
                let got = cap.write(offset, &data);
                if input.perms & 2 != 0 && in_bounds(offset, data.len(), view.2) {
                    got.unwrap();
                    cap_model[view.1 + offset..view.1 + offset + data.len()].copy_from_slice(&data);
                } else {
                    assert!(got.is_err());
                }
            }
        }
    }
    token.revoke().unwrap();
    assert!(Capability::from_token(view.0).is_err());
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn encoding_round_trips() {
        let input = Input {
            init: vec![1, 2, 3, 0xff],
            perms: 3,
            ops: vec![
                Op::Read { offset: 1, len: 2 },
                Op::Write {
                    offset: usize::MAX,
                    data: vec![9; 3],
                },
                Op::Restrict { perms: 1 },
                Op::CapSlice { offset: 1, len: 2 },
                Op::CapRead { offset: 0, len: 2 },
                Op::CapWrite {
                    offset: 1,
                    data: vec![],
                },
            ],
        };
        assert_eq!(crate::decode::<Input>(&input.to_bytes()), Some(input));
    }
}
