//! The platform the suite runs on, as the report names it.

use serde::{Deserialize, Serialize};

/// The platform the suite runs on.
#[derive(Debug, Clone, Serialize, Deserialize, PartialEq, Eq)]
pub struct Host {
    /// `linux`, `macos`, `windows`, `freebsd`, … (Rust's `target_os`).
    pub os: String,
    /// `x86_64`, `aarch64`, … (Rust's `target_arch`).
    pub arch: String,
    /// How the binary is executed: `native`, `wine`, or the emulator named by
    /// `$NEURLANG_EMULATOR` (CI sets `qemu-aarch64` on the aarch64 leg).
    pub runner: String,
}

impl Host {
    /// Detects this process's platform.
    pub fn detect() -> Host {
        let runner = if under_wine() {
            "wine".to_string()
        } else {
            std::env::var("NEURLANG_EMULATOR").unwrap_or_else(|_| "native".to_string())
        };
        Host {
            os: std::env::consts::OS.to_string(),
            arch: std::env::consts::ARCH.to_string(),
            runner,
        }
    }

    /// The errno-table column of this platform (`linux`, `darwin`, `freebsd`, `windows`), or the
    /// OS name when the table has none. Known failures name platforms this way.
    pub fn platform_name(&self) -> &str {
        match neurlang::runtime::Platform::HOST {
            Some(p) => p.name(),
            None => &self.os,
        }
    }

    /// `linux-x86_64-native`, `windows-x86_64-wine`, …: the report's column name.
    pub fn label(&self) -> String {
        format!("{}-{}-{}", self.os, self.arch, self.runner)
    }

    /// True when running under an emulator or compatibility layer rather than natively.
    pub fn emulated(&self) -> bool {
        self.runner != "native"
    }
}

#[cfg(windows)]
#[allow(unsafe_code)] // GetModuleHandleA and GetProcAddress through windows-sys
fn under_wine() -> bool {
    use windows_sys::Win32::System::LibraryLoader::{GetModuleHandleA, GetProcAddress};
    // SAFETY: a NUL-terminated static string; GetModuleHandleA takes no reference on the module,
    // and ntdll stays loaded for the life of every process.
    let ntdll = unsafe { GetModuleHandleA(c"ntdll.dll".as_ptr().cast()) };
    if ntdll.is_null() {
        return false;
    }
    // SAFETY: `ntdll` is a loaded module handle and the name is a NUL-terminated static string.
    unsafe { GetProcAddress(ntdll, c"wine_get_version".as_ptr().cast()) }.is_some()
}

#[cfg(not(windows))]
fn under_wine() -> bool {
    false
}
