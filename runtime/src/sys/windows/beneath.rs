//! Opening one name beneath an open directory handle, never following it: `NtCreateFile` with
//! the parent's handle as `OBJECT_ATTRIBUTES.RootDirectory`, the name as a single component and
//! `FILE_OPEN_REPARSE_POINT`, so a symlink or junction is opened itself. Whether the name was a
//! link is read from the handle just opened (its attribute tag, then `FSCTL_GET_REPARSE_POINT`),
//! so nothing checked is resolved by name again. These are the primitives `perm`'s walk calls;
//! the walk follows links in user space.
//!
//! Errors are Win32 codes (`RtlNtStatusToDosError` of the NTSTATUS) that the errno table maps:
//! a missing name is `ENOENT`, an existing one under exclusive create `EEXIST`, a file where a
//! directory is needed `ENOTDIR` (`ERROR_DIRECTORY`), a directory where a file is needed `EISDIR`
//! (`ERROR_DIRECTORY_NOT_SUPPORTED`), a name that is not one normal component `EINVAL`
//! (`ERROR_INVALID_NAME`).
//!
//! Under Debian's Wine 8.0 the relative opens work (the tests here pass), but Wine has no reparse
//! points: `CreateSymbolicLinkW` reports success and makes nothing, `FSCTL_SET_REPARSE_POINT`
//! fails with `ERROR_NOT_SUPPORTED` (the link tests print which and skip).
#![allow(unsafe_code)] // NtCreateFile, DeviceIoControl and the handle-information calls are FFI.

use crate::perm::OpenMode;
use crate::sys::Entry;
use std::ffi::{OsStr, OsString};
use std::fs::{File, OpenOptions};
use std::io;
use std::mem::size_of;
use std::os::windows::ffi::{OsStrExt, OsStringExt};
use std::os::windows::fs::OpenOptionsExt;
use std::os::windows::io::{AsRawHandle, FromRawHandle, OwnedHandle};
use std::path::{Path, PathBuf};
use std::ptr;
use windows_sys::Wdk::Foundation::OBJECT_ATTRIBUTES;
use windows_sys::Wdk::Storage::FileSystem::{
    FILE_CREATE, FILE_DIRECTORY_FILE, FILE_NON_DIRECTORY_FILE, FILE_OPEN, FILE_OPEN_IF,
    FILE_OPEN_REPARSE_POINT, FILE_SYNCHRONOUS_IO_NONALERT, NtCreateFile, SYMLINK_FLAG_RELATIVE,
};
use windows_sys::Win32::Foundation::{
    ERROR_DIRECTORY, ERROR_DIRECTORY_NOT_SUPPORTED, ERROR_FILENAME_EXCED_RANGE, ERROR_INVALID_NAME,
    ERROR_INVALID_PARAMETER, ERROR_INVALID_REPARSE_DATA, HANDLE, INVALID_HANDLE_VALUE, NTSTATUS,
    OBJ_CASE_INSENSITIVE, RtlNtStatusToDosError, STATUS_FILE_IS_A_DIRECTORY,
    STATUS_NOT_A_DIRECTORY, UNICODE_STRING,
};
use windows_sys::Win32::Storage::FileSystem::{
    DELETE, FILE_ATTRIBUTE_DIRECTORY, FILE_ATTRIBUTE_NORMAL, FILE_ATTRIBUTE_REPARSE_POINT,
    FILE_ATTRIBUTE_TAG_INFO, FILE_DISPOSITION_INFO, FILE_END_OF_FILE_INFO,
    FILE_FLAG_BACKUP_SEMANTICS, FILE_GENERIC_READ, FILE_GENERIC_WRITE, FILE_INFO_BY_HANDLE_CLASS,
    FILE_LIST_DIRECTORY, FILE_READ_ATTRIBUTES, FILE_SHARE_DELETE, FILE_SHARE_READ,
    FILE_SHARE_WRITE, FILE_TRAVERSE, FILE_WRITE_DATA, FileAttributeTagInfo, FileDispositionInfo,
    FileEndOfFileInfo, GetFileInformationByHandleEx, MAXIMUM_REPARSE_DATA_BUFFER_SIZE, ReOpenFile,
    SYNCHRONIZE, SetFileInformationByHandle,
};
use windows_sys::Win32::System::IO::{DeviceIoControl, IO_STATUS_BLOCK};
use windows_sys::Win32::System::Ioctl::FSCTL_GET_REPARSE_POINT;
use windows_sys::Win32::System::SystemServices::{
    IO_REPARSE_TAG_MOUNT_POINT, IO_REPARSE_TAG_SYMLINK,
};

