//! The `cargo test` front end: one libtest-mimic trial per case.

use crate::report::SkipGroups;
use crate::{Case, Ctx, Outcome, child, collect};
use libtest_mimic::{Arguments, Failed, Trial};
use std::process::ExitCode;

/// The `main` of `tests/conformance.rs`.
pub fn test_main() -> ExitCode {
    child::run_if_child();
    let args = Arguments::from_args();
    let ctx = Ctx::new();
    let cases = collect(&ctx);
    let inventory: Vec<String> = cases.iter().map(|c| c.name.clone()).collect();

    if !args.list {
        println!(
            "conformance on {} ({} cases)",
            ctx.host.label(),
            cases.len()
        );
        let skips = SkipGroups::of(
            cases
                .iter()
                .filter(|c| args.filter.as_deref().is_none_or(|f| c.name.contains(f)))
                .filter_map(|c| Some((c.name.as_str(), c.skip.as_deref()?))),
        );
        if !skips.groups.is_empty() {
            println!(
                "skipped here ({}; each case is listed as ignored below):",
                skips.summary()
            );
            let mut out = String::new();
            skips.render(&mut out, false);
            print!("{out}");
        }
    }

    let mut trials: Vec<Trial> = cases.into_iter().map(trial).collect();
    trials.push(Trial::test("meta.inventory", move || {
        inventory_snapshot(&inventory)
    }));
    libtest_mimic::run(&args, trials).exit_code()
}

fn trial(case: Case) -> Trial {
    let name = case.name.clone();
    let ignored = case.skip.is_some();
    Trial::test(name, move || verdict(case)).with_ignored_flag(ignored)
}

/// Runs a case and turns its outcome into a trial's result (a timeout is a failure).
fn verdict(case: Case) -> Result<(), Failed> {
    match case.run() {
        Outcome::Pass(note) => {
            if !note.is_empty() {
                println!("{note}");
            }
            Ok(())
        }
        Outcome::KnownFailure(why) => {
            println!("known failure, failed as expected: {why}");
            Ok(())
        }
        Outcome::Skip(why) => {
            println!("skipped at run time: {why}");
            Ok(())
        }
        Outcome::Fail(msg) => Err(Failed::from(msg)),
    }
}

/// Snapshot of every case name, so a change to any table shows in review.
fn inventory_snapshot(names: &[String]) -> Result<(), Failed> {
    let mut names = names.to_vec();
    names.sort();
    crate::snapshot::check("case_inventory", &names.join("\n")).map_err(|_| {
        Failed::from("the case inventory changed: review it with `cargo insta review`")
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::case::testing::never_finishes;

    #[test]
    fn a_case_that_never_finishes_fails_its_trial_with_a_timeout() {
        let failed = verdict(never_finishes("hangs_trial")).expect_err("a hang must fail");
        let msg = failed.message().unwrap_or_default();
        assert!(msg.starts_with("timed out after 1 s"), "{msg}");
    }
}
