//! The running state of one script: the runtime it reaches (the linked crate with a context of
//! the script's own, or a library loaded with `--impl` through its C ABI only), what its
//! arguments point at, its saved values, and the set-up and check steps done in Rust.

#![allow(unsafe_code)] // Set-up against a loaded library calls its C ABI from machine code.

use super::abi::Table;
use crate::jit;
use neurlang::cap::Capability;
use neurlang::ext::stdlib::{Handle, Stdlib, register_into};
use neurlang::runtime::{
    CapPermissions, CapToken as Token, Context, ExtError, ExtensionRegistry, IOPermissions,
};
use std::cell::Cell;
use std::collections::HashMap;
use std::io::Write;
use std::path::PathBuf;
use std::sync::{Arc, Mutex, MutexGuard};

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

/// The runtime a script's calls and set-up reach.
enum Runtime {
    /// The linked crate, through its Rust API for set-up: a context of the script's own, what
    /// it printed, and the stdlib handle tables behind its registry when it has its own.
    Linked {
        ctx: Arc<Context>,
        out: Sink,
        lib: Option<Arc<Stdlib>>,
    },
    /// A library loaded with `--impl`, through its C ABI only: its process-default context,
    /// made fresh for the script by its `neurlang_sandbox_init`. The guard keeps other scripts
    /// off that one context while this one runs.
    Loaded {
        table: &'static Table,
        _one_at_a_time: MutexGuard<'static, ()>,
    },
}

/// Held by the script that has a loaded library's process-default context.
static LOADED: Mutex<()> = Mutex::new(());

/// Running state of one script.
pub struct Env {
    runtime: Runtime,
    /// The directory `path:` and the file steps are relative to.
    root: Option<PathBuf>,
    pub(super) vars: HashMap<String, u64>,
    strings: Vec<Vec<u8>>,
    mems: Vec<Box<[u8]>>,
    arrays: Vec<Box<[u64]>>,
    slots: HashMap<String, Box<Cell<u64>>>,
    /// Tokens made for the script, revoked at the end (before `mems` is freed).
    tokens: Vec<u64>,
    /// With a loaded library, the `mems` index of the memory behind each token `buf` made (the
    /// linked runtime reads any token's memory itself).
    bufs: HashMap<u64, usize>,
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
        for t in std::mem::take(&mut self.tokens) {
            let _ = self.revoke(t);
        }
    }
}

impl Env {
    fn with_runtime(runtime: Runtime, root: Option<PathBuf>) -> Env {
        Env {
            runtime,
            root,
            vars: HashMap::new(),
            strings: Vec::new(),
            mems: Vec::new(),
            arrays: Vec::new(),
            slots: HashMap::new(),
            tokens: Vec::new(),
            bufs: HashMap::new(),
            temps: Vec::new(),
        }
    }

    fn with_ctx(ctx: Context, out: Sink, root: Option<PathBuf>, lib: Option<Arc<Stdlib>>) -> Env {
        let ctx = Arc::new(ctx);
        Env::with_runtime(Runtime::Linked { ctx, out, lib }, root)
    }

