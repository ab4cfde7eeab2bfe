//! Comparing runs with the **run** as the unit: several runs a side, one
//! value per run for each figure, and a test across runs.
//!
//! [`Snapshot::diff`](crate::history::Snapshot::diff) asks whether two
//! runs' records came from one distribution, and treats each record as an
//! independent draw. Real runs of one binary move as a whole (the CPU's
//! frequency, the code's layout, the neighbours), so that question is
//! answered "no" for runs of unchanged code too. [`RunDiff`] asks whether
//! the code changed: each figure gets one value per run, and the runs of
//! the two sides are compared with each other.
//!
//! # The method
//!
//! For each operation and figure (mean, p50, p90, p99, p99.9: each run's
//! value from its histogram), on the logarithm of the per-run values:
//!
//! * the change is the **Hodges–Lehmann estimate**: the median of the
//!   differences of every (base run, head run) pair, as a ratio;
//! * its **interval** is the distribution-free one of the Mann–Whitney
//!   test: the pairwise differences between the `k`-th smallest and `k`-th
//!   largest, `k` chosen from the exact distribution of `U` so that it
//!   covers the shift with at least 90% confidence;
//! * its **significance** is the exact one-sided Mann–Whitney p-value
//!   (a normal approximation past 20 runs a side).
//!
//! A figure is `Regressed` when its p-value is at most [`RUN_ALPHA`]
//! (0.005, one-sided) **and** the change exceeds the floor: the threshold,
//! the histogram's bucket error on each side (2 × 1/35 for a quantile at
//! the default resolution), and the median over runs of each run's own
//! interval for that figure, whichever is largest. `Improved` likewise,
//! below. `Unchanged` when the 90% interval lies within the floor either
//! way. `Inconclusive` otherwise: the runs are too few or too scattered to
//! say, and the diff says how many runs a side would do. With fewer than
//! [`MIN_RUNS`] runs on a side no timing figure is `Regressed` or
//! `Improved`. `Insufficient` keeps its meaning: too few records within
//! the runs to bound that quantile.
//!
//! Assumptions: the runs of one side are exchangeable (no trend within a
//! side: interleave the sides, as `perftrack ab` does), and a change moves
//! a figure by a factor. The rank test needs nothing of the figures'
//! distribution, and at 5 runs a side its smallest p-value is
//! `1/252 = 0.004`: a change is a verdict there only when every head run is
//! past every base run. That is the default, [`DEFAULT_RUNS`].
//!
//! **Allocations per call** are deterministic in most programs: when each
//! side has at least 2 runs that agree exactly, a difference between the
//! sides is a verdict, with no floor. Otherwise they get none.
//!
//! An operation is `Regressed` if any figure is, else `Improved` if any
//! is, else `Inconclusive` if any is, else `Insufficient` if every timing
//! figure is, else `Unchanged`.

use core::fmt;
use std::string::String;
use std::vec::Vec;

use crate::compare::interval::{Z_PAIR, estimate, median, quantile};
use crate::compare::{DIFF_THRESHOLD, Verdict};
use crate::export::units::Nanos;
use crate::history::Snapshot;
use crate::summary::MetricsSummary;

/// The runs a side the CLI and its CI script take by default.
pub const DEFAULT_RUNS: usize = 5;

/// Below this many runs on a side, no timing figure is a verdict.
pub const MIN_RUNS: usize = 3;

/// The one-sided level of the rank test for one figure.
pub const RUN_ALPHA: f64 = 0.005;

/// The one-sided level of each end of a figure's interval (90% in all).
const INTERVAL_ALPHA: f64 = 0.05;

/// The quantiles of the timing figures, after the mean.
const QUANTILES: [(&str, f64); 4] = [("p50", 0.5), ("p90", 0.9), ("p99", 0.99), ("p99.9", 0.999)];

/// Records above a quantile that a run needs for its value to count.
const TAIL_RECORDS: f64 = 10.0;

/// Why a figure or an operation has the verdict it has, where the verdict
/// alone does not say.
#[derive(Clone, Copy, Debug, PartialEq, Eq, serde::Serialize)]
#[serde(rename_all = "snake_case")]
#[non_exhaustive]
pub enum Reason {
    /// Fewer than [`MIN_RUNS`] runs on a side.
    FewRuns,
    /// The runs disagree too much for the change to be bounded within the
    /// floor.
    Scattered,
    /// Too few records within the runs to read this figure.
    FewRecords,
    /// Allocations per call differ within a side, so they get no verdict.
    NotDeterministic,
}

