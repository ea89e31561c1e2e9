//! The running state of one script: its context, what its arguments point at, its saved
//! values, and the set-up and check steps done in Rust.

use neurlang::cap::Capability;
use neurlang::ext::stdlib::{Handle, Stdlib, register_into};
use neurlang::runtime::{
    CapPermissions, CapToken as Token, Context, ExtError, ExtensionRegistry, IOPermissions,
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

/// The output a context prints, kept for `printed`.
#[derive(Debug, Clone, Default)]
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

/// The permissions named in a row (`file_read`, …, `no_print`), with `root` as the only file
/// root and `hosts` as the allow-list.
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
    ctx: Arc<Context>,
    out: Sink,
    /// The directory `path:` and the file steps are relative to.
    root: Option<PathBuf>,
    /// The stdlib handle tables behind the registry, when the script has its own.
    lib: Option<Arc<Stdlib>>,
    pub(super) vars: HashMap<String, u64>,
    strings: Vec<Vec<u8>>,
    mems: Vec<Box<[u8]>>,
    arrays: Vec<Box<[u64]>>,
    slots: HashMap<String, Box<Cell<u64>>>,
    /// Tokens made for the script, revoked at the end (before `mems` is freed).
    tokens: Vec<u64>,
    /// String handles made for `s:` arguments, freed at the end.
    temps: Vec<u64>,
}

impl std::fmt::Debug for Env {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Env")
            .field("root", &self.root)
            .field("vars", &self.vars)
            .finish_non_exhaustive()
    }
}

impl Drop for Env {
    fn drop(&mut self) {
        // Tokens over `mems` must be dead before the memory is freed.
        for t in self.tokens.drain(..) {
            let _ = Token::from_raw(t).revoke();
        }
    }
}

impl Env {
    fn with_ctx(ctx: Context, out: Sink, root: Option<PathBuf>, lib: Option<Arc<Stdlib>>) -> Env {
        Env {
            ctx: Arc::new(ctx),
            out,
            root,
            lib,
            vars: HashMap::new(),
            strings: Vec::new(),
            mems: Vec::new(),
            arrays: Vec::new(),
            slots: HashMap::new(),
            tokens: Vec::new(),
            temps: Vec::new(),
        }
    }

    /// A context with `perms`, `stdin` as its input and the built-in extensions, files under
    /// `root`.
    pub fn sandboxed(root: PathBuf, perms: IOPermissions, stdin: &str) -> Env {
        let out = Sink::default();
        let ctx = Context::with_io(
            perms,
            Box::new(std::io::Cursor::new(stdin.as_bytes().to_vec())),
            Box::new(out.clone()),
        );
        Env::with_ctx(ctx, out, Some(root), None)
    }

    /// A context with no permissions and the built-in extensions (the crypto vectors' calls).
    pub fn builtins() -> Env {
        let out = Sink::default();
        let ctx = Context::with_io(
            IOPermissions::default(),
            Box::new(std::io::empty()),
            Box::new(out.clone()),
        );
        Env::with_ctx(ctx, out, None, None)
    }

    /// A context with no permissions whose registry holds only the stdlib extensions, over
    /// handle tables of its own: [`Env::finish`] fails if the script leaked a handle.
    pub fn stdlib() -> Env {
        let lib = Arc::new(Stdlib::new());
        let mut reg = ExtensionRegistry::new();
        register_into(&mut reg, Arc::clone(&lib));
        let out = Sink::default();
        let ctx = Context::with_io(
            IOPermissions::default(),
            Box::new(std::io::empty()),
            Box::new(out.clone()),
        )
        .with_extensions(reg);
        Env::with_ctx(ctx, out, None, Some(lib))
    }

    /// The context calls run in.
    pub fn ctx(&self) -> &Arc<Context> {
        &self.ctx
    }

    /// The stdlib handle tables of [`Env::stdlib`].
    pub fn lib(&self) -> Result<&Stdlib, String> {
        self.lib
            .as_deref()
            .ok_or_else(|| "this script has no stdlib tables of its own".into())
    }

    /// The ID of extension `name` in the context's registry.
    pub fn ext_id(&self, name: &str) -> Option<u64> {
        self.ctx.extensions().lookup(name).map(|id| u64::from(id.0))
    }

    /// Calls extension `name` directly (set-up and checks, never a step's call).
    pub fn ext(&self, name: &str, args: &[u64]) -> Result<u64, ExtError> {
        let id = self
            .ctx
            .extensions()
            .lookup(name)
            .ok_or_else(|| ExtError::UnknownName(name.to_owned()))?;
        self.ctx.extensions().call(id, args, &mut [])
    }

