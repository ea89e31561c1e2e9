//! A tiny step language for ABI cases: each step calls one `neurlang_*` function (or a set-up
//! helper) with literal, variable and pointer arguments, inside a context of its own.
//!
//! Step: `[var =] [?]name arg…`. `?` lets a step fail without failing the case. Arguments:
//! integers (`12`, `-3`, `0x10`), `$var`, `path:REL` (pointer + length of `ROOT/REL`),
//! `str:TEXT` / `host:TEXT` (pointer + length of TEXT), `null:N` (null pointer, length N),
//! `mem:N` (pointer + length of N fresh bytes), `fn:NAME` (a task entry: `square`, `max`),
//! `bogus` (a forged token), `slot:NAME` (pointer to the `u64` result slot NAME, holding
//! [`SENTINEL`] until something writes it), `args:A,B,…` (pointer + count of an array of `u64`,
//! each element an argument as above; `args:A,B/N` passes count N instead). Set-up helpers:
//! `buf N [TEXT]` (an owned capability with every permission), `bytes $tok TEXT` (fails unless
//! the capability starts with TEXT; `hex:HEX` for binary), `slot NAME [VALUE|untouched]` (the
//! slot's value as the result; fails unless it is VALUE, or still [`SENTINEL`]),
//! `write_file REL TEXT`, `exists REL` / `absent REL`, `fails CODE name arg…`, `printed TEXT` (fails unless the context
//! printed exactly TEXT).

#![allow(unsafe_code)] // Calls the C ABI, which takes raw pointers.

use neurlang::abi::*;
use neurlang::runtime::{
    CapPermissions, CapToken as Token, Capability, Context, Errno, IOPermissions,
};
use std::cell::Cell;
use std::collections::HashMap;
use std::io::Write;
use std::path::PathBuf;
use std::sync::{Arc, Mutex};

/// A forged token: never issued by the capability table.
pub const BOGUS: u64 = 0x0123_4567_89ab_cdef;

/// What a result slot holds until a call writes it.
pub const SENTINEL: u64 = 0x5e57_1e1e_5e57_1e1e;

extern "C" fn square(x: u64) -> u64 {
    x * x
}

extern "C" fn max(_: u64) -> u64 {
    u64::MAX
}

#[derive(Clone, Default)]
pub struct Sink(pub Arc<Mutex<Vec<u8>>>);

impl Write for Sink {
    fn write(&mut self, b: &[u8]) -> std::io::Result<usize> {
        self.0
            .lock()
            .unwrap_or_else(|p| p.into_inner())
            .extend_from_slice(b);
        Ok(b.len())
    }
    fn flush(&mut self) -> std::io::Result<()> {
        Ok(())
    }
}

/// The permissions named in a row.
pub fn permissions(
    names: &[String],
    root: PathBuf,
    hosts: &[String],
) -> Result<IOPermissions, String> {
    let mut p = IOPermissions {
        file_paths: vec![root],
        net_hosts: hosts.to_vec(),
        ..IOPermissions::default()
    };
    for n in names {
        match n.as_str() {
            "file_read" => p.file_read = true,
            "file_write" => p.file_write = true,
            "net_connect" => p.net_connect = true,
            "net_listen" => p.net_listen = true,
            "io_read" => p.io_read = true,
            "no_print" => p.io_print = false,
            other => return Err(format!("unknown permission `{other}`")),
        }
    }
    Ok(p)
}

/// Running state of one script.
pub struct Env {
    pub root: PathBuf,
    pub ctx: Arc<Context>,
    pub out: Sink,
    vars: HashMap<String, i64>,
    strings: Vec<Vec<u8>>,
    mems: Vec<Box<[u8]>>,
    arrays: Vec<Box<[u64]>>,
    slots: HashMap<String, Box<Cell<u64>>>,
    roots: Vec<u64>,
}

impl Drop for Env {
    fn drop(&mut self) {
        // Tokens over `mems` must be dead before the memory is freed.
        for t in self.roots.drain(..) {
            let _ = Token::from_raw(t).revoke();
        }
    }
}

