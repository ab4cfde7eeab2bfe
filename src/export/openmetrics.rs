//! OpenMetrics 1.0 text exposition, for Prometheus-compatible scrapers: the
//! families and their format are documented on [`Tracker::write_openmetrics`],
//! where users look.

use core::fmt::{self, Write};
use core::time::Duration;

use crate::histogram::buckets::{Layout, MAX_SCHEMA, fine_bound_ns};
use crate::histogram::distribution::Distribution;
use crate::labels::{Escaped, Labels};
use crate::metric::Kind;
use crate::summary::{MetricsSummary, saturating_ns};
use crate::tracker::Tracker;

/// The content type to serve [`Tracker::write_openmetrics`] output with.
pub const OPENMETRICS_CONTENT_TYPE: &str = "application/openmetrics-text; version=1.0.0; charset=utf-8";

// The families both exporters write (this text, and the prometheus-client
// `Collector` in `host/collector.rs`): each name between the prefix and the
// unit, and the help text where the two agree.

/// Time per record; its type and help differ between the exporters.
pub(crate) const DURATION: &str = "operation_duration";

/// The duration histogram's help text (both exporters).
pub(crate) const DURATION_HELP: &str =
    "Time per record over the lifetime: buckets on the native-histogram grid, sum and count.";

/// What the families after the duration histogram need of one operation,
/// kept from the snapshot the histogram was written from, so that every
/// family of one exposition agrees and a scrape takes one snapshot per
/// operation. A few words, not a second histogram.
#[derive(Debug, Clone, Copy)]
pub(crate) struct Figures {
    pub(crate) count: u64,
    pub(crate) min: Duration,
    pub(crate) max: Duration,
    pub(crate) memory: u64,
    pub(crate) allocations: u64,
    pub(crate) cancelled: u64,
    pub(crate) cancelled_time: Duration,
}

impl Figures {
    /// The figures of one summary.
    pub(crate) fn of<const B: usize>(s: &MetricsSummary<B>) -> Self {
        Self {
            count: s.count,
            min: s.min_duration,
            max: s.max_duration,
            memory: s.total_memory,
            allocations: s.total_allocations,
            cancelled: s.cancelled,
            cancelled_time: s.cancelled_duration,
        }
    }
}

/// A gauge of one lifetime figure: its name, its help, and how to read it.
pub(crate) type Gauge = (&'static str, &'static str, fn(&Figures) -> Duration);

/// The lifetime extremes, gauges in seconds.
pub(crate) const EXTREMES: [Gauge; 2] = [
    ("operation_duration_min", "Shortest record over the lifetime.", |f| f.min),
    ("operation_duration_max", "Longest record over the lifetime.", |f| f.max),
];

/// Total memory and records, in bytes.
pub(crate) const MEMORY: (&str, &str) =
    ("operation_memory", "Memory per record: sum is the total recorded, count the records.");

/// A family of sums: (stem and help, unit, the figure). Each is written
/// only once some operation's figure is not 0, and then for every
/// operation, with its 0s, so that `rate()` sees every first increment.
type SumFamily = ((&'static str, &'static str), &'static str, fn(&Figures) -> u64);

/// Heap allocations and records (no unit: a count).
pub(crate) const ALLOCATIONS: (&str, &str) =
    ("operation_allocations", "Heap allocations per record: sum is the total counted, count the records.");

/// Cancelled calls, counted apart from the records: a counter family of
/// the calls (`…_cancelled_total`) and one of their wall time in seconds
/// (`…_cancelled_seconds_total`), both under this stem.
pub(crate) const CANCELLED: &str = "operation_cancelled";

/// The help of the cancelled calls' counter.
pub(crate) const CANCELLED_HELP: &str = "Calls dropped before they completed, counted apart from the records.";

/// The help of the cancelled calls' time counter.
pub(crate) const CANCELLED_TIME_HELP: &str =
    "Wall time of the calls dropped before they completed, from first poll to drop.";

/// The default classic bucket bounds: every power of 4 seconds, `4^k` s,
/// from `2^-20` s (about 0.95 µs) to `2^6` s (64 s), fourteen of them, as
/// schema-4 native indices (`32k`, `k` in `-10..=3`). Each is a bound of the
/// native grid that the internal buckets follow, so the exposition's counts
/// are exact; a layout too coarse to have one skips it.
const CLASSIC_FROM: i32 = -10;
const CLASSIC_TO: i32 = 3;

/// The classic bounds of one exposition, in whole nanoseconds, ascending:
/// the default powers of 4, or bounds of the caller's snapped up to the
/// upper bound of the internal bucket that holds them. A bound in the
/// layout's top bucket (unbounded above) is `+Inf`'s, and left to it.
struct Bounds<'a> {
    layout: Layout,
    custom: Option<&'a [Duration]>,
    next: usize,
    last: Option<u64>,
}

