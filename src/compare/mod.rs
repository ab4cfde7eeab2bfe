//! Comparing two runs: [`Snapshot::diff`] gives, per operation, each
//! figure's change with the histogram's error bound, and a verdict that
//! knows what the data can resolve.
//!
//! # The method
//!
//! Each quantile (p50, p90, p99, p99.9) is read from each side's histogram
//! by interpolation inside its bucket, and gets a confidence interval from
//! the ranks of order statistics (`interval.rs`): it assumes only that each
//! run's records are independent draws from one distribution, whatever its
//! shape, and ties are ranks like any others. The mean is exact (the total
//! over the count) and gets a normal interval from the histogram's standard
//! deviation, given 30 records a side. Each side's interval is sized so
//! that two that do not overlap differ at the two-sided 0.4% level: five
//! figures are tested per operation, so the chance of any false verdict
//! stays near 1% (Bonferroni). A figure is
//!
//! * **`Regressed`** when the head's interval lies wholly above the base's
//!   (the runs differ beyond sampling), **and** the estimates differ by
//!   more than the caller's threshold, **and** by more than the buckets can
//!   be wrong by: 2 × 1/35 at the default resolution, each side's reading
//!   being within its bucket (0 for the exact mean);
//! * **`Improved`** likewise, below;
//! * **`Insufficient`** when either side has too few records to bound it (a
//!   p99.9 needs a few thousand);
//! * **`Unchanged`** otherwise.
//!
//! An operation is `Regressed` if any figure is, else `Improved` if any
//! figure is, else `Insufficient` if every figure is, else `Unchanged`.
//! `tests/diff.rs` holds the simulated false-verdict and power studies.
//!
//! What it does not know: runs on different machines, or records that are
//! not independent (a warm-up, a GC pause that hits a burst of them), move
//! the whole distribution for reasons outside the code. Compare runs of one
//! machine, and let each run long enough to be steady.

mod interval;
mod runs;
pub mod trend;

pub use runs::{DEFAULT_RUNS, MIN_RUNS, RUN_ALPHA, Reason, RunDiff, RunFigure, RunOperation};

use core::fmt;
use core::time::Duration;
use std::string::String;
use std::vec::Vec;

use crate::export::units::Nanos;
use crate::histogram::distribution::Distribution;
use crate::history::Snapshot;
use crate::summary::MetricsSummary;

use interval::{Interval, Z_PAIR};

/// The default threshold: changes of 5% or less are never a verdict.
pub const DIFF_THRESHOLD: f64 = 0.05;

/// What a diff says of one figure, or of one operation.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, serde::Serialize)]
#[non_exhaustive]
pub enum Verdict {
    /// Slower (larger) in head, beyond sampling, bucket error and threshold.
    Regressed,
    /// Faster (smaller) in head, likewise.
    Improved,
    /// No change past the threshold that the data can show.
    Unchanged,
    /// Too few records on a side to say.
    Insufficient,
    /// Too few runs on a side, or runs too scattered, to say whether the
    /// code changed ([`RunDiff`] only).
    Inconclusive,
}

impl Verdict {
    /// The word for it, as the text and JSON formats write it.
    #[must_use]
    pub const fn as_str(self) -> &'static str {
        match self {
            Self::Regressed => "regressed",
            Self::Improved => "improved",
            Self::Unchanged => "unchanged",
            Self::Insufficient => "insufficient",
            Self::Inconclusive => "inconclusive",
        }
    }
}

/// One figure of one operation in both runs.
#[derive(Clone, Copy, Debug, PartialEq, serde::Serialize)]
pub struct Change {
    /// Its value in the base run (`None`: no records there).
    #[serde(rename = "base_ns", with = "opt_ns")]
    pub base: Option<Duration>,
    /// Its value in the head run.
    #[serde(rename = "head_ns", with = "opt_ns")]
    pub head: Option<Duration>,
    /// `head / base − 1` (`None` without both, or with a zero base).
    pub relative: Option<f64>,
    /// The bound on `relative`'s error from the histograms' buckets alone:
    /// twice [`Distribution::relative_error`] for a quantile (each side's
    /// may be off by it), 0 for the exact mean.
    pub error_bound: f64,
    /// What the change amounts to (see the module docs).
    pub verdict: Verdict,
}

/// One operation in both runs.
#[derive(Clone, Debug, PartialEq, serde::Serialize)]
pub struct OperationDiff {
    /// The operation's name.
    pub name: String,
    /// Records in the base run (0 when it is not there).
    pub base_count: u64,
    /// Records in the head run (0 when it is not there).
    pub head_count: u64,
    /// The mean duration.
    pub mean: Change,
    /// The median.
    pub p50: Change,
    /// The 90th percentile.
    pub p90: Change,
    /// The 99th percentile.
    pub p99: Change,
    /// The 99.9th percentile.
    pub p999: Change,
    /// Heap allocations per call in each run (`None` where nothing counted
    /// them), for information: no verdict.
    pub allocations_per_call: (Option<f64>, Option<f64>),
    /// The operation's verdict (see the module docs).
    pub verdict: Verdict,
}

