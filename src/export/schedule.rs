//! The one walk over a tracker's families that every exporter shares, and
//! the small trait a format implements to be one.
//!
//! The schedule decides which families are written, in which order, with
//! which samples and values; an [`Encoder`] decides only how a family and
//! its samples look in its format. So the OpenMetrics text, the protobuf
//! exposition, the prometheus-client collector and any later format name
//! the same families with the same values, by construction.
//!
//! Adding a format is one file that implements [`Encoder`] and calls
//! [`walk`], plus its `mod` line (docs/DESIGN.md, "Adding an export
//! format"; `csv.rs` is a test-only example).

use core::cell::Cell;
use core::time::Duration;

use crate::families::{
    ALLOCATIONS, CANCELLED, CANCELLED_TIME, DURATION, DURATION_MAX, DURATION_MIN, Family, MEMORY, Shape,
};
use crate::labels::Labels;
use crate::metric::Kind;
use crate::operation::Operation;
use crate::summary::MetricsSummary;
use crate::tracker::Tracker;

/// A sample's value, as the schedule reads it; each format spells it its
/// own way.
#[derive(Clone, Copy, Debug)]
pub(crate) enum Value {
    /// A time: a gauge or counter in seconds, exact to the nanosecond.
    Seconds(Duration),
    /// A whole count: a counter's total.
    Count(u64),
    /// A gauge's value.
    Float(f64),
    /// A summary without quantiles: its sum and its count.
    Summary {
        /// The total (bytes, allocations).
        sum: u64,
        /// The records.
        count: u64,
    },
}

/// One sample of a family: whose (`operation` for an operation's
/// families, none for a counter or a gauge), the series' own labels, and
/// its value.
#[derive(Clone, Copy, Debug)]
pub(crate) struct Sample<'a> {
    pub(crate) op: Option<&'a str>,
    pub(crate) series: &'a Labels,
    pub(crate) value: Value,
}

/// Walks a family's samples into `emit`. It may be called more than once
/// (the protobuf writer counts a family's bytes before it writes them) and
/// gives the same samples, in the same order, each time.
pub(crate) type Samples<'a, E> = dyn Fn(&mut dyn FnMut(Sample<'_>) -> Result<(), E>) -> Result<(), E> + 'a;

/// Takes each operation's snapshot, once, into `emit`: it must be called
/// exactly once, since a second call would take other snapshots.
pub(crate) type Snapshots<'a, const B: usize, E> =
    dyn Fn(&mut dyn FnMut(&MetricsSummary<B>) -> Result<(), E>) -> Result<(), E> + 'a;

/// What a format implements to be an exporter: how a family looks.
pub(crate) trait Encoder {
    /// What stops a write.
    type Error;

    /// The duration histogram family: `snapshots` yields each operation's
    /// snapshot (histogram, sum, count, name and labels). Call it exactly
    /// once.
    ///
    /// # Errors
    ///
    /// The format's own.
    fn histograms<const B: usize>(
        &mut self,
        family: &Family<'_>,
        snapshots: &Snapshots<'_, B, Self::Error>,
    ) -> Result<(), Self::Error>;

    /// A family of plain samples: gauges, counters or summaries, by
    /// `family.shape`.
    ///
    /// # Errors
    ///
    /// The format's own.
    fn family(&mut self, family: &Family<'_>, samples: &Samples<'_, Self::Error>) -> Result<(), Self::Error>;
}

/// What the families after the duration histogram need of one operation,
/// kept from the snapshot the histogram was written from, so that every
/// family of one exposition agrees and a scrape takes one snapshot per
/// operation. A few words, not a second histogram.
#[derive(Debug, Clone, Copy)]
struct Figures {
    count: u64,
    min: Duration,
    max: Duration,
    memory: u64,
    allocations: u64,
    cancelled: u64,
    cancelled_time: Duration,
}

