//! The step-script language of the `abi` and `stdlib` areas: one line a step, each either one
//! call of a C ABI function or an extension, or a set-up/check step done in Rust.
//!
//! ```text
//! [VAR =] WORD ARG… [-> CHECK[; free]]
//! ```
//!
//! `WORD` is a C ABI function without `neurlang_` (`file_read`, `ext_call2`, …; the table is
//! [`abi::ABI`]), an extension name of the script's registry (`vec_push`, `sha256`, …), or a
//! set-up/check step ([`env::SETUP`]). Words are split at whitespace; a `"` inside a word starts a
//! JSON string that runs to its closing quote (so `s:"hello world"` is one word, `s:hello world`).
//!
//! **A call** resolves its arguments to `u64` words in Rust, becomes one [`Call`] of a
//! [`Callee`], is made by an [`Executor`] (the [`Rust`] one unless the run chooses another,
//! `$NEURLANG_SCRIPT_EXECUTOR=jit`), and its [`Outcome`] is checked in Rust. Every script also
//! runs in the machine-code column ([`in_machine_code`], the areas' `….mc` cases): again with
//! the [`Jit`] executor, agreeing call by call with the Rust run. `VAR =` saves the
//! result (the value, or the negative code) as `$VAR`. Without `-> CHECK` the call must
//! succeed. Arguments:
//!
//! | argument | words | what |
//! |---|---|---|
//! | `12`, `-3`, `0x10`, `18446744073709551615` | 1 | an integer (negative: two's complement) |
//! | `$VAR` | 1 | a saved result |
//! | `str:TEXT` | 2 | pointer and length of TEXT |
//! | `path:REL` | 2 | pointer and length of the path of REL under the script's directory |
//! | `null:N` | 2 | a null pointer and length N |
//! | `mem:N` | 2 | pointer and length of N fresh zero bytes |
//! | `args:A,B,…[/N]` | 2 | pointer and count (or N) of an array of words, each an argument here |
//! | `slot:NAME` | 1 | pointer to the `u64` result slot NAME, holding [`env::SENTINEL`] until written |
//! | `fn:square`, `fn:max` | 1 | a task entry `extern "C" fn(u64) -> u64` |
//! | `bogus` | 1 | a forged capability token |
//! | `cap:TEXT`, `capw:TEXT` | 1 | a token over a copy of TEXT, READ / only WRITE |
//! | `cap:hex:A5`, `cap:rep:3:ab` | 1 | the same over bytes in hex, or TEXT repeated N times ([`data`]) |
//! | `s:TEXT` | 1 | a new string handle with TEXT (made with `string_from_bytes`, freed at the end) |
//! | `f:2.5` | 1 | the bits of an `f64` |
//!
//! Checks ([`Check`]): `ok` (success), `handle` (success, not 0), an integer (success with this
//! value), `ECODE [DETAIL]` (failure with this code; DETAIL, the rest of the line, must also be
//! what the executor reports beyond the code when it reports anything: the [`Rust`] executor
//! names an extension's error, `InvalidHandle`, `OutOfBounds`, or the message of
//! `InvalidArgument` such as `index out of range`; the [`Jit`] executor reports only the code,
//! as the C ABI does, so in the machine-code column these checks compare the code, and the name
//! is checked by the Rust run of the same case), `str "TEXT"` (a string handle with this
//! text), `json TEXT` (a JSON handle that stringifies to TEXT exactly), `vec [1, -1]` (a vec
//! handle with these elements), `strs ["a", ""]` (a vec of string handles with these texts),
//! `f64 2.5` (these `f64` bits). `; free` frees the result (and the strings of `strs`) after the
//! checks.
//!
//! **Set-up and check steps**, in Rust: `buf N [TEXT]` (an owned token over N bytes starting
//! with TEXT, every permission), `bytes TOKEN TEXT` (the buffer starts with TEXT), where TEXT
//! may be `hex:HEX` or `rep:N:TEXT` as in `cap:` ([`data`]), `slot NAME` (the slot's value, to save) / `slot NAME VALUE|untouched` (it holds
//! VALUE / still the sentinel), `write_file REL [TEXT]`, `exists REL` / `absent REL`, `printed
//! [TEXT]` (the context printed exactly TEXT).
//!
//! After the last step, [`Env::finish`] frees the `s:` strings, revokes the tokens, and with
//! [`Env::stdlib`] fails if a handle is still live.
//!
//! **Against another build** (the report's `--impl LIBRARY`): the C functions are those a
//! shared library exports ([`abi::Table::load`]), and scripts run with the [`Jit`] executor
//! only, taking every address from that table ([`Env::table`]); there is no Rust run to agree
//! with, so each call is checked by the script alone. The library has globals of its own, so
//! [`Env::loaded`] sets up through its C ABI, one script at a time: a fresh context by its
//! `neurlang_sandbox_init` (the row's permissions, the scratch directory as the file root),
//! tokens (`buf`, `cap:`, `capw:`, `s:`) by its `neurlang_cap_create` over memory the
//! environment owns and revoked by its `neurlang_cap_revoke`, strings by its `ext_call` of
//! `string_from_bytes`, and checks read handles through its extensions (`string_to_bytes`,
//! `vec_len`, `vec_get`). A library's handle tables are out of reach: no leak check there. A
//! script with a step that needs the linked runtime ([`needs_linked`]: `printed`, `bytes` of a
//! token a call made; an `abi` row's `stdin`) is skipped with the reason `needs the linked
//! runtime; STEP (why)`. A function the library does not export fails the script naming it,
//! before any call ([`unresolved`]).

