//! `Report`: the printable table of every operation.

use core::fmt::{self, Write};

use crate::export::units::{Bytes, Nanos, Value};
use crate::histogram::buckets::Layout;
use crate::labels::Labels;
use crate::metric::reading::{MetricReading, MetricValue};
use crate::platform::{self, HOSTED};
use crate::summary::{MetricsSummary, saturating_ns};
use crate::tracker::Tracker;

/// A report of every operation in a tracker, printed by its `Display` impl.
///
/// Columns: Operation, Count, Avg, Min, Max, p50, p99, p99.9, Bytes/call
/// (the average memory of a record: with a
/// [`CountingAlloc`](crate::os::CountingAlloc) and guards, the bytes each call
/// allocated), CPU (the average CPU time of the records that carried one)
/// when any record did, and Allocs/call (heap allocations per call, one
/// decimal) when any record counted allocations. Every column is over the operation's whole history; the
/// quantiles are read from its histogram, and a footer line says so, with
/// their error bound (the newest raw records are
/// [`Operation::recent`](crate::Operation::recent)'s, not the report's). Each figure is shown in the unit
/// that fits it, with three significant digits: times in ns, µs, ms or s,
/// memory in B, KiB, MiB or GiB. Integer arithmetic only, so it costs no
/// floating point on an MCU.
///
/// With `std`, a note under the table says that CPU time is off by default
/// when no record carried one, and a last line names the run: the wall time
/// since this process first recorded, and how many threads have recorded.
///
/// The call tree follows when any scope was nested in another (or a record
/// could not be given a path); a flat run has no tree, since it would repeat
/// the table. When more than one thread recorded, the tree says that its
/// totals are summed over threads, so a parent's total can exceed the run's
/// wall time.
///
/// Counters and gauges, when any are registered, come last: each series'
/// name and labels, its kind, and its value (a gauge's with up to three
/// decimals), in the order they were registered.
///
/// Each row is taken from one consistent snapshot; rows are taken one after
/// another. Taking the report allocates nothing.
///
/// ```
/// use perftrack::Tracker;
/// use core::time::Duration;
///
/// static T: Tracker<4, 8> = Tracker::new();
/// T.record("parse", Duration::from_micros(1500), 2048)?;
/// let text = T.report().to_string();
/// let lines: Vec<&str> = text.lines().collect();
/// assert_eq!(lines[0], "=== Performance Report ===");
/// assert!(lines[1].starts_with("Operation"));
/// assert!(lines[3].starts_with("parse"));
/// assert!(lines[3].contains("1.50 ms"));
/// assert!(lines[3].contains("2.00 KiB"));
/// assert!(lines[4].contains("within 2.9%"));
/// # Ok::<(), perftrack::TrackerError>(())
/// ```
pub struct Report<'t, const OPS: usize, const RING: usize, const SHARDS: usize, const BUCKETS: usize> {
    tracker: &'t Tracker<OPS, RING, SHARDS, BUCKETS>,
}

impl<const OPS: usize, const RING: usize, const SHARDS: usize, const BUCKETS: usize>
    Tracker<OPS, RING, SHARDS, BUCKETS>
{
    /// A printable report of every operation (`core::fmt::Display`).
    ///
    /// ```
    /// use perftrack::Tracker;
    /// use core::time::Duration;
    ///
    /// static T: Tracker<4, 8> = Tracker::new();
    /// T.record("render", Duration::from_millis(16), 2048)?;
    /// let text = format!("{}", T.report());
    /// assert!(text.starts_with("=== Performance Report ==="));
    /// assert!(text.contains("render"));
    /// # Ok::<(), perftrack::TrackerError>(())
    /// ```
    #[must_use]
    pub fn report(&self) -> Report<'_, OPS, RING, SHARDS, BUCKETS> {
        Report { tracker: self }
    }
}

