//! How a file is opened: the flags of `neurlang_file_open`.

use crate::errno::Errno;

/// How a file is opened: the decoded `flags` of `neurlang_file_open`.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct OpenMode {
    /// `OPEN_READ` (1).
    pub read: bool,
    /// `OPEN_WRITE` (2).
    pub write: bool,
    /// `OPEN_CREATE` (4): create if missing (needs write).
    pub create: bool,
    /// `OPEN_TRUNC` (8): truncate to 0 (needs write).
    pub truncate: bool,
    /// `OPEN_APPEND` (16): every write at the end (needs write).
    pub append: bool,
    /// `OPEN_EXCL` (32): fail with `EEXIST` if it exists (needs create).
    pub exclusive: bool,
}

impl OpenMode {
    /// Open for reading.
    pub const READ: u64 = 1;
    /// Open for writing.
    pub const WRITE: u64 = 2;
    /// Create the file if it does not exist.
    pub const CREATE: u64 = 4;
    /// Truncate the file.
    pub const TRUNC: u64 = 8;
    /// Append.
    pub const APPEND: u64 = 16;
    /// With `CREATE`: the file must not exist.
    pub const EXCL: u64 = 32;

    /// Decodes flags; unknown bits, no access mode, or a modifier without the access it needs
    /// give `EINVAL`.
    pub fn from_bits(bits: u64) -> Result<OpenMode, Errno> {
        let all = Self::READ | Self::WRITE | Self::CREATE | Self::TRUNC | Self::APPEND | Self::EXCL;
        if bits & !all != 0 {
            return Err(Errno::EINVAL);
        }
        let m = OpenMode {
            read: bits & Self::READ != 0,
            write: bits & Self::WRITE != 0,
            create: bits & Self::CREATE != 0,
            truncate: bits & Self::TRUNC != 0,
            append: bits & Self::APPEND != 0,
            exclusive: bits & Self::EXCL != 0,
        };
        let needs_write = m.create || m.truncate || m.append;
        let no_access = !m.read && !m.write;
        if no_access || (needs_write && !m.write) || (m.exclusive && !m.create) {
            return Err(Errno::EINVAL);
        }
        Ok(m)
    }

    /// Whether this mode modifies the file system.
    pub fn writes(self) -> bool {
        self.write || self.create || self.truncate || self.append
    }
}