pub mod abi;
mod agree;
mod env;
mod exec;

use crate::{Case, MACHINE_CODE};
pub use agree::{FRESH, call_labels, in_machine_code};
pub use env::{
    BOGUS, Env, SENTINEL, SETUP, STDIN, Sink, data, hex, needs_linked_because, permissions,
};
pub use exec::{
    Call, Callee, EXECUTORS, Executor, Jit, Outcome, Rust, err_name, executor, selected,
};
use neurlang::runtime::Errno;
use serde::Deserialize;

/// A named step script, as the case files write it: `[[script]]` with `name` and `steps`.
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Script {
    pub name: String,
    pub steps: Vec<String>,
}

/// The cases of `scripts` in `area`, each named `PREFIX NAME` and run in a fresh `env()`: with
/// the executor this run selected ([`selected`]), and in the machine-code column
/// ([`in_machine_code`], `….mc`). Fails if the selected executor is unknown.
pub fn cases(
    area: &'static str,
    prefix: &str,
    scripts: Vec<Script>,
    env: fn() -> Env,
) -> Result<Vec<Case>, String> {
    let executor = selected();
    exec::executor(&executor)?;
    let mut cases = Vec::new();
    for s in scripts {
        let (executor, steps) = (executor.clone(), s.steps.clone());
        let name = format!("{prefix}{}", s.name);
        cases.push(Case::new(area, name.clone(), move || {
            Ok(run_with(env(), &executor, &parse(&steps)?)?)
        }));
        cases.push(Case::new(
            area,
            format!("{name}{MACHINE_CODE}"),
            move || {
                let steps = parse(&s.steps)?;
                let labels = call_labels(&steps, "");
                in_machine_code(
                    |exec| Ok(run_in(env(), exec, &steps)?),
                    |i, _| labels[i].clone(),
                )
            },
        ));
    }
    Ok(cases)
}

/// Which of `names` (functions or extensions) no call step of `scripts` calls, in order. A
/// step that does not parse calls nothing here (it fails its own script's case).
pub fn uncalled<'a>(names: impl IntoIterator<Item = &'a str>, scripts: &[Script]) -> Vec<&'a str> {
    let called: Vec<String> = scripts
        .iter()
        .flat_map(|s| s.steps.iter().filter_map(|l| Step::parse(l).ok()))
        .filter(Step::is_call)
        .map(|st| st.word)
        .collect();
    names
        .into_iter()
        .filter(|n| !called.iter().any(|c| c == n))
        .collect()
}

/// One step, parsed.
#[derive(Debug, Clone, PartialEq)]
pub struct Step {
    /// The line, for messages.
    pub text: String,
    /// `VAR =`.
    pub save: Option<String>,
    /// The function, extension or set-up step.
    pub word: String,
    pub args: Vec<String>,
    /// `-> CHECK`; a call without one must succeed.
    pub check: Option<Check>,
    /// `; free`.
    pub free: bool,
}

/// What a call's outcome must be.
#[derive(Debug, Clone, PartialEq)]
pub enum Check {
    Ok,
    Handle,
    Value(u64),
    Error { code: Errno, detail: Option<String> },
    Str(String),
    Json(String),
    Vec(Vec<u64>),
    Strs(Vec<String>),
    F64(u64),
}

/// An integer argument or value: decimal (negative as two's complement, up to `u64::MAX`) or
/// `0x` hex.
pub fn int(w: &str) -> Option<u64> {
    match w.strip_prefix("0x") {
        Some(h) => u64::from_str_radix(h, 16).ok(),
        None => w
            .parse::<i64>()
            .map(|i| i as u64)
            .or_else(|_| w.parse::<u64>())
            .ok(),
    }
}

