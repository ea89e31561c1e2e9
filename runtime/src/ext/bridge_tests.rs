//! The bridge's scratch memory and commit rules.

use super::*;
use crate::cap::Capability;

fn token(bytes: Vec<u8>, permissions: CapPermissions) -> Token {
    Token::new_owned(bytes.into_boxed_slice(), permissions).unwrap()
}

fn contents(t: Token) -> Vec<u8> {
    let cap = Capability::from_token(t).unwrap();
    cap.to_vec(0, cap.length()).unwrap()
}

const COPY: &[BufArg] = &[
    BufArg::input(0, BufLen::Arg(1)),
    BufArg::output(2, BufLen::Arg(1)),
];

fn copy(b: &mut [SafeBuffer<'_>], _: &[u64]) -> Result<u64, ExtError> {
    let (input, output) = b.split_at_mut(1);
    output[0].write(0, input[0].as_slice()?)?;
    Ok(0)
}

const PEEK: &[BufArg] = &[BufArg::output(0, BufLen::Fixed(256))];

/// Exposes the first 64 bytes of its output, writes 4 bytes at 100 and returns how many of the
/// exposed bytes were not zero.
fn peek(b: &mut [SafeBuffer<'_>], _: &[u64]) -> Result<u64, ExtError> {
    let seen = b[0].slice_mut(0, 64)?.iter().filter(|&&x| x != 0).count();
    b[0].write(100, &[1, 2, 3, 4])?;
    Ok(seen as u64)
}

#[test]
fn bytes_of_an_earlier_call_are_never_seen_or_committed() {
    let rw = CapPermissions::READ | CapPermissions::WRITE;
    // Leave 256 secret bytes in this thread's scratch memory, input and output.
    let secret = token(vec![0x5e; 256], CapPermissions::READ);
    let out = token(vec![0; 256], rw);
    let copy = bridged(COPY, copy);
    assert_eq!(copy(&[secret.get(), 256, out.get()], &mut []), Ok(0));
    assert_eq!(contents(out), vec![0x5e; 256]);

    let target = token(vec![0xAA; 256], rw);
    let peek = bridged(PEEK, peek);
    assert_eq!(peek(&[target.get()], &mut []), Ok(0));
    let got = contents(target);
    // 0..64 exposed (zero), 64..100 skipped over (zero), 100..104 written, the rest untouched.
    assert_eq!(got[..100], [0; 100]);
    assert_eq!(got[100..104], [1, 2, 3, 4]);
    assert_eq!(got[104..], [0xAA; 152]);
}

const REVOKE: &[BufArg] = &[BufArg::output(0, BufLen::Fixed(8))];

/// Writes its output, then revokes the output's token (argument 0) before returning `Ok`.
fn write_then_revoke(b: &mut [SafeBuffer<'_>], args: &[u64]) -> Result<u64, ExtError> {
    b[0].write(0, &[7; 8])?;
    Token::from_raw(args[0])
        .revoke()
        .map_err(|_| ExtError::InvalidArgument("revoke"))?;
    Ok(0)
}

#[test]
fn a_token_revoked_while_the_body_runs_gets_nothing() {
    let rw = CapPermissions::READ | CapPermissions::WRITE;
    let root = token(vec![0xAA; 16], rw);
    let part = root.slice(4, 8).unwrap();
    let f = bridged(REVOKE, write_then_revoke);
    assert_eq!(f(&[part.get()], &mut []), Err(ExtError::InvalidCapability));
    assert_eq!(contents(root), vec![0xAA; 16]);
}

const NEST: &[BufArg] = &[
    BufArg::input(0, BufLen::Fixed(4)),
    BufArg::output(1, BufLen::Fixed(4)),
];

/// Runs `copy` on arguments 2..5 (the same thread, so the scratch memory is in use), then
/// copies its own input to its output.
fn nested(b: &mut [SafeBuffer<'_>], args: &[u64]) -> Result<u64, ExtError> {
    call_bridged(COPY, copy, &args[2..5], false)?;
    let input = b[0].as_slice()?.to_vec();
    b[1].write(0, &input)?;
    Ok(0)
}

#[test]
fn a_nested_call_has_its_own_scratch_memory() {
    let rw = CapPermissions::READ | CapPermissions::WRITE;
    let (a, a_out) = (
        token(vec![1; 4], CapPermissions::READ),
        token(vec![0; 4], rw),
    );
    let (b, b_out) = (
        token(vec![2; 64], CapPermissions::READ),
        token(vec![0; 64], rw),
    );
    let f = bridged(NEST, nested);
    let args = [a.get(), a_out.get(), b.get(), 64, b_out.get()];
    assert_eq!(f(&args, &mut []), Ok(0));
    assert_eq!(contents(a_out), vec![1; 4]);
    assert_eq!(contents(b_out), vec![2; 64]);
}

#[test]
fn a_restricted_or_cloned_view_is_zero_where_nothing_was_written() {
    let mut scratch = [0x5e_u8; 8];
    let mut view = SafeBuffer::scratch(&mut scratch, CapPermissions::WRITE, false);
    view.write(2, &[9]).unwrap();
    let mut copy = view.clone();
    assert_eq!(copy.written(), Some((2, &[9][..])));
    assert_eq!(copy.slice_mut(0, 8).unwrap(), [0, 0, 9, 0, 0, 0, 0, 0]);
    let mut restricted = view.restrict(CapPermissions::ALL);
    assert_eq!(restricted.read(0, 8), Err(ExtError::PermissionDenied));
    assert_eq!(restricted.written(), None);
    assert_eq!(
        restricted.slice_mut(0, 8).unwrap(),
        [0, 0, 9, 0, 0, 0, 0, 0]
    );
    assert!(!format!("{view:?}").contains("94"), "{view:?}");
}

#[test]
fn a_thread_keeps_scratch_memory_only_up_to_keep_scratch() {
    let rw = CapPermissions::READ | CapPermissions::WRITE;
    let kept = || crate::scratch::SCRATCH.with(|s| s.borrow().len());
    let copy = bridged(COPY, copy);
    let run = |len: usize| {
        let (input, out) = (
            token(vec![3; len], CapPermissions::READ),
            token(vec![0; len], rw),
        );
        assert_eq!(copy(&[input.get(), len as u64, out.get()], &mut []), Ok(0));
        assert_eq!(contents(out), vec![3; len]);
    };
    // A small call leaves its memory for the next one on this thread.
    run(1024);
    let small = kept();
    assert!(small >= 2 * 1024, "kept {small} bytes");
    // A call needing more than scratch::KEEP bytes uses memory of its own, freed after it.
    run(crate::scratch::KEEP / 2 + 1);
    assert_eq!(kept(), small);
}

/// Eight one-byte inputs, in arguments 0..8.
static EIGHT_INPUTS: [BufArg; MAX_BUFS] = {
    let mut all = [BufArg::input(0, BufLen::Fixed(1)); MAX_BUFS];
    let mut i = 0;
    while i < MAX_BUFS {
        all[i] = BufArg::input(i, BufLen::Fixed(1));
        i += 1;
    }
    all
};

/// Adds up the one byte of each of its inputs.
fn sum_first_bytes(b: &mut [SafeBuffer<'_>], _: &[u64]) -> Result<u64, ExtError> {
    b.iter().map(|v| Ok(u64::from(v.read(0, 1)?[0]))).sum()
}

#[test]
fn every_buffer_count_up_to_the_limit_reaches_the_body() {
    let tokens: Vec<Token> = (1..=MAX_BUFS as u8)
        .map(|v| token(vec![v], CapPermissions::READ))
        .collect();
    let args: Vec<u64> = tokens.iter().map(|t| t.get()).collect();
    for n in 1..=MAX_BUFS {
        let f = bridged(&EIGHT_INPUTS[..n], sum_first_bytes);
        let want = (1..=n as u64).sum::<u64>();
        assert_eq!(f(&args[..n], &mut []), Ok(want), "{n} buffers");
    }
}

#[test]
fn only_a_zero_length_buffer_may_be_token_0() {
    let copy = bridged(COPY, copy);
    let rw = CapPermissions::READ | CapPermissions::WRITE;
    let out = token(vec![0; 4], rw);
    assert_eq!(
        copy(&[0, 0, out.get()], &mut []),
        Ok(0),
        "both buffers empty"
    );
    assert_eq!(copy(&[0, 0, 0], &mut []), Ok(0));
    assert_eq!(
        copy(&[0, 4, out.get()], &mut []),
        Err(ExtError::InvalidCapability),
        "a 4-byte input passed as token 0"
    );
    let forged = out.get() ^ 1;
    assert_eq!(
        copy(&[0, 0, forged], &mut []),
        Err(ExtError::InvalidCapability),
        "an empty buffer's token, when given, is still checked"
    );
}

#[test]
fn a_refused_buffer_says_why() {
    let copy = bridged(COPY, copy);
    let input = token(vec![1; 4], CapPermissions::READ);
    let read_only = token(vec![0; 4], CapPermissions::READ);
    let short = token(vec![0; 2], CapPermissions::WRITE);
    let call = |out: &Token| copy(&[input.get(), 4, out.get()], &mut []);
    assert_eq!(call(&read_only), Err(ExtError::PermissionDenied));
    assert_eq!(call(&short), Err(ExtError::OutOfBounds));
}
