//! Area `jit`: the specification's assembly examples run as machine code.
//!
//! - `jit.spec.NAME`: each example of `cases/spec-examples.toml` (copied verbatim from the
//!   spec) compiled by the test JIT ([`crate::jit`]) for the host's calling convention and run
//!   from a pool buffer, in a context whose standard library has handle tables of its own. Every
//!   `ext.call` must succeed, each `→ N` comment of the text must hold (the instruction on its
//!   line leaves N in its destination register), and no handle may be live afterwards.
//!
//! Skipped where the host has no JIT target or the pool cannot execute code.

use crate::jit::{self, Error, Program, Step};
use crate::{Case, CaseError, CaseResult, Ctx, ensure, ensure_eq, fail};
use serde::Deserialize;

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
struct ExamplesFile {
    example: Vec<Example>,
}

#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
struct Example {
    name: String,
    asm: String,
}

pub fn cases(ctx: &Ctx) -> Result<Vec<Case>, String> {
    let file: ExamplesFile = ctx.table("spec-examples.toml")?;
    Ok(file
        .example
        .into_iter()
        .map(|e| {
            let name = format!("spec.{}", e.name);
            Case::new("jit", name, move || example(&e.asm))
        })
        .collect())
}

/// The `→ N` comments of `text`: (1-based line, N).
fn expectations(text: &str) -> Result<Vec<(usize, u64)>, String> {
    let mut out = Vec::new();
    for (i, line) in text.lines().enumerate() {
        let Some((_, comment)) = line.split_once(';') else {
            continue;
        };
        if let Some((_, after)) = comment.split_once('→') {
            let word = after.split_whitespace().next().unwrap_or("");
            let n = word
                .parse()
                .map_err(|_| format!("line {}: `→ {word}` is not a number", i + 1))?;
            out.push((i + 1, n));
        }
    }
    Ok(out)
}

fn example(text: &str) -> CaseResult {
    let want = expectations(text)?;
    ensure!(!want.is_empty(), "the example states no `→ N` result");
    let mut regs = [0u64; 32];
    let (run, live) = jit::with_own_stdlib(|| Program::compile(text).map(|c| c.run(&mut regs)));
    let run = match run {
        Ok(run) => run,
        Err(e @ Error::Unsupported(_)) => return Err(CaseError::Skip(e.to_string())),
        Err(e) => fail!("{e}"),
    };
    if let Some(s) = run.failure() {
        fail!("line {}: ext.call returned {}", s.line, s.status);
    }
    for (line, n) in want {
        let step: Option<&Step> = run.steps.iter().find(|s| s.line == line);
        let Some(step) = step else {
            fail!("line {line} (→ {n}) did not run");
        };
        ensure_eq!(step.value, n, "line {line}: {:?}", step.dest);
    }
    ensure_eq!(live.total(), 0, "handles live after the example: {live:?}");
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn reads_each_arrow_comment() {
        let text =
            "mov r1, 2 ; → 2\nhalt\next.call r0, 1, r0, r0 ; r0 = f() → 18446744073709551615";
        assert_eq!(expectations(text), Ok(vec![(1, 2), (3, u64::MAX)]));
        assert!(expectations("mov r0, 1 ; → two").is_err());
        assert_eq!(
            expectations("mov r0, 1 ; plain\n; → 5 in a comment line"),
            Ok(vec![(2, 5)])
        );
    }
}
