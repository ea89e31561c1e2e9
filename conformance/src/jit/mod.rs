//! # The test JIT
//!
//! Runs Neurlang assembly as machine code, so the suite checks the runtime the way generated
//! code reaches it: through the C entry points, from native code of the platform's calling
//! convention, in [`BufferPool`](neurlang::runtime::BufferPool) buffers.
//!
//! ```
//! # #[cfg(not(miri))] {
//! use neurlang_conformance::jit::Program;
//!
//! let code = Program::compile("ext.call r1, 100, r0, r0\next.call r0, 109, r1, r0\nhalt")
//!     .expect("compiles");
//! let mut regs = [0u64; 32];
//! let run = code.run(&mut regs);
//! assert!(run.failure().is_none());
//! # }
//! ```
//!
//! ## The assembly
//!
//! See [`asm`]: `mov`, `ext.call`, `call` (any C function by address, up to 7 integer
//! arguments), `halt`, `;` comments. Virtual registers `r0`..`r31` are a `[u64; 32]` in memory
//! at the start of the frame whose address is the compiled function's one argument
//! (`extern "C" fn(*mut u64)`).
//!
//! ## `ext.call rd, id, rs1, rs2`
//!
//! The arity of `id` is read from the current context's registry
//! ([`Context::current`](neurlang::runtime::Context::current)`.extensions()`) when the program
//! is compiled:
//!
//! - at most 2 (or an ID the registry does not have): `neurlang_ext_call2(id, rs1, rs2, &rd)`,
//!   which takes the first that many of (`rs1`, `rs2`) and reports an unknown ID as `ENOSYS`;
//! - more than 2: the further arguments are the registers **after `rs2`** (`rs2 + 1`, …), copied
//!   with `rs1` and `rs2` into an array for `neurlang_ext_call(id, args, n, &rd)`. This is the
//!   test JIT's reading of the spec, whose four-operand instruction cannot name a third
//!   argument; its reason is the spec's HashMap example, which sets `r3` (the value) before
//!   `ext.call r0, 121, r1, r2` (`hashmap_insert(handle, key, value)`).
//!
//! The result pointer is `rd`'s own word, so on failure `rd` keeps its value (the runtime
//! writes nothing); the status (0 or `-errno`) is kept per instruction ([`Step::status`]).
//!
//! ## Targets
//!
//! [`Target`]: x86_64 System V, x86_64 Windows x64 and AAPCS64. The host's is chosen by `cfg`
//! ([`Target::host`]); the others can be generated on any host ([`Program::machine_code`]) and
//! are checked against encodings from the GNU assemblers in the unit tests.

mod arm64;
pub mod asm;
mod emit;
mod exec;
mod x86;

pub use asm::{Inst, Line, Reg};
pub use emit::Layout;
pub use exec::{Compiled, call_c, ext_call};

use neurlang::ext::stdlib::{LiveHandles, Stdlib, register_into};
use neurlang::runtime::{Context, ExtensionRegistry, IOPermissions};
use std::fmt;
use std::sync::Arc;

/// A calling convention the JIT emits code for.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Target {
    /// x86_64 System V (Linux, the BSDs, macOS).
    SysV,
    /// x86_64 Windows x64.
    Win64,
    /// AArch64 AAPCS64.
    Aapcs64,
}

impl Target {
    /// The host's convention, if the JIT has one for it.
    pub const fn host() -> Option<Target> {
        if cfg!(all(target_arch = "x86_64", windows)) {
            Some(Target::Win64)
        } else if cfg!(target_arch = "x86_64") {
            Some(Target::SysV)
        } else if cfg!(target_arch = "aarch64") {
            Some(Target::Aapcs64)
        } else {
            None
        }
    }
}

/// Why a program did not compile or could not be loaded.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Error {
    /// The text is not valid assembly, at this 1-based line.
    Parse { line: usize, msg: String },
    /// The program needs a bigger frame or buffer than there is.
    TooLarge(String),
    /// The host has no target, or the pool cannot execute code here (the reason).
    Unsupported(String),
    /// The pool refused a buffer or a write.
    Pool(String),
}

impl fmt::Display for Error {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Error::Parse { line, msg } => write!(f, "line {line}: {msg}"),
            Error::TooLarge(m) => write!(f, "too large: {m}"),
            Error::Unsupported(m) => write!(f, "cannot run generated code here: {m}"),
            Error::Pool(m) => write!(f, "buffer pool: {m}"),
        }
    }
}

