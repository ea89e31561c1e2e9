//! The canonical error codes of the runtime.
//!
//! Every runtime function reports failure as `-code`, where `code` is an [`Errno`] in **Linux
//! numbering**, on every platform. Host errors are mapped into this table: errno values on Unix
//! (which differ between Linux, macOS and FreeBSD: `EAGAIN` is 11 on Linux and 35 on macOS) and
//! Win32 / WinSock codes on Windows. The same condition therefore gives the same negative number
//! wherever the runtime runs.
//!
//! The table is written once, in `table.rs`; the enum, the per-platform lookups and compile-time
//! checks of its host numbers against `libc` / `windows-sys` are all generated from it. A build
//! for a platform checks that platform's column: `cargo check` natively for Linux,
//! `ci/check-cross.sh` for macOS, FreeBSD and Windows; `ci/errno-guard.sh` shows a flipped number
//! stopping the build.
//!
//! ```
//! use neurlang::runtime::Errno;
//! let e = std::io::Error::from(std::io::ErrorKind::NotFound);
//! assert_eq!(Errno::from_io_error(&e), Errno::ENOENT);
//! assert_eq!(Errno::ENOENT.neg(), -2);
//! ```

mod table;

pub use table::{Errno, ErrnoRow, TABLE};

use std::fmt;
use std::io;

/// A platform whose host error numbers the table maps.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
#[non_exhaustive]
pub enum Platform {
    /// Linux (x86_64, aarch64, riscv64: the asm-generic numbering).
    Linux,
    /// macOS and iOS (Darwin).
    Darwin,
    /// FreeBSD.
    FreeBsd,
    /// Windows: Win32 error codes and WinSock (`WSAE*`) codes, one number space.
    Windows,
}

impl Platform {
    /// Every platform with a column in the table.
    pub const ALL: [Platform; 4] = [
        Platform::Linux,
        Platform::Darwin,
        Platform::FreeBsd,
        Platform::Windows,
    ];

    /// The platform this build runs on, if its host errors are mapped.
    pub const HOST: Option<Platform> = crate::sys::HOST_PLATFORM;

    /// A short lower-case name (`linux`, `darwin`, `freebsd`, `windows`).
    pub const fn name(self) -> &'static str {
        match self {
            Platform::Linux => "linux",
            Platform::Darwin => "darwin",
            Platform::FreeBsd => "freebsd",
            Platform::Windows => "windows",
        }
    }

    /// Parses [`Platform::name`].
    pub fn from_name(name: &str) -> Option<Platform> {
        Platform::ALL.into_iter().find(|p| p.name() == name)
    }
}

impl Errno {
    /// The positive code (Linux numbering).
    #[inline]
    pub const fn code(self) -> i32 {
        self as i32
    }

    /// The value a runtime function returns for this error: `-code`.
    #[inline]
    pub const fn neg(self) -> i64 {
        -(self as i64)
    }