impl<const OPS: usize, const RING: usize, const SHARDS: usize, const BUCKETS: usize>
    Report<'_, OPS, RING, SHARDS, BUCKETS>
{
    /// The tracker it reports on.
    #[cfg(feature = "defmt")]
    pub(crate) fn tracker(&self) -> &Tracker<OPS, RING, SHARDS, BUCKETS> {
        self.tracker
    }

    /// The summaries this report prints, lazily: in registration order,
    /// except that the labelled series of one name come together, where
    /// the first of them was registered.
    pub fn summaries(&self) -> impl Iterator<Item = MetricsSummary<BUCKETS>> + '_ {
        // Without allocating: `first` walks the slots, and a slot whose name
        // an earlier slot has is skipped (its group was shown there); `next`
        // walks from `first` for the series of its name. Slot by slot, with
        // no iterator adapters, which keeps an MCU's report small.
        let t = self.tracker;
        let n = t.len();
        let (mut first, mut next) = (0usize, 0usize);
        core::iter::from_fn(move || {
            while first < n {
                let lead = t.series_at(first)?;
                if next == first && (0..first).any(|k| t.series_at(k).is_some_and(|op| op.name() == lead.name())) {
                    first += 1;
                    next = first;
                    continue;
                }
                while next < n {
                    let op = t.series_at(next)?;
                    next += 1;
                    if op.name() == lead.name() {
                        return Some(op.summary());
                    }
                }
                first += 1;
                next = first;
            }
            None
        })
    }
}

const HEADER: &str = "=== Performance Report ===";
const COLS: [&str; 8] = ["Count", "Avg", "Min", "Max", "p50", "p99", "p99.9", "Bytes/call"];
const CPU_COL: &str = "CPU";
const ALLOC_COL: &str = "Allocs/call";
/// Shown only when some call was cancelled (`MetricsSummary::cancelled`).
const CANCELLED_COL: &str = "Cancelled";

/// Allocations per call with one decimal, in integer arithmetic: `2.5`.
struct PerCall(u64, u64);

impl fmt::Display for PerCall {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let tenths = (u128::from(self.0) * 10).checked_div(u128::from(self.1)).unwrap_or(0);
        let text = {
            let mut s = heapless::String::<24>::new();
            write!(s, "{}.{}", tenths / 10, tenths % 10)?;
            s
        };
        f.pad(&text)
    }
}

impl<const OPS: usize, const RING: usize, const SHARDS: usize, const BUCKETS: usize> fmt::Display
    for Report<'_, OPS, RING, SHARDS, BUCKETS>
{
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        writeln!(f, "{HEADER}")?;
        if self.tracker.is_empty() {
            writeln!(f, "(no operations recorded)")?;
            return self.write_metrics(f);
        }
        let shown = write_table(f, || self.summaries())?;
        write_notes::<BUCKETS>(f, shown)?;
        let run = platform::run_so_far();
        if let Some((wall, threads)) = run {
            let s = if threads == 1 { "" } else { "s" };
            writeln!(
                f,
                "Run: {} of wall time since the first record, {threads} thread{s} recorded",
                Nanos(saturating_ns(wall))
            )?;
        }
        self.write_tree(f, run.map_or(1, |(_, threads)| threads))?;
        self.write_metrics(f)
    }
}

/// The bytes of a series: its name, then its labels (the tables pad by
/// bytes, as they always have).
fn series_width(name: &str, labels: &Labels) -> usize {
    struct Count(usize);
    impl Write for Count {
        fn write_str(&mut self, s: &str) -> fmt::Result {
            self.0 += s.len();
            Ok(())
        }
    }
    let mut c = Count(name.len());
    // Counting cannot fail.
    let _ = write!(c, "{labels}");
    c.0
}

/// A series' name and labels, padded to `name_w` bytes. A series registered
/// between a table's two passes can be wider than the `name_w` the first
/// pass found: it is then written unpadded, not with a wrapped width.
fn write_series(f: &mut fmt::Formatter<'_>, name: &str, labels: &Labels, name_w: usize) -> fmt::Result {
    let pad = name_w.saturating_sub(series_width(name, labels));
    write!(f, "{name}{labels}{:pad$}", "")
}

/// The width of every figure column of the report's tables.
const W: usize = 12;

