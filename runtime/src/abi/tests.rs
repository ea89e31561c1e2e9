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
    let (started, start) = mpsc::channel();
    let receiver = {
        let ctx = Arc::clone(&ctx);
        std::thread::spawn(move || {
            started.send(()).unwrap();
            Context::scoped(&ctx, || neurlang_net_recv(server, token, 4))
        })
    };
    // Let the receiver wait in its receive.
    start.recv().unwrap();
    std::thread::sleep(Duration::from_millis(100));
    let (tx, rx) = mpsc::channel();
    let revoker = std::thread::spawn(move || tx.send(neurlang_cap_revoke(token)).unwrap());
    let revoked = rx.recv_timeout(Duration::from_secs(5));
    // The receive was past its check, waiting for data: a revoke before the check would have
    // made it return EFAULT at once.
    std::thread::sleep(Duration::from_millis(50));
    let waiting = !receiver.is_finished();
    // Whatever happened, let the receive end.
    let out = Box::leak(b"ping".to_vec().into_boxed_slice());
    // SAFETY: `out` is leaked, as `buf`.
    let out_token = unsafe { neurlang_cap_create(out.as_mut_ptr(), 4, 1) } as u64;
    let sent = Context::scoped(&ctx, || neurlang_net_send(client, out_token, 4));
    assert_eq!(sent, 4);
    assert_eq!(revoked, Ok(0), "the revoke waited for the receive");
    assert!(
        waiting,
        "the receive had not begun to wait: the race was not staged"
    );
    revoker.join().unwrap();
    assert_eq!(receiver.join().unwrap(), Errno::EFAULT.neg());
    // SAFETY: nothing writes `buf` any more: its token is revoked and the receive returned.
    assert_eq!(unsafe { std::slice::from_raw_parts(base, 4) }, [0; 4]);
}

/// A write and a read longer than one chunk of the table lock's hold move every byte, in order:
/// each chunk at its own offset of the token.
#[test]
fn writes_and_reads_of_several_chunks_move_every_byte() {
    let dir = std::env::temp_dir().join(format!("nl-abi-chunks-{}", std::process::id()));
    std::fs::create_dir_all(&dir).unwrap();
    let ctx = Arc::new(Context::new(IOPermissions::files_under(&dir)));
    let len = 2 * CHUNK + 5;
    let data: Vec<u8> = (0..len).map(|i| (i * 7 % 251) as u8).collect();
    let from = Box::leak(data.clone().into_boxed_slice());
    let into = Box::leak(vec![0u8; len].into_boxed_slice());
    // SAFETY: `from` is leaked: valid for reads and writes for the rest of the process.
    let from_token = unsafe { neurlang_cap_create(from.as_mut_ptr(), len as u64, 1) } as u64;
    // SAFETY: as for `from`.
    let into_token = unsafe { neurlang_cap_create(into.as_mut_ptr(), len as u64, 2) } as u64;
    let path = dir.join("f");
    let path = path.to_str().unwrap().as_bytes();
    Context::scoped(&ctx, || {
        // SAFETY: `path` is a live slice of the length passed.
        let fd = unsafe { neurlang_file_open(path.as_ptr(), path.len() as u64, 1 | 2 | 4) };
        assert!(fd >= 0, "open: {fd}");
        let fd = fd as u64;
        assert_eq!(neurlang_file_write(fd, from_token, len as u64), len as i64);
        assert_eq!(neurlang_file_seek(fd, 0, 0), 0);
        assert_eq!(neurlang_file_read(fd, into_token, len as u64), len as i64);
        assert_eq!(neurlang_file_close(fd), 0);
    });
    assert_eq!(std::fs::read(dir.join("f")).unwrap(), data);
    assert!(into[..] == data[..], "the read brought back other bytes");
    let _ = std::fs::remove_dir_all(&dir);
}

/// A bad token with a length no memory could hold gives `EFAULT` before anything is reserved
/// (reserving first would abort the process, or panic into `EIO`).
#[test]
fn a_bad_token_with_a_huge_length_is_efault() {
    for len in [1 << 40, u64::MAX] {
        assert_eq!(neurlang_io_print(12345, len), Errno::EFAULT.neg(), "{len}");
        assert_eq!(neurlang_rand_fill(12345, len), Errno::EFAULT.neg(), "{len}");
    }
}