    /// The library of `table` (loaded with `--impl`) for `steps`, its process-default context
    /// made fresh by its `neurlang_sandbox_init` with `perms` (its file roots and hosts; files
    /// under `root`). Waits while another script has that context. Fails, calling nothing,
    /// naming the first function the steps or the set-up need that the library does not export
    /// ([`super::unresolved`]).
    pub fn loaded(
        table: &'static Table,
        root: Option<PathBuf>,
        perms: &IOPermissions,
        steps: &[super::Step],
    ) -> Result<Env, String> {
        if let Some(e) = super::unresolved(table, steps) {
            return Err(e);
        }
        let guard = LOADED.lock().unwrap_or_else(|p| p.into_inner());
        let env = Env::with_runtime(
            Runtime::Loaded {
                table,
                _one_at_a_time: guard,
            },
            root,
        );
        let lines = |items: Vec<String>| items.join("\n").into_bytes();
        let paths = lines(
            perms
                .file_paths
                .iter()
                .map(|p| p.to_string_lossy().into_owned())
                .collect(),
        );
        let hosts = lines(perms.net_hosts.clone());
        let ret = env.c_call(
            "neurlang_sandbox_init",
            &[
                sandbox_flags(perms),
                paths.as_ptr() as u64,
                paths.len() as u64,
                hosts.as_ptr() as u64,
                hosts.len() as u64,
            ],
        )?;
        match ret {
            0 => Ok(env),
            code => Err(format!("neurlang_sandbox_init gave {code}")),
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

    /// The linked runtime's context calls run in; `None` for a loaded library.
    pub fn linked(&self) -> Option<&Arc<Context>> {
        match &self.runtime {
            Runtime::Linked { ctx, .. } => Some(ctx),
            Runtime::Loaded { .. } => None,
        }
    }

    /// The context calls run in (the [`Rust`](super::Rust) executor's, which calls the linked
    /// runtime only).
    ///
    /// # Panics
    /// With a loaded library, which only machine code reaches.
    pub fn ctx(&self) -> &Arc<Context> {
        self.linked()
            .expect("a loaded library is reached through its C ABI, not the Rust API")
    }

    /// Where the C functions of the script's runtime are.
    pub fn table(&self) -> &'static Table {
        match &self.runtime {
            Runtime::Linked { .. } => Table::linked(),
            Runtime::Loaded { table, .. } => table,
        }
    }

    /// The stdlib handle tables of [`Env::stdlib`].
    pub fn lib(&self) -> Result<&Stdlib, String> {
        match &self.runtime {
            Runtime::Linked { lib: Some(lib), .. } => Ok(lib),
            _ => Err("this script has no stdlib tables of its own".into()),
        }
    }

    /// The ID of extension `name` in the context's registry (a loaded library's registry is
    /// the built-ins, whose IDs are the spec's).
    pub fn ext_id(&self, name: &str) -> Option<u64> {
        static BUILTINS: std::sync::OnceLock<ExtensionRegistry> = std::sync::OnceLock::new();
        let reg = match &self.runtime {
            Runtime::Linked { ctx, .. } => ctx.extensions(),
            Runtime::Loaded { .. } => BUILTINS.get_or_init(ExtensionRegistry::with_builtins),
        };
        reg.lookup(name).map(|id| u64::from(id.0))
    }

    /// Calls extension `name` of the linked runtime directly (set-up and checks of the areas'
    /// own, never a step's call).
    pub fn ext(&self, name: &str, args: &[u64]) -> Result<u64, ExtError> {
        let ctx = self.ctx();
        let id = ctx
            .extensions()
            .lookup(name)
            .ok_or_else(|| ExtError::UnknownName(name.to_owned()))?;
        ctx.extensions().call(id, args, &mut [])
    }

    /// Calls C function `name` of the script's runtime from machine code (set-up with a loaded
    /// library): what it returned, or why it could not be called.
    fn c_call(&self, name: &str, args: &[u64]) -> Result<i64, String> {
        let addr = self.table().addr(name)?;
        // SAFETY: `addr` is the runtime's function `name` (the table resolves names of
        // `abi::ABI` only) and every caller passes its arity in words, pointers to memory the
        // environment owns with the length beside them.
        let ret = unsafe { jit::call_c(addr, args) }
            .map_err(|e| format!("the test JIT could not call {name}: {e}"))?;
        Ok(ret as i64)
    }

    /// Calls extension `name` of the script's runtime (set-up and checks of steps): its
    /// result, or its failure as the runtime reports it.
    pub(super) fn call_ext(&self, name: &str, args: &[u64]) -> Result<u64, String> {
        match &self.runtime {
            Runtime::Linked { .. } => self.ext(name, args).map_err(|e| format!("{name}: {e:?}")),
            Runtime::Loaded { table, .. } => {
                let id = self.ext_id(name).ok_or(format!("no extension {name}"))?;
                let entries = table.ext_entries()?;
                // SAFETY: both entries were resolved by name in the one library (the table).
                let (status, v) = unsafe { jit::ext_call(entries, id, args) }
                    .map_err(|e| format!("the test JIT could not call {name}: {e}"))?;
                match super::Outcome::from_ext(status, v) {
                    super::Outcome::Value(v) => Ok(v),
                    failed => Err(format!("{name}: {failed}")),
                }
            }
        }
    }

    /// A token over a copy of `bytes` with `perms`, revoked at the end; with a loaded library,
    /// over memory the environment keeps (its `mems` index is the second value).
    fn new_token(&mut self, bytes: &[u8], perms: CapPermissions) -> Result<(u64, usize), String> {
        if self.linked().is_some() {
            let t = Token::new_owned(Box::from(bytes), perms).map_err(|e| format!("token: {e}"))?;
            self.tokens.push(t.get());
            return Ok((t.get(), usize::MAX));
        }
        let mut m = Box::<[u8]>::from(bytes);
        let (ptr, len) = (m.as_mut_ptr() as u64, m.len() as u64);
        self.mems.push(m);
        let t = self.c_call("neurlang_cap_create", &[ptr, len, u64::from(perms.bits())])?;
        let t = match super::Outcome::from_ret(t) {
            super::Outcome::Value(t) => t,
            failed => return Err(format!("neurlang_cap_create: {failed}")),
        };
        self.tokens.push(t);
        Ok((t, self.mems.len() - 1))
    }

    /// A token over a copy of `bytes` with `perms`, revoked at the end.
    pub fn token(&mut self, bytes: &[u8], perms: CapPermissions) -> Result<u64, String> {
        self.new_token(bytes, perms).map(|(t, _)| t)
    }

    /// Revokes token `t` in the script's runtime.
    fn revoke(&self, t: u64) -> Result<(), String> {
        if self.linked().is_some() {
            return Token::from_raw(t).revoke().map_err(|e| e.to_string());
        }
        match self.c_call("neurlang_cap_revoke", &[t])? {
            0 => Ok(()),
            code => Err(format!("neurlang_cap_revoke gave {code}")),
        }
    }

    /// Keeps `t`, a token a call made over the script's memory, to revoke it at the end.
    pub(super) fn adopt_token(&mut self, t: u64) {
        self.tokens.push(t);
    }

    /// A new string handle with `text`, made through `string_from_bytes`.
    pub fn string(&mut self, text: &[u8]) -> Result<u64, String> {
        let tok = self.token(text, CapPermissions::READ)?;
        self.call_ext("string_from_bytes", &[tok, text.len() as u64])
    }

    /// The text of string handle `h` (a loaded library's through `string_to_bytes`).
    pub fn text(&self, h: u64) -> Result<String, String> {
        if self.linked().is_none() {
            let v = self.call_ext("string_to_bytes", &[h])?;
            let bytes = self.vec(v);
            self.call_ext("vec_free", &[v])?;
            let bytes: Vec<u8> = bytes?.into_iter().map(|b| b as u8).collect();
            return String::from_utf8(bytes).map_err(|e| format!("string handle {h:#x}: {e}"));
        }
        self.lib()?
            .string_contents(Handle::from_raw(h))
            .map_err(|e| format!("string handle {h:#x}: {e}"))
    }

    /// The elements of vec handle `h` (a loaded library's through `vec_len` and `vec_get`).
    pub fn vec(&self, h: u64) -> Result<Vec<u64>, String> {
        if self.linked().is_none() {
            let n = self.call_ext("vec_len", &[h])?;
            return (0..n).map(|i| self.call_ext("vec_get", &[h, i])).collect();
        }
        self.lib()?
            .vec_contents(Handle::from_raw(h))
            .map_err(|e| format!("vec handle {h:#x}: {e}"))
    }

    /// The extension that frees stdlib handle `h`, by its type tag.
    fn free_ext(h: u64) -> &'static str {
        match h >> 56 {
            1 => "vec_free",
            2 => "hashmap_free",
            3 => "string_free",
            _ => "json_free",
        }
    }

