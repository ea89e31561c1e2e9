//! The contract table (`cases/abi.toml`) checked against the Rust signatures (coerced to typed
//! function pointers here, so a mismatch does not compile) and against `neurlang.h`.

use neurlang::abi::*;

macro_rules! sigs {
    ($( $name:ident : $($uns:ident)? ( $($t:ty),* ) ),* $(,)?) => {
        /// Every exported function: name without `neurlang_`, argument types, whether unsafe.
        pub static RUST: &[(&str, &[&str], bool)] = &[$(
            {
                let _: $($uns)? extern "C" fn($($t),*) -> i64 = $name;
                (stringify!($name), &[$(stringify!($t)),*], sigs!(@u $($uns)?))
            }
        ),*];
    };
    (@u unsafe) => { true };
    (@u) => { false };
}

sigs! {
    neurlang_file_open: unsafe (*const u8, u64, u64),
    neurlang_file_read: (u64, u64, u64),
    neurlang_file_write: (u64, u64, u64),
    neurlang_file_seek: (u64, i64, u64),
    neurlang_file_size: (u64),
    neurlang_file_close: (u64),
    neurlang_file_unlink: unsafe (*const u8, u64),
    neurlang_net_connect: unsafe (*const u8, u64, u64),
    neurlang_net_listen: unsafe (*const u8, u64, u64),
    neurlang_net_accept: (u64),
    neurlang_net_port: (u64),
    neurlang_net_send: (u64, u64, u64),
    neurlang_net_recv: (u64, u64, u64),
    neurlang_net_close: (u64),
    neurlang_io_print: (u64, u64),
    neurlang_io_read_line: (u64, u64),
    neurlang_spawn: unsafe (u64, u64),
    neurlang_join: (u64),
    neurlang_chan_create: (),
    neurlang_chan_send: (u64, u64),
    neurlang_chan_recv: (u64),
    neurlang_chan_try_recv: (u64),
    neurlang_chan_close: (u64),
    neurlang_chan_destroy: (u64),
    neurlang_cap_create: unsafe (*mut u8, u64, u64),
    neurlang_cap_restrict: (u64, u64),
    neurlang_cap_slice: (u64, u64, u64),
    neurlang_cap_revoke: (u64),
    neurlang_cap_check: (u64, u64, u64),
    neurlang_time_now: (),
    neurlang_time_monotonic: (),
    neurlang_time_sleep: (u64),
    neurlang_rand_fill: (u64, u64),
    neurlang_ext_call2: unsafe (u64, u64, u64, *mut u64),
    neurlang_ext_call: unsafe (u64, *const u64, u64, *mut u64),
    neurlang_sandbox_init: unsafe (u64, *const u8, u64, *const u8, u64),
}

/// The C spelling of a Rust ABI type.
pub fn c_type(rust: &str) -> Option<&'static str> {
    Some(match rust.replace(' ', "").as_str() {
        "u64" => "uint64_t",
        "i64" => "int64_t",
        "*constu8" => "const uint8_t *",
        "*mutu8" => "uint8_t *",
        "*constu64" => "const uint64_t *",
        "*mutu64" => "uint64_t *",
        _ => return None,
    })
}

/// Parses the header's prototypes: name (without `neurlang_`) and C argument types.
pub fn header_prototypes(text: &str) -> Vec<(String, Vec<String>)> {
    let flat = text.replace('\n', " ");
    let mut out = Vec::new();
    for decl in flat.split(';') {
        let decl = decl.trim();
        let Some(rest) = decl
            .rsplit("int64_t neurlang_")
            .next()
            .filter(|_| decl.contains("int64_t neurlang_"))
        else {
            continue;
        };
        let Some((name, args)) = rest.split_once('(') else {
            continue;
        };
        let args = args.trim_end_matches(')');
        let types = args
            .split(',')
            .map(str::trim)
            .filter(|a| !a.is_empty() && *a != "void")
            .map(|a| {
                // Drop the parameter name: the last identifier.
                let cut = a
                    .rfind(|c: char| !(c.is_alphanumeric() || c == '_'))
                    .map_or(0, |i| i + 1);
                a[..cut].split_whitespace().collect::<Vec<_>>().join(" ")
            })
            .collect();
        out.push((name.trim().to_string(), types));
    }
    out
}
