//! `ReportAtExit`: what `#[perftrack::main]` puts at the top of `main`. When
//! `main` returns (or unwinds), it prints the [`global`] tracker's report to
//! stderr and writes the outputs `PERFTRACK_OUT` asks for.
//!
//! `PERFTRACK_OUT` is a comma-separated list of `KIND=PATH`:
//! * `json=PATH`: one JSON-lines snapshot appended to `PATH` (feature `serde`);
//! * `folded=PATH`: the folded stacks, for any flamegraph renderer;
//! * `svg=PATH`: the flamegraph itself (feature `flamegraph`).
//!
//! A kind this build cannot write, or a file that cannot be written, is a
//! message on stderr naming it; nothing here panics.

use std::string::{String, ToString};
use std::vec::Vec;

use crate::host::performance::global;

/// The environment variable that lists the outputs to write at exit.
pub const PERFTRACK_OUT: &str = "PERFTRACK_OUT";

/// Prints the [`global`] tracker's report to stderr, and writes the
/// `PERFTRACK_OUT` outputs, when dropped: at the end of `main`.
#[derive(Debug, Default)]
#[must_use = "the report is printed when this is dropped"]
pub struct ReportAtExit(());

impl ReportAtExit {
    /// Arms the report.
    pub fn new() -> Self {
        Self(())
    }
}

impl Drop for ReportAtExit {
    fn drop(&mut self) {
        let tracker = global();
        std::eprint!("{}", tracker.report());
        let Ok(spec) = std::env::var(PERFTRACK_OUT) else { return };
        for (kind, path) in outputs(&spec) {
            if let Err(why) = write_output(kind, path) {
                std::eprintln!("perftrack: {PERFTRACK_OUT} {kind}={path}: {why}");
            }
        }
    }
}

/// The `(kind, path)` pairs of a `PERFTRACK_OUT` value; an entry without `=`
/// is reported and skipped.
fn outputs(spec: &str) -> Vec<(&str, &str)> {
    spec.split(',')
        .map(str::trim)
        .filter(|entry| !entry.is_empty())
        .filter_map(|entry| match entry.split_once('=') {
            Some((kind, path)) if !path.is_empty() => Some((kind.trim(), path.trim())),
            _ => {
                std::eprintln!("perftrack: {PERFTRACK_OUT} entry {entry:?} is not KIND=PATH (json, folded or svg)");
                None
            }
        })
        .collect()
}

/// Writes one output of the global tracker.
fn write_output(kind: &str, path: &str) -> Result<(), String> {
    let tracker = global();
    match kind {
        "folded" => {
            let mut folded = String::new();
            tracker.write_folded(&mut folded).map_err(|e| e.to_string())?;
            std::fs::write(path, folded).map_err(|e| e.to_string())
        }
        #[cfg(feature = "serde")]
        "json" => crate::host::history::append_json_lines(path, &crate::host::history::Snapshot::take(tracker))
            .map_err(|e| e.to_string()),
        #[cfg(not(feature = "serde"))]
        "json" => Err(String::from("JSON output needs perftrack's `serde` feature")),
        #[cfg(feature = "flamegraph")]
        "svg" => {
            let mut file = std::fs::File::create(path).map_err(|e| e.to_string())?;
            tracker.write_flamegraph(&mut file).map_err(|e| e.to_string())
        }
        #[cfg(not(feature = "flamegraph"))]
        "svg" => Err(String::from("an SVG flamegraph needs perftrack's `flamegraph` feature")),
        other => Err(std::format!("unknown output kind {other:?} (json, folded or svg)")),
    }
}

#[cfg(test)]
mod tests {
    use super::outputs;

    #[test]
    fn outputs_are_kind_equals_path_pairs_and_malformed_entries_are_skipped() {
        assert_eq!(
            outputs("json=a.jsonl, folded=b.folded,,svg = c.svg"),
            [("json", "a.jsonl"), ("folded", "b.folded"), ("svg", "c.svg")]
        );
        assert_eq!(outputs("nonsense,folded="), []);
    }
}
