//! What a conformance case is: a name, an area, an optional reason to skip, and a body.

use std::fmt;

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
    body: Box<dyn FnOnce() -> CaseResult + Send + 'static>,
}

impl fmt::Debug for Case {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Case")
            .field("name", &self.name)
            .field("skip", &self.skip)
            .field("known_failure", &self.known_failure)
            .finish_non_exhaustive()
    }
}

/// How a case ended.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Outcome {
    /// It passed (or a known failure failed as expected: see `detail`).
    Pass,
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

    /// Runs the body, catching panics, and applies the known-failure inversion.
    pub fn run(self) -> Outcome {
        if let Some(reason) = self.skip {
            return Outcome::Skip(reason);
        }
        let result = match std::panic::catch_unwind(std::panic::AssertUnwindSafe(self.body)) {
            Ok(r) => r,
            Err(payload) => Err(CaseError::Fail(panic_message(&payload))),
        };
        match (result, self.known_failure) {
            (Ok(()), None) => Outcome::Pass,
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

fn panic_message(payload: &Box<dyn std::any::Any + Send>) -> String {
    let msg = payload
        .downcast_ref::<&str>()
        .map(|s| s.to_string())
        .or_else(|| payload.downcast_ref::<String>().cloned())
        .unwrap_or_else(|| "a panic with a non-string payload".into());
    format!("panicked: {msg}")
}