impl Reason {
    /// What it means, in a few words.
    #[must_use]
    pub const fn as_str(self) -> &'static str {
        match self {
            Self::FewRuns => "fewer than 3 runs a side: no timing verdict",
            Self::Scattered => "runs too scattered to say",
            Self::FewRecords => "too few records within the runs",
            Self::NotDeterministic => "allocations differ within a side",
        }
    }
}

/// One figure of one operation over the runs of both sides.
#[derive(Clone, Copy, Debug, PartialEq, serde::Serialize)]
pub struct RunFigure {
    /// The figure: `mean`, `p50`, `p90`, `p99`, `p99.9` (nanoseconds) or
    /// `allocs/call`.
    pub name: &'static str,
    /// The median of the base runs' values.
    pub base: Option<f64>,
    /// The median of the head runs' values.
    pub head: Option<f64>,
    /// The change, `head / base − 1`, estimated over every pair of runs.
    pub relative: Option<f64>,
    /// The 90% interval of `relative`.
    pub interval: Option<(f64, f64)>,
    /// The one-sided p-value of the rank test, in the direction of the
    /// change.
    pub p_value: Option<f64>,
    /// No smaller change is a verdict: the threshold, the bucket error and
    /// the runs' own intervals, whichever is largest.
    pub floor: f64,
    /// What the change amounts to.
    pub verdict: Verdict,
    /// Why, where the verdict does not say it.
    pub reason: Option<Reason>,
}

/// One operation over the runs of both sides.
#[derive(Clone, Debug, PartialEq, serde::Serialize)]
pub struct RunOperation {
    /// The operation's name, and its labels (`{route="/a"}`) when it has
    /// any.
    pub name: String,
    /// Base runs that recorded it.
    pub base_runs: usize,
    /// Head runs that recorded it.
    pub head_runs: usize,
    /// Mean, p50, p90, p99, p99.9 and allocations per call.
    pub figures: [RunFigure; 6],
    /// The operation's verdict.
    pub verdict: Verdict,
    /// Why, where the verdict does not say it.
    pub reason: Option<Reason>,
    /// For an `Inconclusive` operation: about how many runs a side would
    /// bound its scattered figures within their floors.
    pub runs_needed: Option<usize>,
}

/// Two sides of runs compared, operation by operation: every operation of
/// either side, in the order of the head's last run, then those only the
/// base has. Made by [`RunDiff::new`] or
/// [`Snapshot::diff_runs`](crate::history::Snapshot::diff_runs).
///
/// ```
/// use perftrack::Tracker;
/// use perftrack::compare::{RunDiff, Verdict};
/// use perftrack::history::Snapshot;
/// use core::time::Duration;
///
/// // Five runs a side; the head's `parse` is 30% slower in every run.
/// let run = |us: u64, wobble: u64| {
///     let t = Tracker::<4, 8>::boxed();
///     for i in 0..2_000 {
///         t.record("parse", Duration::from_nanos(us * 1_000 + wobble + i % 100), 0).unwrap();
///     }
///     Snapshot::take(&*t)
/// };
/// let base: Vec<Snapshot> = (0..5).map(|i| run(100, i * 300)).collect();
/// let head: Vec<Snapshot> = (0..5).map(|i| run(130, i * 300)).collect();
/// let diff = RunDiff::new(&base, &head, 0.05);
/// assert_eq!(diff.operations[0].verdict, Verdict::Regressed);
///
/// // One run a side is never a timing verdict.
/// let one = RunDiff::new(&base[..1], &head[..1], 0.05);
/// assert_eq!(one.operations[0].verdict, Verdict::Inconclusive);
/// ```
#[derive(Clone, Debug, PartialEq, serde::Serialize)]
pub struct RunDiff {
    /// Runs on the base side.
    pub base_runs: usize,
    /// Runs on the head side.
    pub head_runs: usize,
    /// The threshold given.
    pub threshold: f64,
    /// The operations.
    pub operations: Vec<RunOperation>,
}