impl Iterator for Bounds<'_> {
    type Item = u64;

    fn next(&mut self) -> Option<u64> {
        loop {
            let i = self.next;
            self.next += 1;
            let b = match self.custom {
                Some(bounds) => {
                    let ns = saturating_ns(*bounds.get(i)?);
                    self.layout.upper(self.layout.index(ns))
                }
                None => {
                    let k = CLASSIC_FROM + i32::try_from(i).ok()?;
                    if k > CLASSIC_TO {
                        return None;
                    }
                    let step = 1i32 << (MAX_SCHEMA - self.layout.schema());
                    let b = fine_bound_ns(32 * k);
                    if (32 * k) % step != 0 || self.layout.upper(self.layout.index(b)) != b {
                        continue;
                    }
                    b
                }
            };
            if b == u64::MAX || self.last.is_some_and(|last| b <= last) {
                continue;
            }
            self.last = Some(b);
            return Some(b);
        }
    }
}

/// The classic exposition buckets of `d` under `bounds` (`None`: the
/// default powers of 4): `(le, cumulative count)` pairs, `le` in whole
/// nanoseconds and inclusive (the largest whole nanosecond within the
/// bound); `+Inf` is the caller's (the count).
pub(crate) fn exposition_buckets<'a, const B: usize>(
    d: &'a Distribution<B>,
    bounds: Option<&'a [Duration]>,
) -> impl Iterator<Item = (u64, u64)> + 'a {
    let layout = const { Layout::of(B) };
    let counts = d.counts();
    let (mut next, mut below) = (0usize, 0u64);
    Bounds { layout, custom: bounds, next: 0, last: None }.map(move |b| {
        let end = layout.index(b) + 1;
        if let Some(c) = counts.get(next..end) {
            below = c.iter().fold(below, |a, &n| a.saturating_add(n));
        }
        next = next.max(end);
        (b, below)
    })
}

