//! `perftrack`: run programs for their history, and read the JSON history
//! files a tracker wrote (`append_json_lines`, or `PERFTRACK_OUT=json=PATH`
//! at exit).
//!
//! ```text
//! perftrack report run.jsonl [--at N]
//! perftrack run -n 5 --out runs.jsonl -- ./target/release/bench --quick
//! perftrack ab -n 5 --base "./base-bin" --head "./head-bin" --base-out base.jsonl --head-out head.jsonl
//! perftrack diff base.jsonl head.jsonl [--last N] [--threshold 5%] [--format text|markdown|json] [--fail-on-inconclusive]
//! perftrack trend runs.jsonl [--op NAME] [--svg trend.svg]
//! perftrack merge a.jsonl b.jsonl ... > fleet.jsonl
//! ```
//!
//! Exit status: 0 when all went well (for `diff`: nothing regressed); 1
//! when `diff` found a regression; 2 on a bad input (a file that cannot be
//! read or is not a history, a command that failed), with a message that
//! names it; 3 when `diff --fail-on-inconclusive` found nothing regressed
//! but could not say for some operation.

mod runner;
mod threshold;
mod trend;

use std::path::{Path, PathBuf};
use std::process::ExitCode;

use clap::{Parser, Subcommand, ValueEnum};
use perftrack::compare::{DEFAULT_RUNS, RunDiff};
use perftrack::history::{Snapshot, read_history, runs};

use threshold::Threshold;