impl RunDiff {
    /// Compares `head`'s runs with `base`'s, each snapshot one run (take a
    /// file's runs with [`runs`](crate::history::runs)). Changes of at most
    /// `threshold` (0.05 for 5%; [`DIFF_THRESHOLD`] by default) are never a
    /// verdict.
    #[must_use]
    pub fn new(base: &[Snapshot], head: &[Snapshot], threshold: f64) -> Self {
        let threshold = if threshold.is_finite() && threshold >= 0.0 { threshold } else { DIFF_THRESHOLD };
        let mut names: Vec<String> = Vec::new();
        for s in head.iter().rev().chain(base.iter().rev()) {
            for m in &s.summaries {
                let key = key(m);
                if !names.contains(&key) {
                    names.push(key);
                }
            }
        }
        let operations = names
            .into_iter()
            .map(|name| {
                let side = |runs: &[Snapshot]| -> Vec<MetricsSummary> {
                    runs.iter().filter_map(|s| s.summaries.iter().find(|m| key(m) == name).cloned()).collect()
                };
                operation(name.clone(), &side(base), &side(head), (base.len(), head.len()), threshold)
            })
            .collect();
        Self { base_runs: base.len(), head_runs: head.len(), threshold, operations }
    }

    /// The operations that regressed.
    pub fn regressions(&self) -> impl Iterator<Item = &RunOperation> {
        self.operations.iter().filter(|o| o.verdict == Verdict::Regressed)
    }

    /// Whether any operation is `Inconclusive`.
    #[must_use]
    pub fn inconclusive(&self) -> bool {
        self.operations.iter().any(|o| o.verdict == Verdict::Inconclusive)
    }

    /// A Markdown table of the same figures as the text, for a
    /// pull-request comment.
    #[must_use]
    pub fn to_markdown(&self) -> String {
        let mut out = std::format!("{}\n\n", self.header());
        out.push_str("| operation | figure | base | head | change | 90% interval | verdict |\n");
        out.push_str("|---|---|---:|---:|---:|---:|---|\n");
        for op in &self.operations {
            for f in &op.figures {
                let c = Cells::of(f);
                out.push_str(&std::format!(
                    "| {} | {} | {} | {} | {} | {} | {} |\n",
                    op.name,
                    f.name,
                    c.base,
                    c.head,
                    c.change,
                    c.interval,
                    c.verdict
                ));
            }
        }
        out
    }

    /// The diff as one JSON object.
    ///
    /// # Errors
    ///
    /// Only serde_json's, which plain numbers and strings do not raise.
    pub fn to_json(&self) -> Result<String, serde_json::Error> {
        serde_json::to_string(self)
    }

    /// The line above the table: the runs, the method, and the one-run
    /// rule when it applies.
    fn header(&self) -> String {
        let mut h = std::format!(
            "{} base run(s), {} head run(s); per-run figures, Mann-Whitney across runs (p <= {RUN_ALPHA}), \
             Hodges-Lehmann change with its 90% interval; threshold {:.1}%",
            self.base_runs,
            self.head_runs,
            self.threshold * 100.0
        );
        if self.base_runs.min(self.head_runs) < MIN_RUNS {
            h.push_str(&std::format!(
                "\nNOTE: fewer than {MIN_RUNS} runs a side: no timing figure is regressed or improved, and the \
                 diff exits 0 on them. Take {DEFAULT_RUNS} or more a side (`perftrack ab -n {DEFAULT_RUNS}`)."
            ));
        }
        h
    }
}

/// The text of one figure's cells.
struct Cells {
    base: String,
    head: String,
    change: String,
    interval: String,
    verdict: String,
}

impl Cells {
    fn of(f: &RunFigure) -> Self {
        let value = |v: Option<f64>| match v {
            None => String::from("-"),
            Some(v) if f.name == "allocs/call" => std::format!("{v:.2}"),
            Some(v) => std::format!("{}", Nanos(v.round() as u64)),
        };
        let pct = |r: f64| std::format!("{:+.1}%", r * 100.0);
        let verdict = match f.reason {
            Some(r) if f.verdict != Verdict::Unchanged => std::format!("{} ({})", f.verdict.as_str(), r.as_str()),
            _ => String::from(f.verdict.as_str()),
        };
        Self {
            base: value(f.base),
            head: value(f.head),
            change: f.relative.map_or_else(|| String::from("-"), pct),
            interval: f
                .interval
                .map_or_else(|| String::from("-"), |(lo, hi)| std::format!("{} .. {}", pct(lo), pct(hi))),
            verdict,
        }
    }
}

