//! What a conformance case is: a name, an area, an optional reason to skip, a deadline, and a
//! body.

use std::cell::RefCell;
use std::fmt;
use std::sync::mpsc;
use std::time::Duration;

thread_local! {
    static NOTES: RefCell<Vec<String>> = const { RefCell::new(Vec::new()) };
}

/// Records what a case measured (a race trial's operations and escapes, say): the report shows
/// it beside the case when it passes, the JSON and the matrix keep it, and `cargo test` prints it.
/// Call it from the case's body (each case runs on a thread of its own).
pub fn note(text: impl Into<String>) {
    NOTES.with(|n| n.borrow_mut().push(text.into()));
}

/// A case's deadline unless it declares its own ([`Case::deadline_secs`]): generous, so only a
/// case that does not finish at all (a deadlock, a lost wake-up) reaches it.
pub const DEFAULT_DEADLINE_SECS: u64 = 120;

/// Sets the default deadline, in seconds, for the cases that declare none (a slow emulator may
/// need more).
pub const DEADLINE_ENV: &str = "NEURLANG_CASE_DEADLINE_SECS";

/// The suffix of the cases of the machine-code column: `stdlib.script.vec_basic.mc` makes the
/// calls of `stdlib.script.vec_basic` from machine code ([`crate::script::in_machine_code`]).
/// The report counts them apart, per area.
pub const MACHINE_CODE: &str = ".mc";

/// Whether the case named `name` is of the machine-code column.
pub fn is_machine_code(name: &str) -> bool {
    name.ends_with(MACHINE_CODE)
}

/// Why a case did not pass.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum CaseError {
    /// The runtime does not conform: what was expected and what happened.
    Fail(String),
    /// The case cannot run here (found out while running); the reason is reported. A reason
    /// that many cases share is written `GENERAL; SPECIFIC`: the report groups skips by the part
    /// before the first `; `.
    Skip(String),
}

/// What a case body returns. `?` works on anything that converts into a failure message.
pub type CaseResult = Result<(), CaseError>;

impl<E: fmt::Display> From<E> for CaseError {
    fn from(e: E) -> Self {
        CaseError::Fail(e.to_string())
    }
}

/// Fails the case with a formatted message.
#[macro_export]
macro_rules! fail {
    ($($arg:tt)*) => { return Err($crate::CaseError::Fail(format!($($arg)*))) };
}

/// Fails the case unless a condition holds.
#[macro_export]
macro_rules! ensure {
    ($cond:expr, $($arg:tt)*) => { if !$cond { $crate::fail!($($arg)*); } };
}

/// Fails the case unless two values are equal, showing both.
#[macro_export]
macro_rules! ensure_eq {
    ($left:expr, $right:expr $(,)?) => {
        $crate::ensure_eq!($left, $right, "{} != {}", stringify!($left), stringify!($right))
    };
    ($left:expr, $right:expr, $($arg:tt)*) => {
        match (&$left, &$right) {
            (l, r) => if l != r {
                $crate::fail!("{}: got {:?}, expected {:?}", format!($($arg)*), l, r);
            }
        }
    };
}

/// A conformance case.
pub struct Case {
    /// The area it belongs to (`errno`, `pool`, `abi`, …): the report groups by it.
    pub area: &'static str,
    /// The full, unique name, starting with the area: `errno.table.ENOENT.linux`.
    pub name: String,
    /// Set when the case cannot run on this platform, with the reason (`GENERAL; SPECIFIC`
    /// when many cases share the general part, as for [`CaseError::Skip`]).
    pub skip: Option<String>,
    /// Set when the case is a known failure here (from `cases/known-failures.toml`): its outcome
    /// is inverted, so an unexpected pass fails.
    pub known_failure: Option<String>,
    /// Set when the case needs longer than the default deadline (`DEFAULT_DEADLINE_SECS`).
    pub deadline: Option<Duration>,
    body: Box<dyn FnOnce() -> CaseResult + Send + 'static>,
}

impl fmt::Debug for Case {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Case")
            .field("name", &self.name)
            .field("skip", &self.skip)
            .field("known_failure", &self.known_failure)
            .field("deadline", &self.deadline)
            .finish_non_exhaustive()
    }
}

/// How a case ended.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Outcome {
    /// It passed, with what it measured ([`note`]; empty when it noted nothing).
    Pass(String),
    /// It failed, with the message.
    Fail(String),
    /// It was skipped, with the reason.
    Skip(String),
    /// A known failure that failed as expected, with its recorded reason.
    KnownFailure(String),
}

impl Case {
    /// A case named `area.rest`.
    pub fn new(
        area: &'static str,
        name: impl Into<String>,
        body: impl FnOnce() -> CaseResult + Send + 'static,
    ) -> Case {
        let name = name.into();
        let name = if name.starts_with(area) && name[area.len()..].starts_with('.') {
            name
        } else {
            format!("{area}.{name}")
        };
        Case {
            area,
            name,
            skip: None,
            known_failure: None,
            deadline: None,
            body: Box::new(body),
        }
    }

    /// Marks the case skipped with a reason unless `None`.
    pub fn skip_if(mut self, reason: Option<String>) -> Case {
        if self.skip.is_none() {
            self.skip = reason;
        }
        self
    }

