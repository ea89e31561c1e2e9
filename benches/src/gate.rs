//! The instruction-count gate: measured counts against committed limits.

use serde::{Deserialize, Serialize};
use serde_json::Value;
use std::collections::BTreeMap;
use std::fmt::Write as _;
use std::path::{Path, PathBuf};

/// Headroom added to a measured count when limits are regenerated: small enough that a 10 %
/// slowdown of any operation fails, large enough for toolchain-independent noise (none is
/// expected: callgrind counts are exact for a given binary). Checked by the unit test
/// `regenerated_limits_let_the_same_counts_pass_but_not_ten_percent_more`.
pub const HEADROOM_PCT: f64 = 2.0;

/// `benches/gate/limits.toml`.
pub fn limits_path() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("gate")
        .join("limits.toml")
}

/// Instructions executed per benchmark, by benchmark name (`group::function id`).
pub type Measured = BTreeMap<String, u64>;

/// Reads gungraun's JSON summaries (one object per line, or pretty objects back to back).
pub fn parse_summaries(text: &str) -> Result<Measured, String> {
    let mut out = Measured::new();
    for value in serde_json::Deserializer::from_str(text).into_iter::<Value>() {
        let v = value.map_err(|e| format!("not gungraun JSON output: {e}"))?;
        let group = v["group"].as_str().unwrap_or_default();
        let function = v["function_name"]
            .as_str()
            .ok_or("a summary without function_name")?;
        let name = match v["id"].as_str() {
            Some(id) => format!("{group}::{function} {id}"),
            None => format!("{group}::{function}"),
        };
        let ir = instructions(&v)
            .ok_or_else(|| format!("{name}: no callgrind Ir metric in the summary"))?;
        out.insert(name, ir);
    }
    Ok(out)
}

/// The new value of the `Ir` (instructions) metric of the callgrind profile's total
/// (gungraun summary schema v6: `profiles[].data.total.metrics.Ir.values.new`).
fn instructions(summary: &Value) -> Option<u64> {
    let profiles = summary["profiles"].as_array()?;
    let callgrind = profiles.iter().find(|p| {
        p["tool"]
            .as_str()
            .is_some_and(|t| t.eq_ignore_ascii_case("callgrind"))
    })?;
    callgrind["data"]["total"]["metrics"]["Ir"]["values"]["new"].as_u64()
}

/// The committed limits.
#[derive(Debug, Clone, Default, Serialize, Deserialize)]
pub struct Limits {
    /// Instructions per benchmark, by name.
    pub limits: BTreeMap<String, u64>,
}

impl Limits {
    /// Reads the limits file.
    pub fn load(path: &Path) -> Result<Limits, String> {
        let text = std::fs::read_to_string(path).map_err(|e| format!("{}: {e}", path.display()))?;
        toml::from_str(&text).map_err(|e| format!("{}: {e}", path.display()))
    }

    /// The measured counts plus [`HEADROOM_PCT`].
    pub fn from_measured(m: &Measured) -> Limits {
        let limits = m
            .iter()
            .map(|(k, &v)| {
                (
                    k.clone(),
                    (v as f64 * (1.0 + HEADROOM_PCT / 100.0)).ceil() as u64,
                )
            })
            .collect();
        Limits { limits }
    }

    /// Writes the limits file with its header.
    pub fn save(&self, path: &Path) -> Result<(), String> {
        let body = toml::to_string(self).map_err(|e| e.to_string())?;
        let text = format!(
            "# Instruction-count limits of the gate (benches/benches/gate.rs), measured by callgrind.\n\
             # Regenerate after an intended change with `ci/bench-gate.sh --update` and commit the\n\
             # diff with the reason. Each limit is the measured count plus {HEADROOM_PCT} %.\n\n{body}"
        );
        std::fs::write(path, text).map_err(|e| format!("{}: {e}", path.display()))
    }
}

/// One row of the verdict.
#[derive(Debug, Clone, PartialEq)]
pub enum Row {
    /// Within its limit.
    Ok {
        name: String,
        measured: u64,
        limit: u64,
    },
    /// Above its limit.
    Regressed {
        name: String,
        measured: u64,
        limit: u64,
    },
    /// Measured, but no limit is committed.
    NoLimit { name: String, measured: u64 },
    /// A limit for a benchmark that no longer exists.
    Stale { name: String, limit: u64 },
}

/// The gate's verdict.
#[derive(Debug, Clone, Default)]
pub struct Verdict {
    /// Every row, by name.
    pub rows: Vec<Row>,
}

/// Compares measured counts with the limits.
pub fn check(measured: &Measured, limits: &Limits) -> Verdict {
    let mut rows = Vec::new();
    for (name, &m) in measured {
        rows.push(match limits.limits.get(name) {
            Some(&l) if m <= l => Row::Ok {
                name: name.clone(),
                measured: m,
                limit: l,
            },
            Some(&l) => Row::Regressed {
                name: name.clone(),
                measured: m,
                limit: l,
            },
            None => Row::NoLimit {
                name: name.clone(),
                measured: m,
            },
        });
    }
    for (name, &l) in &limits.limits {
        if !measured.contains_key(name) {
            rows.push(Row::Stale {
                name: name.clone(),
                limit: l,
            });
        }
    }
    Verdict { rows }
}