impl fmt::Display for RunDiff {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        writeln!(f, "{}", self.header())?;
        for op in &self.operations {
            write!(f, "\n{}: {} ({} base, {} head runs)", op.name, op.verdict.as_str(), op.base_runs, op.head_runs)?;
            if let Some(r) = op.reason {
                write!(f, "; {}", r.as_str())?;
            }
            if let Some(n) = op.runs_needed {
                write!(f, "; about {n} runs a side would say")?;
            }
            writeln!(f)?;
            writeln!(
                f,
                "  {:<12} {:>10} {:>10} {:>8} {:>19}  verdict",
                "figure", "base", "head", "change", "90% interval"
            )?;
            for fig in &op.figures {
                let c = Cells::of(fig);
                writeln!(
                    f,
                    "  {:<12} {:>10} {:>10} {:>8} {:>19}  {}",
                    fig.name, c.base, c.head, c.change, c.interval, c.verdict
                )?;
            }
        }
        Ok(())
    }
}

/// An operation's name with its labels.
fn key(m: &MetricsSummary) -> String {
    std::format!("{}{}", m.name, m.labels)
}

/// One operation: its per-run summaries on each side (runs that did not
/// record it are left out), the sides' run counts, the threshold.
fn operation(
    name: String,
    base: &[MetricsSummary],
    head: &[MetricsSummary],
    (base_all, head_all): (usize, usize),
    threshold: f64,
) -> RunOperation {
    let few_runs = base_all.min(head_all) < MIN_RUNS;
    let bucket_error = 2.0 * base.iter().chain(head).next().map_or(0.0, |s| s.distribution.relative_error());
    let mean = timing("mean", base, head, few_runs, threshold, 0.0, |s| {
        let n = s.count;
        if n < TAIL_RECORDS as u64 {
            return None;
        }
        let mean = s.total_duration.as_nanos() as f64 / n as f64;
        let sd = crate::compare::interval::std_dev(&s.distribution)?;
        Some((mean, Z_PAIR * sd / (n as f64).sqrt() / mean.max(1.0)))
    });
    let q = |(fig, q): (&'static str, f64)| {
        timing(fig, base, head, few_runs, threshold, bucket_error, move |s| {
            if (s.count as f64) * (1.0 - q) < TAIL_RECORDS {
                return None;
            }
            let est = estimate(&s.distribution, q)?;
            let own = quantile(&s.distribution, q, Z_PAIR).map_or(0.0, |i| (i.hi - i.lo) / 2.0 / est.max(1.0));
            Some((est, own))
        })
    };
    let figures = [mean, q(QUANTILES[0]), q(QUANTILES[1]), q(QUANTILES[2]), q(QUANTILES[3]), allocations(base, head)];
    let any = |v: Verdict| figures.iter().any(|f| f.verdict == v);
    let (verdict, reason) = if any(Verdict::Regressed) {
        (Verdict::Regressed, None)
    } else if any(Verdict::Improved) {
        (Verdict::Improved, None)
    } else if any(Verdict::Inconclusive) {
        let few = figures.iter().any(|f| f.reason == Some(Reason::FewRuns));
        (Verdict::Inconclusive, Some(if few { Reason::FewRuns } else { Reason::Scattered }))
    } else if figures[..5].iter().all(|f| f.verdict == Verdict::Insufficient) {
        (Verdict::Insufficient, Some(Reason::FewRecords))
    } else {
        (Verdict::Unchanged, None)
    };
    let runs_needed = (verdict == Verdict::Inconclusive).then(|| {
        let n = base.len().min(head.len()).max(1);
        figures
            .iter()
            .filter(|f| f.verdict == Verdict::Inconclusive)
            .map(|f| match (f.reason, f.interval) {
                (Some(Reason::Scattered), Some((lo, hi))) => {
                    let half = (hi - lo) / 2.0;
                    let ratio = half / f.floor.max(1e-6);
                    (n as f64 * ratio * ratio).ceil() as usize
                }
                _ => DEFAULT_RUNS,
            })
            .max()
            .unwrap_or(DEFAULT_RUNS)
            .clamp(DEFAULT_RUNS.max(n + 1), 100)
    });
    RunOperation { name, base_runs: base.len(), head_runs: head.len(), figures, verdict, reason, runs_needed }
}