/// Runs programs for their history, and reports, compares, trends and
/// merges perftrack's JSON history files.
#[derive(Parser, Debug)]
#[command(
    name = "perftrack",
    version,
    about,
    after_help = "Exit status: 0 all went well (diff: nothing regressed); 1 diff found a regression; \
                  2 a bad input (a file that is not a history, a command that failed); \
                  3 diff --fail-on-inconclusive found an operation it could not judge."
)]
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
    /// Compares the runs of HEAD with the runs of BASE, the run as the
    /// unit: each figure gets one value per run, and the runs of the sides
    /// are compared by rank. Fewer than 3 runs a side give no timing
    /// verdict (a one-run-a-side diff never exits 1). Exit status: 0
    /// nothing regressed, 1 a regression, 2 a bad input, 3 (with
    /// --fail-on-inconclusive) an operation the runs cannot judge.
    Diff {
        /// The history of the base runs (`perftrack ab --base-out`).
        base: PathBuf,
        /// The history of the head runs.
        head: PathBuf,
        /// Takes each file's last N runs (all by default).
        #[arg(long)]
        last: Option<usize>,
        /// Changes at or below it are never a verdict: `5%` or `0.05`.
        #[arg(long, default_value = "5%")]
        threshold: Threshold,
        /// How to print the table.
        #[arg(long, value_enum, default_value_t = Format::Text)]
        format: Format,
        /// Exits 3 when nothing regressed but an operation is inconclusive.
        #[arg(long)]
        fail_on_inconclusive: bool,
    },
    /// Runs a command N times, each run appending its snapshot to FILE
    /// (PERFTRACK_OUT=json=FILE in its environment).
    Run {
        /// How many runs.
        #[arg(short = 'n', long, default_value_t = DEFAULT_RUNS)]
        runs: usize,
        /// The history file the runs append to.
        #[arg(long)]
        out: PathBuf,
        /// The command and its arguments, after `--`.
        #[arg(required = true, last = true)]
        command: Vec<String>,
    },
    /// Runs two commands N times each, interleaved (base, head, head, base,
    /// base, head, …: every pair in turn starts with the other side, so
    /// that drift hits both sides alike), each through `sh -c`, appending
    /// their snapshots to --base-out and --head-out, which start empty.
    Ab {
        /// Runs a side.
        #[arg(short = 'n', long, default_value_t = DEFAULT_RUNS)]
        runs: usize,
        /// The base command line.
        #[arg(long)]
        base: String,
        /// The head command line.
        #[arg(long)]
        head: String,
        /// The base runs' history file.
        #[arg(long)]
        base_out: PathBuf,
        /// The head runs' history file.
        #[arg(long)]
        head_out: PathBuf,
        /// Appends to the files instead of starting them empty.
        #[arg(long)]
        append: bool,
    },
    /// Each operation's p50 and p99 run by run, with the change points
    /// found (binary segmentation with Pettitt's rank test, p <= 0.01, steps
    /// over 5%): a sparkline a row, and with --svg a chart.
    Trend {
        /// A JSON-lines history file of many runs.
        file: PathBuf,
        /// Only this operation (its name, or name and labels).
        #[arg(long)]
        op: Option<String>,
        /// Also draws the chart as an SVG here.
        #[arg(long)]
        svg: Option<PathBuf>,
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

/// Every snapshot of `path`, or a message that names it. A last line cut
/// short by a crash is left out, with a warning that names it.
fn snapshots(path: &Path) -> Result<Vec<Snapshot>, String> {
    let history = read_history(path).map_err(|e| format!("{}: {e}", path.display()))?;
    if let Some(cut) = &history.truncated {
        eprintln!("perftrack: warning: {}: {cut}", path.display());
    }
    if history.snapshots.is_empty() {
        return Err(format!("{}: no snapshot in the file", path.display()));
    }
    Ok(history.snapshots)
}

/// The runs of `path` (a run's last snapshot each), the last `last` of them.
fn runs_of(path: &Path, last: Option<usize>) -> Result<Vec<Snapshot>, String> {
    let all = snapshots(path)?;
    let runs = runs(&all);
    let keep = last.unwrap_or(runs.len());
    if keep == 0 {
        return Err("--last 0 leaves no run to compare".into());
    }
    Ok(runs[runs.len().saturating_sub(keep)..].iter().map(|&s| s.clone()).collect())
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

fn run(cli: Cli) -> Result<ExitCode, String> {
    match cli.command {
        Command::Report { file, at } => {
            print!("{}", pick(&file, snapshots(&file)?, at)?.report());
            Ok(ExitCode::SUCCESS)
        }
        Command::Diff { base, head, last, threshold, format, fail_on_inconclusive } => {
            // BASE first: an error names the files in the order they were given.
            let base = runs_of(&base, last)?;
            let head = runs_of(&head, last)?;
            let diff = RunDiff::new(&base, &head, threshold.0);
            match format {
                Format::Text => print!("{diff}"),
                Format::Markdown => print!("{}", diff.to_markdown()),
                Format::Json => println!("{}", diff.to_json().map_err(|e| e.to_string())?),
            }
            Ok(if diff.regressions().next().is_some() {
                ExitCode::from(1)
            } else if fail_on_inconclusive && diff.inconclusive() {
                ExitCode::from(3)
            } else {
                ExitCode::SUCCESS
            })
        }
        Command::Run { runs, out, command } => {
            runner::run(runs, &out, &command)?;
            Ok(ExitCode::SUCCESS)
        }
        Command::Ab { runs, base, head, base_out, head_out, append } => {
            runner::ab(runs, [&base, &head], [&base_out, &head_out], append)?;
            Ok(ExitCode::SUCCESS)
        }
        Command::Trend { file, op, svg } => {
            let all = snapshots(&file)?;
            let runs: Vec<&Snapshot> = runs(&all);
            let series = trend::series(&runs, op.as_deref());
            if series.is_empty() {
                return Err(match op {
                    Some(op) => format!("{}: no operation named {op:?}", file.display()),
                    None => format!("{}: no operation in the file", file.display()),
                });
            }
            print!("{}", trend::text(&series, runs.len()));
            if let Some(path) = svg {
                std::fs::write(&path, trend::svg(&series, runs.len()))
                    .map_err(|e| format!("{}: cannot write the chart: {e}", path.display()))?;
            }
            Ok(ExitCode::SUCCESS)
        }
        Command::Merge { files } => {
            let lasts = files.iter().map(|f| pick(f, snapshots(f)?, None)).collect::<Result<Vec<_>, _>>()?;
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