/// A table's header: `title` left-aligned in `name_w` bytes, each of `cols`
/// right-aligned in [`W`], then a rule of dashes under the whole width.
fn write_header<'c>(
    f: &mut fmt::Formatter<'_>,
    title: &str,
    name_w: usize,
    cols: impl IntoIterator<Item = &'c str>,
) -> fmt::Result {
    write!(f, "{title:<name_w$}")?;
    let mut width = name_w;
    for c in cols {
        write!(f, " {c:>W$}")?;
        width += W + 1;
    }
    writeln!(f)?;
    for _ in 0..width {
        f.write_char('-')?;
    }
    writeln!(f)
}

/// The report's table, one row per summary `rows()` yields (called twice:
/// once for the widths and columns, once for the rows), its columns chosen
/// by what the rows carry, and the note under it on cancelled calls.
pub(crate) fn write_table<const BUCKETS: usize, I: Iterator<Item = MetricsSummary<BUCKETS>>>(
    f: &mut fmt::Formatter<'_>,
    rows: impl Fn() -> I,
) -> Result<Columns, fmt::Error> {
    // Widths first, then the rows: summaries are taken one at a time (each
    // carries a histogram), so the column choice reads them once more.
    let name_w = rows().map(|r| series_width(&r.name, &r.labels)).max().unwrap_or(0).max("Operation".len());
    let (show_cpu, show_allocs, show_cancelled) = rows().fold((false, false, false), |(cpu, allocs, cancelled), r| {
        (cpu || r.cpu_samples > 0, allocs || r.total_allocations > 0, cancelled || r.cancelled > 0)
    });
    let optional = [(show_cpu, CPU_COL), (show_allocs, ALLOC_COL), (show_cancelled, CANCELLED_COL)];
    let cols = COLS.into_iter().chain(optional.into_iter().filter_map(|(shown, c)| shown.then_some(c)));
    write_header(f, "Operation", name_w, cols)?;

    for r in rows() {
        write_series(f, r.name.as_str(), &r.labels, name_w)?;
        write!(f, " {:>W$}", r.count)?;
        for d in [r.avg_duration, r.min_duration, r.max_duration, r.p50, r.p99, r.p999] {
            write!(f, " {:>W$}", Nanos(saturating_ns(d)))?;
        }
        write!(f, " {:>W$}", Bytes(r.avg_memory))?;
        if show_cpu {
            match r.avg_cpu_time() {
                Some(c) => write!(f, " {:>W$}", Nanos(saturating_ns(c)))?,
                None => write!(f, " {:>W$}", "-")?,
            }
        }
        if show_allocs {
            write!(f, " {:>W$}", PerCall(r.total_allocations, r.count))?;
        }
        if show_cancelled {
            write!(f, " {:>W$}", r.cancelled)?;
        }
        writeln!(f)?;
    }
    if show_cancelled {
        writeln!(
            f,
            "(Cancelled: calls dropped before they completed, counted apart: not in Count or the times, which hold completed calls)"
        )?;
    }
    Ok(Columns { cpu: show_cpu })
}

/// The optional columns a table showed.
#[derive(Clone, Copy)]
pub(crate) struct Columns {
    /// The CPU column.
    cpu: bool,
}

/// The notes under a table of `BUCKETS`-bucket histograms: the footer on
/// what the figures are, and with `std`, where the table had no CPU column,
/// how to have one.
pub(crate) fn write_notes<const BUCKETS: usize>(f: &mut fmt::Formatter<'_>, shown: Columns) -> fmt::Result {
    let within = const { Layout::of(BUCKETS) }.relative_error_text();
    writeln!(f, "(lifetime figures; p50, p99 and p99.9 from each operation's histogram, within {within})")?;
    // Where CPU time can be read at all, say how to have it: it is off by
    // default, since the thread CPU clock is a system call on many machines.
    if HOSTED && !shown.cpu {
        writeln!(
            f,
            "(No CPU column: CPU time is off by default; Timer::with_cpu, #[measure(cpu_time)] and Timed::with_cpu_time read it)"
        )?;
    }
    Ok(())
}

const TREE_HEADER: &str = "Call tree";
const TREE_COLS: [&str; 3] = ["Count", "Total", "Self"];
/// Indentation per level of the call tree.
const INDENT: usize = 2;