impl std::error::Error for Error {}

/// Parsed assembly.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Program {
    lines: Vec<Line>,
}

impl Program {
    /// Parses `text` (a `call` may name only numeric addresses).
    pub fn parse(text: &str) -> Result<Program, Error> {
        Program::parse_with(text, &|_| None)
    }

    /// Parses `text`, resolving the `@name` of each `call` through `symbol`.
    pub fn parse_with(
        text: &str,
        symbol: &dyn Fn(&str) -> Option<usize>,
    ) -> Result<Program, Error> {
        asm::parse(text, symbol).map(|lines| Program { lines })
    }

    /// Parses and loads `text` for the host.
    pub fn compile(text: &str) -> Result<Compiled, Error> {
        Program::parse(text)?.load()
    }

    /// The instructions.
    pub fn lines(&self) -> &[Line] {
        &self.lines
    }

    /// The machine code for `target`, with extension arities from the current context.
    pub fn machine_code(&self, target: Target) -> Result<(Vec<u8>, Layout), Error> {
        self.machine_code_with(target, ExtEntries::linked(), &context_arity)
    }

    fn machine_code_with(
        &self,
        target: Target,
        entries: ExtEntries,
        arity: &dyn Fn(u64) -> Option<usize>,
    ) -> Result<(Vec<u8>, Layout), Error> {
        let ext = emit::ExtAbi {
            call2: entries.call2,
            call: entries.call,
            arity,
        };
        emit::compile(target, &self.lines, &ext)
    }
}

/// The two C functions an `ext.call` becomes a call of: `neurlang_ext_call2` and
/// `neurlang_ext_call`, of the linked runtime or of a loaded library
/// ([`Table::ext_entries`](crate::script::abi::Table::ext_entries)).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct ExtEntries {
    pub call2: usize,
    pub call: usize,
}

impl ExtEntries {
    /// The linked runtime's.
    pub fn linked() -> ExtEntries {
        ExtEntries {
            call2: neurlang::abi::neurlang_ext_call2 as *const () as usize,
            call: neurlang::abi::neurlang_ext_call as *const () as usize,
        }
    }
}

/// The argument count of extension `id` in the current context's registry.
fn context_arity(id: u64) -> Option<usize> {
    let id = u32::try_from(id).ok()?;
    Context::current()
        .extensions()
        .info(id)
        .map(|i| i.arg_count)
}

/// Why this host cannot run generated code (no target for its architecture, or a pool that
/// cannot execute), found once by loading a `halt`; `None` where it can.
pub fn unsupported() -> Option<String> {
    static WHY: std::sync::OnceLock<Option<String>> = std::sync::OnceLock::new();
    WHY.get_or_init(|| match Program::compile("halt") {
        Err(e @ Error::Unsupported(_)) => Some(e.to_string()),
        _ => None,
    })
    .clone()
}

/// Runs `f` with a current context (for the C ABI, on this thread) whose registry is the
/// standard library over handle tables of its own; returns what `f` returned and the handles
/// still live after it.
pub fn with_own_stdlib<R>(f: impl FnOnce() -> R) -> (R, LiveHandles) {
    let lib = Arc::new(Stdlib::new());
    let mut registry = ExtensionRegistry::new();
    register_into(&mut registry, Arc::clone(&lib));
    let ctx = Arc::new(Context::new(IOPermissions::default()).with_extensions(registry));
    let r = Context::scoped(&ctx, f);
    (r, lib.live())
}

/// What one executed instruction did.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Step {
    /// Its 1-based line in the text.
    pub line: usize,
    /// The register it writes, if any.
    pub dest: Option<Reg>,
    /// That register's value right after it.
    pub value: u64,
    /// For `ext.call`, what the runtime returned (0 or `-errno`); 0 for the others.
    pub status: i64,
}

/// What a run did: a [`Step`] for each instruction executed (up to and including the first
/// `halt`: the assembly has no jumps).
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Run {
    pub steps: Vec<Step>,
}

impl Run {
    /// The first `ext.call` that failed.
    pub fn failure(&self) -> Option<&Step> {
        self.steps.iter().find(|s| s.status != 0)
    }
}

#[cfg(test)]
mod tests;