/// A timing figure: `read` gives a run's value in nanoseconds and its own
/// relative interval half-width, or `None` when the run has too few
/// records for it.
fn timing(
    name: &'static str,
    base: &[MetricsSummary],
    head: &[MetricsSummary],
    few_runs: bool,
    threshold: f64,
    bucket_error: f64,
    read: impl Fn(&MetricsSummary) -> Option<(f64, f64)>,
) -> RunFigure {
    let values = |side: &[MetricsSummary]| -> (Vec<f64>, Vec<f64>) {
        side.iter().filter_map(&read).filter(|&(v, _)| v > 0.0 && v.is_finite()).unzip()
    };
    let ((mut b, b_own), (mut h, h_own)) = (values(base), values(head));
    let own = median(&mut b_own.into_iter().chain(h_own).collect::<Vec<f64>>()).unwrap_or(0.0);
    let floor = threshold.max(bucket_error).max(own);
    let mut fig = RunFigure {
        name,
        base: median(&mut b),
        head: median(&mut h),
        relative: None,
        interval: None,
        p_value: None,
        floor,
        verdict: Verdict::Inconclusive,
        reason: None,
    };
    let (runs_b, runs_h) = (base.len(), head.len());
    if b.is_empty() || h.is_empty() || (b.len() < runs_b.min(MIN_RUNS) || h.len() < runs_h.min(MIN_RUNS)) {
        fig.verdict = if runs_b == 0 || runs_h == 0 { Verdict::Inconclusive } else { Verdict::Insufficient };
        fig.reason = Some(if runs_b == 0 || runs_h == 0 || few_runs { Reason::FewRuns } else { Reason::FewRecords });
        return fig;
    }
    let (lb, lh): (Vec<f64>, Vec<f64>) = (b.iter().map(|v| v.ln()).collect(), h.iter().map(|v| v.ln()).collect());
    let shift = Shift::of(&lb, &lh);
    fig.relative = Some(shift.estimate.exp_m1());
    fig.interval = shift.interval.map(|(lo, hi)| (lo.exp_m1(), hi.exp_m1()));
    let up = shift.estimate >= 0.0;
    fig.p_value = Some(if up { shift.p_up } else { shift.p_down });
    let floor_log = (1.0 + floor).ln();
    if few_runs {
        fig.reason = Some(Reason::FewRuns);
        fig.verdict = Verdict::Inconclusive;
    } else if shift.p_up <= RUN_ALPHA && shift.estimate > floor_log {
        fig.verdict = Verdict::Regressed;
    } else if shift.p_down <= RUN_ALPHA && shift.estimate < -floor_log {
        fig.verdict = Verdict::Improved;
    } else if shift.interval.is_some_and(|(lo, hi)| lo > -floor_log && hi < floor_log) {
        fig.verdict = Verdict::Unchanged;
    } else {
        fig.reason = Some(Reason::Scattered);
    }
    fig
}

/// Allocations per call: a verdict when each side has 2 runs or more that
/// agree exactly.
fn allocations(base: &[MetricsSummary], head: &[MetricsSummary]) -> RunFigure {
    let per_call = |side: &[MetricsSummary]| -> Vec<f64> {
        side.iter().filter(|s| s.count > 0).map(|s| s.total_allocations as f64 / s.count as f64).collect()
    };
    let (mut b, mut h) = (per_call(base), per_call(head));
    let agree = |v: &[f64]| v.len() >= 2 && v.iter().all(|&x| x.to_bits() == v[0].to_bits());
    let (mb, mh) = (median(&mut b), median(&mut h));
    let relative = match (mb, mh) {
        (Some(x), Some(y)) if x > 0.0 => Some(y / x - 1.0),
        _ => None,
    };
    let (verdict, reason) = match (mb, mh) {
        (Some(x), Some(y)) if x == y => (Verdict::Unchanged, None),
        (Some(x), Some(y)) if agree(&b) && agree(&h) => {
            (if y > x { Verdict::Regressed } else { Verdict::Improved }, None)
        }
        (Some(_), Some(_)) if b.len() < 2 || h.len() < 2 => (Verdict::Inconclusive, Some(Reason::FewRuns)),
        (Some(_), Some(_)) => (Verdict::Inconclusive, Some(Reason::NotDeterministic)),
        _ => (Verdict::Unchanged, None),
    };
    RunFigure {
        name: "allocs/call",
        base: mb,
        head: mh,
        relative,
        interval: None,
        p_value: None,
        floor: 0.0,
        verdict,
        reason,
    }
}

