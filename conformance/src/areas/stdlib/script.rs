//! The step-script interpreter: each script runs against a fresh registry and handle tables,
//! calling every extension through `ExtensionRegistry::call` by its spec name.
//!
//! A step is `{ call = "vec_push", args = ["$v", 42], expect = 0 }`. Arguments: an integer
//! (negative integers are two's complement: `-1` is `u64::MAX`), `"$name"` (a value saved by an
//! earlier step's `save = "name"`), `"s:text"` (a temporary string handle made with
//! `string_from_bytes` through a READ capability, freed at the end), `"cap:text"` /
//! `"capw:text"` (a capability token over the text with READ / only WRITE), `"f:2.5"` (f64 bits),
//! `"u:N"` (a full-range u64). Checks: `expect` (integer), `expect_err` (the `ExtError` variant
//! name, or the message of `InvalidArgument`), `expect_str` (the result is a string handle with
//! this text), `expect_json` (a JSON handle that stringifies to this), `expect_vec`,
//! `expect_strs` (a vec of string handles with these texts), `expect_f64`, `expect_handle`
//! (non-zero). `free = true` frees the returned handle (and the strings of `expect_strs`) after
//! the checks. After the last step every live handle must have been freed: leaks fail the case.

use crate::{CaseResult, ensure, ensure_eq, fail};
use neurlang::cap::{CapPermissions, Token};
use neurlang::ext::stdlib::{Handle, Stdlib, register_into};
use neurlang::runtime::{ExtError, ExtensionRegistry};
use serde::Deserialize;
use std::collections::HashMap;
use std::sync::Arc;

#[derive(Debug, Clone, Deserialize)]
#[serde(untagged)]
pub enum Arg {
    Int(i64),
    Text(String),
}

#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Step {
    pub call: String,
    #[serde(default)]
    pub args: Vec<Arg>,
    pub save: Option<String>,
    pub expect: Option<i64>,
    pub expect_err: Option<String>,
    pub expect_str: Option<String>,
    pub expect_json: Option<String>,
    pub expect_vec: Option<Vec<i64>>,
    pub expect_strs: Option<Vec<String>>,
    pub expect_f64: Option<f64>,
    #[serde(default)]
    pub expect_handle: bool,
    #[serde(default)]
    pub free: bool,
}

#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Script {
    pub name: String,
    pub steps: Vec<Step>,
}

/// A registry over its own handle tables, plus what a script made.
pub struct Env {
    pub lib: Arc<Stdlib>,
    pub reg: ExtensionRegistry,
    vars: HashMap<String, u64>,
    temps: Vec<u64>,
    tokens: Vec<Token>,
}

impl Env {
    pub fn new() -> Env {
        let lib = Arc::new(Stdlib::new());
        let mut reg = ExtensionRegistry::new();
        register_into(&mut reg, Arc::clone(&lib));
        Env {
            lib,
            reg,
            vars: HashMap::new(),
            temps: Vec::new(),
            tokens: Vec::new(),
        }
    }

    /// Calls an extension by its spec name.
    pub fn call(&self, name: &str, args: &[u64]) -> Result<u64, ExtError> {
        let id = self
            .reg
            .lookup(name)
            .ok_or_else(|| ExtError::UnknownName(name.to_owned()))?;
        self.reg.call(id, args, &mut [])
    }

    pub fn token(&mut self, bytes: &[u8], perms: CapPermissions) -> Result<u64, String> {
        let t = Token::new_owned(Box::from(bytes), perms).map_err(|e| format!("token: {e}"))?;
        self.tokens.push(t);
        Ok(t.get())
    }

    /// A new string handle with `text`, made through `string_from_bytes`.
    pub fn string(&mut self, text: &[u8]) -> Result<u64, String> {
        let tok = self.token(text, CapPermissions::READ)?;
        self.call("string_from_bytes", &[tok, text.len() as u64])
            .map_err(|e| format!("string_from_bytes: {e}"))
    }