/// How [`Tracker::write_openmetrics_with`] writes: a metric-name prefix,
/// constant labels on every sample, and whether to end with `# EOF`. The
/// defaults are what [`Tracker::write_openmetrics`] writes: prefix
/// `perftrack`, no constant labels, `# EOF` at the end.
///
/// ```
/// use perftrack::{ExportOptions, Tracker};
/// use core::time::Duration;
///
/// static T: Tracker<4, 8> = Tracker::new();
/// T.record("query", Duration::from_micros(40), 0)?;
/// let opts = ExportOptions::new().prefix("myapp").labels(&[("instance", "a1")]).eof(false);
/// let mut out = String::new();
/// T.write_openmetrics_with(&mut out, &opts).unwrap();
/// assert!(out.contains(r#"myapp_operation_duration_seconds_count{instance="a1",operation="query"} 1"#));
/// assert!(!out.contains("# EOF"));
/// # Ok::<(), perftrack::TrackerError>(())
/// ```
#[derive(Debug, Clone, Copy)]
#[non_exhaustive]
pub struct ExportOptions<'a> {
    /// Metric-name prefix, without the trailing `_`: `[a-zA-Z_:][a-zA-Z0-9_:]*`.
    pub prefix: &'a str,
    /// Constant labels put first on every sample, e.g. `("instance", "a1")`.
    /// Names are `[a-zA-Z_][a-zA-Z0-9_]*`, each given once; they may not
    /// start with `__` (reserved by Prometheus, as `__name__` is) or be
    /// `operation`, `quantile` or `le`. Values are escaped. A series label
    /// of the same name as a constant one is left out of that series'
    /// samples.
    pub labels: &'a [(&'a str, &'a str)],
    /// Whether to end with `# EOF`. Leave it off to join another exposition
    /// that ends with its own.
    pub eof: bool,
    /// The native histograms' schema in the protobuf exposition, `-4..=8`;
    /// `None` (the default) is the tracker's own (4 at the default
    /// resolution). A lower one merges neighbouring buckets, exactly, for a
    /// scraper with a bucket limit; a higher one is written at the
    /// tracker's.
    pub native_schema: Option<i8>,
    /// The classic histogram's bucket bounds, ascending; `None` (the
    /// default) is every power of 4 seconds from `2^-20` s (about 0.95 µs)
    /// to `2^6` s (64 s), fourteen bounds and `+Inf`. A bound of your own
    /// **snaps up** to the upper bound of the internal bucket that holds it
    /// (a bound of the native grid, at the tracker's resolution), so every
    /// count stays exact: `le` is then that bound, not the one asked for. A
    /// bound that snaps onto the one before it, or into the top bucket
    /// (past an hour at the default resolution), is left out.
    pub classic_buckets: Option<&'a [Duration]>,
}

impl Default for ExportOptions<'_> {
    fn default() -> Self {
        Self::new()
    }
}

impl<'a> ExportOptions<'a> {
    /// The defaults: prefix `perftrack`, no constant labels, `# EOF`.
    #[must_use]
    pub const fn new() -> Self {
        Self { prefix: "perftrack", labels: &[], eof: true, native_schema: None, classic_buckets: None }
    }

    /// Sets the native histograms' schema in the protobuf exposition.
    #[must_use]
    pub const fn native_schema(mut self, schema: i8) -> Self {
        self.native_schema = Some(schema);
        self
    }

    /// Sets the classic histogram's bucket bounds (ascending; each snaps
    /// up to a bound of the native grid, see
    /// [`classic_buckets`](Self::classic_buckets)).
    #[must_use]
    pub const fn classic_buckets(mut self, bounds: &'a [Duration]) -> Self {
        self.classic_buckets = Some(bounds);
        self
    }

    /// Sets the metric-name prefix.
    #[must_use]
    pub const fn prefix(mut self, prefix: &'a str) -> Self {
        self.prefix = prefix;
        self
    }

    /// Sets the constant labels.
    #[must_use]
    pub const fn labels(mut self, labels: &'a [(&'a str, &'a str)]) -> Self {
        self.labels = labels;
        self
    }

    /// Sets whether the output ends with `# EOF`.
    #[must_use]
    pub const fn eof(mut self, eof: bool) -> Self {
        self.eof = eof;
        self
    }

    /// Whether the prefix and label names are valid OpenMetrics names, and
    /// the schema one that native histograms define.
    pub(crate) fn is_valid(&self) -> bool {
        let name_ok = |s: &str, colon: bool| {
            let ok = |c: char, first: bool| {
                c.is_ascii_alphabetic() || c == '_' || (colon && c == ':') || (!first && c.is_ascii_digit())
            };
            let mut cs = s.chars();
            cs.next().is_some_and(|c| ok(c, true)) && cs.all(|c| ok(c, false))
        };
        // A label name must be valid, not reserved (`__` starts the names
        // Prometheus keeps for itself, `__name__` among them), not one that
        // perftrack writes itself, and not given twice.
        let label_ok = |i: usize, k: &str| {
            name_ok(k, false)
                && !k.starts_with("__")
                && !["operation", "quantile", "le"].contains(&k)
                && self.labels[..i].iter().all(|&(earlier, _)| earlier != k)
        };
        name_ok(self.prefix, true)
            && self.labels.iter().enumerate().all(|(i, &(k, _))| label_ok(i, k))
            && self.native_schema.is_none_or(|s| (-4..=8).contains(&s))
    }
}