    /// Frees any stdlib handle of the linked runtime by its type tag.
    pub fn free(&self, h: u64) -> Result<u64, ExtError> {
        self.ext(Env::free_ext(h), &[h])
    }

    /// Frees any stdlib handle of the script's runtime by its type tag.
    pub(super) fn release(&self, h: u64) -> Result<u64, String> {
        self.call_ext(Env::free_ext(h), &[h])
    }

    /// Frees the temporaries and revokes the tokens, then fails if a handle of the script's own
    /// tables is still live (a loaded library's tables are out of reach: no leak check there).
    pub fn finish(&mut self) -> Result<(), String> {
        for h in std::mem::take(&mut self.temps) {
            self.release(h)
                .map_err(|e| format!("freeing {h:#x}: {e}"))?;
        }
        for t in std::mem::take(&mut self.tokens) {
            self.revoke(t)
                .map_err(|e| format!("revoking {t:#x}: {e}"))?;
        }
        if let Ok(lib) = self.lib() {
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
                Some(("cap", t)) => out.push(self.token(&data(t)?, CapPermissions::READ)?),
                Some(("capw", t)) => out.push(self.token(&data(t)?, CapPermissions::WRITE)?),
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
                let t = data(arg(1))?;
                b.get_mut(..t.len())
                    .ok_or("buf: TEXT longer than N")?
                    .copy_from_slice(&t);
                let (t, m) = self.new_token(&b, CapPermissions::ALL)?;
                if self.linked().is_none() {
                    self.bufs.insert(t, m);
                }
                Ok(Some(t))
            }
            "bytes" => {
                let tok = *self
                    .resolve(args.get(..1).ok_or("bytes TOKEN TEXT")?)?
                    .first()
                    .ok_or("bytes TOKEN TEXT")?;
                let want = data(arg(1))?;
                let got = match self.linked() {
                    Some(_) => Capability::from_raw(tok)
                        .and_then(|c| c.to_vec(0, want.len()))
                        .map_err(|e| e.to_string())?,
                    None => {
                        let m = self.bufs.get(&tok).ok_or(format!(
                            "{tok:#x} is no `buf` of this script: {}",
                            needs_linked_because("bytes", BYTES_OF_A_CALL)
                        ))?;
                        let m = &self.mems[*m];
                        m.get(..want.len()).unwrap_or(m).to_vec()
                    }
                };
                let msg = match std::str::from_utf8(&got) {
                    Ok(text) => format!("buffer holds {text:?}"),
                    Err(_) => {
                        let h: String = got.iter().map(|b| format!("{b:02x}")).collect();
                        format!("buffer holds hex:{h}")
                    }
                };
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
                let Runtime::Linked { out, .. } = &self.runtime else {
                    return Err(needs_linked_because(word, PRINTED));
                };
                let got = out.0.lock().unwrap_or_else(|p| p.into_inner()).clone();
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

/// What `printed` needs the linked runtime for: a loaded library prints to the process's own
/// stdout.
pub const PRINTED: &str = "reads what the context printed";

/// What a row's `stdin` needs the linked runtime for: a loaded library reads the process's own
/// stdin.
pub const STDIN: &str = "the context's input is a Rust stream";

/// What `bytes` of a token a call made (not `buf`) needs the linked runtime for.
pub const BYTES_OF_A_CALL: &str = "reads the memory of a token a call made";

/// The reason a step or argument cannot run against a loaded library, as a skip reason (the
/// report groups skips by the part before `; `).
pub fn needs_linked_because(step: &str, what: &str) -> String {
    format!("needs the linked runtime; {step} ({what})")
}

/// The `NEURLANG_SANDBOX_*` flags of `perms`.
fn sandbox_flags(perms: &IOPermissions) -> u64 {
    use neurlang::abi::*;
    [
        (perms.file_read, SANDBOX_FILE_READ),
        (perms.file_write, SANDBOX_FILE_WRITE),
        (perms.net_connect, SANDBOX_NET_CONNECT),
        (perms.net_listen, SANDBOX_NET_LISTEN),
        (perms.io_print, SANDBOX_IO_PRINT),
        (perms.io_read, SANDBOX_IO_READ),
    ]
    .iter()
    .filter(|(on, _)| *on)
    .fold(0, |f, (_, bit)| f | bit)
}

/// The bytes a TEXT of a step or argument stands for: `hex:HEX` (the bytes of HEX),
/// `rep:N:TEXT` (TEXT N times), or else TEXT's UTF-8.
pub fn data(text: &str) -> Result<Vec<u8>, String> {
    if let Some(h) = text.strip_prefix("hex:") {
        return hex(h);
    }
    if let Some(rest) = text.strip_prefix("rep:") {
        let (n, t) = rest
            .split_once(':')
            .ok_or(format!("`{text}`: rep:N:TEXT"))?;
        let n: usize = n.parse().map_err(|_| format!("`{text}`: rep:N:TEXT"))?;
        return Ok(data(t)?.repeat(n));
    }
    Ok(text.as_bytes().to_vec())
}

/// The bytes of hex string `h` (an even number of hex digits).
pub fn hex(h: &str) -> Result<Vec<u8>, String> {
    (0..h.len())
        .step_by(2)
        .map(|i| u8::from_str_radix(h.get(i..i + 2)?, 16).ok())
        .collect::<Option<_>>()
        .ok_or(format!("bad hex {h:?}"))
}
