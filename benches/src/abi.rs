//! What the C-ABI benches set up before they call the runtime as generated code does: a
//! process-default context whose sandbox allows one scratch directory and `127.0.0.1`
//! (`neurlang_sandbox_init`, the embedder's call), files opened in it through
//! `neurlang_file_open`, and capability tokens over buffers that live as long as the process.
//! Used by `benches/abi.rs` (criterion) and the `abi` rows of `benches/gate.rs` (callgrind).

#![allow(unsafe_code)] // the C ABI takes raw pointers (paths, hosts, buffers of tokens)

use neurlang::abi::{
    SANDBOX_FILE_READ, SANDBOX_FILE_WRITE, SANDBOX_NET_CONNECT, SANDBOX_NET_LISTEN,
    neurlang_cap_create, neurlang_file_open, neurlang_sandbox_init,
};
use std::path::{Path, PathBuf};

/// `NEURLANG_CAP_READ`.
pub const CAP_READ: u64 = 1;
/// `NEURLANG_CAP_WRITE`.
pub const CAP_WRITE: u64 = 2;
/// `NEURLANG_OPEN_READ | NEURLANG_OPEN_WRITE`.
pub const OPEN_READ_WRITE: u64 = 1 | 2;
/// The host the sandbox allows.
pub const HOST: &str = "127.0.0.1";

/// A scratch directory, the only path the process-default context may open (reading and
/// writing), with connecting and listening allowed to [`HOST`]. Removed when dropped.
#[derive(Debug)]
pub struct Scratch {
    dir: PathBuf,
}

impl Scratch {
    /// Creates the directory `<temp>/nl-bench-<tag>-<pid>` and installs the context.
    pub fn new(tag: &str) -> Scratch {
        let dir = std::env::temp_dir().join(format!("nl-bench-{tag}-{}", std::process::id()));
        std::fs::create_dir_all(&dir).expect("a scratch directory");
        let dir = dir.canonicalize().expect("a canonical scratch directory");
        let paths = dir
            .to_str()
            .expect("a UTF-8 temporary directory")
            .as_bytes();
        let flags =
            SANDBOX_FILE_READ | SANDBOX_FILE_WRITE | SANDBOX_NET_CONNECT | SANDBOX_NET_LISTEN;
        // SAFETY: both lists are live slices of the lengths passed.
        let rc = unsafe {
            neurlang_sandbox_init(
                flags,
                paths.as_ptr(),
                paths.len() as u64,
                HOST.as_ptr(),
                HOST.len() as u64,
            )
        };
        assert_eq!(rc, 0, "neurlang_sandbox_init");
        Scratch { dir }
    }

    /// The directory.
    pub fn dir(&self) -> &Path {
        &self.dir
    }

    /// Writes `contents` to the file `name` of the directory and opens it for reading and
    /// writing through `neurlang_file_open`; returns its path and the runtime's descriptor.
    pub fn open(&self, name: &str, contents: &[u8]) -> (PathBuf, u64) {
        let path = self.dir.join(name);
        std::fs::write(&path, contents).expect("a scratch file");
        let bytes = path.to_str().expect("a UTF-8 path").as_bytes();
        // SAFETY: `bytes` is a live slice of the length passed.
        let fd = unsafe { neurlang_file_open(bytes.as_ptr(), bytes.len() as u64, OPEN_READ_WRITE) };
        assert!(fd >= 0, "neurlang_file_open: {fd}");
        (path, fd as u64)
    }
}

impl Drop for Scratch {
    fn drop(&mut self) {
        let _ = std::fs::remove_dir_all(&self.dir);
    }
}

/// A buffer of `len` bytes that lives as long as the process, and a root token for it with
/// `perms` (`CAP_READ`, `CAP_WRITE`) from `neurlang_cap_create`.
pub fn leaked_token(len: usize, perms: u64) -> (&'static mut [u8], u64) {
    let buf: &'static mut [u8] = Box::leak(vec![0u8; len].into_boxed_slice());
    // SAFETY: the buffer is leaked, so valid for reads and writes from any thread for ever.
    let token = unsafe { neurlang_cap_create(buf.as_mut_ptr(), len as u64, perms) };
    assert!(!(-4095..0).contains(&token), "neurlang_cap_create: {token}");
    (buf, token as u64)
}