/// `{prefix}_{name}_{unit}`.
struct Name<'a>(&'a str, &'a str, &'a str);

impl fmt::Display for Name<'_> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}_{}", self.0, self.1)?;
        if !self.2.is_empty() {
            write!(f, "_{}", self.2)?;
        }
        Ok(())
    }
}

/// The counters and gauges: one family per name and kind, in the order
/// the first series of each was registered, under its own name (no prefix).
fn write_metrics<W: Write, const OPS: usize, const RING: usize, const SHARDS: usize, const BUCKETS: usize>(
    w: &mut W,
    tracker: &Tracker<OPS, RING, SHARDS, BUCKETS>,
    o: &ExportOptions<'_>,
) -> fmt::Result {
    for (i, first) in tracker.metric_families(o.prefix) {
        let name = first.name.as_str();
        let (kind, help) = match first.kind {
            Kind::Counter => ("counter", COUNTER_HELP),
            Kind::Gauge => ("gauge", GAUGE_HELP),
        };
        writeln!(w, "# TYPE {name} {kind}")?;
        writeln!(w, "# HELP {name} {help}")?;
        for m in tracker.metric_family(i) {
            let l = SampleLabels { consts: o.labels, op: None, series: &m.labels, extra: None };
            match m.kind {
                Kind::Counter => writeln!(w, "{name}_total{l} {}", m.counter())?,
                Kind::Gauge => writeln!(w, "{name}{l} {}", Float(m.gauge()))?,
            }
        }
    }
    Ok(())
}

/// The help of a counter's and a gauge's family (perftrack takes no help
/// text from the caller).
pub(crate) const COUNTER_HELP: &str = "A counter of this process.";
pub(crate) const GAUGE_HELP: &str = "A gauge of this process.";

/// An OpenMetrics number: `+Inf`, `-Inf` and `NaN` spelled as the spec
/// spells them.
struct Float(f64);

impl fmt::Display for Float {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self.0 {
            v if v.is_nan() => f.write_str("NaN"),
            v if v == f64::INFINITY => f.write_str("+Inf"),
            v if v == f64::NEG_INFINITY => f.write_str("-Inf"),
            v => write!(f, "{v}"),
        }
    }
}

/// A series' labels but those a constant label of the export names: the
/// constant one wins, so no sample carries a label twice.
pub(crate) fn own_series<'a>(
    consts: &'a [(&'a str, &'a str)],
    series: &'a Labels,
) -> impl Iterator<Item = (&'a str, &'a str)> + 'a {
    series.iter().filter(move |(k, _)| consts.iter().all(|(c, _)| c != k))
}

/// A sample's labels, in the order both expositions write them: the
/// constant ones, `operation` (for an operation's families; a counter or a
/// gauge has none), then the series' own but those a constant one names.
pub(crate) fn sample_labels<'a>(
    consts: &'a [(&'a str, &'a str)],
    op: Option<&'a str>,
    series: &'a Labels,
) -> impl Iterator<Item = (&'a str, &'a str)> + 'a {
    consts.iter().copied().chain(op.map(|op| ("operation", op))).chain(own_series(consts, series))
}

/// `{k="v",…,operation="…"[,series labels…][,extra="…"]}`: the labels of
/// [`sample_labels`], then `extra` (a bucket's `le`); nothing when there
/// are none at all.
struct SampleLabels<'a> {
    consts: &'a [(&'a str, &'a str)],
    op: Option<&'a str>,
    series: &'a Labels,
    extra: Option<(&'a str, &'a str)>,
}

