//! The machine-code column: a case's calls made twice, first by the [`Rust`] executor (each
//! call's [`Outcome`] recorded), then by the [`Jit`] one, with every check in both runs; the
//! machine-code run fails on the first call whose outcome differs from the Rust run's, naming
//! it. Outcomes agree as [`Outcome::agrees`] says: the same value, or the same code (the [`Jit`]
//! reports no [`ExtError`](neurlang::runtime::ExtError) name, which the C ABI cannot carry),
//! except that the functions of [`FRESH`] must agree on success, not on the value.

use super::{Call, Callee, Env, Executor, Jit, Outcome, Rust, Step};
use crate::{CaseError, CaseResult};

/// The C functions whose value is new on every run, so that two runs agree on whether they
/// succeeded, not on the value: tokens (from the process-wide capability table), the
/// ephemeral port of a listener, and the clocks. Handles of files, sockets, channels and tasks
/// are not here: each run has a context of its own, whose tables give the same handles.
pub const FRESH: &[&str] = &[
    "neurlang_cap_create",
    "neurlang_cap_restrict",
    "neurlang_cap_slice",
    "neurlang_net_port",
    "neurlang_time_now",
    "neurlang_time_monotonic",
];

/// Whether machine code's outcome `got` of `call` agrees with Rust's `want`.
fn agrees(call: &Call, got: &Outcome, want: &Outcome) -> bool {
    match (call.callee, got, want) {
        (Callee::Abi(name), Outcome::Value(_), Outcome::Value(_)) => {
            FRESH.contains(&name) || got == want
        }
        _ => got.agrees(want),
    }
}

/// The [`Rust`] executor, recording what each call gave.
#[derive(Debug, Default)]
struct Record {
    log: Vec<Outcome>,
}

impl Executor for Record {
    fn call(&mut self, env: &mut Env, call: &Call) -> Outcome {
        let got = Rust.call(env, call);
        self.log.push(got.clone());
        got
    }
}

/// The [`Jit`] executor, comparing each call's outcome with the recorded one.
#[derive(Debug)]
struct Compare {
    want: Vec<Outcome>,
    made: usize,
    /// The first call that disagreed: its index, the call, what machine code gave, what Rust
    /// gave.
    first: Option<(usize, Call, Outcome, Outcome)>,
}

impl Executor for Compare {
    fn call(&mut self, env: &mut Env, call: &Call) -> Outcome {
        let got = Jit.call(env, call);
        let i = self.made;
        self.made += 1;
        if let (None, Some(want)) = (&self.first, self.want.get(i))
            && !agrees(call, &got, want)
        {
            self.first = Some((i, call.clone(), got.clone(), want.clone()));
        }
        got
    }
}

/// Runs `body` with the [`Rust`] executor, then with the [`Jit`] one, and fails on the first
/// call whose outcome differs (`label(i, call)` names the `i`-th call, from 0), on a check that fails
/// in machine code, when machine code passes where Rust failed, or when the runs made different
/// numbers of calls. Skips where this host cannot run generated code
/// ([`crate::jit::unsupported`]).
pub fn in_machine_code(
    mut body: impl FnMut(&mut dyn Executor) -> CaseResult,
    label: impl Fn(usize, &Call) -> String,
) -> CaseResult {
    if let Some(why) = crate::jit::unsupported() {
        return Err(CaseError::Skip(why));
    }
    let mut rust = Record::default();
    let rust_result = body(&mut rust);
    let mut mc = Compare {
        want: rust.log,
        made: 0,
        first: None,
    };
    let mc_result = body(&mut mc);
    if let Some((i, call, got, want)) = mc.first {
        crate::fail!(
            "{}: machine code gave {got}, Rust gave {want}",
            label(i, &call)
        );
    }
    match (rust_result, mc_result) {
        (_, Err(e)) => Err(e),
        (Err(CaseError::Skip(why)), Ok(())) => Err(CaseError::Skip(why)),
        (Err(CaseError::Fail(e)), Ok(())) => {
            crate::fail!("machine code passed where the Rust run failed: {e}")
        }
        (Ok(()), Ok(())) if mc.made != mc.want.len() => crate::fail!(
            "machine code made {} calls, Rust {}",
            mc.made,
            mc.want.len()
        ),
        (Ok(()), Ok(())) => Ok(()),
    }
}

/// Names the call steps of `steps` as [`super::run`] names a failing step (`step 3 `…``), with
/// `prefix` before each, in call order: the labels of [`in_machine_code`].
pub fn call_labels(steps: &[Step], prefix: &str) -> Vec<String> {
    steps
        .iter()
        .enumerate()
        .filter(|(_, s)| s.is_call())
        .map(|(i, s)| format!("{prefix}step {} `{}`", i + 1, s.text))
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    fn failed(code: i64, detail: Option<&str>) -> Outcome {
        Outcome::Failed {
            code,
            detail: detail.map(str::to_owned),
        }
    }

    #[test]
    fn outcomes_agree_on_values_and_codes_and_on_names_only_where_both_have_one() {
        let ext = Call {
            callee: Callee::Ext(102),
            args: vec![],
        };
        let named = failed(-9, Some("InvalidHandle"));
        assert!(agrees(&ext, &failed(-9, None), &named));
        assert!(!agrees(&ext, &failed(-22, None), &named));
        assert!(!agrees(&ext, &failed(-9, Some("OutOfBounds")), &named));
        assert!(!agrees(&ext, &Outcome::Value(2), &Outcome::Value(3)));
        assert!(!agrees(&ext, &Outcome::Value(0), &failed(-9, None)));
    }

    #[test]
    fn fresh_values_agree_on_success_only() {
        let call = |name| Call {
            callee: Callee::Abi(name),
            args: vec![],
        };
        let (a, b) = (Outcome::Value(7), Outcome::Value(8));
        assert!(agrees(&call("neurlang_cap_create"), &a, &b));
        assert!(!agrees(
            &call("neurlang_cap_create"),
            &a,
            &failed(-14, None)
        ));
        assert!(!agrees(&call("neurlang_file_open"), &a, &b));
    }
}
