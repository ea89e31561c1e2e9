//! Windows: which Win32 function an ABI call reaches, seen in the executable's import address
//! table (works under Wine and on Windows alike, unlike a Wine relay trace).
//!
//! [`count_calls`] points every import-table entry of the named function at a counting wrapper
//! that forwards to the original, runs the probe, and puts the entries back. Only calls made on
//! the probing thread count, so cases running in parallel neither add to the count nor notice
//! the wrapper. The runtime is linked into this executable, so its calls go through this table;
//! a function the runtime does not import, or imports but does not call, counts zero.
#![allow(unsafe_code)] // Reads the loaded PE image and rewrites import-table entries.

use std::ffi::{CStr, c_void};
use std::sync::Mutex;
use std::sync::atomic::{AtomicU32, AtomicUsize, Ordering};
use windows_sys::Win32::System::LibraryLoader::GetModuleHandleW;
use windows_sys::Win32::System::Memory::{PAGE_READWRITE, VirtualProtect};
use windows_sys::Win32::System::Threading::GetCurrentThreadId;

/// The thread whose calls count (0: none).
static PROBE_THREAD: AtomicU32 = AtomicU32::new(0);
static HITS: AtomicUsize = AtomicUsize::new(0);
/// One patch at a time: entries, original and count are process-wide.
static SERIAL: Mutex<()> = Mutex::new(());

fn count() {
    // SAFETY: no arguments; returns the calling thread's id.
    if unsafe { GetCurrentThreadId() } == PROBE_THREAD.load(Ordering::Acquire) {
        HITS.fetch_add(1, Ordering::AcqRel);
    }
}

type P = *mut c_void;

/// One counting wrapper per probed function, with the function's exact signature.
macro_rules! wrappers {
    ($($name:ident($($arg:ident: $ty:ty),*) $(-> $ret:ty)?;)*) => {
        $(
            #[allow(non_snake_case)] // Named as the Win32 function it wraps.
            mod $name {
                use super::*;
                /// The import-table entry before patching (never cleared: a call that loaded
                /// the wrapper's address just before the entry was put back still forwards).
                pub static ORIGINAL: AtomicUsize = AtomicUsize::new(0);
                pub extern "system" fn wrapper($($arg: $ty),*) $(-> $ret)? {
                    count();
                    let original = ORIGINAL.load(Ordering::Acquire);
                    // SAFETY: ORIGINAL was set, before any entry pointed here, to this
                    // function's import-table entry, a function of exactly this signature.
                    let f = unsafe {
                        std::mem::transmute::<usize, extern "system" fn($($ty),*) $(-> $ret)?>(
                            original,
                        )
                    };
                    f($($arg),*)
                }
            }
        )*
        fn wrapper_of(name: &str) -> Option<(&'static AtomicUsize, usize)> {
            match name {
                $(stringify!($name) => Some((&$name::ORIGINAL, $name::wrapper as *const () as usize)),)*
                _ => None,
            }
        }
    };
}

wrappers! {
    ReadFile(h: P, buf: P, len: u32, done: P, overlapped: P) -> i32;
    WriteFile(h: P, buf: P, len: u32, done: P, overlapped: P) -> i32;
    WSASocketW(af: i32, kind: i32, protocol: i32, info: P, group: u32, flags: u32) -> usize;
    WSAConnect(s: usize, to: P, len: i32, caller: P, callee: P, sqos: P, gqos: P) -> i32;
    CreateThread(attrs: P, stack: usize, start: P, param: P, flags: u32, id: P) -> P;
    GetSystemTimeAsFileTime(ft: P);
}

/// An import-table entry: where it is, and which DLL it imports from.
struct Entry {
    slot: *mut usize,
    dll: String,
}

/// The running executable's image, read at offsets from its base.
///
/// Only [`Image::executable`] makes one, and every offset read comes from the PE format's own
/// fields (headers, import directory, descriptors, thunks, names), which the loader has mapped.
struct Image(usize);

impl Image {
    fn executable() -> Result<Image, String> {
        // SAFETY: a null name gives the executable's own module, mapped for the process's life.
        let base = unsafe { GetModuleHandleW(std::ptr::null()) } as usize;
        if base == 0 {
            return Err("GetModuleHandleW(NULL) failed".into());
        }
        Ok(Image(base))
    }

    fn u16(&self, at: usize) -> u16 {
        // SAFETY: an offset inside the mapped image (see the type's docs).
        unsafe { ((self.0 + at) as *const u16).read_unaligned() }
    }

    fn u32(&self, at: usize) -> usize {
        // SAFETY: as in `u16`.
        unsafe { ((self.0 + at) as *const u32).read_unaligned() as usize }
    }

    fn u64(&self, at: usize) -> u64 {
        // SAFETY: as in `u16`.
        unsafe { ((self.0 + at) as *const u64).read_unaligned() }
    }