impl fmt::Display for SampleLabels<'_> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let mut pairs = sample_labels(self.consts, self.op, self.series).chain(self.extra).peekable();
        if pairs.peek().is_none() {
            return Ok(());
        }
        f.write_char('{')?;
        for (i, (k, v)) in pairs.enumerate() {
            if i > 0 {
                f.write_char(',')?;
            }
            write!(f, "{k}=\"{}\"", Escaped(v))?;
        }
        f.write_char('}')
    }
}

/// A duration as exact decimal seconds: `12.000345678`.
struct Seconds(Duration);

impl fmt::Display for Seconds {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}.{:09}", self.0.as_secs(), self.0.subsec_nanos())
    }
}

fn family<W: Write>(w: &mut W, name: &Name<'_>, kind: &str, help: &str) -> fmt::Result {
    writeln!(w, "# TYPE {name} {kind}")?;
    if !name.2.is_empty() {
        writeln!(w, "# UNIT {name} {}", name.2)?;
    }
    writeln!(w, "# HELP {name} {help}")
}

/// Writes every family: one snapshot per operation, taken for the duration
/// histogram, whose [`Figures`] (by slot index) feed the families after it.
/// An operation registered after the histogram pass has no figures and is
/// left out of the later families too, so every family holds the same
/// operations.
fn write_all<W: Write, const OPS: usize, const RING: usize, const SHARDS: usize, const BUCKETS: usize>(
    w: &mut W,
    tracker: &Tracker<OPS, RING, SHARDS, BUCKETS>,
    o: &ExportOptions<'_>,
) -> fmt::Result {
    fn labels<'a>(o: &'a ExportOptions<'a>, op: &'a str, series: &'a Labels) -> SampleLabels<'a> {
        SampleLabels { consts: o.labels, op: Some(op), series, extra: None }
    }
    let mut figures: [Option<Figures>; OPS] = [None; OPS];
    if !tracker.is_empty() {
        let name = Name(o.prefix, DURATION, "seconds");
        family(w, &name, "histogram", DURATION_HELP)?;
        for op in tracker.operations() {
            let s = op.summary();
            if let Some(f) = figures.get_mut(op.index()) {
                *f = Some(Figures::of(&s));
            }
            let mut le = heapless::String::<24>::new();
            for (ns, below) in exposition_buckets(&s.distribution, o.classic_buckets) {
                le.clear();
                write!(le, "{}", Seconds(Duration::from_nanos(ns)))?;
                let l = SampleLabels { extra: Some(("le", &le)), ..labels(o, &s.name, &s.labels) };
                writeln!(w, "{name}_bucket{l} {below}")?;
            }
            let l = SampleLabels { extra: Some(("le", "+Inf")), ..labels(o, &s.name, &s.labels) };
            writeln!(w, "{name}_bucket{l} {}", s.count)?;
            writeln!(w, "{name}_sum{} {}", labels(o, &s.name, &s.labels), Seconds(s.total_duration))?;
            writeln!(w, "{name}_count{} {}", labels(o, &s.name, &s.labels), s.count)?;
        }
        // The later families walk the operations again for their names
        // (which never change once registered) and read the figures kept
        // above: no second snapshot.
        let kept = || tracker.operations().filter_map(|op| Some((op, figures.get(op.index()).copied().flatten()?)));
        for (stem, help, pick) in EXTREMES {
            // Only once some operation has a record, as in the protobuf.
            if kept().all(|(_, f)| f.count == 0) {
                continue;
            }
            let name = Name(o.prefix, stem, "seconds");
            family(w, &name, "gauge", help)?;
            for (op, f) in kept().filter(|(_, f)| f.count > 0) {
                let series = op.labels();
                writeln!(w, "{name}{} {}", labels(o, op.name(), &series), Seconds(pick(&f)))?;
            }
        }
        // Sums as summaries without quantiles: `_sum` the total, `_count` the
        // records. Allocations only where something counted them (a
        // `CountingAlloc`), cancellations only once a call was cancelled.
        let sums: [SumFamily; 2] = [(MEMORY, "bytes", |f| f.memory), (ALLOCATIONS, "", |f| f.allocations)];
        for ((stem, help), unit, pick) in sums {
            if !figures.iter().flatten().any(|f| pick(f) > 0) {
                continue;
            }
            let name = Name(o.prefix, stem, unit);
            family(w, &name, "summary", help)?;
            for (op, f) in kept() {
                let series = op.labels();
                writeln!(w, "{name}_sum{} {}", labels(o, op.name(), &series), pick(&f))?;
                writeln!(w, "{name}_count{} {}", labels(o, op.name(), &series), f.count)?;
            }
        }
        // Cancelled calls: counters apart from the records, once any call
        // was cancelled, then for every operation.
        if figures.iter().flatten().any(|f| f.cancelled > 0) {
            let calls = Name(o.prefix, CANCELLED, "");
            family(w, &calls, "counter", CANCELLED_HELP)?;
            for (op, f) in kept() {
                writeln!(w, "{calls}_total{} {}", labels(o, op.name(), &op.labels()), f.cancelled)?;
            }
            let time = Name(o.prefix, CANCELLED, "seconds");
            family(w, &time, "counter", CANCELLED_TIME_HELP)?;
            for (op, f) in kept() {
                writeln!(w, "{time}_total{} {}", labels(o, op.name(), &op.labels()), Seconds(f.cancelled_time))?;
            }
        }
    }
    write_metrics(w, tracker, o)?;
    if o.eof { w.write_str("# EOF\n") } else { Ok(()) }
}