    /// A token over a copy of `bytes` with `perms`, revoked at the end.
    pub fn token(&mut self, bytes: &[u8], perms: CapPermissions) -> Result<u64, String> {
        let t = Token::new_owned(Box::from(bytes), perms).map_err(|e| format!("token: {e}"))?;
        self.tokens.push(t.get());
        Ok(t.get())
    }

    /// Keeps `t`, a token a call made over the script's memory, to revoke it at the end.
    pub(super) fn adopt_token(&mut self, t: u64) {
        self.tokens.push(t);
    }

    /// A new string handle with `text`, made through `string_from_bytes`.
    pub fn string(&mut self, text: &[u8]) -> Result<u64, String> {
        let tok = self.token(text, CapPermissions::READ)?;
        self.ext("string_from_bytes", &[tok, text.len() as u64])
            .map_err(|e| format!("string_from_bytes: {e}"))
    }

    /// The text of string handle `h`.
    pub fn text(&self, h: u64) -> Result<String, String> {
        self.lib()?
            .string_contents(Handle::from_raw(h))
            .map_err(|e| format!("string handle {h:#x}: {e}"))
    }

    /// The elements of vec handle `h`.
    pub fn vec(&self, h: u64) -> Result<Vec<u64>, String> {
        self.lib()?
            .vec_contents(Handle::from_raw(h))
            .map_err(|e| format!("vec handle {h:#x}: {e}"))
    }

    /// Frees any stdlib handle by its type tag.
    pub fn free(&self, h: u64) -> Result<u64, ExtError> {
        let f = match h >> 56 {
            1 => "vec_free",
            2 => "hashmap_free",
            3 => "string_free",
            _ => "json_free",
        };
        self.ext(f, &[h])
    }

    /// Frees the temporaries and revokes the tokens, then fails if a handle of the script's own
    /// tables is still live.
    pub fn finish(&mut self) -> Result<(), String> {
        for h in std::mem::take(&mut self.temps) {
            self.free(h).map_err(|e| format!("freeing {h:#x}: {e:?}"))?;
        }
        for t in std::mem::take(&mut self.tokens) {
            Token::from_raw(t)
                .revoke()
                .map_err(|e| format!("revoking {t:#x}: {e}"))?;
        }
        if let Some(lib) = &self.lib {
            let live = lib.live();
            if live.total() != 0 {
                return Err(format!("handles leaked by the script: {live:?}"));
            }
        }
        Ok(())
    }

    fn text_words(&mut self, t: &str) -> [u64; 2] {
        let bytes = t.as_bytes().to_vec();
        let r = [bytes.as_ptr() as u64, bytes.len() as u64];
        self.strings.push(bytes);
        r
    }

    fn under_root(&self, rel: &str) -> Result<PathBuf, String> {
        let root = self.root.as_ref().ok_or("this script has no directory")?;
        Ok(root.join(rel))
    }

    /// Resolves arguments to words (see the module's argument table).
    pub fn resolve(&mut self, words: &[String]) -> Result<Vec<u64>, String> {
        let mut out = Vec::new();
        for w in words {
            let bad = || format!("bad argument `{w}`");
            match w.split_once(':') {
                Some(("path", rel)) => {
                    let p = self.under_root(rel)?.to_string_lossy().into_owned();
                    out.extend(self.text_words(&p));
                }
                Some(("str", t)) => out.extend(self.text_words(t)),
                Some(("null", n)) => out.extend([0, n.parse().map_err(|_| bad())?]),
                Some(("mem", n)) => {
                    let n: usize = n.parse().map_err(|_| bad())?;
                    let mut m = vec![0u8; n].into_boxed_slice();
                    out.extend([m.as_mut_ptr() as u64, n as u64]);
                    self.mems.push(m);
                }
                Some(("fn", f)) => {
                    let f: extern "C" fn(u64) -> u64 = match f {
                        "square" => square,
                        "max" => max,
                        _ => return Err(format!("unknown task entry `{f}`")),
                    };
                    out.push(f as usize as u64);
                }
                Some(("slot", name)) => {
                    let slot = self
                        .slots
                        .entry(name.to_string())
                        .or_insert_with(|| Box::new(Cell::new(SENTINEL)));
                    out.push(slot.as_ptr() as u64);
                }
                Some(("args", list)) => {
                    let (list, count) = match list.split_once('/') {
                        Some((l, n)) => (l, Some(n.parse().map_err(|_| bad())?)),
                        None => (list, None),
                    };
                    let items: Vec<String> = list
                        .split(',')
                        .filter(|i| !i.is_empty())
                        .map(String::from)
                        .collect();
                    let array = self.resolve(&items)?.into_boxed_slice();
                    out.extend([array.as_ptr() as u64, count.unwrap_or(array.len() as u64)]);
                    self.arrays.push(array);
                }
                Some(("s", t)) => {
                    let h = self.string(t.as_bytes())?;
                    self.temps.push(h);
                    out.push(h);
                }
                Some(("cap", t)) => out.push(self.token(t.as_bytes(), CapPermissions::READ)?),
                Some(("capw", t)) => out.push(self.token(t.as_bytes(), CapPermissions::WRITE)?),
                Some(("f", f)) => out.push(f.parse::<f64>().map_err(|_| bad())?.to_bits()),
                _ if w == "bogus" => out.push(BOGUS),
                _ => match w.strip_prefix('$') {
                    Some(v) => out.push(*self.vars.get(v).ok_or(format!("unset ${v}"))?),
                    None => out.push(super::int(w).ok_or_else(bad)?),
                },
            }
        }
        Ok(out)
    }

