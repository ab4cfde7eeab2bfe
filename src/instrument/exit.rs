//! `ReportAtExit`: what `#[perftrack::main]` puts at the top of `main`. When
//! `main` returns (or unwinds), it prints the [`global`] tracker's report to
//! stderr and writes the outputs `PERFTRACK_OUT` asks for.
//!
//! `PERFTRACK_OUT` is a comma-separated list of `KIND=PATH`:
//! * `json=PATH`: one JSON-lines snapshot appended to `PATH` (feature `serde`);
//! * `folded=PATH`: the folded stacks, for any flamegraph renderer;
//! * `svg=PATH`: the flamegraph itself (feature `flamegraph`);
//! * `trace=PATH`: the timeline, as Trace Event Format JSON for Perfetto,
//!   `chrome://tracing` or speedscope. `#[perftrack::main]` turns the
//!   timeline on when `main` starts if the variable asks for it (with
//!   [`DEFAULT_EVENTS`](crate::timeline::DEFAULT_EVENTS) a thread).
//!
//! A kind this build cannot write, or a file that cannot be written, is a
//! message on stderr naming it; nothing here panics. [`write_outputs`]
//! writes the same outputs at any moment, for a program that ends another
//! way than by returning from `main`.

use std::string::{String, ToString};
use std::vec::Vec;

use crate::instrument::performance::global;

/// The environment variable that lists the outputs to write at exit.
pub const PERFTRACK_OUT: &str = "PERFTRACK_OUT";

/// Prints the [`global`] tracker's report to stderr, and writes the
/// `PERFTRACK_OUT` outputs, when dropped: at the end of `main`.
#[cfg(feature = "macros")]
#[derive(Debug, Default)]
#[must_use = "the report is printed when this is dropped"]
pub struct ReportAtExit(());

#[cfg(feature = "macros")]
impl ReportAtExit {
    /// Arms the report, and turns the timeline on if `PERFTRACK_OUT` asks
    /// for a trace.
    pub fn new() -> Self {
        if std::env::var(PERFTRACK_OUT).is_ok_and(|spec| outputs(&spec).iter().any(|&(kind, _)| kind == "trace")) {
            crate::timeline::enable(crate::timeline::DEFAULT_EVENTS);
        }
        Self(())
    }
}

#[cfg(feature = "macros")]
impl Drop for ReportAtExit {
    fn drop(&mut self) {
        std::eprint!("{}", global().report());
        if let Err(e) = write_outputs() {
            std::eprintln!("perftrack: {e}");
        }
    }
}

/// Writes the outputs that `PERFTRACK_OUT` lists for the process-wide
/// tracker ([`global`]) now: what `#[perftrack::main]` does when `main`
/// returns, for a program that ends another way (`std::process::exit`, a
/// signal handler of its own, an embedding host). Nothing when the
/// variable is unset. Each call appends one more JSON snapshot, so a
/// program under `#[perftrack::main]` that calls it too writes twice.
///
/// ```
/// // PERFTRACK_OUT unset: nothing to write.
/// perftrack::instrument::write_outputs()?;
/// # Ok::<(), std::io::Error>(())
/// ```
///
/// # Errors
///
/// Every entry is tried; the error names each one that could not be
/// written (`json=run.jsonl: …; svg=…: …`), or that is not `KIND=PATH`.
pub fn write_outputs() -> std::io::Result<()> {
    let Ok(spec) = std::env::var(PERFTRACK_OUT) else { return Ok(()) };
    let failures: Vec<String> = outputs(&spec)
        .into_iter()
        .filter_map(|(kind, path)| write_output(kind, path).err().map(|why| std::format!("{kind}={path}: {why}")))
        .collect();
    if failures.is_empty() {
        Ok(())
    } else {
        Err(std::io::Error::other(std::format!("{PERFTRACK_OUT} {}", failures.join("; "))))
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
                std::eprintln!(
                    "perftrack: {PERFTRACK_OUT} entry {entry:?} is not KIND=PATH (json, folded, svg or trace)"
                );
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
        "json" => {
            crate::history::append_json_lines(path, &crate::history::Snapshot::take(tracker)).map_err(|e| e.to_string())
        }
        #[cfg(not(feature = "serde"))]
        "json" => Err(String::from("JSON output needs perftrack's `serde` feature")),
        #[cfg(feature = "flamegraph")]
        "svg" => {
            let mut file = std::fs::File::create(path).map_err(|e| e.to_string())?;
            tracker.write_flamegraph(&mut file).map_err(|e| e.to_string())
        }
        #[cfg(not(feature = "flamegraph"))]
        "svg" => Err(String::from("an SVG flamegraph needs perftrack's `flamegraph` feature")),
        "trace" if !crate::timeline::is_on() && crate::timeline::stats().written == 0 => Err(String::from(
            "the timeline was never on: #[perftrack::main] turns it on for PERFTRACK_OUT=trace=…, or call perftrack::timeline::enable",
        )),
        "trace" => {
            let mut file = std::fs::File::create(path).map_err(|e| e.to_string())?;
            tracker.write_trace(&mut file).map_err(|e| e.to_string())
        }
        other => Err(std::format!("unknown output kind {other:?} (json, folded, svg or trace)")),
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