/// What a directory handle may do: list and traverse (the walk opens names beneath it) and
/// read its attributes (the link check).
const DIR_ACCESS: u32 = FILE_LIST_DIRECTORY | FILE_TRAVERSE | FILE_READ_ATTRIBUTES | SYNCHRONIZE;
/// Other openers may read, write and delete, as with std's default share mode.
const SHARE_ALL: u32 = FILE_SHARE_READ | FILE_SHARE_WRITE | FILE_SHARE_DELETE;

/// An open directory the sandbox resolves from.
#[derive(Debug)]
pub(crate) struct Dir {
    handle: OwnedHandle,
}

impl Dir {
    /// Opens an embedder-configured root directory, following links in that trusted path;
    /// a file gives `ERROR_DIRECTORY` (`ENOTDIR`).
    pub(crate) fn open_root(path: &Path) -> io::Result<Dir> {
        let file = OpenOptions::new()
            .access_mode(DIR_ACCESS)
            .share_mode(SHARE_ALL)
            .custom_flags(FILE_FLAG_BACKUP_SEMANTICS)
            .open(path)?;
        if !file.metadata()?.is_dir() {
            return Err(win32(ERROR_DIRECTORY));
        }
        Ok(Dir {
            handle: file.into(),
        })
    }
}

/// Opens the directory `name` beneath `parent`, or reports it as a link without following it.
pub(crate) fn open_dir_at(parent: &Dir, name: &OsStr) -> io::Result<Entry<Dir>> {
    let name = component(name)?;
    let options = FILE_DIRECTORY_FILE | FILE_OPEN_REPARSE_POINT | FILE_SYNCHRONOUS_IO_NONALERT;
    match nt_open(&parent.handle, &name, DIR_ACCESS, FILE_OPEN, options) {
        Ok(handle) => match link_target(&handle)? {
            Some(target) => Ok(Entry::Link(target)),
            None => Ok(Entry::Opened(Dir { handle })),
        },
        // A link to a file is not a directory either, but the walk must see it as a link.
        Err(STATUS_NOT_A_DIRECTORY) => probe_link(parent, &name, ERROR_DIRECTORY),
        Err(status) => Err(nt_error(status)),
    }
}

/// Opens the file `name` beneath `parent` with `mode`, or reports it as a link without
/// following it; `"."` is `parent` itself (reading only). A read-only open accepts a directory,
/// as `openat(O_RDONLY)` does; one that writes refuses it with `EISDIR`. Exclusive create fails
/// with `EEXIST` on any existing name, a link included. Truncation happens on the opened handle
/// once it is known not to be a link, and, as std's `OpenOptions` does, append with truncate
/// (without exclusive) is `EINVAL`.
pub(crate) fn open_file_at(parent: &Dir, name: &OsStr, mode: OpenMode) -> io::Result<Entry<File>> {
    if name == "." {
        if mode.writes() {
            return Err(win32(ERROR_DIRECTORY_NOT_SUPPORTED));
        }
        return Ok(Entry::Opened(parent.handle.try_clone()?.into()));
    }
    let name = component(name)?;
    if mode.append && mode.truncate && !mode.exclusive {
        return Err(win32(ERROR_INVALID_PARAMETER));
    }
    let mut access = SYNCHRONIZE | FILE_READ_ATTRIBUTES;
    if mode.read {
        access |= FILE_GENERIC_READ;
    }
    if mode.append {
        // Without FILE_WRITE_DATA every write goes to the end of the file.
        access |= FILE_GENERIC_WRITE & !FILE_WRITE_DATA;
    } else if mode.write {
        access |= FILE_GENERIC_WRITE;
    }
    let disposition = if mode.exclusive {
        FILE_CREATE
    } else if mode.create {
        FILE_OPEN_IF
    } else {
        FILE_OPEN
    };
    let mut options = FILE_OPEN_REPARSE_POINT | FILE_SYNCHRONOUS_IO_NONALERT;
    if mode.writes() {
        options |= FILE_NON_DIRECTORY_FILE;
    }
    let handle = match nt_open(&parent.handle, &name, access, disposition, options) {
        Ok(handle) => handle,
        // A link to a directory is a directory entry, but the walk must see it as a link.
        Err(STATUS_FILE_IS_A_DIRECTORY) => {
            return probe_link(parent, &name, ERROR_DIRECTORY_NOT_SUPPORTED);
        }
        Err(status) => return Err(nt_error(status)),
    };
    let tag = attribute_tag(&handle)?;
    if let Some(target) = link_of(&handle, tag)? {
        return Ok(Entry::Link(target));
    }
    // Another kind of reparse point (a cloud placeholder, a deduplicated file) is an ordinary
    // file whose filter driver only serves its data when opened normally: reopen the same
    // object by handle, never by name.
    let handle = if tag.FileAttributes & FILE_ATTRIBUTE_REPARSE_POINT != 0 {
        reopen(&handle, access)?
    } else {
        handle
    };
    if mode.truncate && !mode.exclusive {
        set_info(
            &handle,
            FileEndOfFileInfo,
            &FILE_END_OF_FILE_INFO { EndOfFile: 0 },
        )?;
    }
    Ok(Entry::Opened(handle.into()))
}