impl Check {
    /// Parses the text after `->` (without `; free`).
    pub fn parse(text: &str) -> Result<Check, String> {
        let text = text.trim();
        let (kind, rest) = text.split_once(' ').unwrap_or((text, ""));
        let rest = rest.trim();
        let json = |what: &str| format!("`{text}`: {what} takes JSON");
        Ok(match kind {
            "ok" => Check::Ok,
            "handle" => Check::Handle,
            "str" => Check::Str(serde_json::from_str(rest).map_err(|_| json("str"))?),
            "json" => Check::Json(rest.to_string()),
            "vec" => {
                let items: Vec<serde_json::Number> =
                    serde_json::from_str(rest).map_err(|_| json("vec"))?;
                let words = items.iter().map(|n| int(&n.to_string()));
                Check::Vec(words.collect::<Option<_>>().ok_or_else(|| json("vec"))?)
            }
            "strs" => Check::Strs(serde_json::from_str(rest).map_err(|_| json("strs"))?),
            "f64" => Check::F64(
                rest.parse::<f64>()
                    .map_err(|_| format!("`{text}`: not an f64"))?
                    .to_bits(),
            ),
            _ => match Errno::from_name(kind) {
                Some(code) => Check::Error {
                    code,
                    detail: (!rest.is_empty()).then(|| rest.to_string()),
                },
                None if rest.is_empty() => {
                    Check::Value(int(kind).ok_or_else(|| format!("unknown check `{text}`"))?)
                }
                None => return Err(format!("unknown check `{text}`")),
            },
        })
    }

    /// The check of a `toml` value: an integer, or a string as after `->`.
    pub fn from_toml(v: &toml::Value) -> Result<Check, String> {
        match v {
            toml::Value::Integer(i) => Ok(Check::Value(*i as u64)),
            toml::Value::String(s) => Check::parse(s),
            other => Err(format!("bad check {other}")),
        }
    }
}

/// Splits a line into words (a `"` starts a JSON string inside a word) and the text after a
/// word `->`.
fn lex(line: &str) -> Result<(Vec<String>, Option<&str>), String> {
    let mut words = Vec::new();
    let mut chars = line.char_indices().peekable();
    loop {
        while chars.next_if(|(_, c)| c.is_whitespace()).is_some() {}
        let Some(&(start, _)) = chars.peek() else {
            return Ok((words, None));
        };
        let mut word = String::new();
        let mut quoted = false;
        while let Some((i, c)) = chars.next_if(|(_, c)| !c.is_whitespace()) {
            if c != '"' {
                word.push(c);
                continue;
            }
            // A JSON string: to the next quote that no backslash escapes.
            let mut escaped = false;
            let end = line[i + 1..]
                .char_indices()
                .find(|&(_, c)| {
                    let close = c == '"' && !escaped;
                    escaped = c == '\\' && !escaped;
                    close
                })
                .map(|(j, _)| i + 1 + j)
                .ok_or_else(|| format!("unterminated string in `{line}`"))?;
            let s: String = serde_json::from_str(&line[i..=end])
                .map_err(|e| format!("bad string {} in `{line}`: {e}", &line[i..=end]))?;
            word.push_str(&s);
            quoted = true;
            while chars.next_if(|&(j, _)| j <= end).is_some() {}
        }
        if word == "->" && !quoted {
            return Ok((words, Some(&line[start + 2..])));
        }
        words.push(word);
    }
}

impl Step {
    /// Parses one line.
    pub fn parse(line: &str) -> Result<Step, String> {
        let (words, check) = lex(line)?;
        let (save, rest) = match words.get(1).map(String::as_str) {
            Some("=") => (Some(words[0].clone()), &words[2..]),
            _ => (None, &words[..]),
        };
        let (word, args) = rest.split_first().ok_or(format!("empty step `{line}`"))?;
        let (check, free) = match check.map(str::trim_end) {
            None => (None, false),
            Some(c) => match c.strip_suffix("; free") {
                Some(c) => (Some(Check::parse(c)?), true),
                None => (Some(Check::parse(c)?), false),
            },
        };
        if SETUP.contains(&word.as_str()) && (check.is_some() || free) {
            return Err(format!("`{line}`: a set-up step takes no check"));
        }
        Ok(Step {
            text: line.to_string(),
            save,
            word: word.clone(),
            args: args.to_vec(),
            check,
            free,
        })
    }

    /// Whether the step is a call (not set-up or check done in Rust).
    pub fn is_call(&self) -> bool {
        !SETUP.contains(&self.word.as_str())
    }
}