    /// The table row of this code.
    pub fn row(self) -> &'static ErrnoRow {
        // The table is generated in enum order, one row per variant.
        TABLE
            .iter()
            .find(|r| r.errno == self)
            .expect("every Errno has a table row")
    }

    /// The symbolic name, such as `"ENOENT"`.
    pub fn name(self) -> &'static str {
        self.row().name
    }

    /// A one-line description, such as `"No such file or directory"`.
    pub fn description(self) -> &'static str {
        self.row().description
    }

    /// The code for a returned value `-code` (the inverse of [`Errno::neg`]).
    pub fn from_neg(value: i64) -> Option<Errno> {
        if value >= 0 {
            return None;
        }
        i32::try_from(value.checked_neg()?)
            .ok()
            .and_then(Errno::from_code)
    }

    /// The code with this symbolic name.
    pub fn from_name(name: &str) -> Option<Errno> {
        TABLE.iter().find(|r| r.name == name).map(|r| r.errno)
    }

    /// Maps a host error number of `platform` (errno, or a Win32/WinSock code) to its canonical
    /// code, if the table maps it.
    pub fn from_platform_code(platform: Platform, host: i64) -> Option<Errno> {
        platform.lookup(host)
    }

    /// Maps a host error number of the platform this build runs on.
    pub fn from_host_code(host: i32) -> Option<Errno> {
        // A match on the constant keeps only the host's own column in the program.
        match Platform::HOST {
            Some(Platform::Linux) => Platform::linux(i64::from(host)),
            Some(Platform::Darwin) => Platform::darwin(i64::from(host)),
            Some(Platform::FreeBsd) => Platform::freebsd(i64::from(host)),
            Some(Platform::Windows) => Platform::windows(i64::from(host)),
            None => None,
        }
    }

    /// Maps any I/O error: its OS code where it has one, else its [`io::ErrorKind`], else `EIO`.
    pub fn from_io_error(err: &io::Error) -> Errno {
        err.raw_os_error()
            .and_then(Errno::from_host_code)
            .unwrap_or_else(|| Errno::from_kind(err.kind()))
    }

    /// The canonical code for an [`io::ErrorKind`] without an OS code (`EIO` when none fits).
    pub fn from_kind(kind: io::ErrorKind) -> Errno {
        use io::ErrorKind as K;
        match kind {
            K::NotFound => Errno::ENOENT,
            K::PermissionDenied => Errno::EACCES,
            K::ConnectionRefused => Errno::ECONNREFUSED,
            K::ConnectionReset => Errno::ECONNRESET,
            K::HostUnreachable => Errno::EHOSTUNREACH,
            K::NetworkUnreachable => Errno::ENETUNREACH,
            K::ConnectionAborted => Errno::ECONNABORTED,
            K::NotConnected => Errno::ENOTCONN,
            K::AddrInUse => Errno::EADDRINUSE,
            K::AddrNotAvailable => Errno::EADDRNOTAVAIL,
            K::NetworkDown => Errno::ENETDOWN,
            K::BrokenPipe => Errno::EPIPE,
            K::AlreadyExists => Errno::EEXIST,
            K::WouldBlock => Errno::EAGAIN,
            K::NotADirectory => Errno::ENOTDIR,
            K::IsADirectory => Errno::EISDIR,
            K::DirectoryNotEmpty => Errno::ENOTEMPTY,
            K::ReadOnlyFilesystem => Errno::EROFS,
            K::InvalidInput | K::InvalidData => Errno::EINVAL,
            K::TimedOut => Errno::ETIMEDOUT,
            K::StorageFull => Errno::ENOSPC,
            K::NotSeekable => Errno::ESPIPE,
            K::FileTooLarge => Errno::EFBIG,
            K::ResourceBusy => Errno::EBUSY,
            K::CrossesDevices => Errno::EXDEV,
            K::TooManyLinks => Errno::EMLINK,
            K::InvalidFilename => Errno::ENAMETOOLONG,
            K::Interrupted => Errno::EINTR,
            K::Unsupported => Errno::EOPNOTSUPP,
            K::OutOfMemory => Errno::ENOMEM,
            _ => Errno::EIO,
        }
    }

    /// An [`io::Error`] carrying this code as the host's own error, where the host has one.
    pub fn to_io_error(self) -> io::Error {
        match Platform::HOST.and_then(|p| self.row().host_codes(p).next()) {
            Some(code) => io::Error::from_raw_os_error(code as i32),
            None => io::Error::other(self.description()),
        }
    }
}

impl ErrnoRow {
    /// The host numbers of `platform` that map to this row, the primary one first.
    pub fn host_codes(&self, platform: Platform) -> impl Iterator<Item = i64> + '_ {
        let (unix, windows): (&[i32], &[(&str, i64)]) = match platform {
            Platform::Linux => (std::slice::from_ref(&self.linux), &[]),
            Platform::Darwin => (self.darwin, &[]),
            Platform::FreeBsd => (self.freebsd, &[]),
            Platform::Windows => (&[], self.windows),
        };
        unix.iter()
            .map(|&c| i64::from(c))
            .chain(windows.iter().map(|&(_, c)| c))
    }
}

impl fmt::Display for Errno {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{} ({})", self.name(), self.description())
    }
}

impl std::error::Error for Errno {}

impl From<io::Error> for Errno {
    fn from(err: io::Error) -> Errno {
        Errno::from_io_error(&err)
    }
}

impl From<Errno> for io::Error {
    fn from(e: Errno) -> io::Error {
        e.to_io_error()
    }
}