/// Removes the name itself beneath `parent`: a link is removed, never followed; a directory
/// that is not a link gives `EISDIR` (`ERROR_DIRECTORY_NOT_SUPPORTED`).
pub(crate) fn unlink_at(parent: &Dir, name: &OsStr) -> io::Result<()> {
    let name = component(name)?;
    let access = DELETE | FILE_READ_ATTRIBUTES | SYNCHRONIZE;
    let options = FILE_OPEN_REPARSE_POINT | FILE_SYNCHRONOUS_IO_NONALERT;
    let handle = nt_open(&parent.handle, &name, access, FILE_OPEN, options).map_err(nt_error)?;
    let tag = attribute_tag(&handle)?;
    if tag.FileAttributes & FILE_ATTRIBUTE_DIRECTORY != 0 && !is_link(tag) {
        return Err(win32(ERROR_DIRECTORY_NOT_SUPPORTED));
    }
    // Deleted when the last handle to it closes (this one, at the end of the call, unless
    // another opener shares it).
    set_info(
        &handle,
        FileDispositionInfo,
        &FILE_DISPOSITION_INFO { DeleteFile: true },
    )
}

/// `name` as UTF-16 if it is one normal component: not empty, `.` or `..`, and without a
/// separator, a stream colon or NUL (`EINVAL`); at most what a `UNICODE_STRING` holds
/// (`ENAMETOOLONG`).
fn component(name: &OsStr) -> io::Result<Vec<u16>> {
    let wide: Vec<u16> = name.encode_wide().collect();
    let bad = |c: &u16| [u16::from(b'\\'), u16::from(b'/'), u16::from(b':'), 0].contains(c);
    if name.is_empty() || name == "." || name == ".." || wide.iter().any(bad) {
        return Err(win32(ERROR_INVALID_NAME));
    }
    if wide.len() * 2 > usize::from(u16::MAX) {
        return Err(win32(ERROR_FILENAME_EXCED_RANGE));
    }
    Ok(wide)
}

/// `NtCreateFile` of the single component `name` relative to the directory `root`.
fn nt_open(
    root: &OwnedHandle,
    name: &[u16],
    access: u32,
    disposition: u32,
    options: u32,
) -> Result<OwnedHandle, NTSTATUS> {
    let bytes = (name.len() * 2) as u16; // `component` bounded it
    let unicode = UNICODE_STRING {
        Length: bytes,
        MaximumLength: bytes,
        Buffer: name.as_ptr().cast_mut(),
    };
    let attributes = OBJECT_ATTRIBUTES {
        Length: size_of::<OBJECT_ATTRIBUTES>() as u32,
        RootDirectory: root.as_raw_handle(),
        ObjectName: &unicode,
        Attributes: OBJ_CASE_INSENSITIVE,
        SecurityDescriptor: ptr::null(),
        SecurityQualityOfService: ptr::null(),
    };
    let mut handle: HANDLE = ptr::null_mut();
    let mut status_block = IO_STATUS_BLOCK::default();
    // SAFETY: `attributes` points at `unicode`, whose buffer is `name` (read only, `bytes`
    // long), and at the open handle `root`; all three outlive the call. `handle` and
    // `status_block` are writable; no allocation size or extended attributes are passed.
    let status = unsafe {
        NtCreateFile(
            &mut handle,
            access,
            &attributes,
            &mut status_block,
            ptr::null(),
            FILE_ATTRIBUTE_NORMAL,
            SHARE_ALL,
            disposition,
            options,
            ptr::null(),
            0,
        )
    };
    if status < 0 {
        return Err(status);
    }
    // SAFETY: NtCreateFile succeeded, so `handle` is a new open handle that nothing else owns.
    Ok(unsafe { OwnedHandle::from_raw_handle(handle) })
}