/// Parses every line.
pub fn parse(lines: &[String]) -> Result<Vec<Step>, String> {
    lines.iter().map(|l| Step::parse(l)).collect()
}

/// Runs `steps` in order with `exec`; a failure names the step (counted from 1).
pub fn run(env: &mut Env, exec: &mut dyn Executor, steps: &[Step]) -> Result<(), String> {
    for (i, s) in steps.iter().enumerate() {
        run_step(env, exec, s).map_err(|e| format!("step {} `{}`: {e}", i + 1, s.text))?;
    }
    Ok(())
}

/// Runs one step.
pub fn run_step(env: &mut Env, exec: &mut dyn Executor, step: &Step) -> Result<(), String> {
    if !step.is_call() {
        let v = env.setup(&step.word, &step.args)?;
        if let Some(var) = &step.save {
            let v = v.ok_or(format!("`{}` gives no value to save", step.word))?;
            env.vars.insert(var.clone(), v);
        }
        return Ok(());
    }
    let call = resolve(env, step)?;
    let got = exec.call(env, &call);
    if let (Callee::Abi("neurlang_cap_create"), Outcome::Value(t)) = (call.callee, &got) {
        env.adopt_token(*t);
    }
    verify(
        env,
        step.check.as_ref().unwrap_or(&Check::Ok),
        &got,
        step.free,
    )?;
    if let Some(var) = &step.save {
        env.vars.insert(var.clone(), got.word());
    }
    if step.free {
        env.release(got.word())
            .map_err(|e| format!("freeing the result: {e}"))?;
    }
    Ok(())
}

/// The call a step makes.
pub fn resolve(env: &mut Env, step: &Step) -> Result<Call, String> {
    let args = env.resolve(&step.args)?;
    let callee = match abi::find(&step.word) {
        Some(f) if f.args.len() == args.len() => Callee::Abi(f.name),
        Some(f) => {
            return Err(format!(
                "{} takes {} words, got {}",
                f.name,
                f.args.len(),
                args.len()
            ));
        }
        None => Callee::Ext(
            env.ext_id(&step.word)
                .ok_or(format!("`{}` is no function, extension or step", step.word))?,
        ),
    };
    Ok(Call { callee, args })
}

/// Checks `got`; with `free`, frees the strings of a `strs` check too.
fn verify(env: &mut Env, check: &Check, got: &Outcome, free: bool) -> Result<(), String> {
    let v = match (check, got) {
        (Check::Error { code, detail }, Outcome::Failed { code: c, detail: d }) => {
            let same = *c == code.neg() && (detail.is_none() || d.is_none() || detail == d);
            let want = detail.as_deref().map_or(String::new(), |d| format!(" {d}"));
            return match same {
                true => Ok(()),
                false => Err(format!("got {got}, expected {}{want}", code.name())),
            };
        }
        (Check::Error { code, .. }, Outcome::Value(_)) => {
            return Err(format!("got {got}, expected {}", code.name()));
        }
        (_, Outcome::Failed { .. }) => return Err(format!("failed: {got}")),
        (_, Outcome::Value(v)) => *v,
    };
    let eq = |same: bool, got: &dyn std::fmt::Debug, want: &dyn std::fmt::Debug| match same {
        true => Ok(()),
        false => Err(format!("got {got:?}, expected {want:?}")),
    };
    match check {
        Check::Ok | Check::Error { .. } => Ok(()),
        Check::Handle => eq(v != 0, &v, &"a handle (not 0)"),
        Check::Value(w) => eq(v == *w, &v, w),
        Check::F64(w) => eq(v == *w, &f64::from_bits(v), &f64::from_bits(*w)),
        Check::Str(w) => {
            let t = env.text(v)?;
            eq(t == *w, &t, w)
        }
        Check::Json(w) => {
            let s = env.call_ext("json_stringify", &[v])?;
            let t = env.text(s)?;
            env.release(s)?;
            eq(t == *w, &t, w)
        }
        Check::Vec(w) => {
            let items = env.vec(v)?;
            eq(items == *w, &items, w)
        }
        Check::Strs(w) => {
            let hs = env.vec(v)?;
            let texts = hs
                .iter()
                .map(|&h| env.text(h))
                .collect::<Result<Vec<_>, _>>()?;
            if free {
                for h in hs {
                    env.release(h).map_err(|e| format!("freeing {h:#x}: {e}"))?;
                }
            }
            eq(texts == *w, &texts, w)
        }
    }
}