    /// Gives the case `secs` seconds instead of the default deadline.
    pub fn deadline_secs(mut self, secs: u64) -> Case {
        self.deadline = Some(Duration::from_secs(secs));
        self
    }

    /// Runs the body on its own thread (named after the case), catching panics, and applies the
    /// known-failure inversion.
    ///
    /// A body still running at the deadline fails the case with "timed out after N s"; its
    /// thread cannot be stopped and is left behind, blocked, so the run goes on with the other
    /// cases (the process exits all the same when `main` returns). A timeout is a failure even
    /// for a known failure: the record says how a case fails, not that it hangs.
    pub fn run(self) -> Outcome {
        if let Some(reason) = self.skip {
            return Outcome::Skip(reason);
        }
        let deadline = self.deadline.unwrap_or_else(default_deadline);
        let (tx, rx) = mpsc::channel();
        let body = self.body;
        let spawned = std::thread::Builder::new()
            .name(self.name.clone())
            .spawn(move || {
                let result = match std::panic::catch_unwind(std::panic::AssertUnwindSafe(body)) {
                    Ok(r) => r,
                    Err(payload) => Err(CaseError::Fail(panic_message(&payload))),
                };
                let notes = NOTES.with(|n| n.take()).join("; ");
                // The receiver is gone only after a timeout: nobody waits for this result.
                let _ = tx.send((result, notes));
            });
        if let Err(e) = spawned {
            return Outcome::Fail(format!("could not start the case's thread: {e}"));
        }
        let (result, notes) = match rx.recv_timeout(deadline) {
            Ok(r) => r,
            Err(mpsc::RecvTimeoutError::Timeout) => {
                return Outcome::Fail(format!(
                    "timed out after {} s (the case's thread is left running)",
                    deadline.as_secs_f64()
                ));
            }
            Err(mpsc::RecvTimeoutError::Disconnected) => (
                Err(CaseError::Fail(
                    "the case's thread ended without a result".into(),
                )),
                String::new(),
            ),
        };
        match (result, self.known_failure) {
            (Ok(()), None) => Outcome::Pass(notes),
            (Err(CaseError::Fail(m)), None) => Outcome::Fail(m),
            (Err(CaseError::Skip(r)), _) => Outcome::Skip(r),
            (Ok(()), Some(reason)) => Outcome::Fail(format!(
                "listed as a known failure ({reason}) but passed: remove it from \
                 conformance/cases/known-failures.toml"
            )),
            (Err(CaseError::Fail(m)), Some(reason)) => {
                Outcome::KnownFailure(format!("{reason} (failed with: {m})"))
            }
        }
    }
}

/// The deadline of a case that declares none: `$NEURLANG_CASE_DEADLINE_SECS` or
/// [`DEFAULT_DEADLINE_SECS`].
fn default_deadline() -> Duration {
    let secs = std::env::var(DEADLINE_ENV)
        .ok()
        .and_then(|v| v.trim().parse().ok())
        .unwrap_or(DEFAULT_DEADLINE_SECS);
    Duration::from_secs(secs)
}

fn panic_message(payload: &Box<dyn std::any::Any + Send>) -> String {
    let msg = payload
        .downcast_ref::<&str>()
        .map(|s| s.to_string())
        .or_else(|| payload.downcast_ref::<String>().cloned())
        .unwrap_or_else(|| "a panic with a non-string payload".into());
    format!("panicked: {msg}")
}

/// Cases for the front ends' tests.
#[cfg(test)]
pub(crate) mod testing {
    use super::*;

    /// A case whose body never returns (it waits for a wake-up that never comes), with a
    /// deadline of one second.
    pub(crate) fn never_finishes(name: &str) -> Case {
        Case::new("meta", name, || {
            loop {
                std::thread::park();
            }
        })
        .deadline_secs(1)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_case_that_never_finishes_times_out_named_after_its_deadline() {
        let case = testing::never_finishes("hangs");
        assert_eq!(case.name, "meta.hangs");
        match case.run() {
            Outcome::Fail(msg) => assert!(msg.starts_with("timed out after 1 s"), "{msg}"),
            other => panic!("expected a timeout, got {other:?}"),
        }
    }

    #[test]
    fn a_timeout_is_a_failure_even_for_a_known_failure() {
        let mut case = testing::never_finishes("hangs_known");
        case.known_failure = Some("fails here".into());
        assert!(
            matches!(case.run(), Outcome::Fail(m) if m.starts_with("timed out")),
            "a hang must not pass as the recorded failure"
        );
    }

    #[test]
    fn the_body_runs_on_a_thread_named_after_the_case() {
        let case = Case::new("meta", "thread_name", || {
            let name = std::thread::current().name().map(str::to_owned);
            ensure_eq!(name.as_deref(), Some("meta.thread_name"));
            Ok(())
        });
        assert_eq!(case.run(), Outcome::Pass(String::new()));
    }

    #[test]
    fn a_panic_on_the_case_thread_is_a_failure() {
        let case = Case::new("meta", "panics", || panic!("boom"));
        assert_eq!(case.run(), Outcome::Fail("panicked: boom".into()));
    }
}
