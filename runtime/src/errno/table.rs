//! The error-code table: one row per canonical code, with its host numbers on every platform.
//!
//! Columns: the canonical name and number (Linux numbering), a description, the macOS and
//! FreeBSD errno values (the first is the primary one), and the Win32 / WinSock codes that mean
//! the same condition on Windows. A row with no Windows code is a condition only the runtime
//! itself reports there.
//!
//! A build for a platform checks that platform's column at compile time, in `errno_table!`
//! below: Linux's number and the primary macOS and FreeBSD number of every row against the
//! `libc` constant of the row's name, every Windows code against the `windows-sys` constant of
//! its own name. A wrong number stops the build with "errno table: NAME is not libc's (…)".
//! `ci/check-cross.sh` builds for macOS x86_64 and aarch64, FreeBSD and Windows;
//! `ci/errno-guard.sh` flips a number in a scratch copy and expects the build to fail.

/// One row of the table.
#[derive(Debug, Clone, Copy)]
pub struct ErrnoRow {
    /// The canonical code.
    pub errno: Errno,
    /// Its symbolic name, such as `"ENOENT"`.
    pub name: &'static str,
    /// A one-line description.
    pub description: &'static str,
    /// The Linux errno (equal to the canonical number).
    pub linux: i32,
    /// The macOS errno values that map here, the primary one first.
    pub darwin: &'static [i32],
    /// The FreeBSD errno values that map here, the primary one first.
    pub freebsd: &'static [i32],
    /// The Win32 and WinSock codes that map here, by name, the primary one first.
    pub windows: &'static [(&'static str, i64)],
}

macro_rules! errno_table {
    ($(
        $name:ident = $linux:literal, $desc:literal,
            darwin [$($darwin:literal),+], freebsd [$($freebsd:literal),+],
            windows [$($wname:ident = $wcode:literal),*];
    )+) => {
        /// A canonical runtime error code (Linux numbering). See the [module](crate::errno) docs.
        #[allow(clippy::upper_case_acronyms)]
        #[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, PartialOrd, Ord)]
        #[repr(i32)]
        #[non_exhaustive]
        pub enum Errno {
            $(
                #[doc = $desc]
                $name = $linux,
            )+
        }

        /// Every row, in the order of the [`Errno`] variants.
        pub static TABLE: &[ErrnoRow] = &[$(
            ErrnoRow {
                errno: Errno::$name,
                name: stringify!($name),
                description: $desc,
                linux: $linux,
                darwin: &[$($darwin),+],
                freebsd: &[$($freebsd),+],
                windows: &[$((stringify!($wname), $wcode)),*],
            },
        )+];

        // The host-number checks of the module docs. Constant items: nothing of them is in
        // the program.
        #[cfg(target_os = "linux")]
        const _: () = {
            $(assert!(
                libc::$name == $linux,
                concat!("errno table: ", stringify!($name), " is not libc's (Linux)")
            );)+
        };

        // The primary macOS value of every row is the host's own.
        #[cfg(target_vendor = "apple")]
        const _: () = {
            $(assert!(
                libc::$name == [$($darwin),+][0],
                concat!("errno table: ", stringify!($name), " is not libc's (macOS)")
            );)+
        };

        // The primary FreeBSD value of every row is the host's own.
        #[cfg(target_os = "freebsd")]
        const _: () = {
            $(assert!(
                libc::$name == [$($freebsd),+][0],
                concat!("errno table: ", stringify!($name), " is not libc's (FreeBSD)")
            );)+
        };

        // Every Windows code against its windows-sys constant of the same name.
        #[cfg(windows)]
        const _: () = {
            #[allow(unused_imports)]
            use windows_sys::Win32::Foundation::*;
            #[allow(unused_imports)]
            use windows_sys::Win32::Networking::WinSock::*;
            $($(assert!(
                $wname as i64 == $wcode,
                concat!("errno table: ", stringify!($wname), " is not windows-sys's")
            );)*)+
        };

        // The lookups by number are matches, not scans of `TABLE`: a program that only maps
        // host errors then keeps no names, descriptions or other platforms' columns.
        /// Every code by its number: one array index, no scan, no relocations.
        const BY_CODE: [Option<Errno>; {
            let mut max = 0;
            $(if $linux > max { max = $linux; })+
            max + 1
        }] = {
            let mut by_code = [None; { let mut max = 0; $(if $linux > max { max = $linux; })+ max + 1 }];
            $(by_code[$linux] = Some(Errno::$name);)+
            by_code
        };

        impl Errno {
            /// The code with this number (Linux numbering), if the table has it.
            pub const fn from_code(code: i32) -> Option<Errno> {
                if code >= 0 && (code as usize) < BY_CODE.len() {
                    BY_CODE[code as usize]
                } else {
                    None
                }
            }
        }

        // One lookup per platform, so that a build keeps only its host's (see
        // `Errno::from_host_code`).
        impl super::Platform {
            /// The canonical code of this platform's host error number, if the table maps it.
            pub(super) const fn lookup(self, host: i64) -> Option<Errno> {
                match self {
                    super::Platform::Linux => Self::linux(host),
                    super::Platform::Darwin => Self::darwin(host),
                    super::Platform::FreeBsd => Self::freebsd(host),
                    super::Platform::Windows => Self::windows(host),
                }
            }

            pub(super) const fn linux(host: i64) -> Option<Errno> {
                if host >= 0 && host <= i32::MAX as i64 {
                    Errno::from_code(host as i32)
                } else {
                    None
                }
            }

            pub(super) const fn darwin(host: i64) -> Option<Errno> {
                match host {
                    $($($darwin)|+ => Some(Errno::$name),)+
                    _ => None,
                }
            }

            pub(super) const fn freebsd(host: i64) -> Option<Errno> {
                match host {
                    $($($freebsd)|+ => Some(Errno::$name),)+
                    _ => None,
                }
            }

            pub(super) const fn windows(host: i64) -> Option<Errno> {
                match host {
                    $($($wcode => Some(Errno::$name),)*)+
                    _ => None,
                }
            }
        }
    };
}