/// Why `steps` cannot run against a loaded library (a skip reason, [`needs_linked_because`]): a
/// `printed` step (the context's output is a Rust stream of the linked runtime), or `bytes` of
/// a token a call made (a `buf`'s memory is the environment's; a token a call derived, such as
/// a `cap_slice`, only the runtime can read). `None`: they can.
pub fn needs_linked(steps: &[Step]) -> Option<String> {
    let made_by = |var: &str| steps.iter().find(|s| s.save.as_deref() == Some(var));
    steps.iter().find_map(|s| match s.word.as_str() {
        "printed" => Some(needs_linked_because("printed", env::PRINTED)),
        "bytes" => {
            let var = s.args.first()?.strip_prefix('$')?;
            match made_by(var) {
                Some(m) if m.word == "buf" => None,
                _ => Some(needs_linked_because("bytes", env::BYTES_OF_A_CALL)),
            }
        }
        _ => None,
    })
}

/// The first function that `steps` call, or that set-up against `table` needs
/// (`neurlang_sandbox_init`, `neurlang_cap_create`, `neurlang_cap_revoke`, and the extension
/// calls), which `table` lacks: the message naming it.
pub fn unresolved(table: &abi::Table, steps: &[Step]) -> Option<String> {
    const SETUP_FNS: &[&str] = &[
        "neurlang_sandbox_init",
        "neurlang_cap_create",
        "neurlang_cap_revoke",
        "neurlang_ext_call2",
        "neurlang_ext_call",
    ];
    let called = steps
        .iter()
        .filter(|s| s.is_call())
        .filter_map(|s| abi::find(&s.word).map(|f| f.name));
    SETUP_FNS
        .iter()
        .copied()
        .chain(called)
        .find_map(|name| table.addr(name).err())
}

/// Runs `steps` in `env` with the executor named `executor`, then [`Env::finish`].
pub fn run_with(env: Env, executor: &str, steps: &[Step]) -> Result<(), String> {
    run_in(env, exec::executor(executor)?.as_mut(), steps)
}

/// Runs `steps` in `env` with `exec`, then [`Env::finish`].
pub fn run_in(mut env: Env, exec: &mut dyn Executor, steps: &[Step]) -> Result<(), String> {
    run(&mut env, exec, steps)?;
    env.finish()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_loaded_library_cannot_run_printed_nor_bytes_of_a_token_a_call_made() {
        let steps = |lines: &[&str]| {
            parse(&lines.iter().map(|l| l.to_string()).collect::<Vec<_>>()).unwrap()
        };
        let why = |s: &str, what: &str| Some(needs_linked_because(s, what));
        let buf = steps(&["b = buf 8 hi", "bytes $b hi"]);
        assert_eq!(needs_linked(&buf), None);
        let slice = steps(&["b = buf 8 hi", "s = cap_slice $b 0 1", "bytes $s h"]);
        assert_eq!(needs_linked(&slice), why("bytes", env::BYTES_OF_A_CALL));
        let printed = steps(&["b = buf 8 hi", "io_print $b 2", "printed hi"]);
        assert_eq!(needs_linked(&printed), why("printed", env::PRINTED));
    }

    #[test]
    fn a_quote_inside_a_word_runs_to_its_closing_quote_and_is_decoded() {
        let s =
            Step::parse(r#"o = json_parse s:"{\"a\": 1}" s:x"y z"w -> str "a b"; free"#).unwrap();
        assert_eq!(s.save.as_deref(), Some("o"));
        assert_eq!(s.args, [r#"s:{"a": 1}"#, "s:xy zw"]);
        assert_eq!(s.check, Some(Check::Str("a b".into())));
        assert!(s.free);
    }

    #[test]
    fn checks_parse_codes_with_details_values_and_lists() {
        let p = |t| Check::parse(t).unwrap();
        assert_eq!(
            p("EINVAL index out of range"),
            Check::Error {
                code: Errno::EINVAL,
                detail: Some("index out of range".into())
            }
        );
        assert_eq!(
            p("EBADF"),
            Check::Error {
                code: Errno::EBADF,
                detail: None
            }
        );
        assert_eq!(p("-1"), Check::Value(u64::MAX));
        assert_eq!(p("0x10"), Check::Value(16));
        assert_eq!(p("vec [10, -1]"), Check::Vec(vec![10, u64::MAX]));
        assert_eq!(p("json {\"a\":[]}"), Check::Json("{\"a\":[]}".into()));
        assert!(Check::parse("EWHAT").is_err());
        assert!(Step::parse("buf 8 -> 0").is_err());
    }

    #[test]
    fn every_listed_executor_is_made_and_an_unknown_one_is_refused() {
        for name in EXECUTORS {
            assert!(executor(name).is_ok(), "{name}");
        }
        assert!(executor("nope").is_err());
    }
}
