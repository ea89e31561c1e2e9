//! Waiting for the shutdown signal: SIGINT/SIGTERM on Unix (blocked in every thread and taken
//! with `sigwait`, so no handler runs inside the workers), Ctrl-C/Ctrl-Break/close on Windows.
#![allow(unsafe_code)] // the signal mask and the console handler are OS calls

/// The blocked shutdown signals.
pub(crate) struct Signals {
    #[cfg(unix)]
    set: libc::sigset_t,
}

#[cfg(unix)]
impl Signals {
    /// Blocks SIGINT and SIGTERM in this thread (and the threads it starts from now on).
    pub(crate) fn block() -> Signals {
        // SAFETY: an all-zero sigset_t is a valid value (sigemptyset makes it empty anyway).
        let mut set: libc::sigset_t = unsafe { std::mem::zeroed() };
        // SAFETY: `set` is a live sigset_t; these only write it.
        unsafe { libc::sigemptyset(&mut set) };
        for sig in [libc::SIGINT, libc::SIGTERM] {
            // SAFETY: as above; `sig` is a valid signal number.
            unsafe { libc::sigaddset(&mut set, sig) };
        }
        // SAFETY: `set` is initialised; only this thread's mask changes (threads started later
        // inherit it); the old mask is not asked for.
        unsafe { libc::pthread_sigmask(libc::SIG_BLOCK, &set, std::ptr::null_mut()) };
        Signals { set }
    }

    /// Waits until one of them arrives.
    pub(crate) fn wait(&self) {
        let mut sig = 0;
        // SAFETY: `self.set` is an initialised signal set; `sig` is a valid out pointer.
        while unsafe { libc::sigwait(&self.set, &mut sig) } != 0 {}
    }
}

#[cfg(windows)]
mod console {
    use std::sync::{Condvar, Mutex};
    use windows_sys::Win32::System::Console::SetConsoleCtrlHandler;
    use windows_sys::core::BOOL;

    pub(super) static STOP: (Mutex<bool>, Condvar) = (Mutex::new(false), Condvar::new());

    unsafe extern "system" fn handler(_ctrl_type: u32) -> BOOL {
        *STOP.0.lock().unwrap_or_else(|e| e.into_inner()) = true;
        STOP.1.notify_all();
        1
    }

    pub(super) fn install() {
        // SAFETY: `handler` is a valid handler routine for the life of the process.
        unsafe { SetConsoleCtrlHandler(Some(handler), 1) };
    }
}

#[cfg(windows)]
impl Signals {
    /// Installs the console control handler.
    pub(crate) fn block() -> Signals {
        console::install();
        Signals {}
    }

    /// Waits until Ctrl-C, Ctrl-Break or a close event arrives.
    pub(crate) fn wait(&self) {
        let (lock, cvar) = &console::STOP;
        let mut stop = lock.lock().unwrap_or_else(|e| e.into_inner());
        while !*stop {
            stop = cvar.wait(stop).unwrap_or_else(|e| e.into_inner());
        }
    }
}

#[cfg(not(any(unix, windows)))]
impl Signals {
    pub(crate) fn block() -> Signals {
        Signals {}
    }
    pub(crate) fn wait(&self) {
        loop {
            std::thread::park();
        }
    }
}