impl Env {
    pub fn new(root: PathBuf, perms: IOPermissions, stdin: &str) -> Env {
        let out = Sink::default();
        let ctx = Context::with_io(
            perms,
            Box::new(std::io::Cursor::new(stdin.as_bytes().to_vec())),
            Box::new(out.clone()),
        );
        Env {
            root,
            ctx: Arc::new(ctx),
            out,
            vars: HashMap::new(),
            strings: Vec::new(),
            mems: Vec::new(),
            arrays: Vec::new(),
            slots: HashMap::new(),
            roots: Vec::new(),
        }
    }

    fn text(&mut self, t: &str) -> [u64; 2] {
        let bytes = t.as_bytes().to_vec();
        let r = [bytes.as_ptr() as u64, bytes.len() as u64];
        self.strings.push(bytes);
        r
    }

    fn args(&mut self, words: &[String]) -> Result<Vec<u64>, String> {
        let mut out = Vec::new();
        for w in words {
            if let Some(rel) = w.strip_prefix("path:") {
                let p = self.root.join(rel).to_string_lossy().into_owned();
                out.extend(self.text(&p));
            } else if let Some(t) = w.strip_prefix("str:").or_else(|| w.strip_prefix("host:")) {
                out.extend(self.text(t));
            } else if let Some(n) = w.strip_prefix("null:") {
                out.extend([0, n.parse().map_err(|_| format!("bad {w}"))?]);
            } else if let Some(n) = w.strip_prefix("mem:") {
                let n: usize = n.parse().map_err(|_| format!("bad {w}"))?;
                let mut m = vec![0u8; n].into_boxed_slice();
                out.extend([m.as_mut_ptr() as u64, n as u64]);
                self.mems.push(m);
            } else if let Some(f) = w.strip_prefix("fn:") {
                let f: extern "C" fn(u64) -> u64 = match f {
                    "square" => square,
                    "max" => max,
                    _ => return Err(format!("unknown entry {f}")),
                };
                out.push(f as usize as u64);
            } else if let Some(name) = w.strip_prefix("slot:") {
                let slot = self
                    .slots
                    .entry(name.to_string())
                    .or_insert_with(|| Box::new(Cell::new(SENTINEL)));
                out.push(slot.as_ptr() as u64);
            } else if let Some(list) = w.strip_prefix("args:") {
                let (list, count) = match list.split_once('/') {
                    Some((l, n)) => (l, Some(n.parse().map_err(|_| format!("bad {w}"))?)),
                    None => (list, None),
                };
                let items: Vec<String> = list
                    .split(',')
                    .filter(|i| !i.is_empty())
                    .map(String::from)
                    .collect();
                let array = self.args(&items)?.into_boxed_slice();
                out.extend([array.as_ptr() as u64, count.unwrap_or(array.len() as u64)]);
                self.arrays.push(array);
            } else if w == "bogus" {
                out.push(BOGUS);
            } else if let Some(v) = w.strip_prefix('$') {
                out.push(*self.vars.get(v).ok_or(format!("unset ${v}"))? as u64);
            } else if let Some(h) = w.strip_prefix("0x") {
                out.push(u64::from_str_radix(h, 16).map_err(|_| format!("bad {w}"))?);
            } else {
                out.push(w.parse::<i64>().map_err(|_| format!("bad argument {w}"))? as u64);
            }
        }
        Ok(out)
    }

    /// Runs one step; returns its result.
    pub fn step(&mut self, line: &str) -> Result<i64, String> {
        let words: Vec<String> = line.split_whitespace().map(String::from).collect();
        let (var, rest) = match words.get(1).map(String::as_str) {
            Some("=") => (Some(words[0].clone()), &words[2..]),
            _ => (None, &words[..]),
        };
        let (name, args) = rest.split_first().ok_or("empty step")?;
        let (tolerant, name) = match name.strip_prefix('?') {
            Some(n) => (true, n),
            None => (false, name.as_str()),
        };
        let r = self.call(name, args)?;
        if r < 0 && !tolerant && r >= -4095 {
            let e = Errno::from_neg(r).map(|e| e.name()).unwrap_or("?");
            return Err(format!("step `{line}` failed with {r} ({e})"));
        }
        if let Some(v) = var {
            self.vars.insert(v, r);
        }
        Ok(r)
    }

