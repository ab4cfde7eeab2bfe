//! `perftrack`: read JSON history files that a tracker wrote
//! (`append_json_lines`, or `PERFTRACK_OUT=json=PATH` at exit).
//!
//! ```text
//! perftrack report run.jsonl [--at N]
//! perftrack diff base.jsonl head.jsonl [--threshold 5%] [--format text|markdown|json]
//! perftrack merge a.jsonl b.jsonl ... > fleet.jsonl
//! ```
//!
//! Exit status: 0 when all went well (and, for `diff`, nothing regressed);
//! 1 when `diff` found a regression past the threshold; 2 on an error (a
//! file that cannot be read, or is not a history), with a message that
//! names the file and the line.

mod threshold;

use std::path::{Path, PathBuf};
use std::process::ExitCode;

use clap::{Parser, Subcommand, ValueEnum};
use perftrack::history::{Snapshot, read_json_lines};

use threshold::Threshold;

/// Reports, compares and merges perftrack's JSON history files.
#[derive(Parser, Debug)]
#[command(name = "perftrack", version, about)]
struct Cli {
    #[command(subcommand)]
    command: Command,
}

#[derive(Subcommand, Debug)]
enum Command {
    /// Prints the report of one snapshot of a history file (its operations,
    /// then its counters and gauges): the last one, or the N-th with --at.
    Report {
        /// A JSON-lines history file.
        file: PathBuf,
        /// Which snapshot, counted from 1 (negative: from the end, -1 the last).
        #[arg(long, allow_hyphen_values = true)]
        at: Option<i64>,
    },
    /// Compares the last snapshot of HEAD with the last of BASE: each
    /// operation's mean and quantiles with their change and a verdict.
    /// Exits 1 when an operation regressed past the threshold.
    Diff {
        /// The history of the run to compare against (the base branch).
        base: PathBuf,
        /// The history of the run under test (the head).
        head: PathBuf,
        /// Changes at or below it are never a verdict: `5%` or `0.05`.
        #[arg(long, default_value = "5%")]
        threshold: Threshold,
        /// How to print the table.
        #[arg(long, value_enum, default_value_t = Format::Text)]
        format: Format,
    },
    /// Merges the last snapshot of each file into one (exact: histograms
    /// add bucket for bucket, counters and gauges add) and prints it as one
    /// JSON line: the fleet's view, for `perftrack report` or `diff`.
    Merge {
        /// JSON-lines history files, one per process.
        #[arg(required = true)]
        files: Vec<PathBuf>,
    },
}

/// The formats of `diff`.
#[derive(ValueEnum, Clone, Copy, Debug, PartialEq, Eq)]
enum Format {
    /// A plain-text table.
    Text,
    /// A Markdown table, ready for a pull-request comment.
    Markdown,
    /// One JSON object.
    Json,
}

/// Every snapshot of `path`, or a message that names it.
fn snapshots(path: &Path) -> Result<Vec<Snapshot>, String> {
    let all = read_json_lines(path).map_err(|e| format!("{}: {e}", path.display()))?;
    if all.is_empty() {
        return Err(format!("{}: no snapshot in the file", path.display()));
    }
    Ok(all)
}

/// The snapshot `at` picks (1-based; negative from the end).
fn pick(path: &Path, mut all: Vec<Snapshot>, at: Option<i64>) -> Result<Snapshot, String> {
    let n = all.len();
    let index = match at.unwrap_or(-1) {
        0 => None,
        k if k > 0 => usize::try_from(k - 1).ok().filter(|&i| i < n),
        k => usize::try_from(k.unsigned_abs()).ok().and_then(|back| n.checked_sub(back)),
    };
    match index {
        Some(i) => Ok(all.swap_remove(i)),
        None => Err(format!(
            "{}: --at {} is out of range: the file holds {n} snapshots (1 to {n}, or -1 to -{n})",
            path.display(),
            at.unwrap_or(-1)
        )),
    }
}

fn last(path: &Path) -> Result<Snapshot, String> {
    pick(path, snapshots(path)?, None)
}

fn run(cli: Cli) -> Result<ExitCode, String> {
    match cli.command {
        Command::Report { file, at } => {
            print!("{}", pick(&file, snapshots(&file)?, at)?.report());
            Ok(ExitCode::SUCCESS)
        }
        Command::Diff { base, head, threshold, format } => {
            // BASE first: an error names the files in the order they were given.
            let base = last(&base)?;
            let diff = last(&head)?.diff_with(&base, threshold.0);
            match format {
                Format::Text => print!("{diff}"),
                Format::Markdown => print!("{}", diff.to_markdown()),
                Format::Json => println!("{}", diff.to_json().map_err(|e| e.to_string())?),
            }
            Ok(if diff.regressions().is_empty() { ExitCode::SUCCESS } else { ExitCode::from(1) })
        }
        Command::Merge { files } => {
            let lasts = files.iter().map(|f| last(f)).collect::<Result<Vec<_>, _>>()?;
            println!("{}", Snapshot::merge(&lasts).to_json_line());
            Ok(ExitCode::SUCCESS)
        }
    }
}

fn main() -> ExitCode {
    match run(Cli::parse()) {
        Ok(code) => code,
        Err(message) => {
            eprintln!("perftrack: {message}");
            ExitCode::from(2)
        }
    }
}