    fn arg(&mut self, a: &Arg) -> Result<u64, String> {
        Ok(match a {
            Arg::Int(i) => *i as u64,
            Arg::Text(t) => {
                if let Some(v) = t.strip_prefix('$') {
                    *self.vars.get(v).ok_or(format!("no saved value `{v}`"))?
                } else if let Some(s) = t.strip_prefix("s:") {
                    let h = self.string(s.as_bytes())?;
                    self.temps.push(h);
                    h
                } else if let Some(s) = t.strip_prefix("cap:") {
                    self.token(s.as_bytes(), CapPermissions::READ)?
                } else if let Some(s) = t.strip_prefix("capw:") {
                    self.token(s.as_bytes(), CapPermissions::WRITE)?
                } else if let Some(f) = t.strip_prefix("f:") {
                    f.parse::<f64>().map_err(|e| format!("{t}: {e}"))?.to_bits()
                } else if let Some(u) = t.strip_prefix("u:") {
                    u.parse::<u64>().map_err(|e| format!("{t}: {e}"))?
                } else {
                    return Err(format!(
                        "argument {t:?}: expected $var, s:, cap:, capw:, f: or u:"
                    ));
                }
            }
        })
    }

    pub fn text(&self, h: u64) -> Result<String, String> {
        self.lib
            .string_contents(Handle::from_raw(h))
            .map_err(|e| format!("string handle {h:#x}: {e}"))
    }

    /// Frees any handle by its type tag.
    pub fn free(&self, h: u64) -> Result<u64, ExtError> {
        let f = match h >> 56 {
            1 => "vec_free",
            2 => "hashmap_free",
            3 => "string_free",
            _ => "json_free",
        };
        self.call(f, &[h])
    }

    /// Frees the temporaries and tokens, then checks no handle is live.
    pub fn finish(&mut self) -> CaseResult {
        for h in std::mem::take(&mut self.temps) {
            self.free(h)?;
        }
        for t in std::mem::take(&mut self.tokens) {
            t.revoke()?;
        }
        let live = self.lib.live();
        ensure!(live.total() == 0, "handles leaked by the script: {live:?}");
        Ok(())
    }
}

/// Name of an error as scripts write it.
pub fn err_name(e: &ExtError) -> String {
    match e {
        ExtError::InvalidArgument(m) => (*m).to_owned(),
        other => {
            let d = format!("{other:?}");
            d.split(['(', ' ', '{'])
                .next()
                .unwrap_or_default()
                .to_owned()
        }
    }
}

pub fn run(script: &Script) -> CaseResult {
    let mut env = Env::new();
    for (i, step) in script.steps.iter().enumerate() {
        step_run(&mut env, step).map_err(|e| match e {
            crate::CaseError::Fail(m) => {
                crate::CaseError::Fail(format!("step {} ({}): {m}", i + 1, step.call))
            }
            other => other,
        })?;
    }
    env.finish()
}

fn step_run(env: &mut Env, step: &Step) -> CaseResult {
    let args = step
        .args
        .iter()
        .map(|a| env.arg(a))
        .collect::<Result<Vec<u64>, String>>()?;
    let got = env.call(&step.call, &args);
    if let Some(want) = &step.expect_err {
        match &got {
            Err(e) => ensure_eq!(err_name(e), *want, "error"),
            Ok(v) => fail!("expected error {want}, got Ok({v:#x})"),
        }
        return Ok(());
    }
    let v = match got {
        Ok(v) => v,
        Err(e) => fail!("unexpected error {e:?}"),
    };
    if let Some(want) = step.expect {
        ensure_eq!(v, want as u64, "result");
    }
    if let Some(want) = step.expect_f64 {
        ensure_eq!(
            f64::from_bits(v).to_bits(),
            want.to_bits(),
            "f64 result {}",
            f64::from_bits(v)
        );
    }
    if step.expect_handle {
        ensure!(v != 0, "expected a handle, got 0");
    }
    if let Some(want) = &step.expect_str {
        ensure_eq!(env.text(v)?, *want, "string");
    }
    if let Some(want) = &step.expect_json {
        let s = env.call("json_stringify", &[v])?;
        let text = env.text(s)?;
        env.free(s)?;
        ensure_eq!(text, *want, "JSON");
    }
    if let Some(want) = &step.expect_vec {
        let got = env.lib.vec_contents(Handle::from_raw(v))?;
        let want: Vec<u64> = want.iter().map(|&x| x as u64).collect();
        ensure_eq!(got, want, "vec");
    }
    if let Some(want) = &step.expect_strs {
        let hs = env.lib.vec_contents(Handle::from_raw(v))?;
        let texts = hs
            .iter()
            .map(|&h| env.text(h))
            .collect::<Result<Vec<_>, _>>()?;
        ensure_eq!(texts, *want, "strings");
        if step.free {
            for h in hs {
                env.free(h)?;
            }
        }
    }
    if let Some(name) = &step.save {
        env.vars.insert(name.clone(), v);
    }
    if step.free {
        env.free(v)?;
    }
    Ok(())
}