    fn call(&mut self, name: &str, words: &[String]) -> Result<i64, String> {
        match name {
            "buf" => {
                let n: usize = words.first().and_then(|w| w.parse().ok()).ok_or("buf N")?;
                let mut b = vec![0u8; n];
                if let Some(t) = words.get(1) {
                    b[..t.len()].copy_from_slice(t.as_bytes());
                }
                let t = Token::new_owned(b.into_boxed_slice(), CapPermissions::ALL)
                    .map_err(|e| e.to_string())?;
                self.roots.push(t.get());
                return Ok(t.get() as i64);
            }
            "bytes" => {
                let a = self.args(&words[..1])?;
                let want = words.get(1).ok_or("bytes $tok TEXT")?;
                let want = match want.strip_prefix("hex:") {
                    Some(h) => hex(h).ok_or(format!("bad {want}"))?,
                    None => want.as_bytes().to_vec(),
                };
                let got = Capability::from_raw(a[0])
                    .and_then(|c| c.to_vec(0, want.len()))
                    .map_err(|e| e.to_string())?;
                return if got == want {
                    Ok(0)
                } else {
                    Err(format!("buffer holds {:?}", String::from_utf8_lossy(&got)))
                };
            }
            "slot" => {
                let name = words.first().ok_or("slot NAME [VALUE|untouched]")?;
                let got = self.slots.get(name).ok_or(format!("no slot {name}"))?.get();
                let want = match words.get(1).map(String::as_str) {
                    None => return Ok(got as i64),
                    Some("untouched") => SENTINEL,
                    Some(_) => self.args(&words[1..2])?[0],
                };
                return if got == want {
                    Ok(0)
                } else {
                    Err(format!("slot {name} holds {got:#x}, expected {want:#x}"))
                };
            }
            "write_file" => {
                let (rel, text) = (&words[0], words.get(1).map_or("", String::as_str));
                std::fs::write(self.root.join(rel), text).map_err(|e| e.to_string())?;
                return Ok(0);
            }
            "exists" | "absent" => {
                let there = self.root.join(&words[0]).exists();
                return if there == (name == "exists") {
                    Ok(0)
                } else {
                    Err(format!(
                        "{} is {}",
                        words[0],
                        if there { "there" } else { "missing" }
                    ))
                };
            }
            "fails" => {
                let code = words
                    .first()
                    .and_then(|c| Errno::from_name(c))
                    .ok_or("fails CODE step")?;
                let r = self.call(&words[1], &words[2..])?;
                return if r == code.neg() {
                    Ok(0)
                } else {
                    Err(format!(
                        "{} returned {r}, expected {}",
                        words[1],
                        code.name()
                    ))
                };
            }
            "printed" => {
                let got = self.out.0.lock().unwrap_or_else(|p| p.into_inner()).clone();
                let want = words.first().map_or("", String::as_str);
                return if got == want.as_bytes() {
                    Ok(0)
                } else {
                    Err(format!("printed {:?}", String::from_utf8_lossy(&got)))
                };
            }
            _ => {}
        }
        let a = self.args(words)?;
        let ctx = Arc::clone(&self.ctx);
        let r = Context::scoped(&ctx, || call(name, &a));
        if let (Some(t), "cap_create") = (r, name)
            && !(-4095..0).contains(&t)
        {
            self.roots.push(t as u64);
        }
        r.ok_or_else(|| format!("no ABI function `{name}` taking {} arguments", a.len()))
    }
}

/// The bytes of a hex string.
fn hex(h: &str) -> Option<Vec<u8>> {
    (0..h.len())
        .step_by(2)
        .map(|i| u8::from_str_radix(h.get(i..i + 2)?, 16).ok())
        .collect()
}