    fn name(&self, at: usize) -> &'static CStr {
        // SAFETY: as in `u16`; PE names are NUL-terminated, in an image mapped for good.
        unsafe { CStr::from_ptr((self.0 + at) as *const _) }
    }
}

/// Every import-table entry of this executable that imports `function` by name.
///
/// PE32+ layout: `e_lfanew` at 0x3c; the import directory (data directory 1) 144 bytes into
/// the NT headers (signature 4, file header 20, optional header fields 112, directory 0 is 8);
/// 20-byte import descriptors up to an all-zero one (name-table RVA at 0, DLL name at 12,
/// address table at 16); 8-byte name (or ordinal, top bit) thunks up to a zero one, parallel to
/// the address thunks; a name entry is a 2-byte hint and the name.
fn entries(function: &str) -> Result<Vec<Entry>, String> {
    let image = Image::executable()?;
    let nt = image.u32(0x3c);
    if image.u32(nt) != 0x4550 {
        return Err("the executable has no PE signature".into());
    }
    if image.u16(nt + 24) != 0x20b {
        return Err("the executable is not PE32+".into());
    }
    let imports = image.u32(nt + 4 + 20 + 112 + 8);
    let mut found = Vec::new();
    let mut desc = imports;
    while imports != 0 && image.u32(desc + 12) != 0 {
        let dll = image
            .name(image.u32(desc + 12))
            .to_string_lossy()
            .into_owned();
        let names = image.u32(desc);
        let slots = image.u32(desc + 16);
        for i in 0.. {
            if names == 0 {
                break;
            }
            let thunk = image.u64(names + 8 * i);
            if thunk == 0 {
                break;
            }
            if thunk >> 63 == 0 && image.name(thunk as usize + 2).to_bytes() == function.as_bytes()
            {
                found.push(Entry {
                    slot: (image.0 + slots + 8 * i) as *mut usize,
                    dll: dll.clone(),
                });
            }
        }
        desc += 20;
    }
    Ok(found)
}

/// Writes `value` into an import-table slot, making its page writable for the write.
///
/// # Safety
/// `slot` is an import-table entry of this executable and `value` a function of the imported
/// function's signature.
unsafe fn write(slot: *mut usize, value: usize) -> Result<(), String> {
    let mut old = 0u32;
    // SAFETY: `slot` is in the loaded image (caller); only its protection changes.
    if unsafe { VirtualProtect(slot.cast(), 8, PAGE_READWRITE, &mut old) } == 0 {
        return Err(format!(
            "VirtualProtect: {}",
            std::io::Error::last_os_error()
        ));
    }
    // SAFETY: writable now; an aligned pointer-sized entry, replaced in one store.
    unsafe { (*slot.cast::<AtomicUsize>()).store(value, Ordering::Release) };
    let mut ignored = 0u32;
    // SAFETY: as above, putting the protection back.
    unsafe { VirtualProtect(slot.cast(), 8, old, &mut ignored) };
    Ok(())
}

/// Runs `probe` with `function`'s import-table entries counting this thread's calls; returns
/// the count, the DLLs the function is imported from, and the probe's result.
pub fn count_calls<R>(
    function: &str,
    probe: impl FnOnce() -> R,
) -> Result<(usize, Vec<String>, R), String> {
    let (original, wrapper) =
        wrapper_of(function).ok_or(format!("no counting wrapper for {function}"))?;
    let _serial = SERIAL.lock().unwrap_or_else(|p| p.into_inner());
    let found = entries(function)?;
    if found.is_empty() {
        return Err(format!("this executable does not import {function} at all"));
    }
    // SAFETY: a slot of the loaded import table, read as the loader wrote it.
    let saved: Vec<usize> = found.iter().map(|e| unsafe { e.slot.read() }).collect();
    original.store(saved[0], Ordering::Release);
    let mut patched = 0;
    let mut failed = None;
    for e in &found {
        // SAFETY: an entry of `function`, pointed at its wrapper of the same signature.
        match unsafe { write(e.slot, wrapper) } {
            Ok(()) => patched += 1,
            Err(err) => {
                failed = Some(err);
                break;
            }
        }
    }
    let result = if failed.is_none() {
        HITS.store(0, Ordering::Release);
        // SAFETY: no arguments; returns the calling thread's id.
        PROBE_THREAD.store(unsafe { GetCurrentThreadId() }, Ordering::Release);
        let r = probe();
        PROBE_THREAD.store(0, Ordering::Release);
        Some(r)
    } else {
        None
    };
    for (e, value) in found.iter().zip(&saved).take(patched) {
        // SAFETY: putting back the loader's own value.
        if let Err(err) = unsafe { write(e.slot, *value) } {
            failed.get_or_insert(err);
        }
    }
    if let Some(err) = failed {
        return Err(err);
    }
    let Some(result) = result else {
        return Err("the probe did not run".into());
    };
    let mut dlls: Vec<String> = found.into_iter().map(|e| e.dll).collect();
    dlls.sort();
    dlls.dedup();
    Ok((HITS.load(Ordering::Acquire), dlls, result))
}