errno_table! {
    EPERM = 1, "Operation not permitted",
        darwin [1], freebsd [1], windows [ERROR_PRIVILEGE_NOT_HELD = 1314];
    ENOENT = 2, "No such file or directory",
        darwin [2], freebsd [2],
        windows [ERROR_FILE_NOT_FOUND = 2, ERROR_PATH_NOT_FOUND = 3, ERROR_INVALID_DRIVE = 15,
                 ERROR_BAD_NETPATH = 53, ERROR_BAD_NET_NAME = 67];
    ESRCH = 3, "No such process or task",
        darwin [3], freebsd [3], windows [];
    EINTR = 4, "Interrupted system call",
        darwin [4], freebsd [4], windows [WSAEINTR = 10004];
    EIO = 5, "Input/output error",
        darwin [5], freebsd [5], windows [ERROR_IO_DEVICE = 1117, ERROR_GEN_FAILURE = 31];
    EBADF = 9, "Bad file descriptor",
        darwin [9], freebsd [9], windows [ERROR_INVALID_HANDLE = 6, WSAEBADF = 10009];
    EAGAIN = 11, "Resource temporarily unavailable",
        darwin [35], freebsd [35], windows [WSAEWOULDBLOCK = 10035];
    ENOMEM = 12, "Cannot allocate memory",
        darwin [12], freebsd [12],
        windows [ERROR_NOT_ENOUGH_MEMORY = 8, ERROR_OUTOFMEMORY = 14,
                 ERROR_COMMITMENT_LIMIT = 1455];
    EACCES = 13, "Permission denied",
        darwin [13], freebsd [13],
        windows [ERROR_ACCESS_DENIED = 5, ERROR_SHARING_VIOLATION = 32,
                 ERROR_LOCK_VIOLATION = 33, WSAEACCES = 10013];
    EFAULT = 14, "Bad address",
        darwin [14], freebsd [14],
        windows [ERROR_NOACCESS = 998, ERROR_INVALID_ADDRESS = 487, WSAEFAULT = 10014];
    EBUSY = 16, "Device or resource busy",
        darwin [16], freebsd [16], windows [ERROR_BUSY = 170];
    EEXIST = 17, "File exists",
        darwin [17], freebsd [17], windows [ERROR_FILE_EXISTS = 80, ERROR_ALREADY_EXISTS = 183];
    EXDEV = 18, "Invalid cross-device link",
        darwin [18], freebsd [18], windows [ERROR_NOT_SAME_DEVICE = 17];
    ENOTDIR = 20, "Not a directory",
        darwin [20], freebsd [20], windows [ERROR_DIRECTORY = 267];
    EISDIR = 21, "Is a directory",
        darwin [21], freebsd [21], windows [ERROR_DIRECTORY_NOT_SUPPORTED = 336];
    EINVAL = 22, "Invalid argument",
        darwin [22], freebsd [22],
        windows [ERROR_INVALID_PARAMETER = 87, ERROR_INVALID_NAME = 123,
                 ERROR_NEGATIVE_SEEK = 131, ERROR_BAD_ARGUMENTS = 160, WSAEINVAL = 10022];
    ENFILE = 23, "Too many open files in system",
        darwin [23], freebsd [23], windows [];
    EMFILE = 24, "Too many open files",
        darwin [24], freebsd [24], windows [ERROR_TOO_MANY_OPEN_FILES = 4, WSAEMFILE = 10024];
    EFBIG = 27, "File too large",
        darwin [27], freebsd [27], windows [ERROR_FILE_TOO_LARGE = 223];
    ENOSPC = 28, "No space left on device",
        darwin [28], freebsd [28], windows [ERROR_DISK_FULL = 112, ERROR_HANDLE_DISK_FULL = 39];
    ESPIPE = 29, "Illegal seek",
        darwin [29], freebsd [29], windows [ERROR_SEEK_ON_DEVICE = 132];
    EROFS = 30, "Read-only file system",
        darwin [30], freebsd [30], windows [ERROR_WRITE_PROTECT = 19];
    EMLINK = 31, "Too many links",
        darwin [31], freebsd [31], windows [ERROR_TOO_MANY_LINKS = 1142];
    EPIPE = 32, "Broken pipe",
        darwin [32], freebsd [32], windows [ERROR_BROKEN_PIPE = 109, ERROR_NO_DATA = 232];
    ERANGE = 34, "Numerical result out of range",
        darwin [34], freebsd [34], windows [];
    ENAMETOOLONG = 36, "File name too long",
        darwin [63], freebsd [63],
        windows [ERROR_FILENAME_EXCED_RANGE = 206, WSAENAMETOOLONG = 10063];
    ENOSYS = 38, "Function not implemented",
        darwin [78], freebsd [78], windows [ERROR_CALL_NOT_IMPLEMENTED = 120];
    ENOTEMPTY = 39, "Directory not empty",
        darwin [66], freebsd [66], windows [ERROR_DIR_NOT_EMPTY = 145, WSAENOTEMPTY = 10066];
    ELOOP = 40, "Too many levels of symbolic links",
        darwin [62], freebsd [62],
        windows [ERROR_CANT_RESOLVE_FILENAME = 1921, WSAELOOP = 10062];
    EOVERFLOW = 75, "Value too large for defined data type",
        darwin [84], freebsd [84], windows [ERROR_ARITHMETIC_OVERFLOW = 534];
    EILSEQ = 84, "Invalid or incomplete multibyte or wide character",
        darwin [92], freebsd [86], windows [ERROR_NO_UNICODE_TRANSLATION = 1113];
    ENOTSOCK = 88, "Socket operation on non-socket",
        darwin [38], freebsd [38], windows [WSAENOTSOCK = 10038];
    EDESTADDRREQ = 89, "Destination address required",
        darwin [39], freebsd [39], windows [WSAEDESTADDRREQ = 10039];
    EMSGSIZE = 90, "Message too long",
        darwin [40], freebsd [40], windows [WSAEMSGSIZE = 10040];
    EPROTOTYPE = 91, "Protocol wrong type for socket",
        darwin [41], freebsd [41], windows [WSAEPROTOTYPE = 10041];
    ENOPROTOOPT = 92, "Protocol not available",
        darwin [42], freebsd [42], windows [WSAENOPROTOOPT = 10042];
    EPROTONOSUPPORT = 93, "Protocol not supported",
        darwin [43], freebsd [43], windows [WSAEPROTONOSUPPORT = 10043];
    EOPNOTSUPP = 95, "Operation not supported",
        darwin [102, 45], freebsd [45],
        windows [WSAEOPNOTSUPP = 10045, ERROR_NOT_SUPPORTED = 50, ERROR_INVALID_FUNCTION = 1];
    EAFNOSUPPORT = 97, "Address family not supported by protocol",
        darwin [47], freebsd [47], windows [WSAEAFNOSUPPORT = 10047];
    EADDRINUSE = 98, "Address already in use",
        darwin [48], freebsd [48],
        windows [WSAEADDRINUSE = 10048, ERROR_ADDRESS_ALREADY_ASSOCIATED = 1227];
    EADDRNOTAVAIL = 99, "Cannot assign requested address",
        darwin [49], freebsd [49], windows [WSAEADDRNOTAVAIL = 10049];
    ENETDOWN = 100, "Network is down",
        darwin [50], freebsd [50], windows [WSAENETDOWN = 10050];
    ENETUNREACH = 101, "Network is unreachable",
        darwin [51], freebsd [51],
        windows [WSAENETUNREACH = 10051, ERROR_NETWORK_UNREACHABLE = 1231];
    ENETRESET = 102, "Network dropped connection on reset",
        darwin [52], freebsd [52], windows [WSAENETRESET = 10052];
    ECONNABORTED = 103, "Software caused connection abort",
        darwin [53], freebsd [53],
        windows [WSAECONNABORTED = 10053, ERROR_CONNECTION_ABORTED = 1236];
    ECONNRESET = 104, "Connection reset by peer",
        darwin [54], freebsd [54], windows [WSAECONNRESET = 10054, ERROR_NETNAME_DELETED = 64];
    ENOBUFS = 105, "No buffer space available",
        darwin [55], freebsd [55], windows [WSAENOBUFS = 10055];
    EISCONN = 106, "Transport endpoint is already connected",
        darwin [56], freebsd [56], windows [WSAEISCONN = 10056];
    ENOTCONN = 107, "Transport endpoint is not connected",
        darwin [57], freebsd [57], windows [WSAENOTCONN = 10057];
    ESHUTDOWN = 108, "Cannot send after transport endpoint shutdown",
        darwin [58], freebsd [58], windows [WSAESHUTDOWN = 10058];
    ETIMEDOUT = 110, "Connection timed out",
        darwin [60], freebsd [60],
        windows [WSAETIMEDOUT = 10060, ERROR_TIMEOUT = 1460, WAIT_TIMEOUT = 258,
                 ERROR_SEM_TIMEOUT = 121];
    ECONNREFUSED = 111, "Connection refused",
        darwin [61], freebsd [61],
        windows [WSAECONNREFUSED = 10061, ERROR_CONNECTION_REFUSED = 1225];
    EHOSTUNREACH = 113, "No route to host",
        darwin [65], freebsd [65],
        windows [WSAEHOSTUNREACH = 10065, ERROR_HOST_UNREACHABLE = 1232];
    EALREADY = 114, "Operation already in progress",
        darwin [37], freebsd [37], windows [WSAEALREADY = 10037];
    EINPROGRESS = 115, "Operation now in progress",
        darwin [36], freebsd [36], windows [WSAEINPROGRESS = 10036, ERROR_IO_PENDING = 997];
    ECANCELED = 125, "Operation canceled",
        darwin [89], freebsd [85],
        windows [ERROR_OPERATION_ABORTED = 995, ERROR_CANCELLED = 1223, WSAECANCELLED = 10103];
}
