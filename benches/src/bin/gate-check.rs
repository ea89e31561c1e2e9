//! `gate-check`: compares the instruction counts of the gate benches with their committed limits.
//!
//! ```text
//! cargo bench -p neurlang-benches --bench gate -- --output-format=json | gate-check [--update]
//! ```
//!
//! Reads gungraun's JSON summaries (one per line) on stdin and `benches/gate/limits.toml`.
//! Without `--update` it prints a table and exits 1 when any operation's instruction count rises
//! above its limit, when an operation has no limit, or when a limit names no operation. With
//! `--update` it rewrites the limits as the measured counts plus the headroom.

use neurlang_benches::gate::{self, Limits};
use std::io::Read;
use std::process::ExitCode;

fn main() -> ExitCode {
    // gungraun captures what the bench binary prints, so the gate's machine line comes from here.
    neurlang_benches::machine::print();
    let update = std::env::args().any(|a| a == "--update");
    let mut input = String::new();
    if let Err(e) = std::io::stdin().read_to_string(&mut input) {
        eprintln!("gate-check: reading stdin: {e}");
        return ExitCode::from(2);
    }
    let measured = match gate::parse_summaries(&input) {
        Ok(m) if !m.is_empty() => m,
        Ok(_) => {
            eprintln!("gate-check: no benchmark summaries on stdin (was gungraun-runner run?)");
            return ExitCode::from(2);
        }
        Err(e) => {
            eprintln!("gate-check: {e}");
            return ExitCode::from(2);
        }
    };
    let path = gate::limits_path();
    if update {
        let limits = Limits::from_measured(&measured);
        if let Err(e) = limits.save(&path) {
            eprintln!("gate-check: {e}");
            return ExitCode::from(2);
        }
        println!("wrote {} limits to {}", measured.len(), path.display());
        return ExitCode::SUCCESS;
    }
    let limits = match Limits::load(&path) {
        Ok(l) => l,
        Err(e) => {
            eprintln!("gate-check: {e}");
            return ExitCode::from(2);
        }
    };
    let verdict = gate::check(&measured, &limits);
    print!("{}", verdict.render());
    if verdict.passed() {
        ExitCode::SUCCESS
    } else {
        ExitCode::FAILURE
    }
}