/// Reopens the object `handle` refers to (not its name) with `access`, without
/// `FILE_FLAG_OPEN_REPARSE_POINT`.
fn reopen(handle: &OwnedHandle, access: u32) -> io::Result<OwnedHandle> {
    // SAFETY: `handle` is open; ReOpenFile returns a new handle or INVALID_HANDLE_VALUE.
    let new = unsafe { ReOpenFile(handle.as_raw_handle(), access, SHARE_ALL, 0) };
    if new == INVALID_HANDLE_VALUE {
        return Err(io::Error::last_os_error());
    }
    // SAFETY: a valid handle that nothing else owns.
    Ok(unsafe { OwnedHandle::from_raw_handle(new) })
}

/// Reports `name` as a link if it is one, else `err`: the second look after an open that
/// asked for the other kind of object (a directory link opened as a file, a file link as a
/// directory). Only a link's target comes from this open; nothing is returned opened.
fn probe_link<T>(parent: &Dir, name: &[u16], err: u32) -> io::Result<Entry<T>> {
    let access = FILE_READ_ATTRIBUTES | SYNCHRONIZE;
    let options = FILE_OPEN_REPARSE_POINT | FILE_SYNCHRONOUS_IO_NONALERT;
    let handle = nt_open(&parent.handle, name, access, FILE_OPEN, options).map_err(nt_error)?;
    match link_target(&handle)? {
        Some(target) => Ok(Entry::Link(target)),
        None => Err(win32(err)),
    }
}

/// The target of the open object if it is a symlink or a junction.
fn link_target(handle: &OwnedHandle) -> io::Result<Option<PathBuf>> {
    link_of(handle, attribute_tag(handle)?)
}

/// As [`link_target`], with the attribute tag already read.
fn link_of(handle: &OwnedHandle, tag: FILE_ATTRIBUTE_TAG_INFO) -> io::Result<Option<PathBuf>> {
    if !is_link(tag) {
        return Ok(None);
    }
    let mut buf = vec![0u8; MAXIMUM_REPARSE_DATA_BUFFER_SIZE as usize];
    let mut len = 0u32;
    // SAFETY: `handle` is open; no input buffer; `buf` is writable for the length passed and
    // `len` for a u32; no OVERLAPPED (the handle is synchronous).
    let ok = unsafe {
        DeviceIoControl(
            handle.as_raw_handle(),
            FSCTL_GET_REPARSE_POINT,
            ptr::null(),
            0,
            buf.as_mut_ptr().cast(),
            buf.len() as u32,
            &mut len,
            ptr::null_mut(),
        )
    };
    if ok == 0 {
        return Err(io::Error::last_os_error());
    }
    buf.truncate(len as usize);
    reparse_target(&buf).map(Some)
}

/// Whether the attribute tag is a symlink or a junction (mount point).
fn is_link(tag: FILE_ATTRIBUTE_TAG_INFO) -> bool {
    tag.FileAttributes & FILE_ATTRIBUTE_REPARSE_POINT != 0
        && matches!(
            tag.ReparseTag,
            IO_REPARSE_TAG_SYMLINK | IO_REPARSE_TAG_MOUNT_POINT
        )
}