/// The value a runtime function returns for a `Result`: the success value, or `-code`.
pub fn ret<T: Into<i64>>(result: Result<T, Errno>) -> i64 {
    match result {
        Ok(v) => v.into(),
        Err(e) => e.neg(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_variant_has_exactly_one_row_in_order() {
        for (i, row) in TABLE.iter().enumerate() {
            assert_eq!(row.errno.row().name, row.name);
            assert!(
                TABLE[..i].iter().all(|r| r.errno != row.errno),
                "{}",
                row.name
            );
        }
    }

    #[test]
    fn host_codes_map_to_exactly_one_row_per_platform() {
        for p in Platform::ALL {
            for row in TABLE {
                for code in row.host_codes(p) {
                    let owners: Vec<_> = TABLE
                        .iter()
                        .filter(|r| r.host_codes(p).any(|c| c == code))
                        .map(|r| r.name)
                        .collect();
                    assert_eq!(owners, [row.name], "{} code {code} on {p:?}", row.name);
                }
            }
        }
    }

    #[test]
    fn lookups_agree_with_the_table() {
        for p in Platform::ALL {
            for row in TABLE {
                for code in row.host_codes(p) {
                    assert_eq!(Errno::from_platform_code(p, code), Some(row.errno));
                }
            }
            for code in [-1, 0, 100_000, i64::MAX] {
                let mapped = TABLE.iter().any(|r| r.host_codes(p).any(|c| c == code));
                assert_eq!(
                    Errno::from_platform_code(p, code).is_some(),
                    mapped,
                    "{p:?} {code}"
                );
            }
        }
        for row in TABLE {
            assert_eq!(Errno::from_code(row.errno.code()), Some(row.errno));
        }
        assert_eq!(Errno::from_code(0), None);
    }

    #[test]
    fn negation_round_trips() {
        for row in TABLE {
            assert_eq!(Errno::from_neg(row.errno.neg()), Some(row.errno));
        }
        assert_eq!(Errno::from_neg(0), None);
        assert_eq!(Errno::from_neg(i64::MIN), None);
        assert_eq!(Errno::from_neg(-100_000), None);
    }

    #[test]
    fn io_error_without_os_code_maps_by_kind() {
        let e = io::Error::new(io::ErrorKind::ConnectionRefused, "x");
        assert_eq!(Errno::from_io_error(&e), Errno::ECONNREFUSED);
        let e = io::Error::other("x");
        assert_eq!(Errno::from_io_error(&e), Errno::EIO);
    }

    #[test]
    fn every_error_kind_arm_maps_to_its_code() {
        use io::ErrorKind as K;
        // Every arm of `from_kind`: a deleted arm would fall through to EIO.
        let table = [
            (K::NotFound, Errno::ENOENT),
            (K::PermissionDenied, Errno::EACCES),
            (K::ConnectionRefused, Errno::ECONNREFUSED),
            (K::ConnectionReset, Errno::ECONNRESET),
            (K::HostUnreachable, Errno::EHOSTUNREACH),
            (K::NetworkUnreachable, Errno::ENETUNREACH),
            (K::ConnectionAborted, Errno::ECONNABORTED),
            (K::NotConnected, Errno::ENOTCONN),
            (K::AddrInUse, Errno::EADDRINUSE),
            (K::AddrNotAvailable, Errno::EADDRNOTAVAIL),
            (K::NetworkDown, Errno::ENETDOWN),
            (K::BrokenPipe, Errno::EPIPE),
            (K::AlreadyExists, Errno::EEXIST),
            (K::WouldBlock, Errno::EAGAIN),
            (K::NotADirectory, Errno::ENOTDIR),
            (K::IsADirectory, Errno::EISDIR),
            (K::DirectoryNotEmpty, Errno::ENOTEMPTY),
            (K::ReadOnlyFilesystem, Errno::EROFS),
            (K::InvalidInput, Errno::EINVAL),
            (K::InvalidData, Errno::EINVAL),
            (K::TimedOut, Errno::ETIMEDOUT),
            (K::StorageFull, Errno::ENOSPC),
            (K::NotSeekable, Errno::ESPIPE),
            (K::FileTooLarge, Errno::EFBIG),
            (K::ResourceBusy, Errno::EBUSY),
            (K::CrossesDevices, Errno::EXDEV),
            (K::TooManyLinks, Errno::EMLINK),
            (K::InvalidFilename, Errno::ENAMETOOLONG),
            (K::Interrupted, Errno::EINTR),
            (K::Unsupported, Errno::EOPNOTSUPP),
            (K::OutOfMemory, Errno::ENOMEM),
        ];
        for (kind, want) in table {
            assert_eq!(Errno::from_kind(kind), want, "{kind:?}");
        }
        for kind in [K::Other, K::UnexpectedEof, K::WriteZero] {
            assert_eq!(Errno::from_kind(kind), Errno::EIO, "{kind:?}");
        }
    }

    #[test]
    fn to_io_error_round_trips_on_host() {
        if Platform::HOST.is_none() {
            return;
        }
        for row in TABLE {
            if row.host_codes(Platform::HOST.unwrap()).next().is_some() {
                assert_eq!(Errno::from_io_error(&row.errno.to_io_error()), row.errno);
            }
        }
    }

    #[test]
    fn ret_passes_the_success_value_through_and_an_error_as_its_negated_code() {
        assert_eq!(ret(Ok(42u32)), 42);
        assert_eq!(ret(Ok(-7i64)), -7);
        assert_eq!(ret::<u32>(Err(Errno::ENOENT)), Errno::ENOENT.neg());
        assert_eq!(
            ret::<u32>(Err(Errno::EBADF)),
            -i64::from(Errno::EBADF.code())
        );
    }
}
