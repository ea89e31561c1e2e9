//! The contract table (`cases/abi.toml`) checked against the Rust signatures (the table of
//! [`crate::script::abi`], coerced to typed function pointers there, so a mismatch does not
//! compile) and against `neurlang.h`: C types and the header's prototypes.

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