/// The attributes and reparse tag of the open object.
fn attribute_tag(handle: &OwnedHandle) -> io::Result<FILE_ATTRIBUTE_TAG_INFO> {
    let mut info = FILE_ATTRIBUTE_TAG_INFO {
        FileAttributes: 0,
        ReparseTag: 0,
    };
    // SAFETY: `handle` is open; `info` is a writable FILE_ATTRIBUTE_TAG_INFO of the size passed.
    let ok = unsafe {
        GetFileInformationByHandleEx(
            handle.as_raw_handle(),
            FileAttributeTagInfo,
            ptr::from_mut(&mut info).cast(),
            size_of::<FILE_ATTRIBUTE_TAG_INFO>() as u32,
        )
    };
    if ok == 0 {
        return Err(io::Error::last_os_error());
    }
    Ok(info)
}

/// `SetFileInformationByHandle` with `info`, the fixed-size structure of `class`. (Truncating
/// needs FILE_WRITE_DATA on the handle, deleting DELETE.)
fn set_info<T>(handle: &OwnedHandle, class: FILE_INFO_BY_HANDLE_CLASS, info: &T) -> io::Result<()> {
    // SAFETY: `handle` is open; `info` is readable for the size passed. (The system checks the
    // size against `class`; a mismatch is an error, never a read past `info`.)
    let ok = unsafe {
        SetFileInformationByHandle(
            handle.as_raw_handle(),
            class,
            ptr::from_ref(info).cast(),
            size_of::<T>() as u32,
        )
    };
    if ok == 0 {
        return Err(io::Error::last_os_error());
    }
    Ok(())
}

/// The target stored in a symlink or mount-point `REPARSE_DATA_BUFFER`: a relative symlink's
/// substitute name as written; for an absolute one or a junction the print name (the substitute
/// name where that is empty, its NT `\??\` prefix written as the equivalent `\\?\`).
fn reparse_target(buf: &[u8]) -> io::Result<PathBuf> {
    let malformed = || win32(ERROR_INVALID_REPARSE_DATA);
    // Little-endian fields of the buffer; None past its end.
    let u16_at = |b: &[u8], at: usize| {
        Some(usize::from(u16::from_le_bytes(
            *b.get(at..)?.first_chunk()?,
        )))
    };
    let u32_at = |b: &[u8], at: usize| Some(u32::from_le_bytes(*b.get(at..)?.first_chunk()?));
    let tag = u32_at(buf, 0).ok_or_else(malformed)?;
    let data_len = u16_at(buf, 4).ok_or_else(malformed)?;
    let data = buf.get(8..8 + data_len).ok_or_else(malformed)?;
    let (names, relative) = match tag {
        IO_REPARSE_TAG_SYMLINK => {
            let flags = u32_at(data, 8).ok_or_else(malformed)?;
            (12, flags & SYMLINK_FLAG_RELATIVE != 0)
        }
        IO_REPARSE_TAG_MOUNT_POINT => (8, false),
        _ => return Err(malformed()),
    };
    let path_buffer = data.get(names..).ok_or_else(malformed)?;
    let name = |field: usize| -> io::Result<Vec<u16>> {
        let offset = u16_at(data, field).ok_or_else(malformed)?;
        let len = u16_at(data, field + 2).ok_or_else(malformed)?;
        let bytes = path_buffer
            .get(offset..offset + len)
            .filter(|b| b.len() % 2 == 0)
            .ok_or_else(malformed)?;
        Ok(bytes
            .chunks_exact(2)
            .map(|c| u16::from_le_bytes([c[0], c[1]]))
            .collect())
    };
    let (substitute, print) = (name(0)?, name(4)?);
    let mut target = if relative || print.is_empty() {
        substitute
    } else {
        print
    };
    let nt_prefix: Vec<u16> = r"\??\".encode_utf16().collect();
    if target.starts_with(&nt_prefix) {
        target[1] = u16::from(b'\\');
    }
    if target.is_empty() {
        return Err(malformed());
    }
    Ok(PathBuf::from(OsString::from_wide(&target)))
}

/// The Win32 error for a failed NTSTATUS.
fn nt_error(status: NTSTATUS) -> io::Error {
    // SAFETY: a pure translation of a status code.
    win32(unsafe { RtlNtStatusToDosError(status) })
}

/// An `io::Error` carrying the Win32 code `code`.
fn win32(code: u32) -> io::Error {
    io::Error::from_raw_os_error(code as i32)
}

#[cfg(test)]
#[path = "beneath_tests.rs"]
mod tests;