/// Calls `neurlang_NAME` with `a`.
pub fn call(name: &str, a: &[u64]) -> Option<i64> {
    let p = |i: usize| a[i] as usize as *const u8;
    let m = |i: usize| a[i] as usize as *mut u8;
    let slot = |i: usize| a[i] as usize as *mut u64;
    // Pointers come from `Env::args`, which keeps what they point at alive and sized as the
    // length passed beside them (or null; `args:…/N` may claim more than there is, which the
    // runtime must refuse unread), result slots being one `u64`; task entries are real
    // `extern "C" fn(u64) -> u64`.
    let r = match (name, a.len()) {
        ("file_open", 3) => {
            // SAFETY: see above.
            unsafe { neurlang_file_open(p(0), a[1], a[2]) }
        }
        ("file_read", 3) => neurlang_file_read(a[0], a[1], a[2]),
        ("file_write", 3) => neurlang_file_write(a[0], a[1], a[2]),
        ("file_seek", 3) => neurlang_file_seek(a[0], a[1] as i64, a[2]),
        ("file_size", 1) => neurlang_file_size(a[0]),
        ("file_close", 1) => neurlang_file_close(a[0]),
        ("file_unlink", 2) => {
            // SAFETY: see above.
            unsafe { neurlang_file_unlink(p(0), a[1]) }
        }
        ("net_connect", 3) => {
            // SAFETY: see above.
            unsafe { neurlang_net_connect(p(0), a[1], a[2]) }
        }
        ("net_listen", 3) => {
            // SAFETY: see above.
            unsafe { neurlang_net_listen(p(0), a[1], a[2]) }
        }
        ("net_accept", 1) => neurlang_net_accept(a[0]),
        ("net_port", 1) => neurlang_net_port(a[0]),
        ("net_send", 3) => neurlang_net_send(a[0], a[1], a[2]),
        ("net_recv", 3) => neurlang_net_recv(a[0], a[1], a[2]),
        ("net_close", 1) => neurlang_net_close(a[0]),
        ("io_print", 2) => neurlang_io_print(a[0], a[1]),
        ("io_read_line", 2) => neurlang_io_read_line(a[0], a[1]),
        ("spawn", 2) => {
            // SAFETY: see above.
            unsafe { neurlang_spawn(a[0], a[1]) }
        }
        ("join", 1) => neurlang_join(a[0]),
        ("chan_create", 0) => neurlang_chan_create(),
        ("chan_send", 2) => neurlang_chan_send(a[0], a[1]),
        ("chan_recv", 1) => neurlang_chan_recv(a[0]),
        ("chan_try_recv", 1) => neurlang_chan_try_recv(a[0]),
        ("chan_close", 1) => neurlang_chan_close(a[0]),
        ("chan_destroy", 1) => neurlang_chan_destroy(a[0]),
        ("cap_create", 3) => {
            // SAFETY: see above.
            unsafe { neurlang_cap_create(m(0), a[1], a[2]) }
        }
        ("cap_restrict", 2) => neurlang_cap_restrict(a[0], a[1]),
        ("cap_slice", 3) => neurlang_cap_slice(a[0], a[1], a[2]),
        ("cap_revoke", 1) => neurlang_cap_revoke(a[0]),
        ("cap_check", 3) => neurlang_cap_check(a[0], a[1], a[2]),
        ("time_now", 0) => neurlang_time_now(),
        ("time_monotonic", 0) => neurlang_time_monotonic(),
        ("time_sleep", 1) => neurlang_time_sleep(a[0]),
        ("rand_fill", 2) => neurlang_rand_fill(a[0], a[1]),
        ("ext_call2", 4) => {
            // SAFETY: see above.
            unsafe { neurlang_ext_call2(a[0], a[1], a[2], slot(3)) }
        }
        ("ext_call", 4) => {
            // SAFETY: see above.
            unsafe { neurlang_ext_call(a[0], a[1] as usize as *const u64, a[2], slot(3)) }
        }
        ("sandbox_init", 5) => {
            // SAFETY: see above.
            unsafe { neurlang_sandbox_init(a[0], p(1), a[2], p(3), a[4]) }
        }
        _ => return None,
    };
    Some(r)
}
