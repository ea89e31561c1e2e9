#![allow(unsafe_code)] // calls the C ABI as a C caller does: raw pointers, memory handed over by address.

//! The C ABI under races the conformance scripts, one call at a time, cannot stage.

use super::*;
use crate::perm::IOPermissions;
use std::sync::{Arc, mpsc};
use std::time::Duration;

/// A receive waiting for data holds no capability: revoking its buffer's token on another
/// thread returns at once (it would wait for the data, possibly for ever, if the call held
/// the buffer), and the receive, once data comes, gives `EFAULT` and writes nothing.
#[test]
fn a_revoke_does_not_wait_for_a_receive_into_its_buffer() {
    let perms = IOPermissions {
        net_connect: true,
        net_listen: true,
        net_hosts: vec!["127.0.0.1".into()],
        ..IOPermissions::default()
    };
    let ctx = Arc::new(Context::new(perms));
    let host = b"127.0.0.1";
    let (client, server) = Context::scoped(&ctx, || {
        // SAFETY: `host` is a live slice of the length passed.
        let listener = unsafe { neurlang_net_listen(host.as_ptr(), host.len() as u64, 0) };
        let port = neurlang_net_port(listener as u64);
        // SAFETY: as above.
        let client = unsafe { neurlang_net_connect(host.as_ptr(), host.len() as u64, port as u64) };
        let server = neurlang_net_accept(listener as u64);
        assert_eq!(neurlang_net_close(listener as u64), 0);
        assert!(client >= 0 && server >= 0, "{client} {server}");
        (client as u64, server as u64)
    });
    let buf = Box::leak(vec![0u8; 4].into_boxed_slice());
    let base = buf.as_mut_ptr();
    // SAFETY: `buf` is leaked: valid for reads and writes for the rest of the process.
    let token = unsafe { neurlang_cap_create(base, 4, 3) } as u64;
    let receiver = {
        let ctx = Arc::clone(&ctx);
        std::thread::spawn(move || Context::scoped(&ctx, || neurlang_net_recv(server, token, 4)))
    };
    // Let the receiver wait in its receive.
    std::thread::sleep(Duration::from_millis(100));
    let (tx, rx) = mpsc::channel();
    let revoker = std::thread::spawn(move || tx.send(neurlang_cap_revoke(token)).unwrap());
    let revoked = rx.recv_timeout(Duration::from_secs(5));
    // Whatever happened, let the receive end.
    let out = Box::leak(b"ping".to_vec().into_boxed_slice());
    // SAFETY: `out` is leaked, as `buf`.
    let out_token = unsafe { neurlang_cap_create(out.as_mut_ptr(), 4, 1) } as u64;
    let sent = Context::scoped(&ctx, || neurlang_net_send(client, out_token, 4));
    assert_eq!(sent, 4);
    assert_eq!(revoked, Ok(0), "the revoke waited for the receive");
    revoker.join().unwrap();
    assert_eq!(receiver.join().unwrap(), Errno::EFAULT.neg());
    // SAFETY: nothing writes `buf` any more: its token is revoked and the receive returned.
    assert_eq!(unsafe { std::slice::from_raw_parts(base, 4) }, [0; 4]);
}
