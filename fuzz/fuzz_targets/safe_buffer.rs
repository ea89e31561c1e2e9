//! SafeBuffer and capability bounds/permissions: arbitrary offset/length/permission sequences
//! against a plain model; nothing may ever go out of bounds or disagree with the model.
#![no_main]

use arbitrary::Arbitrary;
use libfuzzer_sys::fuzz_target;
use neurlang::runtime::{CapPermissions, Capability, ExtError, SafeBuffer, Token};

#[derive(Arbitrary, Debug)]
enum Op {
    Read { offset: usize, len: u16 },
    Write { offset: usize, data: Vec<u8> },
    Restrict { perms: u8 },
    CapSlice { offset: usize, len: usize },
    CapRead { offset: usize, len: u16 },
    CapWrite { offset: usize, data: Vec<u8> },
}

#[derive(Arbitrary, Debug)]
struct Input {
    init: Vec<u8>,
    perms: u8,
    ops: Vec<Op>,
}

fn in_bounds(offset: usize, len: usize, total: usize) -> bool {
    offset.checked_add(len).is_some_and(|end| end <= total)
}

fuzz_target!(|input: Input| {
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
});