impl OperationDiff {
    /// The figures with their labels, in the order the tables show them.
    #[must_use]
    pub fn figures(&self) -> [(&'static str, &Change); 5] {
        [("mean", &self.mean), ("p50", &self.p50), ("p90", &self.p90), ("p99", &self.p99), ("p99.9", &self.p999)]
    }
}

/// Two runs compared: every operation present in either, in the head's
/// order, then the ones only the base has. Made by [`Snapshot::diff`].
///
/// ```
/// use perftrack::{Tracker, compare::Verdict, history::Snapshot};
/// use core::time::Duration;
///
/// let (base, head): (Tracker<1, 4>, Tracker<1, 4>) = (Tracker::new(), Tracker::new());
/// for i in 0..20_000u64 {
///     let us = 100 + i % 50;
///     base.record("parse", Duration::from_micros(us), 0)?;
///     head.record("parse", Duration::from_micros(us * 2), 0)?; // twice as slow
/// }
/// let diff = Snapshot::take(&head).diff(&Snapshot::take(&base));
/// assert_eq!(diff.regressions().len(), 1);
/// assert_eq!(diff.operations[0].p50.verdict, Verdict::Regressed);
/// // What a CI job asserts on:
/// let same = Snapshot::take(&base).diff(&Snapshot::take(&base));
/// assert!(same.regressions().is_empty());
/// # Ok::<(), perftrack::TrackerError>(())
/// ```
#[derive(Clone, Debug, PartialEq, serde::Serialize)]
pub struct Diff {
    /// The threshold the verdicts were made against (0.05 is 5%).
    pub threshold: f64,
    /// Every operation present in either run.
    pub operations: Vec<OperationDiff>,
}

impl Diff {
    /// The operations that regressed: what a CI check asserts is empty.
    #[must_use]
    pub fn regressions(&self) -> Vec<&OperationDiff> {
        self.operations.iter().filter(|o| o.verdict == Verdict::Regressed).collect()
    }

    /// The operations that improved.
    #[must_use]
    pub fn improvements(&self) -> Vec<&OperationDiff> {
        self.operations.iter().filter(|o| o.verdict == Verdict::Improved).collect()
    }

    /// The table as GitHub-flavoured Markdown, for a pull-request comment:
    /// a summary line, then one row per operation, regressions in bold.
    #[must_use]
    pub fn to_markdown(&self) -> String {
        use fmt::Write as _;
        let mut out = String::new();
        let (r, i) = (self.regressions().len(), self.improvements().len());
        let _ = writeln!(
            out,
            "**perftrack diff**: {r} regressed, {i} improved, of {} operations (threshold {:.1}%, intervals at the 0.4% level per figure)\n",
            self.operations.len(),
            self.threshold * 100.0
        );
        let _ = writeln!(out, "| operation | base n | head n | mean | p50 | p90 | p99 | p99.9 | verdict |");
        let _ = writeln!(out, "|---|---:|---:|---:|---:|---:|---:|---:|---|");
        for o in &self.operations {
            let _ = write!(out, "| `{}` | {} | {} |", o.name.replace('|', "\\|"), o.base_count, o.head_count);
            for (_, c) in o.figures() {
                let _ = write!(out, " {} |", Cell(c, true));
            }
            let v = o.verdict.as_str();
            let _ = writeln!(
                out,
                " {} |",
                if o.verdict == Verdict::Regressed { std::format!("**{v}**") } else { v.into() }
            );
        }
        out
    }

    /// The diff as one JSON object (`threshold` and `operations`, with every
    /// figure's values in nanoseconds, relative change, error bound and
    /// verdict).
    ///
    /// # Errors
    ///
    /// Never in practice: the diff holds only numbers and strings.
    pub fn to_json(&self) -> Result<String, serde_json::Error> {
        serde_json::to_string(self)
    }
}

/// A figure's cell: the head's value and the change, with its verdict's mark.
struct Cell<'a>(&'a Change, bool);