impl<const OPS: usize, const RING: usize, const SHARDS: usize, const BUCKETS: usize>
    Report<'_, OPS, RING, SHARDS, BUCKETS>
{
    /// The call tree, when any path is nested or any record went untracked:
    /// each path indented under its parent, with its count, total and self
    /// time, a note when `threads` (more than one) summed into it, and the
    /// untracked records' count when there are any.
    fn write_tree(&self, f: &mut fmt::Formatter<'_>, threads: usize) -> fmt::Result {
        let paths = self.tracker.paths();
        let untracked = paths.untracked();
        if !paths.is_nested() && untracked == 0 {
            return Ok(());
        }
        let name_len = |op: usize| self.tracker.name_at(op).map_or(1, |n| n.as_str().len());
        let mut name_w = TREE_HEADER.len();
        let _ = paths.walk::<core::convert::Infallible>(|ops, _| {
            let last = ops.last().copied().unwrap_or(0);
            name_w = name_w.max(INDENT * (ops.len() - 1) + name_len(last));
            Ok(())
        });
        writeln!(f)?;
        write_header(f, TREE_HEADER, name_w, TREE_COLS)?;
        paths.walk(|ops, stats| {
            let indent = INDENT * (ops.len() - 1);
            let op = ops.last().copied().unwrap_or(0);
            let name = self.tracker.name_at(op);
            let name = name.as_ref().map_or("?", |n| n.as_str());
            // A path claimed between the two walks may stand deeper than
            // any the first one saw (see `write_series`).
            let pad = name_w.saturating_sub(indent);
            write!(f, "{:indent$}{name:<pad$} {:>W$}", "", stats.count)?;
            writeln!(f, " {:>W$} {:>W$}", Nanos(stats.total_ns), Nanos(stats.self_ns))
        })?;
        if threads > 1 {
            writeln!(
                f,
                "(totals summed over the {threads} threads that recorded, so a total can exceed the wall time)"
            )?;
        }
        if untracked > 0 {
            writeln!(f, "({untracked} records in untracked paths: table full, too deep, or closed out of order)")?;
        }
        Ok(())
    }
}

const METRICS_HEADER: &str = "Counter or gauge";
const METRICS_COLS: [&str; 2] = ["Kind", "Value"];

impl<const OPS: usize, const RING: usize, const SHARDS: usize, const BUCKETS: usize>
    Report<'_, OPS, RING, SHARDS, BUCKETS>
{
    /// The counters and gauges, when any are registered.
    fn write_metrics(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write_metric_table(f, || self.tracker.metric_readings())?;
        let refused = self.tracker.refused_by_kind();
        let total = refused.total();
        if total > 0 {
            writeln!(
                f,
                "({total} registrations of a new name refused, every slot taken: {} of operations or series, {} of counters, {} of gauges; each kind holds {OPS}; those calls were not recorded)",
                refused.operations, refused.counters, refused.gauges
            )?;
        }
        let left_out = self.tracker.left_out_families();
        if left_out > 0 {
            writeln!(
                f,
                "({left_out} counter or gauge families left out of the latest exposition: their names clash with another family's under its prefix)"
            )?;
        }
        Ok(())
    }
}

/// The counters and gauges `rows()` yields (called twice: once for the
/// width, once for the rows), one row per series in the order given, under
/// a blank line and a header; nothing when it yields none. Shared by the
/// tracker's report and a history snapshot's.
pub(crate) fn write_metric_table<I: Iterator<Item = MetricReading>>(
    f: &mut fmt::Formatter<'_>,
    rows: impl Fn() -> I,
) -> fmt::Result {
    let Some(name_w) = rows().map(|m| series_width(m.name.as_str(), &m.labels)).max() else {
        return Ok(());
    };
    let name_w = name_w.max(METRICS_HEADER.len());
    writeln!(f)?;
    write_header(f, METRICS_HEADER, name_w, METRICS_COLS)?;
    for m in rows() {
        write_series(f, m.name.as_str(), &m.labels, name_w)?;
        match m.value {
            MetricValue::Counter(n) => writeln!(f, " {:>W$} {:>W$}", "counter", n)?,
            MetricValue::Gauge(v) => writeln!(f, " {:>W$} {:>W$}", "gauge", Value(v))?,
        }
    }
    Ok(())
}