impl<const OPS: usize, const RING: usize, const SHARDS: usize, const BUCKETS: usize>
    Tracker<OPS, RING, SHARDS, BUCKETS>
{
    /// Writes every operation as OpenMetrics 1.0 text. Allocates nothing;
    /// works without `std` (any `core::fmt::Write`: a `String`, a UART, a
    /// small network stack). Serve it with [`OPENMETRICS_CONTENT_TYPE`].
    ///
    /// The families, each labelled by `operation`; a family that would be
    /// zero for every operation is left out, and once one operation has
    /// something in it, it is written for every operation, with its 0s, so
    /// that `rate()` and `increase()` see each first increment:
    ///
    /// * `perftrack_operation_duration_seconds`, a **histogram** over the
    ///   operation's lifetime: `_bucket{le=…}`, `_sum` and `_count`. Its
    ///   classic buckets (by default fourteen and `+Inf`) are the same for
    ///   every operation, process and resolution (but schema 0), so a fleet
    ///   aggregates them with
    ///   `histogram_quantile(0.99, sum by (le) (rate(…_bucket[5m])))`. Their
    ///   bounds are by default every power of 4 seconds, `4^k` s, from
    ///   `2^-20` s (about 0.95 µs) to 64 s: bounds of the native grid the
    ///   internal buckets follow, so the counts are exact. Each `le` is the
    ///   largest whole nanosecond within its bound (`le="0.000000953"` for
    ///   `2^-20` s), as records are whole nanoseconds. Other bounds:
    ///   [`ExportOptions::classic_buckets`] (they snap up onto the grid).
    ///   `histogram_quantile` interpolates inside a classic bucket, so with
    ///   the default bounds its answer can be a factor of 4 off; for 4.43%,
    ///   scrape the native histogram of the protobuf exposition
    ///   ([`write_protobuf`](Self::write_protobuf)); for 1/35, read
    ///   [`Distribution::quantile`](crate::Distribution::quantile)
    ///   in-process.
    /// * `perftrack_operation_duration_min_seconds` and `..._max_seconds`,
    ///   **gauges** of the lifetime extremes (once some operation has a
    ///   record; an operation without one has no sample);
    /// * `perftrack_operation_memory_bytes`, a **summary** without quantiles:
    ///   `_sum` is the total memory recorded, `_count` the number of records;
    ///   written once some operation recorded memory;
    /// * `perftrack_operation_allocations`, a **summary** without quantiles
    ///   and without a unit: `_sum` is the total of heap allocations counted,
    ///   `_count` the number of records; written once some operation
    ///   has counted an allocation (a `CountingAlloc` installed);
    /// * `perftrack_operation_cancelled`, a **summary** likewise: `_sum` is
    ///   the calls dropped before they completed
    ///   ([`MetricsSummary::cancelled`](crate::MetricsSummary::cancelled)),
    ///   `_count` the records; written once some call was cancelled.
    ///
    /// Total memory and allocations are summaries rather than OpenMetrics counters on purpose:
    /// a counter's `_total` sample is read as a separate, undocumented family by
    /// parsers of the older Prometheus text format 0.0.4 (`promtool check
    /// metrics` among them), while a summary reads the same in both formats.
    ///
    /// Each operation is read once, as one consistent snapshot, and every
    /// family shows that snapshot: the histogram's `_count`, the extremes and
    /// the memory and allocation summaries' `_count` all agree (I2). The
    /// writer keeps a few words per operation between families, on the
    /// stack, never a second histogram.
    ///
    /// Seconds are exact decimals from integer nanoseconds (no floating point,
    /// which matters on an MCU). Label values are escaped per the spec
    /// (backslash, double quote, newline); other UTF-8 passes through. The
    /// output ends with `# EOF`.
    ///
    /// # Errors
    ///
    /// Only the writer's own `fmt::Error`.
    ///
    /// ```
    /// use perftrack::Tracker;
    /// use core::time::Duration;
    ///
    /// static T: Tracker<4, 8> = Tracker::new();
    /// T.record("say \"hi\"", Duration::from_micros(1500), 64)?;
    /// let mut out = String::new();
    /// T.write_openmetrics(&mut out).unwrap();
    /// assert!(out.contains(r#"perftrack_operation_duration_seconds_count{operation="say \"hi\""} 1"#));
    /// assert!(out.contains(r#"perftrack_operation_duration_seconds_sum{operation="say \"hi\""} 0.001500000"#));
    /// // 1.5 ms lies between the bounds 4^-5 s (0.977 ms) and 4^-4 s (3.906 ms).
    /// assert!(out.contains(r#"perftrack_operation_duration_seconds_bucket{operation="say \"hi\"",le="0.000976562"} 0"#));
    /// assert!(out.contains(r#"perftrack_operation_duration_seconds_bucket{operation="say \"hi\"",le="0.003906250"} 1"#));
    /// assert!(out.ends_with("# EOF\n"));
    /// # Ok::<(), perftrack::TrackerError>(())
    /// ```
    pub fn write_openmetrics<W: Write>(&self, w: &mut W) -> fmt::Result {
        self.write_openmetrics_with(w, &ExportOptions::new())
    }

    /// [`write_openmetrics`](Self::write_openmetrics) with a prefix of your
    /// own, constant labels on every sample, and `# EOF` optional, so that
    /// the output can join another registry's exposition (see
    /// [`ExportOptions`]).
    ///
    /// # Errors
    ///
    /// `fmt::Error`, with nothing written, if the prefix or a label name is
    /// not a valid OpenMetrics name, a label name is reserved (`__…`), given
    /// twice, or one perftrack writes itself (`operation`, `quantile`, `le`);
    /// otherwise only the writer's own errors.
    pub fn write_openmetrics_with<W: Write>(&self, w: &mut W, options: &ExportOptions<'_>) -> fmt::Result {
        if !options.is_valid() {
            return Err(fmt::Error);
        }
        write_all(w, self, options)
    }
}