impl fmt::Display for Cell<'_> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let Cell(c, markdown) = *self;
        let mut s = String::new();
        {
            use fmt::Write as _;
            match (c.head, c.relative) {
                (Some(h), Some(r)) => write!(s, "{} {:+.1}%", Nanos(crate::summary::saturating_ns(h)), r * 100.0)?,
                (Some(h), None) => write!(s, "{} (new)", Nanos(crate::summary::saturating_ns(h)))?,
                (None, _) => s.push('-'),
            }
            let mark = match c.verdict {
                Verdict::Regressed => " ▲",
                Verdict::Improved => " ▼",
                Verdict::Insufficient if c.head.is_some() => " ?",
                _ => "",
            };
            s.push_str(mark);
        }
        if markdown && c.verdict == Verdict::Regressed { write!(f, "**{s}**") } else { f.pad(&s) }
    }
}

/// The text table: one row per operation; each figure is the head's value
/// and its change, marked ▲ regressed, ▼ improved, ? too few records.
impl fmt::Display for Diff {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let name_w = self.operations.iter().map(|o| o.name.chars().count()).max().unwrap_or(0).max("Operation".len());
        const W: usize = 18;
        write!(f, "{:<name_w$} {:>8} {:>8}", "Operation", "Base n", "Head n")?;
        for label in ["Mean", "p50", "p90", "p99", "p99.9"] {
            write!(f, " {label:>W$}")?;
        }
        writeln!(f, "  Verdict")?;
        for o in &self.operations {
            write!(f, "{:<name_w$} {:>8} {:>8}", o.name, o.base_count, o.head_count)?;
            for (_, c) in o.figures() {
                write!(f, " {:>W$}", Cell(c, false))?;
            }
            writeln!(f, "  {}", o.verdict.as_str())?;
        }
        let (r, i) = (self.regressions().len(), self.improvements().len());
        writeln!(
            f,
            "({r} regressed, {i} improved; threshold {:.1}%; ▲ ▼ a change past the threshold, the bucket error and both runs' intervals; ? too few records)",
            self.threshold * 100.0
        )
    }
}

/// The verdict of a change from `base` to `head` intervals and estimates.
fn verdict(base: (f64, Interval), head: (f64, Interval), threshold: f64, error_bound: f64) -> (Option<f64>, Verdict) {
    let ((b, bi), (h, hi)) = (base, head);
    let relative = (b > 0.0).then(|| h / b - 1.0);
    let Some(r) = relative else { return (None, Verdict::Unchanged) };
    let past = r.abs() > threshold && r.abs() > error_bound;
    let v = if past && r > 0.0 && hi.lo > bi.hi {
        Verdict::Regressed
    } else if past && r < 0.0 && hi.hi < bi.lo {
        Verdict::Improved
    } else {
        Verdict::Unchanged
    };
    (relative, v)
}

/// A quantile's change.
fn quantile_change<const B: usize>(
    base: Option<&Distribution<B>>,
    head: Option<&Distribution<B>>,
    q: f64,
    threshold: f64,
) -> Change {
    let value = |d: Option<&Distribution<B>>| {
        d.and_then(|d| interval::estimate(d, q)).map(|ns| Duration::from_nanos(ns as u64))
    };
    let error_bound = 2.0 * Distribution::<B>::new().relative_error();
    let (bv, hv) = (value(base), value(head));
    let intervals =
        (base.and_then(|d| interval::quantile(d, q, Z_PAIR)), head.and_then(|d| interval::quantile(d, q, Z_PAIR)));
    let (relative, verdict) = match (bv, hv, intervals) {
        (Some(b), Some(h), (Some(bi), Some(hi))) => {
            verdict((b.as_nanos() as f64, bi), (h.as_nanos() as f64, hi), threshold, error_bound)
        }
        (Some(b), Some(h), _) => {
            ((b > Duration::ZERO).then(|| h.as_secs_f64() / b.as_secs_f64() - 1.0), Verdict::Insufficient)
        }
        _ => (None, Verdict::Insufficient),
    };
    Change { base: bv, head: hv, relative, error_bound, verdict }
}

/// Records a side needs before its mean's interval is trusted.
const MIN_FOR_MEAN: u64 = 30;

/// The mean's change: exact means, normal intervals.
fn mean_change<const B: usize>(
    base: Option<&MetricsSummary<B>>,
    head: Option<&MetricsSummary<B>>,
    threshold: f64,
) -> Change {
    let mean = |s: Option<&MetricsSummary<B>>| s.filter(|s| s.count > 0).map(|s| s.avg_duration);
    let (bv, hv) = (mean(base), mean(head));
    let interval = |s: Option<&MetricsSummary<B>>| {
        // The normal approximation needs a few dozen records.
        let s = s.filter(|s| !s.saturated && s.count >= MIN_FOR_MEAN)?;
        let sd = interval::std_dev(&s.distribution)?;
        let m = s.avg_duration.as_nanos() as f64;
        let half = Z_PAIR * sd / (s.count as f64).sqrt();
        Some(Interval { lo: m - half, hi: m + half })
    };
    let (relative, verdict) = match (bv, hv, interval(base), interval(head)) {
        (Some(b), Some(h), Some(bi), Some(hi)) => {
            verdict((b.as_nanos() as f64, bi), (h.as_nanos() as f64, hi), threshold, 0.0)
        }
        (Some(b), Some(h), ..) => {
            ((b > Duration::ZERO).then(|| h.as_secs_f64() / b.as_secs_f64() - 1.0), Verdict::Insufficient)
        }
        _ => (None, Verdict::Insufficient),
    };
    Change { base: bv, head: hv, relative, error_bound: 0.0, verdict }
}

