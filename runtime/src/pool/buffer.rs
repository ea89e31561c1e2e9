//! A held slot of the pool, and callable code that borrows it.
#![allow(unsafe_code)] // turning published machine code into function pointers.

use super::{Inner, PoolError, arch, region::Region};
use std::fmt;
use std::marker::PhantomData;
use std::ptr::NonNull;

/// A slot of executable memory, held until dropped (then poisoned and returned to the pool).
///
/// Bytes are appended with [`write`](Self::write) and published for execution at once; call
/// them through [`as_fn`](Self::as_fn).
pub struct ExecutableBuffer<'pool> {
    pool: &'pool Inner,
    region: &'pool Region,
    offset: usize,
    index: u32,
    rx: NonNull<u8>,
    len: usize,
    /// Bytes written since the last poison (what release or reset must poison).
    dirty: usize,
}

// SAFETY: the buffer holds its slot exclusively; the pool and region it points into are Sync.
unsafe impl Send for ExecutableBuffer<'_> {}
// SAFETY: `&ExecutableBuffer` only reads addresses and lengths.
unsafe impl Sync for ExecutableBuffer<'_> {}

impl<'pool> ExecutableBuffer<'pool> {
    #[inline]
    pub(super) fn new(
        pool: &'pool Inner,
        region: &'pool Region,
        offset: usize,
        index: u32,
    ) -> Self {
        let (_, rx) = region.at(offset);
        ExecutableBuffer {
            pool,
            region,
            offset,
            index,
            rx,
            len: 0,
            dirty: 0,
        }
    }

    /// Appends `data` and publishes it for execution. All or nothing: when `data` does not fit
    /// in the remaining capacity, nothing is written and [`PoolError::TooLarge`] is returned
    /// (the specification returns a short count instead). Returns `data.len()`.
    pub fn write(&mut self, data: &[u8]) -> Result<usize, PoolError> {
        let remaining = self.capacity() - self.len;
        if data.len() > remaining {
            return Err(PoolError::TooLarge {
                len: data.len(),
                remaining,
            });
        }
        // Counted dirty before the write, so a failed protection change still gets poisoned.
        self.dirty = self.dirty.max(self.len + data.len());
        self.region
            .modify(self.pool.backend, self.offset + self.len, data.len(), |b| {
                b.copy_from_slice(data)
            })
            .map_err(|e| {
                PoolError::Backend(self.pool.backend, crate::errno::Errno::from_io_error(&e))
            })?;
        self.len += data.len();
        Ok(data.len())
    }

    /// The entry point (the first written byte) in the executable view.
    pub fn as_ptr(&self) -> *const u8 {
        self.rx.as_ptr()
    }

    /// Poisons what was written and empties the buffer for new code.
    pub fn reset(&mut self) {
        self.poison();
        self.len = 0;
    }

    /// Bytes written.
    pub fn len(&self) -> usize {
        self.len
    }

    /// True when nothing is written.
    pub fn is_empty(&self) -> bool {
        self.len == 0
    }

    /// Usable bytes of the slot.
    pub fn capacity(&self) -> usize {
        self.pool.slot_size
    }

    /// The code at the entry point, as a function of type `F` (an `extern "C" fn`), borrowing
    /// the buffer so it cannot be called after a rewrite, reset or release.
    ///
    /// Fails with [`PoolError::NotExecutable`] on the [`Heap`](super::Backend::Heap) backend.
    ///
    /// # Safety
    ///
    /// The written bytes must be a complete function of the target architecture that follows
    /// the C calling convention with exactly the signature `F`, and everything it does when
    /// called must be sound.
    pub unsafe fn as_fn<F: ExternFn>(&self) -> Result<Code<'_, F>, PoolError> {
        if !self.pool.backend.executable() {
            return Err(PoolError::NotExecutable(self.pool.backend));
        }
        // SAFETY: the caller guarantees the bytes are a function of type F; the pointer is the
        // start of the published executable view.
        let f = unsafe { F::from_entry(self.as_ptr()) };
        Ok(Code {
            f,
            _buffer: PhantomData,
        })
    }

    fn poison(&mut self) {
        let n = arch::poison_len(self.dirty).min(self.pool.stride);
        if self
            .region
            .modify(self.pool.backend, self.offset, n, arch::fill_trap)
            .is_ok()
        {
            self.dirty = 0;
        }
    }
}

impl Drop for ExecutableBuffer<'_> {
    #[inline]
    fn drop(&mut self) {
        if self.dirty != 0 {
            self.poison();
        }
        if self.dirty == 0 {
            self.pool.release(self.index);
        }
        // Else the poison failed (a protection change was refused): the slot is quarantined
        // rather than handed out with live code in it.
    }
}

impl fmt::Debug for ExecutableBuffer<'_> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("ExecutableBuffer")
            .field("index", &self.index)
            .field("ptr", &self.rx)
            .field("len", &self.len)
            .field("capacity", &self.capacity())
            .finish()
    }
}

/// Callable code in a buffer, borrowing it: [`call`](Code::call) is safe once the code was
/// vouched for in [`ExecutableBuffer::as_fn`].
pub struct Code<'buf, F> {
    f: F,
    _buffer: PhantomData<&'buf ()>,
}

impl<F: ExternFn> Code<'_, F> {
    /// The entry point.
    pub fn as_ptr(&self) -> *const u8 {
        self.f.entry()
    }
}

impl<F: ExternFn> fmt::Debug for Code<'_, F> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_tuple("Code").field(&self.f.entry()).finish()
    }
}

mod sealed {
    pub trait Sealed {}
}

/// `extern "C" fn` pointer types (up to four arguments) that [`Code`] can call.
pub trait ExternFn: Copy + sealed::Sealed {
    /// The function at `entry`.
    ///
    /// # Safety
    ///
    /// `entry` must be the start of executable code with this signature.
    unsafe fn from_entry(entry: *const u8) -> Self;
    /// The entry point.
    fn entry(self) -> *const u8;
}

macro_rules! extern_fn {
    ($($a:ident),*) => {
        impl<R, $($a),*> sealed::Sealed for extern "C" fn($($a),*) -> R {}
        impl<R, $($a),*> ExternFn for extern "C" fn($($a),*) -> R {
            unsafe fn from_entry(entry: *const u8) -> Self {
                // SAFETY: function pointers and data pointers have the same size on every
                // supported target; the caller vouches for the code (see the trait).
                unsafe { std::mem::transmute::<*const u8, Self>(entry) }
            }
            fn entry(self) -> *const u8 {
                self as *const u8
            }
        }
        impl<'buf, R, $($a),*> Code<'buf, extern "C" fn($($a),*) -> R> {
            /// Calls the code.
            #[allow(non_snake_case, clippy::too_many_arguments)]
            #[inline]
            pub fn call(&self, $($a: $a),*) -> R {
                (self.f)($($a),*)
            }
        }
    };
}

extern_fn!();
extern_fn!(A);
extern_fn!(A, B);
extern_fn!(A, B, C);
extern_fn!(A, B, C, D);