/// The shift between two samples: the Hodges–Lehmann estimate, its
/// interval from the Mann–Whitney distribution, and the one-sided p-values.
#[derive(Debug, Clone, Copy, PartialEq)]
pub(crate) struct Shift {
    pub(crate) estimate: f64,
    pub(crate) interval: Option<(f64, f64)>,
    /// P(U ≥ observed) when `y` is not larger: small when `y` is.
    pub(crate) p_up: f64,
    /// P(U ≤ observed): small when `y` is smaller.
    pub(crate) p_down: f64,
}

impl Shift {
    /// `x` the base sample, `y` the head's; both non-empty.
    pub(crate) fn of(x: &[f64], y: &[f64]) -> Self {
        let mut d: Vec<f64> = x.iter().flat_map(|a| y.iter().map(move |b| b - a)).collect();
        d.sort_by(f64::total_cmp);
        let estimate = median(&mut d).unwrap_or(0.0);
        // U: the pairs where y is larger, ties counting a half.
        let u2: u64 = d
            .iter()
            .map(|&v| {
                if v > 0.0 {
                    2
                } else if v == 0.0 {
                    1
                } else {
                    0
                }
            })
            .sum();
        let (n, m) = (x.len(), y.len());
        let dist = UDistribution::new(n, m);
        // In half-units: P(U >= u) and P(U <= u), ties rounded toward the
        // null (conservative).
        let p_up = dist.at_least(u2 / 2);
        let p_down = dist.at_most(u2.div_ceil(2));
        let interval = dist.interval_rank(INTERVAL_ALPHA).map(|k| (d[k], d[d.len() - 1 - k]));
        Self { estimate, interval, p_up, p_down }
    }
}

/// The null distribution of the Mann–Whitney `U` for samples of `n` and
/// `m`: exact counts up to 20 a side, a normal approximation beyond.
struct UDistribution {
    n: usize,
    m: usize,
    /// `P(U = u)` for each `u` in `0..=n·m`, when exact.
    exact: Option<Vec<f64>>,
}

impl UDistribution {
    fn new(n: usize, m: usize) -> Self {
        let exact = (n <= 20 && m <= 20).then(|| {
            // counts[i][j][u]: arrangements of i x's and j y's with U = u,
            // built up by the last element being an x (adds nothing) or a
            // y (adds one for each x before it).
            let top = n * m;
            let mut prev: Vec<Vec<f64>> = (0..=m).map(|_| std::vec![0.0; top + 1]).collect();
            for row in &mut prev {
                row[0] = 1.0;
            }
            for i in 1..=n {
                let mut cur: Vec<Vec<f64>> = (0..=m).map(|_| std::vec![0.0; top + 1]).collect();
                cur[0][0] = 1.0;
                for j in 1..=m {
                    for u in 0..=i * j {
                        let with_x = prev[j].get(u).copied().unwrap_or(0.0);
                        let with_y = if u >= i { cur[j - 1][u - i] } else { 0.0 };
                        cur[j][u] = with_x + with_y;
                    }
                }
                prev = cur;
            }
            let counts = &prev[m];
            let total: f64 = counts.iter().sum();
            counts.iter().map(|c| c / total).collect()
        });
        Self { n, m, exact }
    }

    fn normal(&self) -> (f64, f64) {
        let (n, m) = (self.n as f64, self.m as f64);
        (n * m / 2.0, (n * m * (n + m + 1.0) / 12.0).sqrt())
    }