/// One operation's diff.
fn operation<const B: usize>(
    name: &str,
    base: Option<&MetricsSummary<B>>,
    head: Option<&MetricsSummary<B>>,
    threshold: f64,
) -> OperationDiff {
    let (base_d, head_d) = (base.map(|s| &s.distribution), head.map(|s| &s.distribution));
    let q = |q: f64| quantile_change(base_d, head_d, q, threshold);
    let per_call = |s: Option<&MetricsSummary<B>>| {
        s.filter(|s| s.count > 0 && s.total_allocations > 0).map(|s| s.total_allocations as f64 / s.count as f64)
    };
    let mut diff = OperationDiff {
        name: name.into(),
        base_count: base.map_or(0, |s| s.count),
        head_count: head.map_or(0, |s| s.count),
        mean: mean_change(base, head, threshold),
        p50: q(0.5),
        p90: q(0.9),
        p99: q(0.99),
        p999: q(0.999),
        allocations_per_call: (per_call(base), per_call(head)),
        verdict: Verdict::Unchanged,
    };
    let verdicts = diff.figures().map(|(_, c)| c.verdict);
    diff.verdict = if verdicts.contains(&Verdict::Regressed) {
        Verdict::Regressed
    } else if verdicts.contains(&Verdict::Improved) {
        Verdict::Improved
    } else if verdicts.iter().all(|&v| v == Verdict::Insufficient) {
        Verdict::Insufficient
    } else {
        Verdict::Unchanged
    };
    diff
}

impl Snapshot {
    /// Compares this run (the head) with `base`, at the default threshold
    /// of 5% ([`DIFF_THRESHOLD`]); see [`Diff`] and the method in
    /// [`diff_with`](Self::diff_with).
    #[must_use]
    pub fn diff(&self, base: &Snapshot) -> Diff {
        self.diff_with(base, DIFF_THRESHOLD)
    }

    /// Compares this run with `base`: every operation present in either,
    /// its counts, mean, p50, p90, p99, p99.9 and allocations per call, each
    /// figure with its relative change, the buckets' error bound and a
    /// verdict, and a verdict per operation. A change is a verdict only past
    /// `threshold` (0.05 is 5%; a negative or NaN threshold is read as 0),
    /// past the bucket error, and past both runs' intervals: so a change
    /// the data cannot resolve is never `Regressed`. Operations are matched
    /// by name and labels. Takes well under a millisecond per operation.
    #[must_use]
    pub fn diff_with(&self, base: &Snapshot, threshold: f64) -> Diff {
        let threshold = if threshold.is_nan() { 0.0 } else { threshold.max(0.0) };
        // A series is its name and its labels; it is shown as `name{labels}`.
        fn find<'s>(s: &'s Snapshot, of: &MetricsSummary) -> Option<&'s MetricsSummary> {
            s.summaries.iter().find(|x| x.name == of.name && x.labels == of.labels)
        }
        let series = |s: &MetricsSummary| std::format!("{}{}", s.name, s.labels);
        let mut operations: Vec<OperationDiff> =
            self.summaries.iter().map(|h| operation(&series(h), find(base, h), Some(h), threshold)).collect();
        for b in base.summaries.iter().filter(|b| find(self, b).is_none()) {
            operations.push(operation(&series(b), Some(b), None, threshold));
        }
        Diff { threshold, operations }
    }

    /// Compares `head`'s runs with `base`'s, the run as the unit (see
    /// [`RunDiff`]): whether the code changed, where [`diff`](Self::diff)
    /// asks whether two runs' records came from one distribution.
    #[must_use]
    pub fn diff_runs(base: &[Snapshot], head: &[Snapshot], threshold: f64) -> RunDiff {
        RunDiff::new(base, head, threshold)
    }
}

/// `Option<Duration>` as whole nanoseconds or `null`.
mod opt_ns {
    use core::time::Duration;

    pub(super) fn serialize<S: serde::Serializer>(d: &Option<Duration>, s: S) -> Result<S::Ok, S::Error> {
        match d {
            Some(d) => s.serialize_some(&u64::try_from(d.as_nanos()).unwrap_or(u64::MAX)),
            None => s.serialize_none(),
        }
    }
}