#[cfg(test)]
mod tests {
    use super::{ExportOptions, Seconds};
    use crate::histogram::buckets::COARSE_BUCKETS;
    use crate::labels::Escaped;
    use crate::tracker::Tracker;
    use core::time::Duration;
    use std::format;
    use std::string::String;

    #[test]
    fn a_bad_reserved_or_duplicate_name_writes_nothing_and_fails() {
        // One shard and the coarse histogram: the exposition's shape is the
        // same, and miri (which runs this test too) copies fewer buckets.
        static T: Tracker<2, 4, 1, COARSE_BUCKETS> = Tracker::new();
        T.record("op", Duration::from_nanos(5), 0).unwrap();
        for opts in [
            ExportOptions::new().prefix(""),
            ExportOptions::new().prefix("1abc"),
            ExportOptions::new().prefix("my-app"),
            ExportOptions::new().labels(&[("in stance", "a")]),
            ExportOptions::new().labels(&[("operation", "a")]),
            ExportOptions::new().labels(&[("le", "a")]),
            ExportOptions::new().labels(&[("__name__", "a")]),
            ExportOptions::new().labels(&[("__meta", "a")]),
            ExportOptions::new().labels(&[("service", "a"), ("service", "b")]),
            ExportOptions::new().labels(&[("service", "a"), ("zone", "z"), ("service", "a")]),
        ] {
            let mut out = String::new();
            assert!(T.write_openmetrics_with(&mut out, &opts).is_err(), "{opts:?}");
            assert!(out.is_empty(), "{opts:?}: {out}");
        }
        let mut out = String::new();
        let opts = ExportOptions::new().prefix("ns:app_2").labels(&[("service", "a \"b\"\n")]).eof(false);
        T.write_openmetrics_with(&mut out, &opts).unwrap();
        assert!(
            out.contains(r#"ns:app_2_operation_duration_seconds_sum{service="a \"b\"\n",operation="op"} 0.000000005"#),
            "{out}"
        );
        assert!(out.ends_with("\n") && !out.contains("# EOF"));
    }

    #[test]
    fn every_family_the_writers_name_is_in_the_clash_checks_list() {
        use super::{ALLOCATIONS, CANCELLED, DURATION, EXTREMES, MEMORY};
        use crate::metric::clash::{OWN_FAMILIES, Shape};
        let stems = [
            (DURATION, Shape::Histogram),
            (EXTREMES[0].0, Shape::Gauge),
            (EXTREMES[1].0, Shape::Gauge),
            (MEMORY.0, Shape::Summary),
            (ALLOCATIONS.0, Shape::Summary),
            (CANCELLED, Shape::Counter),
        ];
        for (stem, shape) in stems {
            assert!(OWN_FAMILIES.iter().any(|o| o.1 == stem && o.3 == shape), "{stem} is missing from OWN_FAMILIES");
        }
        // And each `# TYPE` line the text writes for an operation.
        static T: Tracker<2, 4, 1, COARSE_BUCKETS> = Tracker::new();
        T.record("op", Duration::from_nanos(5), 64).unwrap();
        let mut out = String::new();
        T.write_openmetrics(&mut out).unwrap();
        for line in out.lines().filter_map(|l| l.strip_prefix("# TYPE perftrack_")) {
            let (name, kind) = line.split_once(' ').unwrap();
            let shape = match kind {
                "counter" => Shape::Counter,
                "histogram" => Shape::Histogram,
                "gauge" => Shape::Gauge,
                "summary" => Shape::Summary,
                other => panic!("{other}"),
            };
            assert!(OWN_FAMILIES.iter().any(|o| o.0 == format!("perftrack_{name}") && o.3 == shape), "{line}");
        }
    }

    #[test]
    fn label_values_escape_backslash_quote_and_newline_and_keep_utf8() {
        assert_eq!(format!("{}", Escaped("a\\b\"c\nd größe")), "a\\\\b\\\"c\\nd größe");
    }

    #[test]
    fn seconds_are_exact_decimals_from_nanoseconds() {
        assert_eq!(format!("{}", Seconds(Duration::from_nanos(1))), "0.000000001");
        assert_eq!(format!("{}", Seconds(Duration::new(12, 345_678_000))), "12.345678000");
        assert_eq!(format!("{}", Seconds(Duration::from_nanos(u64::MAX))), "18446744073.709551615");
    }
}