impl Verdict {
    /// True when every row is within its limit.
    pub fn passed(&self) -> bool {
        self.rows.iter().all(|r| matches!(r, Row::Ok { .. }))
    }

    /// The table and, for every failure, what to do.
    pub fn render(&self) -> String {
        let mut out = String::new();
        let _ = writeln!(
            out,
            "{:<58} {:>14} {:>14} {:>8}  status",
            "operation", "instructions", "limit", "vs limit"
        );
        let mut problems = Vec::new();
        for r in &self.rows {
            let (name, m, l, status) = match r {
                Row::Ok {
                    name,
                    measured,
                    limit,
                } => (name, Some(*measured), Some(*limit), "ok"),
                Row::Regressed {
                    name,
                    measured,
                    limit,
                } => {
                    let pct = (*measured as f64 / *limit as f64 - 1.0) * 100.0;
                    let base = (*limit as f64 / (1.0 + HEADROOM_PCT / 100.0)).round();
                    let over_base = (*measured as f64 / base - 1.0) * 100.0;
                    problems.push(format!(
                        "REGRESSION {name}: {measured} instructions, {pct:.1} % above its limit of {limit} \
                         ({over_base:+.1} % against the recorded count). Reproduce:\n  \
                         cargo bench -p neurlang-benches --bench gate -- '{}'",
                        filter_of(name)
                    ));
                    (name, Some(*measured), Some(*limit), "REGRESSED")
                }
                Row::NoLimit { name, measured } => {
                    problems.push(format!(
                        "NO LIMIT {name}: add it with `ci/bench-gate.sh --update` and commit"
                    ));
                    (name, Some(*measured), None, "no limit")
                }
                Row::Stale { name, limit } => {
                    problems.push(format!(
                        "STALE LIMIT {name}: no such benchmark; `ci/bench-gate.sh --update`"
                    ));
                    (name, None, Some(*limit), "stale")
                }
            };
            let vs = match (m, l) {
                (Some(m), Some(l)) => format!("{:+.1}%", (m as f64 / l as f64 - 1.0) * 100.0),
                _ => "—".into(),
            };
            let show = |x: Option<u64>| x.map_or("—".to_string(), |v| v.to_string());
            let _ = writeln!(
                out,
                "{name:<58} {:>14} {:>14} {vs:>8}  {status}",
                show(m),
                show(l)
            );
        }
        for p in &problems {
            let _ = writeln!(out, "\n{p}");
        }
        let bad = problems.len();
        let _ = writeln!(
            out,
            "\ngate: {} operations, {} within limits, {bad} failing",
            self.rows.len(),
            self.rows.len() - bad
        );
        out
    }
}

/// The gungraun filter that runs just this benchmark.
fn filter_of(name: &str) -> String {
    name.split(' ')
        .next()
        .unwrap_or(name)
        .rsplit("::")
        .next()
        .unwrap_or(name)
        .to_string()
}

#[cfg(test)]
mod tests {
    use super::*;

    fn limits(pairs: &[(&str, u64)]) -> Limits {
        Limits {
            limits: pairs.iter().map(|(k, v)| (k.to_string(), *v)).collect(),
        }
    }

    #[test]
    fn reads_the_new_instruction_count_of_a_summary() {
        let line = r#"{"group":"g","function_name":"op","id":"a","profiles":[{"tool":"Callgrind",
            "data":{"total":{"metrics":{"Dr":{"values":{"new":7}},
            "Ir":{"change":{"diff_pct":"0","factor":"1"},"values":{"new":51195,"old":50000}}}}}}]}"#;
        let m = parse_summaries(&line.replace('\n', " ")).unwrap();
        assert_eq!(m.get("g::op a"), Some(&51195));
    }

    #[test]
    fn a_count_above_its_limit_fails_and_is_named() {
        let m: Measured = [("g::op a".to_string(), 1100)].into();
        let v = check(&m, &limits(&[("g::op a", 1020)]));
        assert!(!v.passed());
        let text = v.render();
        assert!(text.contains("REGRESSION g::op a"), "{text}");
        assert!(text.contains("--bench gate -- 'op'"), "{text}");
    }

    #[test]
    fn counts_within_limits_pass_and_missing_or_stale_limits_fail() {
        let m: Measured = [("g::a".to_string(), 100)].into();
        assert!(check(&m, &limits(&[("g::a", 100)])).passed());
        assert!(!check(&m, &limits(&[])).passed());
        assert!(!check(&m, &limits(&[("g::a", 100), ("g::gone", 5)])).passed());
    }

    #[test]
    fn regenerated_limits_let_the_same_counts_pass_but_not_ten_percent_more() {
        let m: Measured = [("g::a".to_string(), 10_000)].into();
        let l = Limits::from_measured(&m);
        assert!(check(&m, &l).passed());
        let slower: Measured = [("g::a".to_string(), 11_000)].into();
        assert!(!check(&slower, &l).passed());
    }
}