    /// Runs set-up or check step `word` (one of [`SETUP`]) with `args` in Rust: its value, if
    /// it has one.
    pub(super) fn setup(&mut self, word: &str, args: &[String]) -> Result<Option<u64>, String> {
        let arg = |i: usize| args.get(i).map_or("", String::as_str);
        let ok = |holds: bool, otherwise: String| if holds { Ok(None) } else { Err(otherwise) };
        match word {
            "buf" => {
                let n: usize = arg(0).parse().map_err(|_| "buf N [TEXT]")?;
                let mut b = vec![0u8; n];
                let t = arg(1).as_bytes();
                b.get_mut(..t.len())
                    .ok_or("buf: TEXT longer than N")?
                    .copy_from_slice(t);
                let t = Token::new_owned(b.into_boxed_slice(), CapPermissions::ALL)
                    .map_err(|e| e.to_string())?;
                self.tokens.push(t.get());
                Ok(Some(t.get()))
            }
            "bytes" => {
                let tok = *self
                    .resolve(args.get(..1).ok_or("bytes TOKEN TEXT")?)?
                    .first()
                    .ok_or("bytes TOKEN TEXT")?;
                let want = match arg(1).strip_prefix("hex:") {
                    Some(h) => hex(h).ok_or(format!("bad {}", arg(1)))?,
                    None => arg(1).as_bytes().to_vec(),
                };
                let got = Capability::from_raw(tok)
                    .and_then(|c| c.to_vec(0, want.len()))
                    .map_err(|e| e.to_string())?;
                let msg = format!("buffer holds {:?}", String::from_utf8_lossy(&got));
                ok(got == want, msg)
            }
            "slot" => {
                let name = arg(0);
                let got = self.slots.get(name).ok_or(format!("no slot {name}"))?.get();
                let want = match arg(1) {
                    "" => return Ok(Some(got)),
                    "untouched" => SENTINEL,
                    _ => self.resolve(&args[1..2])?[0],
                };
                ok(
                    got == want,
                    format!("slot {name} holds {got:#x}, expected {want:#x}"),
                )
            }
            "write_file" => {
                std::fs::write(self.under_root(arg(0))?, arg(1)).map_err(|e| e.to_string())?;
                Ok(None)
            }
            "exists" | "absent" => {
                let there = self.under_root(arg(0))?.exists();
                let what = if there { "there" } else { "missing" };
                ok(there == (word == "exists"), format!("{} is {what}", arg(0)))
            }
            "printed" => {
                let got = self.out.0.lock().unwrap_or_else(|p| p.into_inner()).clone();
                let msg = format!("printed {:?}", String::from_utf8_lossy(&got));
                ok(got == arg(0).as_bytes(), msg)
            }
            other => Err(format!("`{other}` is not a set-up step")),
        }
    }
}

/// The steps done in Rust, not calls: set-up (`buf`, `write_file`, reading a `slot`) and
/// checks of state (`bytes`, `slot NAME VALUE`, `exists`, `absent`, `printed`).
pub const SETUP: &[&str] = &[
    "buf",
    "bytes",
    "slot",
    "write_file",
    "exists",
    "absent",
    "printed",
];

/// The bytes of a hex string.
fn hex(h: &str) -> Option<Vec<u8>> {
    (0..h.len())
        .step_by(2)
        .map(|i| u8::from_str_radix(h.get(i..i + 2)?, 16).ok())
        .collect()
}