impl Figures {
    fn of<const B: usize>(s: &MetricsSummary<B>) -> Self {
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

/// Which operations a family of figures holds.
#[derive(Clone, Copy)]
enum Rows {
    /// Those with a record (the extremes: a gauge with no record has no
    /// value).
    Recorded,
    /// Every operation, with its 0s, so that `rate()` sees each first
    /// increment.
    All,
}

/// A family read from [`Figures`]: which rows it holds, each row's value,
/// and whether a row's figure is not 0.
type FigureFamily = (Family<'static>, Rows, fn(&Figures) -> Value, fn(&Figures) -> bool);

/// The families read from [`Figures`], in the order they are written:
/// each is written only once some operation's figure is not 0.
const FIGURE_FAMILIES: [FigureFamily; 6] = [
    (DURATION_MIN, Rows::Recorded, |f| Value::Seconds(f.min), |f| f.count > 0),
    (DURATION_MAX, Rows::Recorded, |f| Value::Seconds(f.max), |f| f.count > 0),
    (MEMORY, Rows::All, |f| Value::Summary { sum: f.memory, count: f.count }, |f| f.memory > 0),
    (ALLOCATIONS, Rows::All, |f| Value::Summary { sum: f.allocations, count: f.count }, |f| f.allocations > 0),
    (CANCELLED, Rows::All, |f| Value::Count(f.cancelled), |f| f.cancelled > 0),
    (CANCELLED_TIME, Rows::All, |f| Value::Seconds(f.cancelled_time), |f| f.cancelled > 0),
];

/// Writes every family of `tracker` under `prefix` through `encoder`:
///
/// 1. the duration histogram, taking each operation's snapshot once and
///    keeping its [`Figures`];
/// 2. the families of those figures ([`FIGURE_FAMILIES`]), for the same
///    operations: one registered after step 1 has no figures and is left
///    out of them too;
/// 3. the counters and gauges, one family per name and kind in the order
///    the first series of each was registered, but those whose names
///    clash under `prefix` (`metric/clash.rs`).
///
/// # Errors
///
/// The encoder's own; the output is then cut short.
pub(crate) fn walk<E: Encoder, const OPS: usize, const RING: usize, const SHARDS: usize, const BUCKETS: usize>(
    tracker: &Tracker<OPS, RING, SHARDS, BUCKETS>,
    prefix: &str,
    encoder: &mut E,
) -> Result<(), E::Error> {
    let figures: [Cell<Option<Figures>>; OPS] = [const { Cell::new(None) }; OPS];
    if !tracker.is_empty() {
        encoder.histograms(&DURATION.under(prefix), &|emit| {
            for op in tracker.operations() {
                let s = op.summary();
                if let Some(f) = figures.get(op.index()) {
                    f.set(Some(Figures::of(&s)));
                }
                emit(&s)?;
            }
            Ok(())
        })?;
    }
    // The operation's name never changes once registered, so a second walk
    // finds the same ones, and the figures kept above: no second snapshot.
    let kept = || tracker.operations().filter_map(|op| Some((op, figures.get(op.index()).and_then(Cell::get)?)));
    for (family, rows, value, nonzero) in FIGURE_FAMILIES {
        if !kept().any(|(_, f)| nonzero(&f)) {
            continue;
        }
        let wanted = move |f: &Figures| matches!(rows, Rows::All) || f.count > 0;
        encoder.family(&family.under(prefix), &|emit| {
            for (op, f) in kept().filter(|(_, f)| wanted(f)) {
                emit_op(emit, &op, value(&f))?;
            }
            Ok(())
        })?;
    }
    for (i, first) in tracker.metric_families(prefix) {
        let family = Family::plain(first.name.as_str(), Shape::of(first.kind));
        encoder.family(&family, &|emit| {
            for m in tracker.metric_family(i) {
                let value = match m.kind {
                    Kind::Counter => Value::Count(m.counter()),
                    Kind::Gauge => Value::Float(m.gauge()),
                };
                emit(Sample { op: None, series: &m.labels, value })?;
            }
            Ok(())
        })?;
    }
    Ok(())
}

/// One operation's sample.
fn emit_op<E, const RING: usize, const SHARDS: usize, const BUCKETS: usize>(
    emit: &mut dyn FnMut(Sample<'_>) -> Result<(), E>,
    op: &Operation<'_, RING, SHARDS, BUCKETS>,
    value: Value,
) -> Result<(), E> {
    let series = op.labels();
    emit(Sample { op: Some(op.name()), series: &series, value })
}

/// A sample's labels, in the order every exposition writes them: the
/// constant ones, `operation` (for an operation's families; a counter or a
/// gauge has none), then the series' own but those a constant one names
/// (the constant one wins, so no sample carries a label twice).
pub(crate) fn sample_labels<'a>(
    consts: &'a [(&'a str, &'a str)],
    op: Option<&'a str>,
    series: &'a Labels,
) -> impl Iterator<Item = (&'a str, &'a str)> + 'a {
    let own = series.iter().filter(move |(k, _)| consts.iter().all(|(c, _)| c != k));
    consts.iter().copied().chain(op.map(|op| ("operation", op))).chain(own)
}
