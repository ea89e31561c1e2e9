//! [`AsyncFile`]: file I/O that never blocks the event loop, done honestly.
//!
//! Regular files cannot be polled on any OS: epoll refuses them, kqueue and poll(2) always say
//! "ready", and the read itself then blocks on the disk. So the spec-shaped methods
//! ([`read`](AsyncFile::read), [`write`](AsyncFile::write), …) are plain blocking calls (fast
//! when the page cache has the data), and the `*_async` methods run the same operation on a
//! small pool of blocking threads ([`POOL_THREADS`]) and complete through a waker, so a task on
//! the [`Executor`](super::Executor) never stalls the loop. Errors are in the canonical
//! [`Errno`] table.

use std::fs::File;
use std::future::Future;
use std::io::{Read, Seek, SeekFrom, Write};
use std::path::Path;
use std::pin::Pin;
use std::sync::mpsc::{self, Sender};
use std::sync::{Arc, Mutex, OnceLock};
use std::task::{Context, Poll, Waker};

use crate::errno::Errno;

/// Threads of the blocking pool that runs the `*_async` file operations.
pub const POOL_THREADS: usize = 2;

type Job = Box<dyn FnOnce() + Send>;

fn pool() -> &'static Mutex<Sender<Job>> {
    static POOL: OnceLock<Mutex<Sender<Job>>> = OnceLock::new();
    POOL.get_or_init(|| {
        let (tx, rx) = mpsc::channel::<Job>();
        let rx = Arc::new(Mutex::new(rx));
        for i in 0..POOL_THREADS {
            let rx = rx.clone();
            std::thread::Builder::new()
                .name(format!("neurlang-aio-file-{i}"))
                .spawn(move || {
                    loop {
                        let job = rx.lock().unwrap_or_else(|e| e.into_inner()).recv();
                        match job {
                            Ok(job) => job(),
                            Err(_) => return,
                        }
                    }
                })
                .expect("spawn the file pool thread");
        }
        Mutex::new(tx)
    })
}

/// How to open a file (the std options, re-exported under the spec's name).
pub type OpenOptions = std::fs::OpenOptions;

/// A file whose operations are either direct (blocking, spec-shaped) or run on the blocking pool
/// (`*_async`). See the module documentation.
#[derive(Debug, Clone)]
pub struct AsyncFile {
    file: Arc<Mutex<File>>,
}

impl AsyncFile {
    /// Opens `path` for reading.
    pub fn open_read(path: impl AsRef<Path>) -> Result<AsyncFile, Errno> {
        Ok(Self::from_file(File::open(path)?))
    }

    /// Creates (or truncates) `path` for writing.
    pub fn create(path: impl AsRef<Path>) -> Result<AsyncFile, Errno> {
        Ok(Self::from_file(File::create(path)?))
    }

    /// Opens `path` with `options`.
    pub fn open(path: impl AsRef<Path>, options: &OpenOptions) -> Result<AsyncFile, Errno> {
        Ok(Self::from_file(options.open(path)?))
    }

    fn from_file(file: File) -> AsyncFile {
        AsyncFile {
            file: Arc::new(Mutex::new(file)),
        }
    }

    fn with<T>(&self, f: impl FnOnce(&mut File) -> std::io::Result<T>) -> Result<T, Errno> {
        f(&mut self.file.lock().unwrap_or_else(|e| e.into_inner()))
            .map_err(|e| Errno::from_io_error(&e))
    }

    /// Reads into `buf` at the current position (blocking); `Ok(0)` at end of file.
    pub fn read(&mut self, buf: &mut [u8]) -> Result<usize, Errno> {
        self.with(|f| f.read(buf))
    }

    /// Writes `buf` at the current position (blocking).
    pub fn write(&mut self, buf: &[u8]) -> Result<usize, Errno> {
        self.with(|f| f.write(buf))
    }

    /// Moves the position (blocking).
    pub fn seek(&mut self, pos: SeekFrom) -> Result<u64, Errno> {
        self.with(|f| f.seek(pos))
    }

    /// Flushes data and metadata to the device (blocking).
    pub fn sync_all(&mut self) -> Result<(), Errno> {
        self.with(|f| f.sync_all())
    }

    /// Reads up to `buf.len()` bytes on the blocking pool; resolves to the buffer and the count.
    pub fn read_async(&self, mut buf: Vec<u8>) -> PoolOp<(Vec<u8>, usize)> {
        let file = self.clone();
        PoolOp::submit(move || {
            let n = file.with(|f| f.read(&mut buf))?;
            Ok((buf, n))
        })
    }

    /// Writes all of `buf` on the blocking pool.
    pub fn write_all_async(&self, buf: Vec<u8>) -> PoolOp<()> {
        let file = self.clone();
        PoolOp::submit(move || file.with(|f| f.write_all(&buf)))
    }

    /// Moves the position on the blocking pool.
    pub fn seek_async(&self, pos: SeekFrom) -> PoolOp<u64> {
        let file = self.clone();
        PoolOp::submit(move || file.with(|f| f.seek(pos)))
    }

    /// `sync_all` on the blocking pool.
    pub fn sync_all_async(&self) -> PoolOp<()> {
        let file = self.clone();
        PoolOp::submit(move || file.with(|f| f.sync_all()))
    }
}

#[derive(Debug)]
struct OpState<T> {
    result: Option<Result<T, Errno>>,
    waker: Option<Waker>,
}

/// A file operation running on the blocking pool; a future of its result.
#[derive(Debug)]
pub struct PoolOp<T> {
    state: Arc<Mutex<OpState<T>>>,
}

impl<T: Send + 'static> PoolOp<T> {
    fn submit(op: impl FnOnce() -> Result<T, Errno> + Send + 'static) -> PoolOp<T> {
        let state = Arc::new(Mutex::new(OpState {
            result: None,
            waker: None,
        }));
        let done = state.clone();
        let job: Job = Box::new(move || {
            let result = op();
            let waker = {
                let mut s = done.lock().unwrap_or_else(|e| e.into_inner());
                s.result = Some(result);
                s.waker.take()
            };
            waker.into_iter().for_each(Waker::wake);
        });
        if pool()
            .lock()
            .unwrap_or_else(|e| e.into_inner())
            .send(job)
            .is_err()
        {
            state.lock().unwrap_or_else(|e| e.into_inner()).result = Some(Err(Errno::EIO));
        }
        PoolOp { state }
    }
}

impl<T> Future for PoolOp<T> {
    type Output = Result<T, Errno>;

    fn poll(self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<Self::Output> {
        let mut s = self.state.lock().unwrap_or_else(|e| e.into_inner());
        match s.result.take() {
            Some(r) => Poll::Ready(r),
            None => {
                s.waker = Some(cx.waker().clone());
                Poll::Pending
            }
        }
    }
}