    /// `P(U ≤ u)`.
    fn at_most(&self, u: u64) -> f64 {
        match &self.exact {
            Some(p) => p.iter().take(usize::try_from(u).unwrap_or(usize::MAX).saturating_add(1)).sum::<f64>().min(1.0),
            None => {
                let (mu, sd) = self.normal();
                normal_cdf((u as f64 + 0.5 - mu) / sd)
            }
        }
    }

    /// `P(U ≥ u)`.
    fn at_least(&self, u: u64) -> f64 {
        match &self.exact {
            Some(p) => p.iter().skip(usize::try_from(u).unwrap_or(usize::MAX)).sum::<f64>().min(1.0),
            None => {
                let (mu, sd) = self.normal();
                1.0 - normal_cdf((u as f64 - 0.5 - mu) / sd)
            }
        }
    }

    /// The 0-based rank `c` of the sorted pairwise differences whose
    /// `[c, N−1−c]` covers the shift with one-sided level `alpha` each end:
    /// the largest `c` with `P(U ≤ c) ≤ alpha` (the interval from the
    /// `c+1`-th smallest to the `c+1`-th largest). `None` when even the
    /// extremes cannot (too few runs).
    fn interval_rank(&self, alpha: f64) -> Option<usize> {
        let mut k = None;
        for c in 0..=(self.n * self.m / 2) {
            if self.at_most(c as u64) <= alpha {
                k = Some(c);
            } else {
                break;
            }
        }
        k.filter(|&k| k < self.n * self.m - k)
    }
}

/// The standard normal CDF (Abramowitz and Stegun 7.1.26, within 1.5e-7).
fn normal_cdf(z: f64) -> f64 {
    let t = 1.0 / (1.0 + 0.327_591_1 * z.abs() / core::f64::consts::SQRT_2);
    let poly =
        t * (0.254_829_592 + t * (-0.284_496_736 + t * (1.421_413_741 + t * (-1.453_152_027 + t * 1.061_405_429))));
    let erf = 1.0 - poly * (-(z * z) / 2.0).exp();
    if z >= 0.0 { 0.5 * (1.0 + erf) } else { 0.5 * (1.0 - erf) }
}

#[cfg(test)]
mod tests {
    use super::{Shift, UDistribution, normal_cdf};

    #[test]
    fn the_exact_u_distribution_of_5_and_5_has_its_textbook_tails() {
        let d = UDistribution::new(5, 5);
        assert!((d.at_most(0) - 1.0 / 252.0).abs() < 1e-12);
        assert!((d.at_most(4) - 12.0 / 252.0).abs() < 1e-12);
        assert!((d.at_least(25) - 1.0 / 252.0).abs() < 1e-12);
        assert!((d.at_most(25) - 1.0).abs() < 1e-12);
        // The 90% interval of 5 against 5 runs from the 5th pairwise
        // difference to the 21st.
        assert_eq!(d.interval_rank(0.05), Some(4));
        // 2 against 2 cannot bound anything at 5% a side.
        assert_eq!(UDistribution::new(2, 2).interval_rank(0.05), None);
    }

    #[test]
    fn the_normal_approximation_agrees_with_the_exact_counts_at_20_a_side() {
        let exact = UDistribution::new(20, 20);
        let approx = UDistribution { exact: None, ..UDistribution::new(21, 21) };
        let approx = UDistribution { n: 20, m: 20, ..approx };
        for u in [120, 150, 180, 200] {
            assert!((exact.at_most(u) - approx.at_most(u)).abs() < 0.01, "{u}");
        }
        assert!((normal_cdf(1.959_964) - 0.975).abs() < 1e-6);
    }

    #[test]
    fn a_head_wholly_above_the_base_has_the_smallest_p_value_and_its_shift() {
        let x = [1.0, 1.1, 0.9, 1.05, 0.95];
        let y: [f64; 5] = x.map(|v| v + 2.0);
        let s = Shift::of(&x, &y);
        assert!((s.estimate - 2.0).abs() < 1e-9);
        assert!((s.p_up - 1.0 / 252.0).abs() < 1e-12);
        assert!(s.p_down > 0.99);
        let (lo, hi) = s.interval.unwrap();
        assert!(lo < 2.0 && 2.0 < hi && lo > 1.0);
    }
}
